/**
 * Published aggregate figures (national and group results as the official reports print them, one
 * row per figure with its source), parsed and checked against the methodology's formulas.
 *
 * Published figures are rounded to two decimals, so a relation such as P = (PG + PC)/2 only holds
 * within rounding: a figure that differs from the value implied by the other published figures by
 * more than PUBLISHED_TOLERANCE becomes a warning. Warnings never change a published value.
 */
import { normalizeEntity, normalizeInstitutionType, normalizeLevel, UnknownNameError } from './catalogue.js';
import { scoreInstitution, scoreValueProblem } from './engine.js';
import { NATIONAL_GROUP_NAME } from './grouping.js';
import { readCsv } from './import/read-csv.js';
import { methodologyGraph, type Label, type Methodology, type MethodologyPath } from './methodology.js';
import { formatFixed } from './rounding.js';

export const PUBLISHED_COLUMNS = ['edition', 'scope', 'group', 'measure', 'value', 'source', 'note', 'rank'] as const;
/** Columns a file may leave out. */
const OPTIONAL_COLUMNS: readonly string[] = ['note', 'rank'];
/** The `rank` column: a place the source states (1 = highest), or "last" for the lowest. */
export type StatedRank = number | 'last';
export const PUBLISHED_SCOPES = ['national', 'entity', 'type', 'level', 'institution'] as const;
export type PublishedScope = (typeof PUBLISHED_SCOPES)[number];

/** Two published decimals: each figure may be off by 0.005, so a relation may be off by 0.01. */
export const PUBLISHED_DECIMALS = 2;
export const PUBLISHED_TOLERANCE = 0.01;

export interface PublishedFigure {
  value: number;
  source: string;
  /** Empty when the row has no note. */
  note: string;
  /** The group's place as the source states it (only where it does; never derived from the values). */
  rank?: StatedRank;
  /** Row in the file, the header being row 1. */
  row: number;
}

export interface PublishedGroup {
  scope: PublishedScope;
  /** Canonical name: "Nacional", a catalogue entity name, a level, a type or an institution. */
  group: string;
  /** Measure (node id) → figure. */
  measures: Record<string, PublishedFigure>;
}

export interface PublishedEdition {
  edition: string;
  /** Keyed by groupKey(scope, group), e.g. "national/Nacional", "entity/Guanajuato". */
  groups: Record<string, PublishedGroup>;
}

export interface PublishedAggregates {
  /** Edition → groups, editions in file order. */
  editions: Record<string, PublishedEdition>;
  /** Every distinct source, in order of first appearance. */
  sources: string[];
}

