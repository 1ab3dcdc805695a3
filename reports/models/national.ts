/**
 * The national comparative report's view model: national figures per edition (published, or computed
 * from the base edition's institutions), the base edition by entity, type and level, the published
 * entity figures of later editions, and the notes that explain them.
 */
import type { RobustnessSection } from './robustness.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { compareEditions, type Comparison } from '../../scoring/comparison.js';
import { gapAnalysis, NATIONAL_GROUP_NAME, type GapEntry, type NationalMethod } from '../../scoring/grouping.js';
import { groupKey, publishedValues, type PublishedWarning } from '../../scoring/published.js';
import { roundHalfUp } from '../../scoring/rounding.js';
import { formatCount, formatScore, SCORE_DECIMALS } from '../format.js';
import {
  baseMeta,
  defaultEditions,
  nationalComparison,
  improvementGaps,
  listNames,
  pickValues,
  rankedRows,
  summaryNodes,
  type BuildOptions,
  type EditionResults,
  type GroupRow,
  type ImprovementGap,
  type NodeInfo,
  type NodeValues,
  type PublishedInput,
  type ReportMeta,
} from './common.js';

import { buildNationalEvolution, type NationalEvolution } from './evolution.js';
import type { PanelComparison } from '../../scoring/panel.js';

export { defaultEditions, nationalComparison, type PublishedInput };

export interface EditionSummary {
  edition: string;
  /** Published national index; null when not published. */
  published: number | null;
  /** Computed from institution data; null when the edition has none here. */
  computed: number | null;
  /** Institutions evaluated, when known. */
  n: number | null;
  sources: string[];
  /** Who ran the edition and how it published, when known (Spanish). */
  about: string | null;
}

export interface ReproductionRow {
  node: string;
  published: number | null;
  computed: number | null;
  /** Whether the computed value rounds (half-up, 2 decimals) to the published figure. */
  matches: boolean | null;
}

export interface PublishedGroupComparison {
  /** Entities with a published figure in a later edition, against the base edition's computed means. */
  comparison: Comparison;
  /** The later editions' published figures by group, for the table. */
  laterEditions: string[];
}

export interface NationalReportData {
  kind: 'national';
  /** «Análisis de robustez» (reports/models/robustness.ts), when the caller computed it. */
  robustness?: RobustnessSection;
  meta: ReportMeta;
  editions: string[];
  baseEdition: string;
  nodes: NodeInfo[];
  indexNode: string;
  editionSummaries: EditionSummary[];
  /** National figures per edition: the published ones; the base edition's computed ones where it published none. */
  comparison: Comparison;
  /** The base edition: computed figures against published ones. */
  reproduction: ReproductionRow[];
  base: {
    edition: string;
    n: number;
    nationalMethod: NationalMethod;
    national: NodeValues;
    byEntity: GroupRow[];
    byType: GroupRow[];
    byLevel: GroupRow[];
    /** Index-weighted gaps of the national means, largest first. */
    gaps: ImprovementGap[];
    /** REx2017-style gaps (weight inside the sub-index) when variable means exist; else empty. */
    variableGaps: GapEntry[];
  };
  entityComparison: PublishedGroupComparison | null;
  /** The «Evolución» section: national and entity series, maps, and the panel when there is one. */
  evolution: NationalEvolution;
  publishedWarnings: PublishedWarning[];
  notes: string[];
}

export interface NationalReportOptions extends BuildOptions {
  /** Editions to compare, in order; default the base edition and every edition in the published data, sorted. */
  editions?: readonly string[];
  /** Institutions evaluated per edition, when known (printed as n); the base edition's n is counted. */
  sampleSizes?: Readonly<Record<string, number>>;
  /** What is known about each edition (who ran it, how it published), printed beside its sources. */
  editionAbout?: Readonly<Record<string, string>>;
  /** Institution-level comparisons of the base edition with another edition that has per-institution data. */
  panels?: readonly PanelComparison[];
  title?: string;
}

