/**
 * The plain data each report prints, and the builders that compute it from the scoring engine's
 * outputs: the server and the CLI load an edition's institutions (e.g. parseResultsTable rows) and the
 * published aggregates, call computeEditionResults once, then a build…ReportData function per report.
 *
 * Nothing here formats numbers: values stay unrounded until the templates print them.
 */
import { ENTITIES, normalizeEntity } from '../scoring/catalogue.js';
import { compareEditions, rankDescending, type Comparison, type EditionValues } from '../scoring/comparison.js';
import {
  asCompiled,
  rowValues,
  scoreInstitution,
  scoreInstitutions,
  type CompiledMethodology,
  type Discrepancy,
  type Formula,
  type ScoreTable,
} from '../scoring/engine.js';
import {
  gapAnalysis,
  groupBy,
  groupByKeys,
  NATIONAL_GROUP_NAME,
  type GapEntry,
  type GroupSummary,
  type Grouping,
  type NationalMethod,
} from '../scoring/grouping.js';
import type { Methodology, MethodologyNode, NodeKind } from '../scoring/methodology.js';
import type { VariableExplanation } from '../questionnaires/answers.js';
import { groupKey, publishedValues, type ParsePublishedResult, type PublishedWarning } from '../scoring/published.js';
import { summaryColumns } from '../scoring/recalc.js';
import { roundHalfUp } from '../scoring/rounding.js';
import { formatCount, formatScore, nodeCode, nodeName, SCORE_DECIMALS } from './format.js';

// ───────────────────────────── inputs ─────────────────────────────

/** One institution as the import gives it (ImportedRow satisfies this). */
export interface InstitutionRecord {
  name: string;
  /** Canonical catalogue name, e.g. "Ciudad de México". */
  entity: string;
  entityCode?: string;
  level: string;
  type: string;
  /** Given node values. */
  values: Readonly<Record<string, number>>;
}

export interface DataSource {
  /** A few words for page footers. */
  short: string;
  /** The full citation for the sources annex. */
  citation: string;
}

export interface EditionInput {
  /** The edition's name as printed, e.g. "2017". */
  edition: string;
  methodology: Methodology | CompiledMethodology;
  institutions: readonly InstitutionRecord[];
  /** The engine's scores of `institutions` (same order), when the caller has them already. */
  scores?: ScoreTable;
  /** Default "institutions": the national value is the mean over all institutions. */
  nationalMethod?: NationalMethod;
  /** Where the institutions' values come from. */
  dataSources?: readonly DataSource[];
}

/** An edition scored and grouped once, shared by every report and the workbook of that edition. */
export interface EditionResults {
  edition: string;
  compiled: CompiledMethodology;
  institutions: readonly InstitutionRecord[];
  scores: ScoreTable;
  nationalMethod: NationalMethod;
  /** The one-group national grouping, and that group. */
  nationalGrouping: Grouping;
  national: GroupSummary;
  byEntity: Grouping;
  byType: Grouping;
  byLevel: Grouping;
  dataSources: readonly DataSource[];
  /** The tree's root: the Índice de Gobierno Abierto. */
  indexNode: string;
}

export function computeEditionResults(input: EditionInput): EditionResults {
  const compiled = asCompiled(input.methodology);
  const scores = input.scores ?? scoreInstitutions(compiled, input.institutions.map((i) => i.values));
  if (scores.rowCount !== input.institutions.length) {
    throw new RangeError(`${scores.rowCount} scored rows for ${input.institutions.length} institutions`);
  }
  if (scores.compiled.hash !== compiled.hash) throw new Error('the scores were computed with a different methodology');
  const nationalMethod = input.nationalMethod ?? 'institutions';
  const nationalGrouping = groupBy(scores, input.institutions, 'national', { nationalMethod });
  return {
    edition: input.edition,
    compiled,
    institutions: input.institutions,
    scores,
    nationalMethod,
    nationalGrouping,
    national: nationalGrouping.groups[0]!,
    byEntity: groupBy(scores, input.institutions, 'entity'),
    byType: groupBy(scores, input.institutions, 'type'),
    byLevel: groupBy(scores, input.institutions, 'level'),
    dataSources: input.dataSources ?? [
      { short: `Resultados ${input.edition}`, citation: `Resultados por sujeto obligado de la edición ${input.edition} (${formatCount(input.institutions.length)} sujetos obligados)` },
    ],
    indexNode: compiled.methodology.tree.id,
  };
}

// ───────────────────────────── shared output pieces ─────────────────────────────

export type NodeValues = Record<string, number | null>;

export interface NodeInfo {
  id: string;
  /** Short printed name: the label's acronym ("IGA") or the id ("TG"). */
  code: string;
  /** Spanish label without the acronym. */
  name: string;
  kind: NodeKind;
}

