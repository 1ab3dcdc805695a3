/**
 * Variance-based sensitivity of the ranking to each uncertain assumption (the weights of each
 * aggregated node, the aggregation rule, the component left out): first-order and total-order indices
 * on the mean absolute rank shift, by Saltelli's sampling scheme with Jansen's estimators (Saltelli et
 * al. 2010, "Variance based sensitivity analysis of model output", table 2, estimators (b) and (f)):
 *
 *   A, B: N × D matrices of independent uniforms; A_B^i: A with the columns of factor i taken from B.
 *   V   = sample variance of f(A) ∪ f(B)
 *   S_i  = (V − 1/(2N) Σ (f(B) − f(A_B^i))²) / V       first order
 *   ST_i = 1/(2N) Σ (f(A) − f(A_B^i))² / V             total order
 *
 * The uniforms are pseudo-random (xoroshiro128+, random.ts), not a Sobol' sequence: the estimators
 * are the same, their error shrinks as 1/√N. A factor is a group of inputs (all the weights of one
 * node move together as one factor). Confidence intervals: percentile bootstrap over the N rows
 * (nearest-rank 2.5 % and 97.5 %). Cost: N × (factors + 2) evaluations. Pure.
 */
import type { Variant } from '../variants.js';
import { checkAssumptions, emptyRun, factorsOf, runFromUniforms, uniformsPerRun, type Assumptions, type Factor } from './assumptions.js';
import { AnalysisInputError, ModelEvaluator, type AnalysisModel } from './model.js';
import { checkDate, methodologyStamp, RANKING_PARAMETERS, type AnalysisParameters } from './parameters.js';
import { chunkGenerator } from './random.js';
import { sortedPercentile } from './ranking.js';
import { nominalRanks } from './uncertainty.js';

export const DEFAULT_BOOTSTRAP = 500;
export const MAX_SENSITIVITY_RUNS = 200_000;
export const MAX_BOOTSTRAP = 10_000;
export const SENSITIVITY_CSV_HEADER = ['factor', 'first_order', 'first_order_low', 'first_order_high', 'total_order', 'total_order_low', 'total_order_high'] as const;

export interface SensitivityOptions extends Assumptions {
  /** N, the base sample size. */
  runs: number;
  seed: number;
  by: string;
  date: string;
  /** Bootstrap resamples for the confidence intervals; default 500, 0 for none. */
  bootstrap?: number;
  variant?: Variant | null;
}

export interface FactorIndices {
  /** "weights:GA", "aggregation" or "exclusion". */
  factor: string;
  kind: Factor['kind'];
  node?: string;
  /** null when the output does not vary at all (V = 0). */
  first: number | null;
  total: number | null;
  /** 95 % bootstrap interval [low, high]; null without bootstrap or variance. */
  firstInterval: [number, number] | null;
  totalInterval: [number, number] | null;
}

export interface SensitivityResult {
  parameters: AnalysisParameters;
  /** Mean and variance of the mean absolute rank shift over f(A) ∪ f(B). */
  output: { name: 'mean_abs_rank_shift'; mean: number; variance: number };
  evaluations: number;
  factors: FactorIndices[];
}

function variance(a: ArrayLike<number>, b: ArrayLike<number>, rows: ArrayLike<number> | null, n: number): number {
  let sum = 0;
  let sumSq = 0;
  for (let k = 0; k < n; k++) {
    const j = rows ? rows[k]! : k;
    const x = a[j]!;
    const y = b[j]!;
    sum += x + y;
    sumSq += x * x + y * y;
  }
  const m = 2 * n;
  return m > 1 ? Math.max(0, (sumSq - (sum * sum) / m) / (m - 1)) : 0;
}

function indices(fA: Float64Array, fB: Float64Array, fAB: Float64Array, rows: ArrayLike<number> | null, n: number, V: number): [number, number] {
  let first = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const j = rows ? rows[k]! : k;
    const ab = fAB[j]!;
    first += (fB[j]! - ab) ** 2;
    total += (fA[j]! - ab) ** 2;
  }
  return [(V - first / (2 * n)) / V, total / (2 * n) / V];
}