export function buildNationalReportData(results: EditionResults, published: PublishedInput | undefined, options: NationalReportOptions = {}): NationalReportData {
  const nodes = summaryNodes(results.compiled);
  const codeOf = new Map(nodes.map((n) => [n.id, n.code]));
  const editions = [...(options.editions ?? defaultEditions(results, published))];
  const comparison = nationalComparison(results, published, editions);
  const nationalRow = comparison.groups[0]!;
  const index = results.indexNode;

  const publishedNational = (edition: string) => (published ? publishedValues(published.data, edition, 'national', NATIONAL_GROUP_NAME) : {});
  const editionSummaries = editions.map((edition): EditionSummary => {
    const figures = published?.data.editions[edition]?.groups[groupKey('national', NATIONAL_GROUP_NAME)]?.measures ?? {};
    return {
      edition,
      published: figures[index]?.value ?? null,
      computed: edition === results.edition ? (results.national.values[index] ?? null) : null,
      n: edition === results.edition ? results.national.n : (options.sampleSizes?.[edition] ?? null),
      sources: [...new Set(Object.values(figures).map((f) => f.source))],
      about: options.editionAbout?.[edition] ?? null,
    };
  });

  const basePublished = publishedNational(results.edition);
  const reproduction = nodes.map((n): ReproductionRow => {
    const pub = basePublished[n.id] ?? null;
    const computed = results.national.values[n.id] ?? null;
    return { node: n.id, published: pub, computed, matches: pub === null || computed === null ? null : roundHalfUp(computed, SCORE_DECIMALS) === pub };
  });

  const variableGaps = gapAnalysis(results.nationalGrouping, results.compiled)[0]?.ranked ?? [];

  // Entities that later editions published, against the base edition's entity means.
  const laterEditions = editions.filter((e) => e !== results.edition);
  const entityGroups = new Set<string>();
  for (const edition of laterEditions) {
    for (const group of Object.values(published?.data.editions[edition]?.groups ?? {})) if (group.scope === 'entity') entityGroups.add(group.group);
  }
  let entityComparison: PublishedGroupComparison | null = null;
  if (entityGroups.size > 0) {
    const entityOrder = ENTITIES.map((e) => e.name).filter((name) => entityGroups.has(name));
    const baseGroups = Object.fromEntries(results.byEntity.groups.map((g) => [g.name, { n: g.n, values: pickValues(g.values, nodes) }]));
    const later = laterEditions.map((edition) => ({
      edition,
      groups: Object.fromEntries(entityOrder.map((name) => [name, { values: publishedValues(published!.data, edition, 'entity', name) }])),
    }));
    const withFigures = later.filter((e) => Object.values(e.groups).some((g) => Object.keys(g.values).length > 0));
    entityComparison = {
      comparison: compareEditions([{ edition: results.edition, groups: baseGroups }, ...withFigures], { nodes: nodes.map((n) => n.id), groups: entityOrder }),
      laterEditions: withFigures.map((e) => e.edition),
    };
  }

  const warnings = (published?.warnings ?? []).filter((w) => editions.includes(w.edition));
  const notes = nationalNotes(results, published, editions, nationalRow.nodes, codeOf, reproduction, warnings, options);
  const publishedSources = (published?.data.sources ?? []).map((source) => ({ short: 'cifras publicadas', citation: `Cifras publicadas: ${source}` }));
  const meta = baseMeta(
    results,
    options.title ?? `Métrica de Gobierno Abierto: reporte nacional comparativo ${listNames(editions)}`,
    `Índice de Gobierno Abierto y subíndices por edición; resultados ${results.edition} por entidad federativa, tipo de sujeto obligado y nivel de gobierno`,
    options,
    publishedSources,
  );

  return {
    kind: 'national',
    meta,
    editions,
    baseEdition: results.edition,
    nodes,
    indexNode: index,
    editionSummaries,
    comparison,
    reproduction,
    base: {
      edition: results.edition,
      n: results.national.n,
      nationalMethod: results.nationalMethod,
      national: pickValues(results.national.values, nodes),
      byEntity: rankedRows(results.byEntity.groups, nodes, index),
      byType: rankedRows(results.byType.groups, nodes, index),
      byLevel: rankedRows(results.byLevel.groups, nodes, index),
      gaps: improvementGaps(results.national.values, results.compiled),
      variableGaps,
    },
    entityComparison,
    evolution: buildNationalEvolution(results, published, editions, { ...(options.panels && { panels: options.panels }), ...(options.editionAbout && { editionAbout: options.editionAbout }) }),
    publishedWarnings: warnings,
    notes,
  };
}

