/**
 * The uncertain assumptions of the robustness analyses and how a vector of uniform numbers in [0, 1)
 * becomes one run: every component weight of every aggregated node multiplied by U(1 − R, 1 + R) and
 * the node's weights renormalised; optionally the aggregation rule drawn from a list (one rule for
 * every node in a run); optionally one component left out (or none), each choice equally likely.
 */
import { RULE_CODES } from '../engine.js';
import { RULE_OF_VARIANT, VARIANT_RULES, type VariantRule } from '../variants.js';
import { AnalysisInputError, type AnalysisModel, type RunSpec } from './model.js';

export const DEFAULT_WEIGHTS_RANGE = 0.25;

export interface Assumptions {
  /** R: each weight is multiplied by U(1 − R, 1 + R); 0 ≤ R < 1. */
  weightsRange: number;
  /** Rules drawn from, one per run for every aggregated node; omitted: each node keeps its own. */
  aggregations?: readonly VariantRule[];
  /** Leave one component out at random (or none), each choice equally likely. */
  leaveOneOut?: boolean;
}

export interface Factor {
  /** "weights:GA", "aggregation" or "exclusion". */
  id: string;
  kind: 'weights' | 'aggregation' | 'exclusion';
  /** The aggregated node (id and index in the model), for weights. */
  node?: string;
  nodeIndex?: number;
  /** Where the factor's uniforms start in a run's vector, and how many. */
  offset: number;
  length: number;
}

export function checkAssumptions(assumptions: Assumptions): void {
  const R = assumptions.weightsRange;
  if (!Number.isFinite(R) || R < 0 || R >= 1) throw new AnalysisInputError(`the weights range R must be a number from 0 to below 1, got ${R}`);
  for (const rule of assumptions.aggregations ?? []) {
    if (!VARIANT_RULES.includes(rule)) throw new AnalysisInputError(`unknown aggregation "${String(rule)}"; expected some of ${VARIANT_RULES.join(', ')}`);
  }
  if (assumptions.aggregations && assumptions.aggregations.length === 0) throw new AnalysisInputError('the list of aggregations is empty');
}

/** The factors of a model under the assumptions, in the order their uniforms are drawn. */
export function factorsOf(model: AnalysisModel, assumptions: Assumptions): Factor[] {
  const factors: Factor[] = [];
  let offset = 0;
  model.aggregated.forEach((node, nodeIndex) => {
    if (node.children.length < 2) return;
    factors.push({ id: `weights:${node.id}`, kind: 'weights', node: node.id, nodeIndex, offset, length: node.children.length });
    offset += node.children.length;
  });
  if (assumptions.aggregations && assumptions.aggregations.length > 1) {
    factors.push({ id: 'aggregation', kind: 'aggregation', offset, length: 1 });
    offset += 1;
  }
  if (assumptions.leaveOneOut && model.exclusionCandidates.length > 0) {
    factors.push({ id: 'exclusion', kind: 'exclusion', offset, length: 1 });
    offset += 1;
  }
  return factors;
}

export function uniformsPerRun(factors: readonly Factor[]): number {
  return factors.reduce((total, f) => total + f.length, 0);
}

export function emptyRun(model: AnalysisModel): RunSpec {
  return { weights: model.aggregated.map((node) => new Float64Array(node.children.length)), rules: new Uint8Array(model.aggregated.length) };
}

/** Fills `out` with the run that the uniforms u[offset … offset + uniformsPerRun − 1] stand for. */
export function runFromUniforms(
  model: AnalysisModel,
  assumptions: Assumptions,
  factors: readonly Factor[],
  u: ArrayLike<number>,
  offset: number,
  out: RunSpec,
): void {
  const R = assumptions.weightsRange;
  model.aggregated.forEach((node, a) => out.weights[a]!.set(node.nominalWeights));
  const fixedRule = assumptions.aggregations?.length === 1 ? RULE_CODES[RULE_OF_VARIANT[assumptions.aggregations[0]!]] : undefined;
  model.aggregated.forEach((node, a) => (out.rules[a] = fixedRule ?? RULE_CODES[RULE_OF_VARIANT[node.nominalRule]]));
  let excluded: { node: number; child: number } | undefined;
  for (const factor of factors) {
    const at = offset + factor.offset;
    if (factor.kind === 'weights') {
      const w = out.weights[factor.nodeIndex!]!;
      for (let k = 0; k < factor.length; k++) w[k] = w[k]! * (1 - R + 2 * R * u[at + k]!);
    } else if (factor.kind === 'aggregation') {
      const list = assumptions.aggregations!;
      const rule = RULE_CODES[RULE_OF_VARIANT[list[Math.min(list.length - 1, Math.floor(u[at]! * list.length))]!]];
      out.rules.fill(rule);
    } else {
      const choices = model.exclusionCandidates.length + 1;
      const pick = Math.min(choices - 1, Math.floor(u[at]! * choices));
      if (pick > 0) excluded = model.exclusionCandidates[pick - 1]!;
    }
  }
  if (excluded) out.weights[excluded.node]![excluded.child] = 0;
  for (const w of out.weights) {
    let sum = 0;
    for (let k = 0; k < w.length; k++) sum += w[k]!;
    for (let k = 0; k < w.length; k++) w[k] = w[k]! / sum;
  }
}
