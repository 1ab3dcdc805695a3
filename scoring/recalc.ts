/** The recalculation pipeline (imported rows → scores → one grouping) and its tabular and JSON renderings. */
import { asCompiled, scoreInstitutions, type CompiledMethodology, type RowDiscrepancy, type ScoreOptions, type ScoreTable } from './engine.js';
import { groupBy, type Grouping, type NationalMethod } from './grouping.js';
import type { ImportedRow } from './import/index.js';
import type { Methodology } from './methodology.js';
import { recomputeScores } from './recompute.js';
import { formatFixed, roundHalfUp } from './rounding.js';

export const RECALC_GROUPINGS = ['entity', 'type', 'level', 'national'] as const;
export type RecalcGrouping = (typeof RECALC_GROUPINGS)[number];

export interface RecalcOptions extends ScoreOptions {
  /** An attribute of the rows ("entity", "type", "level") or "national". */
  by: string;
  nationalMethod?: NationalMethod;
  /**
   * Recompute the primary tree from the data (given values of computable nodes set aside), as a
   * variant needs; `changed` are the nodes the variant changed, which must be recomputable everywhere.
   */
  recompute?: { changed: readonly string[] };
}

export interface RecalcResult {
  scores: ScoreTable;
  grouping: Grouping;
}

export function recalculate(
  methodology: Methodology | CompiledMethodology,
  rows: readonly ImportedRow[],
  options: RecalcOptions,
): RecalcResult {
  const { by, nationalMethod, recompute, ...scoreOptions } = options;
  const givens = rows.map((row) => row.values);
  const scores = recompute ? recomputeScores(methodology, givens, recompute.changed, scoreOptions) : scoreInstitutions(methodology, givens, scoreOptions);
  return { scores, grouping: groupBy(scores, rows, by, nationalMethod ? { nationalMethod } : {}) };
}

/** The methodology's summary nodes, or else every node that is not a variable, in declaration order. */
export function summaryColumns(methodology: Methodology | CompiledMethodology): readonly string[] {
  const compiled = asCompiled(methodology);
  return compiled.methodology.summaryNodes ?? compiled.nodes.filter((n) => n.kind !== 'variable').map((n) => n.id);
}

/** Unrounded: shortest round-trip text; with `round`: half-up fixed decimals. Null is an empty cell. */
export function formatValue(value: number | null, round?: number): string {
  if (value === null) return '';
  return round === undefined ? String(value) : formatFixed(value, round);
}

/** Header `group,n,<columns>` and one row per group, in the grouping's order. */
export function groupingTable(grouping: Grouping, columns: readonly string[], round?: number): string[][] {
  return [
    ['group', 'n', ...columns],
    ...grouping.groups.map((g) => [g.name, String(g.n), ...columns.map((id) => formatValue(g.values[id] ?? null, round))]),
  ];
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 text with LF line ends and a final line end. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

export interface RecalcJson {
  methodology: Grouping['methodology'];
  by: string;
  nationalMethod: NationalMethod | null;
  round: number | null;
  groups: { group: string; n: number; values: Record<string, number | null>; nPerNode: Record<string, number>; entityCount?: number }[];
  discrepancies: (RowDiscrepancy & { institution?: string; rowNumber?: number })[];
}

/** The grouping with every node, rounded half-up when `round` is given; discrepancies name their file row. */
export function recalcJson(result: RecalcResult, rows: readonly ImportedRow[], round?: number): RecalcJson {
  const { grouping, scores } = result;
  const rounded = (v: number | null): number | null => (v === null || round === undefined ? v : roundHalfUp(v, round));
  return {
    methodology: grouping.methodology,
    by: grouping.by,
    nationalMethod: grouping.nationalMethod ?? null,
    round: round ?? null,
    groups: grouping.groups.map((g) => ({
      group: g.name,
      n: g.n,
      values: Object.fromEntries(Object.entries(g.values).map(([id, v]) => [id, rounded(v)])),
      nPerNode: g.nPerNode,
      ...(g.entityCount !== undefined && { entityCount: g.entityCount }),
    })),
    discrepancies: scores.discrepancies.map((d) => ({ ...d, institution: rows[d.row]?.name, rowNumber: rows[d.row]?.rowNumber })),
  };
}
