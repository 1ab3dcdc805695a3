/**
 * The engine in columnar form, for large batches: values live in one Float64Array per node (NaN = no
 * value) and each path is evaluated over whole columns, so the inner loops touch only typed arrays.
 * Same rules and the same order of additions as scoreInstitutions (same results, bit for bit), same
 * discrepancy records. Group means of the scored columns: columnarGroups.ts. Pure.
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
// The engine's constants as this module's own: an imported binding is checked for initialisation on
// every read, which in the loops over every value cost ~2 ms of a 20,000 × 60 recalculation.
const MIN = SCORE_MIN;
const MAX = SCORE_MAX;
const GIVEN = SOURCE_GIVEN;
const COMPUTED = SOURCE_COMPUTED;

/** Given values by node id: one column per node, NaN where an institution has no value. */
export interface ColumnInput {
  rowCount: number;
  columns: Readonly<Record<string, Float64Array>>;
}

export interface ColumnScores {
  compiled: CompiledMethodology;
  rowCount: number;
  /**
   * One column per node, in compiled.nodeIds order. A given node without paths (a variable) keeps
   * the input's own array (read, never written, never copied): treat the columns as read-only.
   */
  columns: Float64Array[];
  /** SOURCE_ABSENT / SOURCE_GIVEN / SOURCE_COMPUTED per node and row (derived when first read). */
  readonly sources: Uint8Array[];
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
  // One allocation per recalculation, not one per node: every column a path writes (and every column
  // nothing fills) is a view of one buffer. A given node without paths is never written, so its
  // column is the caller's own array, not a copy. Sources are derived only when asked for (below).
  let owned = 0;
  for (let i = 0; i < nodeCount; i++) if (!input.columns[c.nodeIds[i]!] || c.pathStart[i]! < c.pathStart[i + 1]!) owned++;
  const ownedBuffer = new Float64Array(owned * n);
  let slot = 0;
  for (let i = 0; i < nodeCount; i++) {
    const given = input.columns[c.nodeIds[i]!];
    const hasPaths = c.pathStart[i]! < c.pathStart[i + 1]!;
    if (!given || hasPaths) columns[i] = ownedBuffer.subarray(slot * n, ++slot * n);
    if (!given) {
      columns[i]!.fill(NaN);
      continue;
    }
    if (given.length !== n) throw new RangeError(`column "${c.nodeIds[i]}" has ${given.length} values for ${n} rows`);
    for (let row = 0; row < n; row++) {
      const v = given[row]!;
      if (!(v >= MIN && v <= MAX) && v === v) throw new ScoreInputError(c.nodeIds[i]!, v, scoreValueProblem(v) ?? 'invalid value', row);
    }
    if (hasPaths) columns[i]!.set(given);
    else columns[i] = given;
  }
  for (const id of Object.keys(input.columns)) {
    if (!c.nodeIndex.has(id)) throw new ScoreInputError(id, undefined, `unknown node (methodology ${c.methodology.id} has no node "${id}")`);
  }

  const computed = new Float64Array(n);
  const reportedVia = new Int32Array(n);
  const discrepancies: RowDiscrepancy[] = [];
  for (let k = 0; k < c.order.length; k++) {
    const i = c.order[k]!;
    let p = c.pathStart[i]!;
    if (p === c.pathStart[i + 1]!) continue;
    const values = columns[i]!;
    reportedVia.fill(-1);
    if (p < c.pathStart[i + 1]! && !input.columns[c.nodeIds[i]!]) {
      // Nothing given for this node: its first path fills the column directly.
      evaluatePathColumns(c, columns, p, values, n);
      for (let row = 0; row < n; row++) if (values[row] === values[row]) reportedVia[row] = p;
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
  let sources: Uint8Array[] | undefined;
  return {
    compiled: c,
    rowCount: n,
    columns,
    // Derived on first use: given where the input has a value, else computed where the node has one.
    get sources() {
      return (sources ??= sourcesOf(c, input, columns));
    },
    discrepancies,
  };
}

/** Where each value came from (SOURCE_GIVEN / SOURCE_COMPUTED / SOURCE_ABSENT), from the input and the scored columns. */
function sourcesOf(c: CompiledMethodology, input: ColumnInput, columns: readonly Float64Array[]): Uint8Array[] {
  const n = input.rowCount;
  const buffer = new Uint8Array(columns.length * n);
  return columns.map((values, i) => {
    const source = buffer.subarray(i * n, (i + 1) * n);
    const given = input.columns[c.nodeIds[i]!];
    for (let row = 0; row < n; row++) {
      if (given && given[row] === given[row]) source[row] = GIVEN;
      else if (values[row] === values[row]) source[row] = COMPUTED;
    }
    return source;
  });
}