function nationalNotes(
  results: EditionResults,
  published: PublishedInput | undefined,
  editions: readonly string[],
  national: Comparison['groups'][number]['nodes'],
  codeOf: ReadonlyMap<string, string>,
  reproduction: readonly ReproductionRow[],
  warnings: readonly PublishedWarning[],
  options: NationalReportOptions,
): string[] {
  const notes: string[] = [];
  const codes = (ids: readonly string[]) => listNames(ids.map((id) => codeOf.get(id) ?? id));
  const method = results.nationalMethod === 'institutions' ? `la media simple de los ${formatCount(results.national.n)} sujetos obligados` : 'la media de las medias de las entidades federativas';
  notes.push(`La cifra nacional ${results.edition} calculada es ${method}; cada grupo (entidad, tipo, nivel) es la media simple de sus sujetos obligados.`);
  const mismatches = reproduction.filter((r) => r.matches === false);
  if (reproduction.some((r) => r.matches !== null)) {
    notes.push(
      mismatches.length === 0
        ? `Las cifras nacionales ${results.edition} calculadas con los datos por sujeto obligado reproducen, redondeadas, las cifras publicadas.`
        : `Las cifras calculadas ${results.edition} de ${codes(mismatches.map((r) => r.node))} no coinciden, redondeadas, con las publicadas.`,
    );
  }
  for (const edition of editions) {
    if (edition === results.edition) continue;
    const present = Object.values(national).filter((n) => n.present.includes(edition)).map((n) => n.node);
    const missing = Object.values(national).filter((n) => n.missing.includes(edition)).map((n) => n.node);
    if (present.length === 0) {
      notes.push(`${edition}: no hay cifras publicadas en los datos cargados.`);
      continue;
    }
    const entityFigures = Object.values(published?.data.editions[edition]?.groups ?? {}).filter((g) => g.scope !== 'national');
    const perMeasure = new Map<string, number>();
    for (const g of entityFigures) for (const m of Object.keys(g.measures)) perMeasure.set(m, (perMeasure.get(m) ?? 0) + 1);
    let text = `${edition}: solo hay cifras nacionales publicadas (${codes(present)}); no hay datos por sujeto obligado`;
    if (missing.length > 0) text += `; no se publicaron ${codes(missing)} a nivel nacional («sin dato» en las tablas, nunca cero)`;
    if (perMeasure.size > 0) {
      text += `; además, cifras de algunas entidades: ${[...perMeasure].map(([m, count]) => `${codeOf.get(m) ?? m} de ${count} entidades`).join(', ')}`;
    }
    notes.push(`${text}.`);
  }
  const relations = new Map<string, PublishedWarning[]>();
  for (const w of warnings.filter((w) => w.kind === 'inconsistent')) {
    const key = `${w.edition}|${w.group}|${w.relation}`;
    relations.set(key, [...(relations.get(key) ?? []), w]);
  }
  for (const group of relations.values()) {
    const head = group.find((w) => w.measure === w.relationNode) ?? group[0]!;
    const terms = group.filter((w) => w !== head && w.implied !== null);
    const noted = group.find((w) => w.note !== '');
    notes.push(
      `${head.edition} (${head.group}): las cifras publicadas no cumplen ${head.relation}: ${codeOf.get(head.relationNode) ?? head.relationNode} publicado ${formatScore(head.published)}, calculado con sus componentes ${formatScore(head.implied, 3)}. ` +
        terms.map((w) => `Si las demás cifras son correctas, ${codeOf.get(w.measure) ?? w.measure} sería ${formatScore(w.implied, 2)} (publicado ${formatScore(w.published)})`).join('; ') +
        `. Se conservan las cifras publicadas sin corregir.${noted ? ` Nota de la fuente de datos sobre ${noted.measure}: «${noted.note}».` : ''}`,
    );
  }
  if (published?.errors && published.errors.length > 0) {
    notes.push(`${published.errors.length} filas del archivo de cifras publicadas tienen errores y se omitieron.`);
  }
  const hasVariables = results.compiled.nodes.some((n) => n.kind === 'variable' && (results.national.nPerNode[n.id] ?? 0) > 0);
  if (!hasVariables) {
    notes.push(
      `Los datos ${results.edition} por sujeto obligado solo traen subíndices: la brecha se calcula a nivel de subíndice (peso en el IGA × (1 − valor); cada subíndice pesa ${formatScore(0.25)}).`,
    );
  }
  if (editions.some((e) => e !== results.edition)) {
    notes.push('Las ponderaciones internas de los subíndices de las ediciones posteriores no son públicas; las comparaciones se hacen solo con índices y subíndices publicados.');
  }
  if (options.sampleSizes === undefined && editions.length > 1) {
    notes.push('El número de sujetos obligados de las ediciones sin datos por sujeto obligado no se indicó («sin dato»).');
  }
  notes.push('Todas las cifras se redondean a dos decimales, mitad hacia arriba, como las publicadas.');
  return notes;
}
