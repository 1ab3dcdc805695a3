/**
 * The scoring engine: from the values given for an institution (any mix of variables, sub-indices and
 * indices) to a value for every node that can be determined, with the formula behind it and every
 * disagreement between a given value and a computed one.
 *
 * The methodology is compiled once into flat typed arrays (paths and terms in CSR form) so that scoring
 * many institutions touches no per-node objects; explanations are built only for single institutions.
 */
import {
  methodologyGraph,
  methodologyHash,
  type AggregationRule,
  type Methodology,
  type MethodologyNode,
  type MethodologyPath,
} from './methodology.js';

/** Every node lies on this scale (METHODOLOGY.md §1). */
export const SCORE_MIN = 0;
export const SCORE_MAX = 1;
export const DEFAULT_TOLERANCE = 1e-4;
/** Differences within floating-point noise of the tolerance are not disagreements. */
const FLOAT_SLACK = 1e-12;

export const SOURCE_ABSENT = 0;
export const SOURCE_GIVEN = 1;
export const SOURCE_COMPUTED = 2;
export type ValueSource = 'given' | 'computed';

export const RULE_CODES: Record<AggregationRule, number> = { 'weighted-mean': 0, 'weighted-geometric-mean': 1, 'weighted-harmonic-mean': 2 };

export interface CompiledMethodology {
  readonly methodology: Methodology;
  readonly hash: string;
  /** Declaration order; index i of every per-node array refers to nodeIds[i]. */
  readonly nodeIds: readonly string[];
  readonly nodes: readonly MethodologyNode[];
  readonly nodeIndex: ReadonlyMap<string, number>;
  /** Node indices in evaluation order (every node after the nodes its paths use). */
  readonly order: Int32Array;
  /** Paths, grouped by node (primary first): the paths of node i are pathStart[i] .. pathStart[i+1]-1. */
  readonly paths: readonly MethodologyPath[];
  readonly pathStart: Int32Array;
  readonly pathRule: Uint8Array;
  /** Terms of path p are termStart[p] .. termStart[p+1]-1. */
  readonly termStart: Int32Array;
  readonly termNode: Int32Array;
  readonly termWeight: Float64Array;
}

export interface MethodologyRef {
  readonly id: string;
  readonly version: string;
  readonly hash: string;
}

export interface Discrepancy {
  node: string;
  /** The given value, when the node was given. */
  given?: number;
  /** The node's reported value: the given one, or else the value of its first computable path. */
  reported: number;
  /** "given", or the id of the path that produced `reported`. */
  reportedVia: string;
  computed: number;
  /** Id of the path that produced `computed` ("tree", "definition" or an equivalent path's id). */
  via: string;
  /** The path as a formula, e.g. "0.5·GAg + 0.5·GAc". */
  formula: string;
  /** reported − computed. */
  difference: number;
}

export interface RowDiscrepancy extends Discrepancy {
  /** Index of the institution in the scored batch. */
  row: number;
}

export interface ScoreOptions {
  /** Largest accepted |reported − computed|; default 1e-4 (the 2017 data keep 4 decimals). */
  tolerance?: number;
}

export class ScoreInputError extends Error {
  constructor(
    readonly node: string,
    readonly value: unknown,
    readonly reason: string,
    readonly row?: number,
  ) {
    super(`${row === undefined ? '' : `institution ${row}: `}node "${node}": ${reason}`);
    this.name = 'ScoreInputError';
  }
}

/** Why `value` cannot be a node's value, or undefined when it can. */
export function scoreValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `value ${String(value)} is not a finite number`;
  if (value < SCORE_MIN || value > SCORE_MAX) return `value ${value} is outside [${SCORE_MIN}, ${SCORE_MAX}]`;
  return undefined;
}

const compiledCache = new WeakMap<Methodology, CompiledMethodology>();

