/**
 * What-if: an edition's results under a methodology variant, by group (or institution), with ranks
 * and rank changes against the official methodology. Both are recomputed the same way from the same
 * data (given values of nodes that the data let us recompute are set aside), so a variant equal to
 * the official methodology changes nothing. Pure.
 */
import { asCompiled, type CompiledMethodology, type ScoreTable } from '../engine.js';
import { groupByKeys } from '../grouping.js';
import type { Methodology } from '../methodology.js';
import type { DerivedMethodology, SkippedEquivalence } from '../variants.js';
import { recomputeScores } from '../recompute.js';
import { AnalysisInputError } from './model.js';
import { checkDate, methodologyStamp, RANKING_PARAMETERS, type AnalysisParameters } from './parameters.js';
import { rankValues } from './ranking.js';

export const WHAT_IF_GROUPINGS = ['entity', 'type', 'level', 'institution'] as const;
export type WhatIfGrouping = (typeof WHAT_IF_GROUPINGS)[number];

export interface WhatIfRow {
  name: string;
  entity: string;
  type: string;
  level: string;
  values: Readonly<Record<string, number>>;
}

export interface WhatIfGroup {
  group: string;
  n: number;
  official: { value: number | null; rank: number | null };
  variant: { value: number | null; rank: number | null };
  /** Official rank − variant rank: positive when the group moves up. */
  rankChange: number | null;
  /** The variant's values of the methodology's summary nodes. */
  values: Record<string, number | null>;
}

export interface WhatIfResult {
  parameters: AnalysisParameters;
  official: AnalysisParameters['methodology'];
  target: string;
  changed: string[];
  dropped: string[];
  skippedEquivalences: SkippedEquivalence[];
  /** Nodes aggregated by a geometric or harmonic mean, with the institutions that have a component at 0 there. */
  zeroRule: { node: string; institutions: number }[];
  /** Sorted by the variant's rank (unranked last), then by name. */
  groups: WhatIfGroup[];
}

const collator = new Intl.Collator('es');

export function institutionLabel(row: Pick<WhatIfRow, 'name' | 'entity'>): string {
  return `${row.name} (${row.entity})`;
}

function column(table: ScoreTable, id: string): Float64Array {
  const i = table.compiled.nodeIndex.get(id);
  const out = new Float64Array(table.rowCount).fill(NaN);
  if (i === undefined) return out;
  const nodeCount = table.compiled.nodeIds.length;
  for (let row = 0; row < table.rowCount; row++) out[row] = table.values[row * nodeCount + i]!;
  return out;
}

export function runWhatIf(
  base: Methodology | CompiledMethodology,
  derived: DerivedMethodology,
  rows: readonly WhatIfRow[],
  options: { by: WhatIfGrouping; date: string },
): WhatIfResult {
  if (!WHAT_IF_GROUPINGS.includes(options.by)) throw new AnalysisInputError(`by must be one of ${WHAT_IF_GROUPINGS.join(', ')}`);
  if (rows.length === 0) throw new AnalysisInputError('the edition has no institutions');
  const official = asCompiled(base);
  const variant = asCompiled(derived.methodology);
  const target = variant.methodology.tree.id;
  const officialTable = recomputeScores(official, rows.map((r) => r.values));
  const variantTable = recomputeScores(variant, rows.map((r) => r.values), derived.changed);

  const nodeCount = variant.nodeIds.length;
  const summary = variant.methodology.summaryNodes ?? [target];
  let names: string[];
  let sizes: number[];
  let officialValues: (number | null)[];
  let variantValues: (number | null)[];
  let summaryValues: Record<string, number | null>[];
  if (options.by === 'institution') {
    names = rows.map(institutionLabel);
    sizes = rows.map(() => 1);
    const o = column(officialTable, target);
    const v = column(variantTable, target);
    officialValues = Array.from(o, (x) => (x === x ? x : null));
    variantValues = Array.from(v, (x) => (x === x ? x : null));
    const columns = summary.map((id) => [id, column(variantTable, id)] as const);
    summaryValues = rows.map((_, row) => Object.fromEntries(columns.map(([id, col]) => [id, col[row]! === col[row]! ? col[row]! : null])));
  } else {
    const by = options.by;
    const keys = rows.map((row) => row[by]);
    const o = groupByKeys(officialTable, keys, options.by).groups;
    const v = groupByKeys(variantTable, keys, options.by).groups;
    names = v.map((g) => g.name);
    sizes = v.map((g) => g.n);
    officialValues = o.map((g) => g.values[target] ?? null);
    variantValues = v.map((g) => g.values[target] ?? null);
    summaryValues = v.map((g) => Object.fromEntries(summary.map((id) => [id, g.values[id] ?? null])));
  }
  const ranksOf = (values: (number | null)[]) => rankValues(values.map((x) => x ?? NaN));
  const officialRanks = ranksOf(officialValues);
  const variantRanks = ranksOf(variantValues);

  const zeroRule = derived.zeroRuleNodes.map((id) => {
    const node = variant.nodeIndex.get(id)!;
    const p = variant.pathStart[node]!;
    const terms = Array.from(variant.termNode.subarray(variant.termStart[p]!, variant.termStart[p + 1]!));
    let institutions = 0;
    for (let row = 0; row < variantTable.rowCount; row++) {
      if (terms.some((t) => variantTable.values[row * nodeCount + t] === 0)) institutions++;
    }
    return { node: id, institutions };
  });

  const groups: WhatIfGroup[] = names.map((group, g) => {
    const o = officialRanks[g]! || null;
    const v = variantRanks[g]! || null;
    return {
      group,
      n: sizes[g]!,
      official: { value: officialValues[g]!, rank: o },
      variant: { value: variantValues[g]!, rank: v },
      rankChange: o !== null && v !== null ? o - v : null,
      values: summaryValues[g]!,
    };
  });
  groups.sort((a, b) => (a.variant.rank ?? Infinity) - (b.variant.rank ?? Infinity) || collator.compare(a.group, b.group));
  return {
    parameters: {
      analysis: 'what-if',
      methodology: methodologyStamp(variant),
      variant: derived.variant,
      by: options.by,
      target,
      ...RANKING_PARAMETERS,
      date: checkDate(options.date),
    },
    official: methodologyStamp(official),
    target,
    changed: derived.changed,
    dropped: derived.dropped,
    skippedEquivalences: derived.skippedEquivalences,
    zeroRule,
    groups,
  };
}
