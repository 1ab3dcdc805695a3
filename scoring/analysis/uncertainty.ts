/**
 * Uncertainty analysis (Monte Carlo over the declared assumptions, see assumptions.ts): for every
 * group or institution, its nominal rank, median rank, 5th and 95th percentile ranks (nearest-rank)
 * and mean absolute rank shift. Reproducible from the seed: runs are drawn in fixed chunks, each from
 * its own jump of the seed's generator (random.ts), and the per-unit rank counts simply add up, so
 * chunks may be computed anywhere (e.g. in worker threads) and merged. Pure.
 */
import { formatFixed } from '../rounding.js';
import type { Variant } from '../variants.js';
import { checkAssumptions, emptyRun, factorsOf, runFromUniforms, uniformsPerRun, type Assumptions } from './assumptions.js';
import { AnalysisInputError, ModelEvaluator, nominalRun, zeroTermCounts, type AnalysisModel } from './model.js';
import { checkDate, methodologyStamp, RANKING_PARAMETERS, type AnalysisParameters } from './parameters.js';
import { chunkGenerator, RUNS_PER_CHUNK } from './random.js';
import { histogramPercentile } from './ranking.js';

export const MAX_RUNS = 1_000_000;
/** Rank counts take units² integers: 5,000 institutions are 100 MB. */
export const MAX_UNITS = 5_000;
export const UNCERTAINTY_CSV_HEADER = ['group', 'nominal_rank', 'median_rank', 'p05_rank', 'p95_rank', 'mean_abs_shift'] as const;

export interface UncertaintyOptions extends Assumptions {
  runs: number;
  seed: number;
  /** What the units are ("entity", "type", "level", "institution"): recorded only. */
  by: string;
  /** When the analysis runs (ISO 8601); recorded only. */
  date: string;
  variant?: Variant | null;
}

/** Per-unit rank counts (unitCount × unitCount: counts[u × unitCount + rank − 1]) and sums of |rank − nominal|. */
export interface RankTally {
  runs: number;
  counts: Uint32Array;
  shiftSums: Float64Array;
}

export interface UncertaintyRow {
  group: string;
  nominalValue: number;
  nominalRank: number;
  medianRank: number;
  p05Rank: number;
  p95Rank: number;
  meanAbsShift: number;
}

export interface UncertaintyResult {
  parameters: AnalysisParameters;
  /** The uncertain assumptions, e.g. "weights:GA", "aggregation", "exclusion". */
  factors: string[];
  /** Institutions with a component at 0, per aggregated node: a geometric or harmonic mean makes them 0. */
  zeroTerms: Record<string, number>;
  /** Sorted by nominal rank. */
  groups: UncertaintyRow[];
}

export function checkRuns(runs: number): void {
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) throw new AnalysisInputError(`runs must be an integer from 1 to ${MAX_RUNS}, got ${runs}`);
}

export function chunkCount(runs: number): number {
  return Math.ceil(runs / RUNS_PER_CHUNK);
}

export function emptyTally(model: AnalysisModel): RankTally {
  if (model.unitCount > MAX_UNITS) throw new AnalysisInputError(`at most ${MAX_UNITS} institutions or groups can be ranked, got ${model.unitCount}`);
  return { runs: 0, counts: new Uint32Array(model.unitCount * model.unitCount), shiftSums: new Float64Array(model.unitCount) };
}

export function nominalRanks(model: AnalysisModel): { values: Float64Array; ranks: Int32Array } {
  const evaluator = new ModelEvaluator(model);
  const run = nominalRun(model);
  const ranks = Int32Array.from(evaluator.rank(run));
  return { values: Float64Array.from(evaluator.unitValues), ranks };
}

