/**
 * The compiled model behind the robustness analyses: the part of a methodology's tree that the data
 * let us recompute, in columnar form (one typed array per node), with a cheap evaluation of one run
 * (weights, aggregation rule, a component left out) for every group or institution.
 *
 * - Aggregated nodes: tree nodes whose components all have a value for every institution; they are
 *   recomputed (given values of them are set aside, as variants do). Base nodes: their components that
 *   are not aggregated themselves (for the 2017 data, the four sub-indices).
 * - Linearity: when every rule of a run is the arithmetic mean, the target is a linear combination of
 *   the base nodes, so a group mean of the target is the same combination of the base nodes' group
 *   means: a run costs (groups × base nodes) instead of (institutions × nodes).
 * Pure.
 */
import { asCompiled, RULE_CODES, scoreInstitutions, SOURCE_GIVEN, type CompiledMethodology } from '../engine.js';
import type { Methodology, TreeNode } from '../methodology.js';
import { withoutRecomputable } from '../recompute.js';
import { RULE_OF_VARIANT, VARIANT_RULE_OF, type VariantRule } from '../variants.js';
import { Ranker } from './ranking.js';

export class AnalysisInputError extends Error {
  override name = 'AnalysisInputError';
}

export interface AggregatedNode {
  id: string;
  /** Slots of the components (base nodes first, then aggregated nodes, in evaluation order). */
  children: Int32Array;
  childIds: readonly string[];
  nominalWeights: Float64Array;
  nominalRule: VariantRule;
}

export interface ModelInput {
  methodology: Methodology | CompiledMethodology;
  /** Given values per institution (node id → value). */
  givens: readonly Readonly<Record<string, number>>[];
  /** The group of each institution (entity, type, level…); omitted to rank the institutions themselves. */
  groupOfRow?: readonly string[];
  /** Names of the institutions, when they are ranked themselves. */
  rowLabels?: readonly string[];
  /** The node ranked; default the root (the index). */
  target?: string;
}

export interface AnalysisModel {
  compiled: CompiledMethodology;
  target: string;
  rowCount: number;
  /** Ranked units: group names, or institution labels. */
  unitNames: readonly string[];
  unitCount: number;
  /** Slot → node id; base nodes are slots 0 … baseCount − 1. */
  slotIds: readonly string[];
  baseCount: number;
  /** Columns of the base nodes (rowCount values each). */
  base: readonly Float64Array[];
  /** Aggregated nodes in evaluation order (components before the node); the last one is the target. */
  aggregated: readonly AggregatedNode[];
  /** Unit of each row, or null when the units are the rows. */
  unitOfRow: Int32Array | null;
  unitSize: Int32Array;
  /** unitCount × baseCount group means of the base nodes (row-major). */
  baseUnitMeans: Float64Array;
  /** Components that may be left out: (aggregated index, child position), for nodes with two or more components. */
  exclusionCandidates: readonly { node: number; child: number; id: string }[];
}

/** One run: the weights of every aggregated node (a 0 weight leaves the component out) and their rules. */
export interface RunSpec {
  weights: Float64Array[];
  rules: Uint8Array;
}

function treeIndex(root: TreeNode): Map<string, TreeNode> {
  const index = new Map<string, TreeNode>();
  const visit = (node: TreeNode): void => {
    index.set(node.id, node);
    node.children?.forEach(visit);
  };
  visit(root);
  return index;
}

