/**
 * Runs an uncertainty analysis over worker threads: the chunks of runs are split in contiguous
 * ranges, each worker rebuilds the model and tallies its range, and the tallies add up. Chunks draw
 * from their own jump of the seed's generator, so the result is the same as runUncertainty's, byte
 * for byte, whatever the number of workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Assumptions } from '../../scoring/analysis/assumptions.js';
import { checkAssumptions } from '../../scoring/analysis/assumptions.js';
import { buildModel, type ModelInput } from '../../scoring/analysis/model.js';
import {
  checkRuns,
  chunkCount,
  emptyTally,
  finishUncertainty,
  mergeTallies,
  nominalRanks,
  tallyChunks,
  uncertaintyParameters,
  type RankTally,
  type UncertaintyOptions,
  type UncertaintyResult,
} from '../../scoring/analysis/uncertainty.js';
import type { Methodology } from '../../scoring/methodology.js';

export interface ChunkTask {
  model: Omit<ModelInput, 'methodology'> & { methodology: Methodology };
  assumptions: Assumptions;
  seed: number;
  runs: number;
  fromChunk: number;
  toChunk: number;
  nominal: number[];
}

/**
 * Starting a worker costs about a second (it loads the TypeScript modules): workers are used only
 * when runs × ranked units reaches this (e.g. 100,000 runs of the 908 institutions; not 33 entities).
 */
const MIN_WORK_FOR_WORKERS = 20_000_000;

function runWorker(task: ChunkTask): Promise<RankTally> {
  return new Promise((resolve, reject) => {
    // The service runs TypeScript through tsx: the worker loads it the same way.
    const worker = new Worker(new URL('./uncertaintyWorker.mjs', import.meta.url));
    worker.once('message', (tally: RankTally) => {
      void worker.terminate();
      resolve(tally);
    });
    worker.once('error', reject);
    worker.postMessage(task);
  });
}

export interface ParallelOptions {
  /** Worker threads; default the machine's parallelism when the work is large enough. 1 runs in this thread. */
  threads?: number;
  /** Called with the runs done so far (after each worker finishes, or each chunk in one thread). */
  onProgress?: (runsDone: number, runs: number) => void;
}

export async function runUncertaintyParallel(input: ModelInput & { methodology: Methodology }, options: UncertaintyOptions, parallel: ParallelOptions = {}): Promise<UncertaintyResult> {
  checkAssumptions(options);
  checkRuns(options.runs);
  const model = buildModel(input);
  const parameters = uncertaintyParameters(model, options);
  const nominal = nominalRanks(model);
  const tally = emptyTally(model);
  const chunks = chunkCount(options.runs);
  const threads = Math.max(1, Math.min(parallel.threads ?? availableParallelism(), chunks));
  if (threads === 1 || (parallel.threads === undefined && options.runs * model.unitCount < MIN_WORK_FOR_WORKERS)) {
    for (let chunk = 0; chunk < chunks; chunk++) {
      tallyChunks(model, options, options.seed, options.runs, chunk, chunk + 1, nominal.ranks, tally);
      parallel.onProgress?.(tally.runs, options.runs);
    }
  } else {
    const assumptions: Assumptions = { weightsRange: options.weightsRange, ...(options.aggregations && { aggregations: [...options.aggregations] }), leaveOneOut: options.leaveOneOut ?? false };
    const per = Math.ceil(chunks / threads);
    const tasks: Promise<RankTally>[] = [];
    for (let from = 0; from < chunks; from += per) {
      tasks.push(
        runWorker({ model: input, assumptions, seed: options.seed, runs: options.runs, fromChunk: from, toChunk: Math.min(chunks, from + per), nominal: Array.from(nominal.ranks) }).then((part) => {
          mergeTallies(tally, part);
          parallel.onProgress?.(tally.runs, options.runs);
          return part;
        }),
      );
    }
    await Promise.all(tasks);
  }
  return finishUncertainty(model, options, parameters, nominal, tally);
}