/** Flattens a validated methodology into index arrays (cached per methodology object). */
export function compileMethodology(methodology: Methodology): CompiledMethodology {
  const cached = compiledCache.get(methodology);
  if (cached) return cached;
  const graph = methodologyGraph(methodology);
  const nodeIds = graph.nodes.map((n) => n.id);
  const nodeIndex = new Map(nodeIds.map((id, i) => [id, i]));
  const paths = nodeIds.flatMap((id) => graph.pathsByNode.get(id) ?? []);
  const pathStart = new Int32Array(nodeIds.length + 1);
  nodeIds.forEach((id, i) => (pathStart[i + 1] = pathStart[i]! + (graph.pathsByNode.get(id)?.length ?? 0)));
  const termStart = new Int32Array(paths.length + 1);
  paths.forEach((p, i) => (termStart[i + 1] = termStart[i]! + p.terms.length));
  const terms = paths.flatMap((p) => p.terms);
  const compiled: CompiledMethodology = {
    methodology,
    hash: methodologyHash(methodology),
    nodeIds,
    nodes: graph.nodes,
    nodeIndex,
    order: Int32Array.from(graph.evaluationOrder, (id) => nodeIndex.get(id)!),
    paths,
    pathStart,
    pathRule: Uint8Array.from(paths, (p) => RULE_CODES[p.rule]),
    termStart,
    termNode: Int32Array.from(terms, (t) => nodeIndex.get(t.node)!),
    termWeight: Float64Array.from(terms, (t) => t.weight),
  };
  compiledCache.set(methodology, compiled);
  return compiled;
}

export function asCompiled(methodology: Methodology | CompiledMethodology): CompiledMethodology {
  return 'nodeIndex' in methodology ? methodology : compileMethodology(methodology);
}

export function methodologyRef(methodology: Methodology | CompiledMethodology): MethodologyRef {
  const c = asCompiled(methodology);
  return { id: c.methodology.id, version: c.methodology.version, hash: c.hash };
}

function resolveTolerance(options: ScoreOptions): number {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError(`tolerance must be a finite number ≥ 0, got ${tolerance}`);
  return tolerance;
}

/** Value of path p from the current values, or NaN when one of its terms has no value. */
function evaluatePath(c: CompiledMethodology, values: Float64Array, base: number, p: number): number {
  switch (c.pathRule[p]) {
    case RULE_CODES['weighted-mean']: {
      let sum = 0;
      for (let t = c.termStart[p]!, end = c.termStart[p + 1]!; t < end; t++) {
        const v = values[base + c.termNode[t]!]!;
        if (v !== v) return NaN; // NaN marks a node without a value
        sum += c.termWeight[t]! * v;
      }
      return sum;
    }
    case RULE_CODES['weighted-geometric-mean']: {
      // A term at 0 makes the mean 0 (its limit); no small constant is added.
      let logSum = 0;
      let zero = false;
      for (let t = c.termStart[p]!, end = c.termStart[p + 1]!; t < end; t++) {
        const v = values[base + c.termNode[t]!]!;
        if (v !== v) return NaN;
        if (v === 0) zero = true;
        else logSum += c.termWeight[t]! * Math.log(v);
      }
      return zero ? 0 : Math.exp(logSum);
    }
    case RULE_CODES['weighted-harmonic-mean']: {
      let inverseSum = 0;
      let zero = false;
      for (let t = c.termStart[p]!, end = c.termStart[p + 1]!; t < end; t++) {
        const v = values[base + c.termNode[t]!]!;
        if (v !== v) return NaN;
        if (v === 0) zero = true;
        else inverseSum += c.termWeight[t]! / v;
      }
      return zero ? 0 : 1 / inverseSum;
    }
    default:
      throw new Error(`unsupported aggregation rule code ${c.pathRule[p]}`);
  }
}

export function pathFormula(path: MethodologyPath): string {
  switch (path.rule) {
    case 'weighted-mean':
      return path.terms.map((t) => `${t.weight}·${t.node}`).join(' + ');
    case 'weighted-geometric-mean':
      return path.terms.map((t) => `${t.node}^${t.weight}`).join(' · ');
    case 'weighted-harmonic-mean':
      return `1 / (${path.terms.map((t) => `${t.weight}/${t.node}`).join(' + ')})`;
  }
}

