/**
 * What every report's view model shares: the inputs (an edition's institutions and methodology), the
 * edition scored and grouped once (computeEditionResults), and the pieces each report prints (node
 * info, report metadata, ranked group rows, improvement gaps).
 *
 * The server and the CLI load an edition's institutions (e.g. parseResultsTable rows) and the
 * published aggregates, call computeEditionResults once, then a build…ReportData function per report
 * (models/national.ts, entity.ts, institution.ts).
 *
 * Nothing here formats numbers: values stay unrounded until the templates print them.
 */
import { asCompiled, scoreInstitutions, type CompiledMethodology, type ScoreTable } from '../../scoring/engine.js';
import { nodeNames, type NodeName } from '../../scoring/explanation.js';
import { compareEditions, rankDescending, type Comparison, type EditionValues } from '../../scoring/comparison.js';
import { groupBy, NATIONAL_GROUP_NAME, type GroupSummary, type Grouping, type NationalMethod } from '../../scoring/grouping.js';
import { publishedValues, type ParsePublishedResult } from '../../scoring/published.js';
import type { Methodology, MethodologyNode, NodeKind } from '../../scoring/methodology.js';
import { summaryColumns } from '../../scoring/recalc.js';
import { formatCount, nodeCode, nodeName } from '../format.js';

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
  /**
   * What a page prints for the node: "Transparencia desde la perspectiva gubernamental (TG)" with an
   * official abbreviation (summary nodes), the name alone otherwise ("Acceso a la información").
   */
  label: string;
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
  /** As printed: the name with its official abbreviation, if any (NodeInfo.label). */
  label: string;
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

const namesCache = new WeakMap<CompiledMethodology, Map<string, NodeName>>();

export function nodeInfo(compiled: CompiledMethodology, id: string): NodeInfo {
  const node = compiled.nodes[compiled.nodeIndex.get(id) ?? -1];
  if (!node) throw new RangeError(`methodology ${compiled.methodology.id} has no node "${id}"`);
  let names = namesCache.get(compiled);
  if (!names) namesCache.set(compiled, (names = nodeNames(compiled)));
  const abbreviation = names.get(id)?.abbreviation;
  const name = nodeName(node);
  return { id, code: nodeCode(node), name, label: abbreviation ? `${name} (${abbreviation})` : name, kind: node.kind };
}

/** The nodes reports show: the methodology's summary nodes (index, dimensions, sub-indices). */
export function summaryNodes(compiled: CompiledMethodology): NodeInfo[] {
  return summaryColumns(compiled).map((id) => nodeInfo(compiled, id));
}

export function pickValues(values: Readonly<Record<string, number | null | undefined>>, nodes: readonly NodeInfo[]): NodeValues {
  return Object.fromEntries(nodes.map((n) => [n.id, values[n.id] ?? null]));
}

export function baseMeta(results: EditionResults, title: string, subtitle: string, options: BuildOptions, extraSources: readonly DataSource[] = []): ReportMeta {
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
    return { node: node.id, code: info.code, name: info.name, label: info.label, kind: node.kind, weightInIndex: weight, value, gap, potentialIndex: typeof index === 'number' ? index + gap : null, rank: 0 };
  });
  gaps.sort((a, b) => b.gap - a.gap);
  gaps.forEach((g, i) => (g.rank = i + 1));
  return gaps;
}

/** Group rows ranked by the index, highest first (ties share a rank; name order within a tie). */
export function rankedRows(groups: readonly GroupSummary[], nodes: readonly NodeInfo[], indexNode: string): GroupRow[] {
  const ranks = rankDescending(groups.map((g) => g.values[indexNode] ?? null));
  return groups
    .map((g, i) => ({ name: g.name, n: g.n, values: pickValues(g.values, nodes), rank: ranks[i]! }))
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name, 'es'));
}

/** "a", "a y b", "a, b y c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} y ${names.at(-1)}`;
}

// ───────────────────────────── editions compared ─────────────────────────────

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

/** The base edition and every edition of the published data, in chronological order. */
export function defaultEditions(results: EditionResults, published: PublishedInput | undefined): string[] {
  const names = new Set([results.edition, ...Object.keys(published?.data.editions ?? {})]);
  return [...names].sort((a, b) => a.localeCompare(b, 'es', { numeric: true }));
}
