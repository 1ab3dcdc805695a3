/** The institution report card's view model: its values explained formula by formula, ranks, references, improvements. */
import { normalizeEntity } from '../../scoring/catalogue.js';
import { rankDescending } from '../../scoring/comparison.js';
import { scoreInstitution, type CompiledMethodology, type Discrepancy, type Formula } from '../../scoring/engine.js';
import type { Grouping } from '../../scoring/grouping.js';
import type { NodeKind } from '../../scoring/methodology.js';
import type { VariableExplanation } from '../../questionnaires/answers.js';
import { explainScore, type ExplainScoreInput, type ScoreExplanation } from '../../questionnaires/explain/index.js';
import { formatCount } from '../format.js';
import {
  baseMeta,
  improvementGaps,
  nodeInfo,
  pickValues,
  summaryNodes,
  type BuildOptions,
  type EditionResults,
  type ImprovementGap,
  type NodeInfo,
  type NodeValues,
  type RankInfo,
  type ReportMeta,
} from './common.js';

/** An institution's approved questionnaire answers as the scoring engine explained them. */
export interface AnsweredItems {
  explanation: Readonly<Record<string, VariableExplanation>>;
  /** Item id → question text. */
  labels: Readonly<Record<string, string>>;
  /** The approved answers themselves, so the card explains each variable in words. */
  answers?: ExplainScoreInput['answers'];
}

/** A questionnaire item whose answer, at full score, would raise the index most. */
export interface ItemImprovement {
  item: string;
  label: string;
  variable: string;
  variableCode: string;
  /** The variable as printed (its name; NodeInfo.label). */
  variableLabel: string;
  score: number;
  /** Index points gained with this item at full score, the rest unchanged. */
  gain: number;
  rank: number;
}

/**
 * Item gains: an item's share in its variable (its weight over the applicable items' weights)
 * × the variable's weight in the index × (1 − its score).
 */
export function itemImprovements(answered: AnsweredItems, gaps: readonly ImprovementGap[], limit = 10): ItemImprovement[] {
  const weightOf = new Map(gaps.map((g) => [g.node, { weight: g.weightInIndex, code: g.code, label: g.label }]));
  const items = Object.entries(answered.explanation).flatMap(([variable, explanation]) => {
    const path = weightOf.get(variable);
    if (!path) return [];
    const total = explanation.items.reduce((sum, item) => sum + item.weight, 0);
    return explanation.items
      .filter((item) => item.score < 1)
      .map((item) => ({
        item: item.item,
        label: answered.labels[item.item] ?? item.item,
        variable,
        variableCode: path.code,
        variableLabel: path.label,
        score: item.score,
        gain: total > 0 ? (path.weight * item.weight * (1 - item.score)) / total : 0,
      }));
  });
  return items
    .filter((i) => i.gain > 0)
    .sort((a, b) => b.gain - a.gain || a.item.localeCompare(b.item))
    .slice(0, limit)
    .map((i, index) => ({ ...i, rank: index + 1 }));
}

/** Per results object: ranks of each institution by the index within its type, its entity and nationally. */
interface InstitutionRanks {
  inType: (number | null)[];
  inEntity: (number | null)[];
  national: (number | null)[];
  typeSize: Map<string, number>;
  entitySize: Map<string, number>;
}
const ranksCache = new WeakMap<EditionResults, InstitutionRanks>();

function institutionIndexValues(results: EditionResults): (number | null)[] {
  const column = results.compiled.nodeIndex.get(results.indexNode)!;
  const nodeCount = results.compiled.nodeIds.length;
  return results.institutions.map((_, row) => {
    const v = results.scores.values[row * nodeCount + column]!;
    return Number.isNaN(v) ? null : v;
  });
}

function rankWithin(values: readonly (number | null)[], keys: readonly string[]): { ranks: (number | null)[]; sizes: Map<string, number> } {
  const rowsByKey = new Map<string, number[]>();
  keys.forEach((key, row) => rowsByKey.set(key, [...(rowsByKey.get(key) ?? []), row]));
  const ranks = new Array<number | null>(values.length).fill(null);
  const sizes = new Map<string, number>();
  for (const [key, rows] of rowsByKey) {
    const groupRanks = rankDescending(rows.map((r) => values[r]!));
    rows.forEach((r, i) => (ranks[r] = groupRanks[i]!));
    sizes.set(key, rows.filter((r) => values[r] !== null).length);
  }
  return { ranks, sizes };
}

