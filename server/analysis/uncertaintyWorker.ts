/** Worker thread body: tallies a range of chunks of an uncertainty analysis (see uncertaintyParallel.ts). */
import { parentPort } from 'node:worker_threads';
import { validateMethodology } from '../../scoring/methodology.js';
import { buildModel } from '../../scoring/analysis/model.js';
import { emptyTally, tallyChunks } from '../../scoring/analysis/uncertainty.js';
import type { ChunkTask } from './uncertaintyParallel.js';

parentPort!.on('message', (task: ChunkTask) => {
  const model = buildModel({ ...task.model, methodology: validateMethodology(task.model.methodology) });
  const tally = emptyTally(model);
  tallyChunks(model, task.assumptions, task.seed, task.runs, task.fromChunk, task.toChunk, Int32Array.from(task.nominal), tally);
  parentPort!.postMessage({ runs: tally.runs, counts: tally.counts, shiftSums: tally.shiftSums }, [tally.counts.buffer as ArrayBuffer, tally.shiftSums.buffer as ArrayBuffer]);
});
