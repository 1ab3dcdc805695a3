/**
 * The engine in columnar form, for large batches: values live in one Float64Array per node (NaN = no
 * value) and each path is evaluated over whole columns, so the inner loops touch only typed arrays.
 * Same rules and the same order of additions as scoreInstitutions (same results, bit for bit), same
 * discrepancy records. Group means use blocked compensated sums (groupMeansColumnsMany). Pure.
 */
import {
  asCompiled,
  DEFAULT_TOLERANCE,
  pathFormula,
  RULE_CODES,
  SCORE_MAX,
  SCORE_MIN,
  ScoreInputError,
  scoreValueProblem,
  SOURCE_COMPUTED,
  SOURCE_GIVEN,
  type CompiledMethodology,
  type RowDiscrepancy,
  type ScoreOptions,
} from './engine.js';
import type { Methodology } from './methodology.js';

const FLOAT_SLACK = 1e-12;

/** Given values by node id: one column per node, NaN where an institution has no value. */
export interface ColumnInput {
  rowCount: number;
  columns: Readonly<Record<string, Float64Array>>;
}

export interface ColumnScores {
  compiled: CompiledMethodology;
  rowCount: number;
  /** One column per node, in compiled.nodeIds order. */
  columns: Float64Array[];
  /** SOURCE_ABSENT / SOURCE_GIVEN / SOURCE_COMPUTED per node and row. */
  sources: Uint8Array[];
  discrepancies: RowDiscrepancy[];
}

/** Turns records (node id → value) into columns. */
export function toColumns(methodology: Methodology | CompiledMethodology, givens: readonly Readonly<Record<string, number>>[]): ColumnInput {
  const c = asCompiled(methodology);
  const columns: Record<string, Float64Array> = {};
  givens.forEach((given, row) => {
    for (const id in given) {
      let col = columns[id];
      if (!col) {
        if (!c.nodeIndex.has(id)) throw new ScoreInputError(id, given[id], `unknown node (methodology ${c.methodology.id} has no node "${id}")`, row);
        col = columns[id] = new Float64Array(givens.length).fill(NaN);
      }
      col[row] = given[id]!;
    }
  });
  return { rowCount: givens.length, columns };
}

/** Evaluates path p over all rows into `out` (NaN where a term has no value). */
function evaluatePathColumns(c: CompiledMethodology, columns: readonly Float64Array[], p: number, out: Float64Array, n: number): void {
  const start = c.termStart[p]!;
  const end = c.termStart[p + 1]!;
  const rule = c.pathRule[p]!;
  if (rule === RULE_CODES['weighted-mean']) {
    const first = columns[c.termNode[start]!]!;
    const w0 = c.termWeight[start]!;
    // 0 + w·v first, as the row engine starts its sum from 0.
    for (let row = 0; row < n; row++) out[row] = 0 + w0 * first[row]!;
    for (let t = start + 1; t < end; t++) {
      const col = columns[c.termNode[t]!]!;
      const w = c.termWeight[t]!;
      for (let row = 0; row < n; row++) out[row]! += w * col[row]!;
    }
    return;
  }
  // Geometric and harmonic: a term at 0 makes the mean 0 (the zero rule), a missing term NaN.
  const geometric = rule === RULE_CODES['weighted-geometric-mean'];
  for (let row = 0; row < n; row++) {
    let acc = 0;
    let zero = false;
    let missing = false;
    for (let t = start; t < end; t++) {
      const v = columns[c.termNode[t]!]![row]!;
      if (v !== v) {
        missing = true;
        break;
      }
      if (v === 0) zero = true;
      else acc += geometric ? c.termWeight[t]! * Math.log(v) : c.termWeight[t]! / v;
    }
    out[row] = missing ? NaN : zero ? 0 : geometric ? Math.exp(acc) : 1 / acc;
  }
}