export interface ReportMeta {
  title: string;
  subtitle: string;
  generatedAt: Date;
  /** For printed dates; default America/Mexico_City. */
  timeZone?: string;
  methodology: { id: string; version: string; hash: string; title: string; citation: string };
  /** Full citations, for the sources annex. */
  sources: string[];
  /** Short names, for page footers. */
  footerSources: string[];
}

export interface RankInfo {
  /** 1 = highest; ties share; null without a value. */
  rank: number | null;
  /** How many were ranked. */
  of: number;
}

export interface GroupRow {
  name: string;
  n: number;
  values: NodeValues;
  /** Rank by the index among the rows of its table. */
  rank: number | null;
}

/** What raising one node to 1 would add to the index (METHODOLOGY.md §3, brecha, weighted in the IGA). */
export interface ImprovementGap {
  node: string;
  code: string;
  name: string;
  kind: NodeKind;
  /** Product of the weights from the node up to the index (a 2017 sub-index weighs 0.25). */
  weightInIndex: number;
  value: number;
  /** weightInIndex × (1 − value): the index points gained with the node at 1. */
  gap: number;
  /** The index with the node at 1 (current index + gap). */
  potentialIndex: number | null;
  rank: number;
}

export interface BuildOptions {
  generatedAt?: Date;
  timeZone?: string;
}

/** An institution's approved questionnaire answers as the scoring engine explained them. */
export interface AnsweredItems {
  explanation: Readonly<Record<string, VariableExplanation>>;
  /** Item id → question text. */
  labels: Readonly<Record<string, string>>;
}

/** A questionnaire item whose answer, at full score, would raise the index most. */
export interface ItemImprovement {
  item: string;
  label: string;
  variable: string;
  variableCode: string;
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
  const weightOf = new Map(gaps.map((g) => [g.node, { weight: g.weightInIndex, code: g.code }]));
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

export function nodeInfo(compiled: CompiledMethodology, id: string): NodeInfo {
  const node = compiled.nodes[compiled.nodeIndex.get(id) ?? -1];
  if (!node) throw new RangeError(`methodology ${compiled.methodology.id} has no node "${id}"`);
  return { id, code: nodeCode(node), name: nodeName(node), kind: node.kind };
}

/** The nodes reports show: the methodology's summary nodes (index, dimensions, sub-indices). */
export function summaryNodes(compiled: CompiledMethodology): NodeInfo[] {
  return summaryColumns(compiled).map((id) => nodeInfo(compiled, id));
}

function pickValues(values: Readonly<Record<string, number | null | undefined>>, nodes: readonly NodeInfo[]): NodeValues {
  return Object.fromEntries(nodes.map((n) => [n.id, values[n.id] ?? null]));
}

function baseMeta(results: EditionResults, title: string, subtitle: string, options: BuildOptions, extraSources: readonly DataSource[] = []): ReportMeta {
  const m = results.compiled.methodology;
  const all = [...results.dataSources, ...extraSources];
  return {
    title,
    subtitle,
    generatedAt: options.generatedAt ?? new Date(),
    ...(options.timeZone && { timeZone: options.timeZone }),
    methodology: { id: m.id, version: m.version, hash: results.compiled.hash, title: m.title.es, citation: `${m.source.citation}${m.source.pages ? `, pp. ${m.source.pages}` : ''}` },
    sources: [...new Set([...all.map((s) => s.citation), `Metodología: ${m.source.citation}`])],
    footerSources: [...new Set([...all.map((s) => s.short), m.id])],
  };
}

/**
 * Improvement gaps: every node at the deepest level where values exist (variables when all of a
 * sub-index's variables have values, else the sub-index), weighted by its weight in the index.
 */
export function improvementGaps(values: Readonly<Record<string, number | null | undefined>>, methodology: Methodology | CompiledMethodology): ImprovementGap[] {
  const compiled = asCompiled(methodology);
  const byId = new Map(compiled.nodes.map((n) => [n.id, n]));
  const children = new Map<string, MethodologyNode[]>();
  for (const node of compiled.nodes) if (node.parent !== undefined) children.set(node.parent, [...(children.get(node.parent) ?? []), node]);
  const has = (id: string): boolean => typeof values[id] === 'number' && !Number.isNaN(values[id]);
  const weightInIndex = (node: MethodologyNode): number => {
    let weight = 1;
    for (let n: MethodologyNode | undefined = node; n?.parent !== undefined; n = byId.get(n.parent)) weight *= n.weightInParent ?? 0;
    return weight;
  };
  const leaves: MethodologyNode[] = [];
  const visit = (node: MethodologyNode): void => {
    const kids = children.get(node.id) ?? [];
    if (kids.length > 0 && kids.every((k) => has(k.id))) kids.forEach(visit);
    else if (has(node.id) && node.parent !== undefined) leaves.push(node);
  };
  visit(byId.get(compiled.methodology.tree.id)!);
  const index = values[compiled.methodology.tree.id];
  const gaps = leaves.map((node): ImprovementGap => {
    const value = values[node.id] as number;
    const weight = weightInIndex(node);
    const gap = weight * (1 - value);
    const info = nodeInfo(compiled, node.id);
    return { node: node.id, code: info.code, name: info.name, kind: node.kind, weightInIndex: weight, value, gap, potentialIndex: typeof index === 'number' ? index + gap : null, rank: 0 };
  });
  gaps.sort((a, b) => b.gap - a.gap);
  gaps.forEach((g, i) => (g.rank = i + 1));
  return gaps;
}

/** Group rows ranked by the index, highest first (ties share a rank; name order within a tie). */
function rankedRows(groups: readonly GroupSummary[], nodes: readonly NodeInfo[], indexNode: string): GroupRow[] {
  const ranks = rankDescending(groups.map((g) => g.values[indexNode] ?? null));
  return groups
    .map((g, i) => ({ name: g.name, n: g.n, values: pickValues(g.values, nodes), rank: ranks[i]! }))
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name, 'es'));
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

