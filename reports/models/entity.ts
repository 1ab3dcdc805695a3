/** The entity report's view model: one entity against the national means, its institutions and types. */
import type { RobustnessSection } from './robustness.js';
import { normalizeEntity } from '../../scoring/catalogue.js';
import { rankDescending } from '../../scoring/comparison.js';
import { rowValues } from '../../scoring/engine.js';
import { groupByKeys } from '../../scoring/grouping.js';
import { formatCount } from '../format.js';
import {
  baseMeta,
  improvementGaps,
  pickValues,
  summaryNodes,
  type BuildOptions,
  type EditionResults,
  type ImprovementGap,
  type NodeInfo,
  type NodeValues,
  type RankInfo,
  type PublishedInput,
  type ReportMeta,
} from './common.js';
import { buildEntityEvolution, type EntityEvolution, type EvolutionOptions } from './evolution.js';

export interface InstitutionRow {
  /** Row of the institution in the edition's results. */
  index: number;
  name: string;
  type: string;
  level: string;
  values: NodeValues;
  rank: number | null;
}

export interface TypeRow {
  name: string;
  n: number;
  values: NodeValues;
  /** National mean of the same type. */
  national: NodeValues;
}

export interface EntityReportData {
  kind: 'entity';
  /** «Análisis de robustez» (reports/models/robustness.ts), when the caller computed it. */
  robustness?: RobustnessSection;
  meta: ReportMeta;
  edition: string;
  nodes: NodeInfo[];
  indexNode: string;
  entity: { name: string; code: string };
  n: number;
  values: NodeValues;
  national: NodeValues;
  /** Rank among the entities per node. */
  ranks: Record<string, RankInfo>;
  /** The entity's institutions, ranked by the index. */
  institutions: InstitutionRow[];
  byType: TypeRow[];
  gaps: ImprovementGap[];
  notes: string[];
  /** Every published figure of the entity in every edition, when the published aggregates were given. */
  evolution?: EntityEvolution;
}

export interface EntityReportOptions extends BuildOptions, EvolutionOptions {
  /** Published aggregates: the entity's figures of other editions (the «Evolución» section). */
  published?: PublishedInput;
}

export function buildEntityReportData(results: EditionResults, entityName: string, options: EntityReportOptions = {}): EntityReportData {
  const entity = normalizeEntity(entityName);
  const group = results.byEntity.groups.find((g) => g.name === entity.name);
  if (!group) throw new RangeError(`edition ${results.edition} has no institutions of ${entity.name}`);
  const nodes = summaryNodes(results.compiled);
  const index = results.indexNode;

  const ranks: Record<string, RankInfo> = {};
  for (const node of nodes) {
    const values = results.byEntity.groups.map((g) => g.values[node.id] ?? null);
    const r = rankDescending(values);
    ranks[node.id] = { rank: r[results.byEntity.groups.indexOf(group)] ?? null, of: values.filter((v) => v !== null).length };
  }

  const rows = results.institutions.flatMap((inst, row) => (inst.entity === entity.name ? [{ inst, row }] : []));
  const rowValuesOf = rows.map(({ row }) => rowValues(results.scores, row));
  const rowRanks = rankDescending(rowValuesOf.map((v) => v[index] ?? null));
  const institutions = rows
    .map(({ inst, row }, i): InstitutionRow => ({ index: row, name: inst.name, type: inst.type, level: inst.level, values: pickValues(rowValuesOf[i]!, nodes), rank: rowRanks[i]! }))
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name, 'es'));

  // The engine groups every row; rows of other entities share one key that is then dropped.
  const otherEntities = '\u0000';
  const subset = groupByKeys(results.scores, results.institutions.map((i) => (i.entity === entity.name ? i.type : otherEntities)), 'type');
  const nationalType = new Map(results.byType.groups.map((g) => [g.name, g.values]));
  const byType = subset.groups
    .filter((g) => g.name !== otherEntities)
    .map((g): TypeRow => ({ name: g.name, n: g.n, values: pickValues(g.values, nodes), national: pickValues(nationalType.get(g.name) ?? {}, nodes) }))
    .sort((a, b) => (b.values[index] ?? -1) - (a.values[index] ?? -1));

  const notes = [
    `${entity.name}: ${formatCount(group.n)} sujetos obligados evaluados en ${results.edition}; el valor de la entidad es la media simple de sus sujetos obligados.`,
    `El lugar se cuenta entre las ${formatCount(results.byEntity.groups.length)} entidades (incluida la Federación), de mayor a menor; los empates comparten lugar.`,
    'Todas las cifras se redondean a dos decimales, mitad hacia arriba.',
  ];
  const evolution = options.published ? buildEntityEvolution(results, options.published, entity.name, options) : undefined;
  return {
    kind: 'entity',
    meta: baseMeta(
      results,
      `Métrica de Gobierno Abierto ${results.edition}: ${entity.name}`,
      `Reporte de la entidad federativa frente a la media nacional`,
      options,
      (evolution?.sources ?? []).map((source) => ({ short: 'cifras publicadas', citation: `Cifras publicadas: ${source}` })),
    ),
    edition: results.edition,
    nodes,
    indexNode: index,
    entity: { name: entity.name, code: entity.code },
    n: group.n,
    values: pickValues(group.values, nodes),
    national: pickValues(results.national.values, nodes),
    ranks,
    institutions,
    byType,
    gaps: improvementGaps(group.values, results.compiled),
    notes,
    ...(evolution && { evolution }),
  };
}