/** Scores every row at once; throws ScoreInputError for a value outside [0, 1] (naming the row). */
export function scoreColumns(methodology: Methodology | CompiledMethodology, input: ColumnInput, options: ScoreOptions = {}): ColumnScores {
  const c = asCompiled(methodology);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError(`tolerance must be a finite number ≥ 0, got ${tolerance}`);
  const limit = tolerance + FLOAT_SLACK;
  const n = input.rowCount;
  const nodeCount = c.nodeIds.length;
  const columns: Float64Array[] = new Array(nodeCount);
  const sources: Uint8Array[] = new Array(nodeCount);
  for (let i = 0; i < nodeCount; i++) {
    const given = input.columns[c.nodeIds[i]!];
    const source = new Uint8Array(n);
    if (given) {
      if (given.length !== n) throw new RangeError(`column "${c.nodeIds[i]}" has ${given.length} values for ${n} rows`);
      const copy = new Float64Array(n);
      for (let row = 0; row < n; row++) {
        const v = given[row]!;
        copy[row] = v;
        if (v !== v) continue;
        if (!(v >= SCORE_MIN && v <= SCORE_MAX)) throw new ScoreInputError(c.nodeIds[i]!, v, scoreValueProblem(v) ?? 'invalid value', row);
        source[row] = SOURCE_GIVEN;
      }
      columns[i] = copy;
    } else {
      columns[i] = new Float64Array(n).fill(NaN);
    }
    sources[i] = source;
  }
  for (const id of Object.keys(input.columns)) {
    if (!c.nodeIndex.has(id)) throw new ScoreInputError(id, undefined, `unknown node (methodology ${c.methodology.id} has no node "${id}")`);
  }

  const computed = new Float64Array(n);
  const reportedVia = new Int32Array(n);
  const discrepancies: RowDiscrepancy[] = [];
  for (let k = 0; k < c.order.length; k++) {
    const i = c.order[k]!;
    const values = columns[i]!;
    const source = sources[i]!;
    reportedVia.fill(-1);
    let p = c.pathStart[i]!;
    if (p < c.pathStart[i + 1]! && !input.columns[c.nodeIds[i]!]) {
      // Nothing given for this node: its first path fills the column directly.
      evaluatePathColumns(c, columns, p, values, n);
      for (let row = 0; row < n; row++) {
        if (values[row] === values[row]) {
          source[row] = SOURCE_COMPUTED;
          reportedVia[row] = p;
        }
      }
      p++;
    }
    for (; p < c.pathStart[i + 1]!; p++) {
      evaluatePathColumns(c, columns, p, computed, n);
      for (let row = 0; row < n; row++) {
        const value = computed[row]!;
        if (value !== value) continue;
        const reported = values[row]!;
        if (reported !== reported) {
          values[row] = value;
          source[row] = SOURCE_COMPUTED;
          reportedVia[row] = p;
        } else if (Math.abs(reported - value) > limit) {
          const path = c.paths[p]!;
          const via = reportedVia[row]!;
          discrepancies.push({
            row,
            node: c.nodeIds[i]!,
            ...(via < 0 && { given: reported }),
            reported,
            reportedVia: via < 0 ? 'given' : c.paths[via]!.id,
            computed: value,
            via: path.id,
            formula: pathFormula(path),
            difference: reported - value,
          });
        }
      }
    }
  }
  // The row engine lists discrepancies row by row; keep that order.
  discrepancies.sort((a, b) => a.row - b.row);
  return { compiled: c, rowCount: n, columns, sources, discrepancies };
}

/** Group codes 0 … names.length − 1 for a column of keys (first appearance order). */
export function factorize(keys: readonly string[]): { codes: Int32Array; names: string[] } {
  const slots = new Map<string, number>();
  const names: string[] = [];
  const codes = new Int32Array(keys.length);
  keys.forEach((key, row) => {
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = names.length;
      slots.set(key, slot);
      names.push(key);
    }
    codes[row] = slot;
  });
  return { codes, names };
}

export interface ColumnGroupMeans {
  names: readonly string[];
  /** Institutions per group. */
  sizes: Int32Array;
  /** means[node][group]: NaN where no institution of the group has a value. */
  means: Float64Array[];
  /** counts[node][group]: institutions with a value. */
  counts: Int32Array[];
}

export interface GroupCodes {
  codes: Int32Array;
  names: readonly string[];
}

/** Rows summed plainly before their block total joins the compensated sum (error ≤ ~BLOCK·ε per block). */
const BLOCK = 256;

/**
 * Several groupings at once (null = one group of all rows, the national mean). Sums are blocked:
 * plain sums over 256 rows, then each block's sum added with Neumaier compensation, so the error
 * stays near a few ulps whatever the number of rows (means agree with grouping.ts to ~1e-15), at a
 * fraction of the cost of compensating every addition.
 */