export function runSensitivity(model: AnalysisModel, options: SensitivityOptions): SensitivityResult {
  checkAssumptions(options);
  const N = options.runs;
  if (!Number.isInteger(N) || N < 2 || N > MAX_SENSITIVITY_RUNS) throw new AnalysisInputError(`runs must be an integer from 2 to ${MAX_SENSITIVITY_RUNS}, got ${N}`);
  const bootstrap = options.bootstrap ?? DEFAULT_BOOTSTRAP;
  if (!Number.isInteger(bootstrap) || bootstrap < 0 || bootstrap > MAX_BOOTSTRAP) throw new AnalysisInputError(`bootstrap must be an integer from 0 to ${MAX_BOOTSTRAP}, got ${bootstrap}`);
  const factors = factorsOf(model, options);
  if (factors.length === 0) throw new AnalysisInputError('nothing is uncertain: no aggregated node has two or more components');
  const D = uniformsPerRun(factors);
  const parameters: AnalysisParameters = {
    analysis: 'sensitivity',
    methodology: methodologyStamp(model.compiled),
    variant: options.variant ?? null,
    by: options.by,
    target: model.target,
    runs: N,
    seed: options.seed,
    weightsRange: options.weightsRange,
    aggregations: options.aggregations ? [...options.aggregations] : null,
    leaveOneOut: options.leaveOneOut ?? false,
    bootstrap,
    ...RANKING_PARAMETERS,
    date: checkDate(options.date),
  };

  const sampler = chunkGenerator(options.seed, 0, 1);
  const A = new Float64Array(N * D);
  const B = new Float64Array(N * D);
  for (let j = 0; j < N; j++) {
    for (let d = 0; d < D; d++) A[j * D + d] = sampler.next();
    for (let d = 0; d < D; d++) B[j * D + d] = sampler.next();
  }

  const nominal = nominalRanks(model).ranks;
  const evaluator = new ModelEvaluator(model);
  const run = emptyRun(model);
  const G = model.unitCount;
  const f = (u: Float64Array, offset: number): number => {
    runFromUniforms(model, options, factors, u, offset, run);
    const ranks = evaluator.rank(run);
    let shift = 0;
    for (let g = 0; g < G; g++) shift += Math.abs(ranks[g]! - nominal[g]!);
    return shift / G;
  };
  const fA = new Float64Array(N);
  const fB = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    fA[j] = f(A, j * D);
    fB[j] = f(B, j * D);
  }
  const mixed = new Float64Array(D);
  const fAB = factors.map((factor) => {
    const out = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      mixed.set(A.subarray(j * D, (j + 1) * D));
      for (let d = factor.offset; d < factor.offset + factor.length; d++) mixed[d] = B[j * D + d]!;
      out[j] = f(mixed, 0);
    }
    return out;
  });

  const V = variance(fA, fB, null, N);
  let mean = 0;
  for (let j = 0; j < N; j++) mean += fA[j]! + fB[j]!;
  mean /= 2 * N;

  // Bootstrap: the same resampled rows for every factor, so intervals are comparable.
  const intervals = factors.map(() => ({ first: new Float64Array(bootstrap), total: new Float64Array(bootstrap), count: 0 }));
  if (bootstrap > 0 && V > 0) {
    const resampler = chunkGenerator(options.seed, 0, 2);
    const rows = new Int32Array(N);
    for (let b = 0; b < bootstrap; b++) {
      for (let k = 0; k < N; k++) rows[k] = Math.min(N - 1, Math.floor(resampler.next() * N));
      const Vb = variance(fA, fB, rows, N);
      if (!(Vb > 0)) continue;
      factors.forEach((_, i) => {
        const [first, total] = indices(fA, fB, fAB[i]!, rows, N, Vb);
        const slot = intervals[i]!;
        slot.first[slot.count] = first;
        slot.total[slot.count] = total;
        slot.count++;
      });
    }
  }
  const interval = (values: Float64Array, count: number): [number, number] | null => {
    if (count === 0) return null;
    const sorted = values.slice(0, count).sort();
    return [sortedPercentile(sorted, 2.5), sortedPercentile(sorted, 97.5)];
  };

  return {
    parameters,
    output: { name: 'mean_abs_rank_shift', mean, variance: V },
    evaluations: N * (factors.length + 2),
    factors: factors.map((factor, i) => {
      const [first, total] = V > 0 ? indices(fA, fB, fAB[i]!, null, N, V) : [null, null];
      const slot = intervals[i]!;
      return {
        factor: factor.id,
        kind: factor.kind,
        ...(factor.node && { node: factor.node }),
        first,
        total,
        firstInterval: interval(slot.first, slot.count),
        totalInterval: interval(slot.total, slot.count),
      };
    }),
  };
}
