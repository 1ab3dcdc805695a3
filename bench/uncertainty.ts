/**
 * Uncertainty benchmark: `tsx bench/uncertainty.ts [--threads N] [--json]`: 10,000 and 100,000 Monte
 * Carlo runs on the 2017 data (908 institutions), ranking the 33 entities and the 908 institutions,
 * with weights ±25 % (and, as a second case, the rule drawn from arithmetic/geometric); one thread and
 * worker threads; wall time and peak memory (RSS of this process, which includes the workers' heaps).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBuiltinMethodology } from '../questionnaires/methodologies.js';
import { buildModel, type ModelInput } from '../scoring/analysis/model.js';
import { runUncertainty, type UncertaintyOptions } from '../scoring/analysis/uncertainty.js';
import { institutionLabel } from '../scoring/analysis/whatif.js';
import { parseResultsTable } from '../scoring/import/index.js';
import { runUncertaintyParallel } from '../server/analysis/uncertaintyParallel.js';

const { values: flags } = parseArgs({ options: { threads: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
const threads = flags.threads ? Number(flags.threads) : availableParallelism();

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const methodology = loadBuiltinMethodology('mga-2017');
const { rows, errors } = await parseResultsTable(await readFile('data/mga-2017/sujetos_obligados_2017.csv'), { format: 'csv', preset: 'mga-2017', methodology });
if (errors.length > 0) throw new Error(`import errors: ${errors.length}`);
const inputs: Record<string, ModelInput & { methodology: typeof methodology }> = {
  entity: { methodology, givens: rows.map((r) => r.values), groupOfRow: rows.map((r) => r.entity) },
  institution: { methodology, givens: rows.map((r) => r.values), rowLabels: rows.map(institutionLabel) },
};

const figures: Record<string, number> = {};
console.log(`2017 data: ${rows.length} institutions; threads: 1 and ${threads}`);
for (const rules of [undefined, ['arithmetic', 'geometric'] as const]) {
  for (const runs of [10_000, 100_000]) {
    for (const by of ['entity', 'institution'] as const) {
      const options: UncertaintyOptions = { runs, seed: 2017, weightsRange: 0.25, by, date: new Date().toISOString(), ...(rules && { aggregations: [...rules] }) };
      const label = `${runs.toLocaleString('en')} runs by ${by}${rules ? ', rule drawn from arithmetic/geometric' : ''}`;
      let start = performance.now();
      const single = runUncertainty(buildModel(inputs[by]!), options);
      const oneThread = performance.now() - start;
      start = performance.now();
      const parallel = await runUncertaintyParallel(inputs[by]!, options, { threads });
      const many = performance.now() - start;
      if (JSON.stringify(single.groups) !== JSON.stringify(parallel.groups)) throw new Error(`${label}: worker threads gave a different result`);
      console.log(`${label.padEnd(66)} 1 thread ${(oneThread / 1000).toFixed(2).padStart(6)} s   ${threads} threads ${(many / 1000).toFixed(2).padStart(6)} s`);
      const key = `${rules ? 'mixed_' : ''}${by}_${runs}`;
      figures[`${key}_1thread_s`] = Number((oneThread / 1000).toFixed(3));
      figures[`${key}_${threads}threads_s`] = Number((many / 1000).toFixed(3));
    }
  }
}
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(`peak memory: rss ${mb(peakRss)}`);
if (flags.json) console.log(JSON.stringify({ ...figures, peak_rss_mb: Math.round(peakRss / 2 ** 20) }));