/** Compiles the model; throws AnalysisInputError when the data cannot carry the analysis. */
export function buildModel(input: ModelInput): AnalysisModel {
  const compiled = asCompiled(input.methodology);
  const methodology = compiled.methodology;
  const nodes = treeIndex(methodology.tree);
  const target = input.target ?? methodology.tree.id;
  const targetNode = nodes.get(target);
  if (!targetNode) throw new AnalysisInputError(`"${target}" is not a node of the tree of ${methodology.id}`);
  const rowCount = input.givens.length;
  if (rowCount < 2) throw new AnalysisInputError(`an analysis needs at least two institutions, got ${rowCount}`);

  // Only the givens of nodes this methodology knows (a variant may leave some out), recomputable ones set aside.
  const known = new Set(compiled.nodeIds);
  const givens = input.givens.map((given) => {
    const kept: Record<string, number> = {};
    for (const id in given) if (known.has(id)) kept[id] = given[id]!;
    return withoutRecomputable(compiled, kept);
  });
  const scores = scoreInstitutions(compiled, givens);
  const nodeCount = compiled.nodeIds.length;
  const column = (id: string): Float64Array => {
    const i = compiled.nodeIndex.get(id)!;
    const out = new Float64Array(rowCount);
    for (let row = 0; row < rowCount; row++) out[row] = scores.values[row * nodeCount + i]!;
    return out;
  };
  const everywhere = (id: string): boolean => {
    const i = compiled.nodeIndex.get(id)!;
    for (let row = 0; row < rowCount; row++) if (scores.values[row * nodeCount + i]! !== scores.values[row * nodeCount + i]!) return false;
    return true;
  };
  const givenSomewhere = (id: string): boolean => {
    const i = compiled.nodeIndex.get(id)!;
    for (let row = 0; row < rowCount; row++) if (scores.sources[row * nodeCount + i] === SOURCE_GIVEN) return true;
    return false;
  };

  // Aggregated: composites under the target whose components all have values everywhere and that no row had to keep as given.
  const aggregatedIds: string[] = [];
  const baseIds: string[] = [];
  const visit = (node: TreeNode): void => {
    const recomputed = node.children !== undefined && node.children.every((c) => everywhere(c.id)) && !givenSomewhere(node.id);
    if (!recomputed) {
      if (node.id === target) {
        throw new AnalysisInputError(
          `"${target}" cannot be recomputed from the data: some institutions lack values of its components (${(node.children ?? []).map((c) => c.id).join(', ') || 'none'})`,
        );
      }
      if (!everywhere(node.id)) throw new AnalysisInputError(`"${node.id}" has no value for every institution`);
      baseIds.push(node.id);
      return;
    }
    node.children!.forEach(visit);
    aggregatedIds.push(node.id);
  };
  visit(targetNode);

  const slotIds = [...baseIds, ...aggregatedIds];
  const slotOf = new Map(slotIds.map((id, slot) => [id, slot]));
  const aggregated: AggregatedNode[] = aggregatedIds.map((id) => {
    const node = nodes.get(id)!;
    const children = node.children!;
    return {
      id,
      children: Int32Array.from(children, (c) => slotOf.get(c.id)!),
      childIds: children.map((c) => c.id),
      nominalWeights: Float64Array.from(children, (c) => c.weight!),
      nominalRule: VARIANT_RULE_OF[node.aggregation!],
    };
  });
  const base = baseIds.map(column);

  // Units: groups (with their sizes) or the institutions.
  let unitNames: string[];
  let unitOfRow: Int32Array | null = null;
  if (input.groupOfRow) {
    if (input.groupOfRow.length !== rowCount) throw new AnalysisInputError(`${input.groupOfRow.length} group keys for ${rowCount} institutions`);
    const slots = new Map<string, number>();
    unitNames = [];
    unitOfRow = new Int32Array(rowCount);
    input.groupOfRow.forEach((key, row) => {
      let unit = slots.get(key);
      if (unit === undefined) {
        unit = unitNames.length;
        slots.set(key, unit);
        unitNames.push(key);
      }
      unitOfRow![row] = unit;
    });
  } else {
    unitNames = input.rowLabels ? [...input.rowLabels] : input.givens.map((_, row) => `#${row + 1}`);
  }
  const unitCount = unitNames.length;
  if (unitCount < 2) throw new AnalysisInputError(`ranking needs at least two groups, got ${unitCount}`);
  const unitSize = new Int32Array(unitCount);
  const baseUnitMeans = new Float64Array(unitCount * baseIds.length);
  for (let row = 0; row < rowCount; row++) {
    const unit = unitOfRow ? unitOfRow[row]! : row;
    unitSize[unit]!++;
    for (let b = 0; b < baseIds.length; b++) baseUnitMeans[unit * baseIds.length + b]! += base[b]![row]!;
  }
  for (let unit = 0; unit < unitCount; unit++) {
    for (let b = 0; b < baseIds.length; b++) baseUnitMeans[unit * baseIds.length + b]! /= unitSize[unit]!;
  }
  const exclusionCandidates = aggregated.flatMap((node, index) =>
    node.children.length >= 2 ? node.childIds.map((id, child) => ({ node: index, child, id })) : [],
  );
  return {
    compiled,
    target,
    rowCount,
    unitNames,
    unitCount,
    slotIds,
    baseCount: baseIds.length,
    base,
    aggregated,
    unitOfRow,
    unitSize,
    baseUnitMeans,
    exclusionCandidates,
  };
}