function institutionRanks(results: EditionResults): InstitutionRanks {
  let cached = ranksCache.get(results);
  if (!cached) {
    const values = institutionIndexValues(results);
    const byType = rankWithin(values, results.institutions.map((i) => i.type));
    const byEntity = rankWithin(values, results.institutions.map((i) => i.entity));
    cached = { inType: byType.ranks, inEntity: byEntity.ranks, national: rankDescending(values), typeSize: byType.sizes, entitySize: byEntity.sizes };
    ranksCache.set(results, cached);
  }
  return cached;
}

export interface FormulaTermView {
  node: string;
  code: string;
  weight: number;
  value: number;
}

export interface FormulaView {
  /** "tree", "definition" or the equivalent path's id. */
  path: string;
  description: string;
  expression: string;
  terms: FormulaTermView[];
  value: number;
  /** Whether the path agrees with the node's value within the engine's tolerance. */
  agrees: boolean;
}

export interface NodeExplanation {
  node: string;
  code: string;
  name: string;
  kind: NodeKind;
  value: number;
  /** Given in the data, or computed by the engine. */
  source: 'given' | 'computed';
  /** For a computed node, the formula that gave it; for a given node, the first formula that checks it. */
  formula?: FormulaView;
  /** Further formulas that check the value. */
  alternatives: FormulaView[];
}

export interface InstitutionReportData {
  kind: 'institution';
  meta: ReportMeta;
  edition: string;
  nodes: NodeInfo[];
  indexNode: string;
  institution: { index: number; name: string; entity: string; entityCode: string; type: string; level: string };
  values: NodeValues;
  references: { national: NodeValues; entity: NodeValues; type: NodeValues };
  ranks: { inType: RankInfo; inEntity: RankInfo; national: RankInfo };
  explanation: NodeExplanation[];
  /** The same explanation in words for a hand check (questionnaires/explain/), as the pages show it. */
  scoreExplanation: ScoreExplanation;
  discrepancies: Discrepancy[];
  /** Nodes neither given nor computable (e.g. the variables, for 2017). */
  undetermined: NodeInfo[];
  improvements: ImprovementGap[];
  /** Present when the institution answered a questionnaire of the edition. */
  itemImprovements?: ItemImprovement[];
  notes: string[];
  /** The same institution in an earlier edition (linked by a crosswalk), with the change since. */
  previous?: PreviousEditionView;
}

/** What the caller knows of the institution's previous edition (server/services/crosswalks.ts). */
export interface PreviousEditionInput {
  /** The edition as printed ("2017"). */
  edition: string;
  title: string;
  /** The institution's name in that edition. */
  name: string;
  values: Readonly<Record<string, number | null>>;
  link: { method: 'exact' | 'confirmed'; similarity: number };
}

export interface PreviousEditionView extends PreviousEditionInput {
  values: NodeValues;
  /** This edition − the previous one, per summary node; null where either is missing. */
  delta: NodeValues;
}

/** An institution by its row in the results, or by name (and entity when the name repeats). */
export type InstitutionSelector = number | { name: string; entity?: string };

export function findInstitution(results: EditionResults, selector: InstitutionSelector): number {
  if (typeof selector === 'number') {
    if (!Number.isInteger(selector) || selector < 0 || selector >= results.institutions.length) throw new RangeError(`no institution at row ${selector}`);
    return selector;
  }
  const entity = selector.entity === undefined ? undefined : normalizeEntity(selector.entity).name;
  const matches = results.institutions.flatMap((inst, row) => (inst.name === selector.name && (entity === undefined || inst.entity === entity) ? [row] : []));
  if (matches.length !== 1) {
    throw new RangeError(matches.length === 0 ? `no institution named "${selector.name}"` : `${matches.length} institutions named "${selector.name}": give the entity`);
  }
  return matches[0]!;
}

function pathDescription(compiled: CompiledMethodology, path: string): string {
  if (path === 'tree') return 'definición';
  if (path === 'definition') return 'definición';
  return compiled.methodology.equivalentPaths.find((p) => p.id === path)?.description?.es ?? path;
}