/** Adds chunks [fromChunk, toChunk) of the runs to `tally`. */
export function tallyChunks(
  model: AnalysisModel,
  assumptions: Assumptions,
  seed: number,
  runs: number,
  fromChunk: number,
  toChunk: number,
  nominal: Int32Array,
  tally: RankTally,
): void {
  const factors = factorsOf(model, assumptions);
  const perRun = uniformsPerRun(factors);
  const u = new Float64Array(perRun);
  const run = emptyRun(model);
  const evaluator = new ModelEvaluator(model);
  const G = model.unitCount;
  for (let chunk = fromChunk; chunk < toChunk; chunk++) {
    const rng = chunkGenerator(seed, chunk);
    const end = Math.min(runs, (chunk + 1) * RUNS_PER_CHUNK);
    for (let r = chunk * RUNS_PER_CHUNK; r < end; r++) {
      for (let k = 0; k < perRun; k++) u[k] = rng.next();
      runFromUniforms(model, assumptions, factors, u, 0, run);
      const ranks = evaluator.rank(run);
      for (let g = 0; g < G; g++) {
        const rank = ranks[g]!;
        tally.counts[g * G + rank - 1]!++;
        tally.shiftSums[g]! += Math.abs(rank - nominal[g]!);
      }
      tally.runs++;
    }
  }
}

export function mergeTallies(into: RankTally, from: RankTally): void {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i]!;
  for (let i = 0; i < into.shiftSums.length; i++) into.shiftSums[i]! += from.shiftSums[i]!;
  into.runs += from.runs;
}

const collator = new Intl.Collator('es');

/** The summary rows of a complete tally. */
export function summarizeTally(model: AnalysisModel, nominal: { values: Float64Array; ranks: Int32Array }, tally: RankTally): UncertaintyRow[] {
  const G = model.unitCount;
  const rows = model.unitNames.map((group, g) => ({
    group,
    nominalValue: nominal.values[g]!,
    nominalRank: nominal.ranks[g]!,
    medianRank: histogramPercentile(tally.counts, g * G, G, tally.runs, 50),
    p05Rank: histogramPercentile(tally.counts, g * G, G, tally.runs, 5),
    p95Rank: histogramPercentile(tally.counts, g * G, G, tally.runs, 95),
    meanAbsShift: tally.shiftSums[g]! / tally.runs,
  }));
  return rows.sort((a, b) => a.nominalRank - b.nominalRank || collator.compare(a.group, b.group));
}

export function uncertaintyParameters(model: AnalysisModel, options: UncertaintyOptions): AnalysisParameters {
  return {
    analysis: 'uncertainty',
    methodology: methodologyStamp(model.compiled),
    variant: options.variant ?? null,
    by: options.by,
    target: model.target,
    runs: options.runs,
    seed: options.seed,
    weightsRange: options.weightsRange,
    aggregations: options.aggregations ? [...options.aggregations] : null,
    leaveOneOut: options.leaveOneOut ?? false,
    ...RANKING_PARAMETERS,
    date: checkDate(options.date),
  };
}

/** Runs the whole analysis in this thread. */
export function runUncertainty(model: AnalysisModel, options: UncertaintyOptions): UncertaintyResult {
  checkAssumptions(options);
  checkRuns(options.runs);
  const parameters = uncertaintyParameters(model, options);
  const nominal = nominalRanks(model);
  const tally = emptyTally(model);
  tallyChunks(model, options, options.seed, options.runs, 0, chunkCount(options.runs), nominal.ranks, tally);
  return finishUncertainty(model, options, parameters, nominal, tally);
}

export function finishUncertainty(
  model: AnalysisModel,
  options: Assumptions,
  parameters: AnalysisParameters,
  nominal: { values: Float64Array; ranks: Int32Array },
  tally: RankTally,
): UncertaintyResult {
  return {
    parameters,
    factors: factorsOf(model, options).map((f) => f.id),
    zeroTerms: zeroTermCounts(model),
    groups: summarizeTally(model, nominal, tally),
  };
}

/** CSV with header group,nominal_rank,median_rank,p05_rank,p95_rank,mean_abs_shift (shift to 4 decimals). */
export function uncertaintyCsvRows(result: UncertaintyResult): string[][] {
  return [
    [...UNCERTAINTY_CSV_HEADER],
    ...result.groups.map((g) => [g.group, String(g.nominalRank), String(g.medianRank), String(g.p05Rank), String(g.p95Rank), formatFixed(g.meanAbsShift, 4)]),
  ];
}
