/**
 * Scoring benchmark: `tsx bench/scoring.ts [--runs N]`.
 *  1. the 2017 file (908 institutions): parse + score + the four groupings;
 *  2. a synthetic edition of 20,000 institutions × 60 variables: score + the four groupings
 *     (goal: under 200 ms median), and for information the parse of the same data as CSV.
 * Reports the median wall time over the runs after warm-up, and peak RSS / heap.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { scoreInstitutions, compileMethodology, type ScoreTable } from '../scoring/engine.js';
import { gapAnalysis, groupBy } from '../scoring/grouping.js';
import { parseResultsTable } from '../scoring/import/index.js';
import { type Methodology } from '../scoring/methodology.js';
import { loadBuiltinMethodology } from '../questionnaires/methodologies.js';
import { syntheticInstitutions, syntheticMethodology } from './synthetic.js';

const DATA_2017 = 'data/mga-2017/sujetos_obligados_2017.csv';
const GROUPINGS = ['national', 'entity', 'type', 'level'] as const;
const GOAL_MS = 200;

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' } },
  strict: true,
});
const runs = Number(flags.runs);
const warmup = Number(flags.warmup);

const peak = { rss: 0, heapUsed: 0 };
function samplePeak(): void {
  const usage = process.memoryUsage();
  peak.rss = Math.max(peak.rss, usage.rss);
  peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
}

async function measure(name: string, times: number, task: () => unknown): Promise<number> {
  for (let i = 0; i < warmup; i++) await task();
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await task();
    durations.push(performance.now() - start);
    samplePeak();
  }
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)]!;
  console.log(`${name.padEnd(58)} median ${median.toFixed(1).padStart(7)} ms  (min ${durations[0]!.toFixed(1)}, max ${durations.at(-1)!.toFixed(1)}, ${times} runs)`);
  return median;
}

function allGroupings(table: ScoreTable, rows: readonly object[], methodology: Methodology) {
  const groupings = GROUPINGS.map((by) => groupBy(table, rows, by));
  return { groupings, gaps: gapAnalysis(groupings[0]!, methodology) };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

// 1. The 2017 edition.
const bytes2017 = await readFile(DATA_2017);
const mga2017 = loadBuiltinMethodology('mga-2017');
await measure('2017 file, 908 rows: parse + score + 4 groupings', runs, async () => {
  const { rows, errors } = await parseResultsTable(bytes2017, { format: 'csv', preset: 'mga-2017', methodology: loadBuiltinMethodology('mga-2017') });
  if (errors.length > 0) throw new Error(`unexpected import errors: ${errors.length}`);
  allGroupings(scoreInstitutions(mga2017, rows.map((r) => r.values)), rows, mga2017);
});

// 2. A synthetic edition of 20,000 institutions × 60 variables.
const synthetic = syntheticMethodology(15);
compileMethodology(synthetic);
const institutions = syntheticInstitutions(synthetic, 20_000);
const givens = institutions.map((i) => i.values);
const median = await measure('synthetic 20,000 × 60 variables: score + 4 groupings + gaps', runs, () =>
  allGroupings(scoreInstitutions(synthetic, givens), institutions, synthetic),
);
await measure('  of which: score only', runs, () => scoreInstitutions(synthetic, givens));
console.log(`peak memory so far (data sets + recalculations): rss ${mb(peak.rss)}, heapUsed ${mb(peak.heapUsed)}`);

const variableIds = Object.keys(givens[0]!);
const csv = Buffer.from(
  [['name', 'entity', 'level', 'type', ...variableIds].join(','), ...institutions.map((i) => [i.name, i.entity, i.level, i.type, ...variableIds.map((id) => i.values[id])].join(','))].join('\n'),
);
await measure(`synthetic CSV parse (${mb(csv.length)}, for information)`, Math.min(runs, 5), async () => {
  const { errors } = await parseResultsTable(csv, { format: 'csv', methodology: synthetic });
  if (errors.length > 0) throw new Error(`unexpected import errors: ${errors.length}`);
});

console.log(`peak memory including the CSV parse: rss ${mb(peak.rss)}, heapUsed ${mb(peak.heapUsed)}`);
console.log(`goal (20,000-institution recalculation < ${GOAL_MS} ms median): ${median < GOAL_MS ? 'met' : 'NOT met'}`);