export function buildInstitutionReportData(results: EditionResults, selector: InstitutionSelector, options: BuildOptions & { answered?: AnsweredItems; previous?: PreviousEditionInput } = {}): InstitutionReportData {
  const row = findInstitution(results, selector);
  const inst = results.institutions[row]!;
  const compiled = results.compiled;
  const nodes = summaryNodes(compiled);
  const score = scoreInstitution(compiled, inst.values);
  const values = Object.fromEntries(Object.entries(score.nodes).map(([id, s]) => [id, s.value]));

  const codeOf = (id: string): string => nodeInfo(compiled, id).code;
  const disagreeing = new Set(score.discrepancies.map((d) => `${d.node}\u0000${d.via}`));
  const view = (node: string, f: Formula): FormulaView => ({
    path: f.path,
    description: pathDescription(compiled, f.path),
    expression: f.expression,
    terms: f.terms.map((t) => ({ node: t.node, code: codeOf(t.node), weight: t.weight, value: t.value })),
    value: f.value,
    agrees: !disagreeing.has(`${node}\u0000${f.path}`),
  });
  // Summary nodes first, then any other node with a value (e.g. the perspectives GAg, GAc).
  const order = [...nodes.map((n) => n.id), ...compiled.nodeIds.filter((id) => !nodes.some((n) => n.id === id))];
  const explanation = order.flatMap((id): NodeExplanation[] => {
    const s = score.nodes[id];
    if (!s) return [];
    const info = nodeInfo(compiled, id);
    return [{ node: id, code: info.code, name: info.name, kind: info.kind, value: s.value, source: s.source, ...(s.formula && { formula: view(id, s.formula) }), alternatives: (s.otherPaths ?? []).map((f) => view(id, f)) }];
  });

  const ranks = institutionRanks(results);
  const groupValues = (grouping: Grouping, name: string) => pickValues(grouping.groups.find((g) => g.name === name)?.values ?? {}, nodes);
  const typeCount = ranks.typeSize.get(inst.type) ?? 0;
  const improvements = improvementGaps(values, compiled);
  const notes = [
    `Valores con cuatro decimales en la explicación (la precisión de los datos) y con dos en las tablas, redondeados mitad hacia arriba.`,
    `Medias de referencia: nacional (${formatCount(results.national.n)} sujetos obligados), de ${inst.entity} y del tipo ${inst.type} (${formatCount(typeCount)}).`,
  ];
  if (improvements.every((g) => g.kind !== 'variable')) {
    notes.push('Los datos de esta edición solo traen subíndices: las mejoras se calculan por subíndice (peso en el IGA × (1 − valor)).');
  }
  return {
    kind: 'institution',
    meta: baseMeta(results, inst.name, `Ficha del sujeto obligado · Métrica de Gobierno Abierto ${results.edition}`, options),
    edition: results.edition,
    nodes,
    indexNode: results.indexNode,
    institution: { index: row, name: inst.name, entity: inst.entity, entityCode: inst.entityCode ?? normalizeEntity(inst.entity).code, type: inst.type, level: inst.level },
    values: pickValues(values, nodes),
    references: { national: pickValues(results.national.values, nodes), entity: groupValues(results.byEntity, inst.entity), type: groupValues(results.byType, inst.type) },
    ranks: {
      inType: { rank: ranks.inType[row] ?? null, of: typeCount },
      inEntity: { rank: ranks.inEntity[row] ?? null, of: ranks.entitySize.get(inst.entity) ?? 0 },
      national: { rank: ranks.national[row] ?? null, of: ranks.national.filter((r) => r !== null).length },
    },
    explanation,
    scoreExplanation: explainScore({ methodology: compiled, nodes: score.nodes, ...(options.answered?.answers && { answers: options.answered.answers }) }),
    discrepancies: score.discrepancies,
    undetermined: score.undetermined.map((id) => nodeInfo(compiled, id)),
    improvements,
    ...(options.answered && { itemImprovements: itemImprovements(options.answered, improvements) }),
    ...(options.previous && { previous: previousView(options.previous, values, nodes) }),
    notes,
  };
}

function previousView(previous: PreviousEditionInput, current: Readonly<Record<string, number>>, nodes: readonly NodeInfo[]): PreviousEditionView {
  const values = pickValues(previous.values, nodes);
  const delta = Object.fromEntries(nodes.map((n) => [n.id, values[n.id] == null || current[n.id] === undefined ? null : current[n.id]! - values[n.id]!]));
  return { ...previous, values, delta };
}