export const ARITHMETIC = RULE_CODES[RULE_OF_VARIANT.arithmetic];
export const GEOMETRIC = RULE_CODES[RULE_OF_VARIANT.geometric];

/** The nominal run: the methodology's own weights and rules. */
export function nominalRun(model: AnalysisModel): RunSpec {
  return {
    weights: model.aggregated.map((node) => Float64Array.from(node.nominalWeights)),
    rules: Uint8Array.from(model.aggregated, (node) => RULE_CODES[RULE_OF_VARIANT[node.nominalRule]]),
  };
}

/** Reusable buffers for evaluating runs of one model. */
export class ModelEvaluator {
  private readonly coefficients: Float64Array;
  private logBase: Float64Array[] | undefined;
  /** Slot columns: the base nodes' data, then the aggregated nodes' values of the last row-wise evaluation. */
  readonly columns: Float64Array[];
  private readonly sums: Float64Array;
  readonly unitValues: Float64Array;
  readonly ranks: Int32Array;
  private readonly ranker: Ranker;

  constructor(readonly model: AnalysisModel) {
    this.coefficients = new Float64Array(model.slotIds.length);
    this.columns = [...model.base, ...model.aggregated.map(() => new Float64Array(model.rowCount))];
    this.sums = new Float64Array(model.unitCount);
    this.unitValues = new Float64Array(model.unitCount);
    this.ranks = new Int32Array(model.unitCount);
    this.ranker = new Ranker(model.unitCount);
  }

  /** Target value of every unit under `run`, into `unitValues`. */
  evaluate(run: RunSpec): Float64Array {
    if (run.rules.every((rule) => rule === ARITHMETIC)) this.evaluateLinear(run);
    else if (run.rules.every((rule) => rule === GEOMETRIC)) this.evaluateLogLinear(run);
    else this.evaluateRows(run);
    return this.unitValues;
  }

  /** Coefficient of every base node in the target when all rules are weighted means (arithmetic or of logs). */
  private baseCoefficients(run: RunSpec): Float64Array {
    const { model, coefficients } = this;
    coefficients.fill(0);
    const last = model.aggregated.length - 1;
    coefficients[model.baseCount + last] = 1;
    for (let a = last; a >= 0; a--) {
      const c = coefficients[model.baseCount + a]!;
      if (c === 0) continue;
      const node = model.aggregated[a]!;
      const w = run.weights[a]!;
      for (let k = 0; k < node.children.length; k++) coefficients[node.children[k]!]! += c * w[k]!;
    }
    return coefficients;
  }

  /**
   * Every rule geometric: log(target) is the same linear combination of the logs of the base nodes,
   * so each institution costs one exponential. A base value 0 gives log −∞ and the target 0 (the zero rule).
   */
  private evaluateLogLinear(run: RunSpec): void {
    const { model } = this;
    const coefficients = this.baseCoefficients(run);
    const logBase = (this.logBase ??= model.base.map((col) => col.map(Math.log)));
    const target = this.columns[model.baseCount + model.aggregated.length - 1]!;
    target.fill(0);
    for (let b = 0; b < model.baseCount; b++) {
      const c = coefficients[b]!;
      if (c === 0) continue;
      const col = logBase[b]!;
      for (let row = 0; row < model.rowCount; row++) target[row]! += c * col[row]!;
    }
    for (let row = 0; row < model.rowCount; row++) target[row] = Math.exp(target[row]!);
    this.unitMeans(target);
  }