// ───────────────────────────── national comparative report ─────────────────────────────

export interface EditionSummary {
  edition: string;
  /** Published national index; null when not published. */
  published: number | null;
  /** Computed from institution data; null when the edition has none here. */
  computed: number | null;
  /** Institutions evaluated, when known. */
  n: number | null;
  sources: string[];
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
  publishedWarnings: PublishedWarning[];
  notes: string[];
}

export interface NationalReportOptions extends BuildOptions {
  /** Editions to compare, in order; default the base edition and every edition in the published data, sorted. */
  editions?: readonly string[];
  /** Institutions evaluated per edition, when known (printed as n); the base edition's n is counted. */
  sampleSizes?: Readonly<Record<string, number>>;
  title?: string;
}

/** Parsed published aggregates (parsePublishedAggregates' result; errors optional). */
export type PublishedInput = Pick<ParsePublishedResult, 'data' | 'warnings'> & Partial<Pick<ParsePublishedResult, 'errors'>>;

/** National figures per edition (published where published, else the base edition's computed ones), compared. */
export function nationalComparison(results: EditionResults, published: PublishedInput | undefined, editions: readonly string[]): Comparison {
  const nodes = summaryNodes(results.compiled);
  const perEdition: EditionValues[] = editions.map((edition) => {
    const figures = published ? publishedValues(published.data, edition, 'national', NATIONAL_GROUP_NAME) : {};
    const usePublished = Object.keys(figures).length > 0 || edition !== results.edition;
    const values = usePublished ? figures : pickValues(results.national.values, nodes);
    return { edition, groups: { [NATIONAL_GROUP_NAME]: { n: edition === results.edition ? results.national.n : null, values } } };
  });
  return compareEditions(perEdition, { nodes: nodes.map((n) => n.id), groups: [NATIONAL_GROUP_NAME] });
}

function defaultEditions(results: EditionResults, published: PublishedInput | undefined): string[] {
  const names = new Set([results.edition, ...Object.keys(published?.data.editions ?? {})]);
  return [...names].sort((a, b) => a.localeCompare(b, 'es', { numeric: true }));
}

function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} y ${names.at(-1)}`;
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
    if (missing.length > 0) text += `; no se publicaron ${codes(missing)} a nivel nacional (n.d. en las tablas, nunca cero)`;
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
    notes.push('El número de sujetos obligados de las ediciones sin datos por sujeto obligado no se indicó (n.d.).');
  }
  notes.push('Todas las cifras se redondean a dos decimales, mitad hacia arriba, como las publicadas.');
  return notes;
}

// ───────────────────────────── entity report ─────────────────────────────

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
}

export function buildEntityReportData(results: EditionResults, entityName: string, options: BuildOptions = {}): EntityReportData {
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
  return {
    kind: 'entity',
    meta: baseMeta(results, `Métrica de Gobierno Abierto ${results.edition}: ${entity.name}`, `Reporte de la entidad federativa frente a la media nacional`, options),
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
  };
}

// ───────────────────────────── institution report card ─────────────────────────────

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
  discrepancies: Discrepancy[];
  /** Nodes neither given nor computable (e.g. the variables, for 2017). */
  undetermined: NodeInfo[];
  improvements: ImprovementGap[];
  /** Present when the institution answered a questionnaire of the edition. */
  itemImprovements?: ItemImprovement[];
  notes: string[];
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

export function buildInstitutionReportData(results: EditionResults, selector: InstitutionSelector, options: BuildOptions & { answered?: AnsweredItems } = {}): InstitutionReportData {
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
    discrepancies: score.discrepancies,
    undetermined: score.undetermined.map((id) => nodeInfo(compiled, id)),
    improvements,
    ...(options.answered && { itemImprovements: itemImprovements(options.answered, improvements) }),
    notes,
  };
}