export interface PublishedParseError {
  /** Row number (header = 1); null for the whole file. */
  row: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

export interface PublishedWarningTerm {
  measure: string;
  weight: number;
  value: number;
  /** Published, or computed from published figures when the methodology has the node but the file has not. */
  origin: 'published' | 'computed';
}

export interface PublishedWarning {
  kind: 'inconsistent' | 'unchecked';
  edition: string;
  scope: PublishedScope;
  group: string;
  measure: string;
  /** The published figure; null when the measure was computed from other figures. */
  published: number | null;
  /** What the other figures imply for the measure; null for unchecked measures. */
  implied: number | null;
  /** The relation that fails, e.g. "P = 0.5·PG + 0.5·PC"; empty for unchecked measures. */
  relation: string;
  /** The measure whose relation failed (the left-hand side); equals `measure` for that side. */
  relationNode: string;
  /** The relation's terms with the values used. */
  terms: PublishedWarningTerm[];
  /** The published row's note, if any. */
  note: string;
  message: Label;
}

export interface ParsePublishedOptions {
  /** Methodology whose formulas the figures must satisfy: one for every edition, or one per edition. */
  methodology: Methodology | ((edition: string) => Methodology);
  tolerance?: number;
}

export interface ParsePublishedResult {
  data: PublishedAggregates;
  errors: PublishedParseError[];
  warnings: PublishedWarning[];
}

export function groupKey(scope: PublishedScope, group: string): string {
  return `${scope}/${group}`;
}

export function isPublishedScope(scope: string): scope is PublishedScope {
  return (PUBLISHED_SCOPES as readonly string[]).includes(scope);
}

/** The published figure, or undefined. */
export function publishedFigure(
  data: PublishedAggregates,
  edition: string,
  scope: PublishedScope,
  group: string,
  measure: string,
): PublishedFigure | undefined {
  return data.editions[edition]?.groups[groupKey(scope, group)]?.measures[measure];
}

/** Measure → value of one published group (empty when the group is not published). */
export function publishedValues(data: PublishedAggregates, edition: string, scope: PublishedScope, group: string): Record<string, number> {
  const measures = data.editions[edition]?.groups[groupKey(scope, group)]?.measures ?? {};
  return Object.fromEntries(Object.entries(measures).map(([measure, figure]) => [measure, figure.value]));
}

/** The group's canonical name for its scope, or the reason it has none. */
function canonicalGroup(scope: PublishedScope, group: string): string | { reason: string } {
  try {
    switch (scope) {
      case 'national':
        return group === NATIONAL_GROUP_NAME ? group : { reason: `the national group must be named "${NATIONAL_GROUP_NAME}"` };
      case 'entity':
        return normalizeEntity(group).name;
      case 'level':
        return normalizeLevel(group);
      case 'type':
        // Later editions have their own types: the 2017 spelling when it is one, else the text as given.
        try {
          return normalizeInstitutionType(group);
        } catch {
          return group;
        }
      case 'institution':
        return group;
    }
  } catch (error) {
    if (error instanceof UnknownNameError) return { reason: error.message };
    throw error;
  }
}

const DECIMAL_NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses published aggregates CSV (columns edition,scope,group,measure,value,source and the optional
 * note and rank) and checks each edition's groups against the methodology. Never throws for problems
 * in the data: rows with a problem are listed in `errors` and left out; inconsistencies become
 * `warnings`.
 */
export function parsePublishedAggregates(text: string | Uint8Array, options: ParsePublishedOptions): ParsePublishedResult {
  const data: PublishedAggregates = { editions: {}, sources: [] };
  const errors: PublishedParseError[] = [];
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf-8') : text;
  const read = readCsv(bytes, 'auto');
  if ('error' in read) return { data, errors: [read.error], warnings: [] };

  const { header, rows } = read.table;
  const columnIndex = new Map(header.map((name, i) => [name, i]));
  for (const column of PUBLISHED_COLUMNS) {
    if (!columnIndex.has(column) && !OPTIONAL_COLUMNS.includes(column)) {
      errors.push({ row: 1, column, value: null, reason: `missing required column "${column}"` });
    }
  }
  if (errors.length > 0) return { data, errors, warnings: [] };

  const methodologyFor = methodologyResolver(options.methodology);
  const sources = new Set<string>();
  for (const { rowNumber, cells } of rows) {
    const cell = (column: string): string => String(cells[columnIndex.get(column) ?? -1] ?? '').trim();
    if (PUBLISHED_COLUMNS.every((column) => cell(column) === '')) continue;
    const fail = (column: string, reason: string): void => void errors.push({ row: rowNumber, column, value: cell(column), reason });
    const before = errors.length;

    const edition = cell('edition');
    if (edition === '') fail('edition', 'empty edition');
    const scope = cell('scope');
    if (!isPublishedScope(scope)) fail('scope', `unknown scope; expected one of: ${PUBLISHED_SCOPES.join(', ')}`);
    let group = cell('group');
    if (group === '') fail('group', 'empty group');
    else if (isPublishedScope(scope)) {
      const canonical = canonicalGroup(scope, group);
      if (typeof canonical === 'string') group = canonical;
      else fail('group', canonical.reason);
    }
    const measure = cell('measure');
    if (measure === '') fail('measure', 'empty measure');
    const valueText = cell('value');
    const value = Number(valueText);
    if (!DECIMAL_NUMBER.test(valueText)) fail('value', valueText === '' ? 'empty value' : 'not a number (use a decimal point, e.g. 0.39)');
    else {
      const problem = scoreValueProblem(value);
      if (problem) fail('value', problem);
    }
    const source = cell('source');
    if (source === '') fail('source', 'empty source: every published figure must name where it comes from');
    const rankText = cell('rank');
    let rank: StatedRank | undefined;
    if (rankText === 'last') rank = 'last';
    else if (/^[1-9]\d{0,3}$/.test(rankText)) rank = Number(rankText);
    else if (rankText !== '') fail('rank', 'a rank is a whole number from 1 (the highest) or "last"');
    if (errors.length > before || !isPublishedScope(scope)) continue;

    const editionData = (data.editions[edition] ??= { edition, groups: {} });
    const groupData = (editionData.groups[groupKey(scope, group)] ??= { scope, group, measures: {} });
    const existing = groupData.measures[measure];
    if (existing) {
      fail('measure', `duplicate figure: ${edition} ${scope} "${group}" ${measure} already given in row ${existing.row}`);
      continue;
    }
    groupData.measures[measure] = { value, source, note: cell('note'), ...(rank !== undefined && { rank }), row: rowNumber };
    sources.add(source);
  }
  data.sources = [...sources];
  if (rows.length === 0) errors.push({ row: null, column: null, value: null, reason: 'no data rows: the file has a header but no figures' });

  const warnings: PublishedWarning[] = [];
  for (const editionData of Object.values(data.editions)) {
    const methodology = methodologyFor(editionData.edition);
    for (const groupData of Object.values(editionData.groups)) {
      warnings.push(...checkGroup(editionData.edition, groupData, methodology, options.tolerance ?? PUBLISHED_TOLERANCE));
    }
  }
  return { data, errors, warnings };
}

function methodologyResolver(option: ParsePublishedOptions['methodology']): (edition: string) => Methodology {
  if (typeof option === 'function') return option;
  return () => option;
}

/** Published figures at their two decimals; implied values with one more, so a half-way value shows. */
const pub = (value: number): string => formatFixed(value, PUBLISHED_DECIMALS);
const fmt = (value: number): string => formatFixed(value, PUBLISHED_DECIMALS + 1);

/**
 * Runs the group's published figures through the scoring engine as "given" values: every relation of
 * the methodology whose terms are published (or computable from published figures) is checked, and
 * each failure names the relation's node and, for every published term, the value the others imply.
 */
function checkGroup(edition: string, groupData: PublishedGroup, methodology: Methodology, tolerance: number): PublishedWarning[] {
  const graph = methodologyGraph(methodology);
  const warnings: PublishedWarning[] = [];
  const base = { edition, scope: groupData.scope, group: groupData.group };
  const given: Record<string, number> = {};
  for (const [measure, figure] of Object.entries(groupData.measures)) {
    if (graph.pathsByNode.has(measure)) given[measure] = figure.value;
    else {
      warnings.push({
        ...base,
        kind: 'unchecked',
        measure,
        published: figure.value,
        implied: null,
        relation: '',
        relationNode: measure,
        terms: [],
        note: figure.note,
        message: {
          es: `La medida "${measure}" no es un nodo de la metodología ${methodology.id}; no se verificó.`,
          en: `Measure "${measure}" is not a node of methodology ${methodology.id}; not checked.`,
        },
      });
    }
  }
  const score = scoreInstitution(methodology, given, { tolerance });
  for (const d of score.discrepancies) {
    const path = graph.pathsByNode.get(d.node)?.find((p: MethodologyPath) => p.id === d.via);
    if (!path) continue;
    const relation = `${d.node} = ${d.formula}`;
    const terms: PublishedWarningTerm[] = path.terms.map((t) => ({
      measure: t.node,
      weight: t.weight,
      value: score.nodes[t.node]!.value,
      origin: t.node in given ? 'published' : 'computed',
    }));
    const nodeFigure = groupData.measures[d.node];
    const stated = d.given === undefined ? { es: `calculado ${fmt(d.reported)}`, en: `computed ${fmt(d.reported)}` } : { es: `publicado ${pub(d.reported)}`, en: `published ${pub(d.reported)}` };
    warnings.push({
      ...base,
      kind: 'inconsistent',
      measure: d.node,
      published: d.given ?? null,
      implied: d.computed,
      relation,
      relationNode: d.node,
      terms,
      note: nodeFigure?.note ?? '',
      message: {
        es: `${edition}, ${groupData.group}: ${d.node} ${stated.es} no cuadra con ${relation} = ${fmt(d.computed)} (diferencia ${fmt(Math.abs(d.difference))} > ${formatFixed(tolerance, 2)}).`,
        en: `${edition}, ${groupData.group}: ${d.node} ${stated.en} does not match ${relation} = ${fmt(d.computed)} (difference ${fmt(Math.abs(d.difference))} > ${formatFixed(tolerance, 2)}).`,
      },
    });
    // The relation cannot tell which figure is wrong: flag each published term with the value the others imply.
    for (const term of terms) {
      if (term.origin !== 'published' || term.weight === 0) continue;
      const others = terms.reduce((sum, t) => (t === term ? sum : sum + t.weight * t.value), 0);
      const implied = (d.reported - others) / term.weight;
      const figure = groupData.measures[term.measure]!;
      warnings.push({
        ...base,
        kind: 'inconsistent',
        measure: term.measure,
        published: figure.value,
        implied,
        relation,
        relationNode: d.node,
        terms,
        note: figure.note,
        message: {
          es: `${edition}, ${groupData.group}: ${term.measure} publicado ${pub(figure.value)}; con ${relation} y ${d.node} ${stated.es} sería ${fmt(implied)}.`,
          en: `${edition}, ${groupData.group}: published ${term.measure} ${pub(figure.value)}; with ${relation} and ${d.node} ${stated.en} it would be ${fmt(implied)}.`,
        },
      });
    }
  }
  return warnings;
}