export function groupMeansColumnsMany(scores: ColumnScores, groupings: readonly (GroupCodes | null)[]): ColumnGroupMeans[] {
  return groupings.map((grouping) => (grouping ? groupedMeans(scores, grouping) : overallMeans(scores)));
}

/** Adds `value` to sums[g] with Neumaier compensation. */
function addCompensated(sums: Float64Array, compensations: Float64Array, g: number, value: number): void {
  const sum = sums[g]!;
  const next = sum + value;
  compensations[g]! += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
  sums[g] = next;
}

function overallMeans(scores: ColumnScores): ColumnGroupMeans {
  const n = scores.rowCount;
  const sums = new Float64Array(1);
  const compensations = new Float64Array(1);
  const means: Float64Array[] = [];
  const counts: Int32Array[] = [];
  for (const col of scores.columns) {
    sums[0] = 0;
    compensations[0] = 0;
    let missing = 0;
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      let block = 0;
      for (let row = start; row < end; row++) {
        const v = col[row]!;
        if (v === v) block += v;
        else missing++;
      }
      addCompensated(sums, compensations, 0, block);
    }
    const count = n - missing;
    means.push(Float64Array.of(count > 0 ? (sums[0]! + compensations[0]!) / count : NaN));
    counts.push(Int32Array.of(count));
  }
  return { names: ['Nacional'], sizes: Int32Array.of(n), means, counts };
}

/** Columns summed together in one pass over the rows (one read of the group code serves them all). */
const COLUMNS_PER_PASS = 4;

function groupedMeans(scores: ColumnScores, grouping: GroupCodes): ColumnGroupMeans {
  const n = scores.rowCount;
  const { codes, names } = grouping;
  const G = names.length;
  const sizes = new Int32Array(G);
  for (let row = 0; row < n; row++) sizes[codes[row]!]!++;
  const W = COLUMNS_PER_PASS;
  const partial = new Float64Array(G * W);
  const sums = new Float64Array(G * W);
  const compensations = new Float64Array(G * W);
  const missing = new Int32Array(G * W);
  const means: Float64Array[] = [];
  const counts: Int32Array[] = [];
  const columns = scores.columns;
  for (let first = 0; first < columns.length; first += W) {
    const width = Math.min(W, columns.length - first);
    // A pass always reads W columns; short passes repeat the last one and ignore the copies.
    const c0 = columns[first]!;
    const c1 = columns[first + Math.min(1, width - 1)]!;
    const c2 = columns[first + Math.min(2, width - 1)]!;
    const c3 = columns[first + Math.min(3, width - 1)]!;
    sums.fill(0);
    compensations.fill(0);
    missing.fill(0);
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      for (let row = start; row < end; row++) {
        const at = codes[row]! * W;
        const v0 = c0[row]!;
        const v1 = c1[row]!;
        const v2 = c2[row]!;
        const v3 = c3[row]!;
        if (v0 === v0 && v1 === v1 && v2 === v2 && v3 === v3) {
          partial[at]! += v0;
          partial[at + 1]! += v1;
          partial[at + 2]! += v2;
          partial[at + 3]! += v3;
        } else {
          if (v0 === v0) partial[at]! += v0;
          else missing[at]!++;
          if (v1 === v1) partial[at + 1]! += v1;
          else missing[at + 1]!++;
          if (v2 === v2) partial[at + 2]! += v2;
          else missing[at + 2]!++;
          if (v3 === v3) partial[at + 3]! += v3;
          else missing[at + 3]!++;
        }
      }
      for (let k = 0; k < G * W; k++) {
        if (partial[k] !== 0) {
          addCompensated(sums, compensations, k, partial[k]!);
          partial[k] = 0;
        }
      }
    }
    for (let j = 0; j < width; j++) {
      const mean = new Float64Array(G);
      const count = new Int32Array(G);
      for (let g = 0; g < G; g++) {
        const k = g * W + j;
        count[g] = sizes[g]! - missing[k]!;
        mean[g] = count[g]! > 0 ? (sums[k]! + compensations[k]!) / count[g]! : NaN;
      }
      means.push(mean);
      counts.push(count);
    }
  }
  return { names, sizes, means, counts };
}

/** Plain means per group of every node (groups given as codes; omit for one group of all rows). */
export function groupMeansColumns(scores: ColumnScores, groups?: GroupCodes): ColumnGroupMeans {
  return groupMeansColumnsMany(scores, [groups ?? null])[0]!;
}