  /** Ranks of the units under `run` (competition ranking, 1 = highest), into `ranks`. */
  rank(run: RunSpec): Int32Array {
    this.ranker.rank(this.evaluate(run), this.ranks);
    return this.ranks;
  }

  private evaluateLinear(run: RunSpec): void {
    const { model } = this;
    const coefficients = this.baseCoefficients(run);
    const B = model.baseCount;
    if (model.unitOfRow) {
      for (let unit = 0; unit < model.unitCount; unit++) {
        let v = 0;
        for (let b = 0; b < B; b++) v += coefficients[b]! * model.baseUnitMeans[unit * B + b]!;
        this.unitValues[unit] = v;
      }
    } else {
      const out = this.unitValues;
      out.fill(0);
      for (let b = 0; b < B; b++) {
        const c = coefficients[b]!;
        if (c === 0) continue;
        const col = model.base[b]!;
        for (let row = 0; row < model.rowCount; row++) out[row]! += c * col[row]!;
      }
    }
  }

  /** Evaluates every aggregated node institution by institution (needed for geometric and harmonic rules). */
  evaluateRows(run: RunSpec): void {
    const { model, columns } = this;
    const n = model.rowCount;
    for (let a = 0; a < model.aggregated.length; a++) {
      const node = model.aggregated[a]!;
      const out = columns[model.baseCount + a]!;
      const w = run.weights[a]!;
      const rule = run.rules[a]!;
      if (rule === ARITHMETIC) {
        out.fill(0);
        for (let k = 0; k < node.children.length; k++) {
          const wk = w[k]!;
          if (wk === 0) continue;
          const col = columns[node.children[k]!]!;
          for (let row = 0; row < n; row++) out[row]! += wk * col[row]!;
        }
      } else if (rule === RULE_CODES['weighted-geometric-mean']) {
        // Sum of logs; a term at 0 gives -Infinity and exp(-Infinity) = 0: the documented zero rule.
        out.fill(0);
        for (let k = 0; k < node.children.length; k++) {
          const wk = w[k]!;
          if (wk === 0) continue;
          const col = columns[node.children[k]!]!;
          for (let row = 0; row < n; row++) out[row]! += wk * Math.log(col[row]!);
        }
        for (let row = 0; row < n; row++) out[row] = Math.exp(out[row]!);
      } else {
        // Sum of weight / value; a term at 0 gives Infinity and 1 / Infinity = 0: the documented zero rule.
        out.fill(0);
        for (let k = 0; k < node.children.length; k++) {
          const wk = w[k]!;
          if (wk === 0) continue;
          const col = columns[node.children[k]!]!;
          for (let row = 0; row < n; row++) out[row]! += wk / col[row]!;
        }
        for (let row = 0; row < n; row++) out[row] = 1 / out[row]!;
      }
    }
    this.unitMeans(columns[model.baseCount + model.aggregated.length - 1]!);
  }

  /** Unit values from the target column: group means, or the column itself when units are institutions. */
  private unitMeans(target: Float64Array): void {
    const { model } = this;
    const n = model.rowCount;
    if (!model.unitOfRow) {
      this.unitValues.set(target);
      return;
    }
    const sums = this.sums;
    sums.fill(0);
    for (let row = 0; row < n; row++) sums[model.unitOfRow[row]!]! += target[row]!;
    for (let unit = 0; unit < model.unitCount; unit++) this.unitValues[unit] = sums[unit]! / model.unitSize[unit]!;
  }
}

/** Institutions with a component at 0 in each aggregated node (what a geometric or harmonic mean would turn into 0). */
export function zeroTermCounts(model: AnalysisModel): Record<string, number> {
  const evaluator = new ModelEvaluator(model);
  evaluator.evaluateRows(nominalRun(model));
  const { columns } = evaluator;
  const counts: Record<string, number> = {};
  model.aggregated.forEach((node) => {
    let count = 0;
    for (let row = 0; row < model.rowCount; row++) {
      for (let k = 0; k < node.children.length; k++) {
        if (columns[node.children[k]!]![row] === 0) {
          count++;
          break;
        }
      }
    }
    counts[node.id] = count;
  });
  return counts;
}