/**
 * Fills in row `row` (given values already written, NaN elsewhere): every node in evaluation order takes
 * its given value or else its first computable path; every other computable path is checked against it.
 */
function evaluateRow(
  c: CompiledMethodology,
  values: Float64Array,
  sources: Uint8Array,
  row: number,
  tolerance: number,
  discrepancies: RowDiscrepancy[],
): void {
  const nodeCount = c.nodeIds.length;
  const base = row * nodeCount;
  const limit = tolerance + FLOAT_SLACK;
  for (let k = 0; k < c.order.length; k++) {
    const i = c.order[k]!;
    let reported = values[base + i]!;
    let reportedPath = -1;
    for (let p = c.pathStart[i]!, end = c.pathStart[i + 1]!; p < end; p++) {
      const computed = evaluatePath(c, values, base, p);
      if (computed !== computed) continue;
      if (reported !== reported) {
        reported = computed;
        reportedPath = p;
        values[base + i] = computed;
        sources[base + i] = SOURCE_COMPUTED;
      } else if (Math.abs(reported - computed) > limit) {
        const path = c.paths[p]!;
        discrepancies.push({
          row,
          node: c.nodeIds[i]!,
          ...(reportedPath < 0 && { given: reported }),
          reported,
          reportedVia: reportedPath < 0 ? 'given' : c.paths[reportedPath]!.id,
          computed,
          via: path.id,
          formula: pathFormula(path),
          difference: reported - computed,
        });
      }
    }
  }
}

/**
 * Key order of the previous institution: records built the same way list their nodes in the same
 * order, so the node index is found by one string comparison instead of a map lookup per value.
 */
interface KeyOrderCache {
  keys: string[];
  indexes: number[];
}

function writeGiven(
  c: CompiledMethodology,
  given: Readonly<Record<string, number>>,
  values: Float64Array,
  sources: Uint8Array,
  row: number,
  rowLabel: number | undefined,
  cache: KeyOrderCache,
): void {
  const base = row * c.nodeIds.length;
  let position = 0;
  for (const id in given) {
    let i: number | undefined;
    if (cache.keys[position] === id) i = cache.indexes[position]!;
    else {
      i = c.nodeIndex.get(id);
      if (i === undefined) {
        throw new ScoreInputError(id, given[id], `unknown node (methodology ${c.methodology.id} has no node "${id}")`, rowLabel);
      }
      cache.keys[position] = id;
      cache.indexes[position] = i;
    }
    position++;
    const value = given[id];
    // Inline range test first (NaN fails it too); the full check only builds the message.
    if (!(typeof value === 'number' && value >= SCORE_MIN && value <= SCORE_MAX)) {
      throw new ScoreInputError(id, value, scoreValueProblem(value) ?? 'invalid value', rowLabel);
    }
    values[base + i] = value;
    sources[base + i] = SOURCE_GIVEN;
  }
}

export interface ScoreTable {
  readonly compiled: CompiledMethodology;
  readonly rowCount: number;
  /** Row-major rowCount × nodeCount (columns in compiled.nodeIds order); NaN where a node has no value. */
  readonly values: Float64Array;
  /** Same layout: SOURCE_ABSENT, SOURCE_GIVEN or SOURCE_COMPUTED. */
  readonly sources: Uint8Array;
  readonly discrepancies: readonly RowDiscrepancy[];
}

/**
 * Scores a batch of institutions, each a plain record node id → given value. Throws ScoreInputError
 * (naming the institution's index and the node) for an unknown node id or a value that is not a
 * finite number in [0, 1].
 */
export function scoreInstitutions(
  methodology: Methodology | CompiledMethodology,
  givens: readonly Readonly<Record<string, number>>[],
  options: ScoreOptions = {},
): ScoreTable {
  const c = asCompiled(methodology);
  const tolerance = resolveTolerance(options);
  const nodeCount = c.nodeIds.length;
  const values = new Float64Array(givens.length * nodeCount).fill(NaN);
  const sources = new Uint8Array(givens.length * nodeCount);
  const discrepancies: RowDiscrepancy[] = [];
  const keyOrder: KeyOrderCache = { keys: [], indexes: [] };
  for (let row = 0; row < givens.length; row++) {
    writeGiven(c, givens[row]!, values, sources, row, row, keyOrder);
    evaluateRow(c, values, sources, row, tolerance, discrepancies);
  }
  return { compiled: c, rowCount: givens.length, values, sources, discrepancies };
}

/** The values of one scored institution, keyed by node id (nodes without a value are left out). */
export function rowValues(table: ScoreTable, row: number): Record<string, number> {
  const { nodeIds } = table.compiled;
  const base = row * nodeIds.length;
  const result: Record<string, number> = {};
  nodeIds.forEach((id, i) => {
    const v = table.values[base + i]!;
    if (v === v) result[id] = v;
  });
  return result;
}

export interface FormulaTerm {
  node: string;
  weight: number;
  value: number;
}

export interface Formula {
  /** Id of the path: "tree", "definition" or an equivalent path's id. */
  path: string;
  rule: AggregationRule;
  terms: FormulaTerm[];
  /** Text form, e.g. "0.5·T + 0.5·P". */
  expression: string;
  /** What the path computes from its terms' reported values. */
  value: number;
}

export interface NodeScore {
  value: number;
  source: ValueSource;
  /** The path that gives the value when computed; for a given node, the first computable alternative. */
  formula?: Formula;
  /** Further computable paths, each checked against `value`. */
  otherPaths?: Formula[];
}

export interface InstitutionScore {
  methodology: MethodologyRef;
  /** Every node that has a value, given or computed. */
  nodes: Record<string, NodeScore>;
  /** Nodes that are neither given nor computable from what was given. */
  undetermined: string[];
  discrepancies: Discrepancy[];
}

/** Scores one institution and explains every value. */
export function scoreInstitution(
  methodology: Methodology | CompiledMethodology,
  given: Readonly<Record<string, number>>,
  options: ScoreOptions = {},
): InstitutionScore {
  const c = asCompiled(methodology);
  const tolerance = resolveTolerance(options);
  const values = new Float64Array(c.nodeIds.length).fill(NaN);
  const sources = new Uint8Array(c.nodeIds.length);
  const discrepancies: RowDiscrepancy[] = [];
  writeGiven(c, given, values, sources, 0, undefined, { keys: [], indexes: [] });
  evaluateRow(c, values, sources, 0, tolerance, discrepancies);

  const nodes: Record<string, NodeScore> = {};
  const undetermined: string[] = [];
  c.nodeIds.forEach((id, i) => {
    if (sources[i] === SOURCE_ABSENT) {
      undetermined.push(id);
      return;
    }
    // Paths are computable exactly when all their terms have final values, as during evaluation.
    const formulas: Formula[] = [];
    for (let p = c.pathStart[i]!; p < c.pathStart[i + 1]!; p++) {
      const value = evaluatePath(c, values, 0, p);
      if (value !== value) continue;
      const path = c.paths[p]!;
      formulas.push({
        path: path.id,
        rule: path.rule,
        terms: path.terms.map((t) => ({ node: t.node, weight: t.weight, value: values[c.nodeIndex.get(t.node)!]! })),
        expression: pathFormula(path),
        value,
      });
    }
    const [formula, ...otherPaths] = formulas;
    nodes[id] = {
      value: values[i]!,
      source: sources[i] === SOURCE_GIVEN ? 'given' : 'computed',
      ...(formula && { formula }),
      ...(otherPaths.length > 0 && { otherPaths }),
    };
  });
  return {
    methodology: methodologyRef(c),
    nodes,
    undetermined,
    discrepancies: discrepancies.map(({ row: _row, ...d }) => d),
  };
}
