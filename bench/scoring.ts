/**
 * Scoring benchmark: `tsx bench/scoring.ts [--runs N] [--warmup N] [--json]`.
 *  1. the 2017 file (908 institutions): parse + score + the four groupings;
 *  2. a synthetic edition of 20,000 institutions × 60 variables: score + the four groupings
 *     (national, entity, type, level), columnar engine (scoring/columnar.ts) from given columns and
 *     precomputed group codes — the figure `recalc_20000x60_ms` — and, for comparison, the record-based
 *     engine from per-institution objects;
 *  3. the same job in pandas/numpy (bench/scoring_pandas.py) when /usr/bin/python3 (or python3) has
 *     pandas, alternating with the TypeScript runs (3 times each), and the ratio TypeScript / pandas
 *     of their medians (goal ≤ 1.0).
 * Median wall time over the runs after warm-up; peak RSS / heap. With --json, the last line is JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBuiltinMethodology } from '../questionnaires/methodologies.js';
import { scoreColumns, toColumns } from '../scoring/columnar.js';
import { factorize, groupMeansColumnsMany } from '../scoring/columnarGroups.js';
import { compileMethodology, scoreInstitutions } from '../scoring/engine.js';
import { groupBy } from '../scoring/grouping.js';
import { parseResultsTable } from '../scoring/import/index.js';
import { syntheticInstitutions, syntheticMethodology } from './synthetic.js';

const DATA_2017 = 'data/mga-2017/sujetos_obligados_2017.csv';
const GROUPINGS = ['entity', 'type', 'level'] as const;
const PYTHONS = ['/usr/bin/python3', 'python3'];

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
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

/** Wall times of `times` runs of `task` after the warm-up, sorted. */
async function samples(times: number, task: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await task();
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await task();
    durations.push(performance.now() - start);
    samplePeak();
  }
  return durations.sort((a, b) => a - b);
}

const median = (sorted: readonly number[]) => sorted[Math.floor(sorted.length / 2)]!;

function report(name: string, durations: readonly number[]): number {
  const sorted = [...durations].sort((a, b) => a - b);
  console.log(`${name.padEnd(62)} median ${median(sorted).toFixed(1).padStart(7)} ms  (min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}, ${sorted.length} runs)`);
  return median(sorted);
}

async function measure(name: string, times: number, task: () => unknown): Promise<number> {
  return report(name, await samples(times, task));
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf-8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function pythonWithPandas(): Promise<string | undefined> {
  for (const python of PYTHONS) {
    const probe = await run(python, ['-c', 'import pandas, numpy']);
    if (probe.code === 0) return python;
  }
  return undefined;
}

// 1. The 2017 edition.
const bytes2017 = await readFile(DATA_2017);
const mga2017 = loadBuiltinMethodology('mga-2017');
await measure('2017 file, 908 rows: parse + score + 4 groupings', runs, async () => {
  const { rows, errors } = await parseResultsTable(bytes2017, { format: 'csv', preset: 'mga-2017', methodology: mga2017 });
  if (errors.length > 0) throw new Error(`unexpected import errors: ${errors.length}`);
  const table = scoreInstitutions(mga2017, rows.map((r) => r.values));
  for (const by of ['national', ...GROUPINGS]) groupBy(table, rows, by);
});

// 2. A synthetic edition of 20,000 institutions × 60 variables.
const synthetic = syntheticMethodology(15);
compileMethodology(synthetic);
const institutions = syntheticInstitutions(synthetic, 20_000);
const givens = institutions.map((i) => i.values);
const columns = toColumns(synthetic, givens);
const codes = GROUPINGS.map((by) => factorize(institutions.map((i) => i[by])));
const recalc = () => groupMeansColumnsMany(scoreColumns(synthetic, columns), [null, ...codes]);
const scoreOnly = await samples(runs, () => scoreColumns(synthetic, columns));

// 3. pandas/numpy on the same data and methodology. The two alternate (TypeScript runs, then pandas
// runs, ALTERNATIONS times), so a machine that speeds up or slows down meanwhile (shared CPUs do)
// weighs on both alike; each median is over all of its runs.
const ALTERNATIONS = 3;
const tsSamples: number[] = [];
const pandasSamples: number[] = [];
let pandasVersion = '';
const python = await pythonWithPandas();
if (!python) {
  tsSamples.push(...(await samples(runs, recalc)));
  console.log('pandas: not available (on Debian: apt-get install -y python3-pandas); no ratio');
} else {
  const dir = await mkdtemp(join(tmpdir(), 'mga-bench-'));
  try {
    const variableIds = Object.keys(givens[0]!);
    const csv = [['name', 'entity', 'level', 'type', ...variableIds].join(','), ...institutions.map((i) => [i.name, i.entity, i.level, i.type, ...variableIds.map((id) => i.values[id])].join(','))].join('\n');
    await writeFile(join(dir, 'data.csv'), csv);
    await writeFile(join(dir, 'methodology.json'), JSON.stringify(synthetic));
    for (let a = 0; a < ALTERNATIONS; a++) {
      tsSamples.push(...(await samples(runs, recalc)));
      const result = await run(python, ['bench/scoring_pandas.py', join(dir, 'data.csv'), join(dir, 'methodology.json'), String(runs), String(warmup)]);
      if (result.code !== 0) throw new Error(`pandas benchmark failed: ${result.stderr}`);
      const figures = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { durations_ms: number[]; pandas: string };
      pandasSamples.push(...figures.durations_ms);
      pandasVersion = figures.pandas;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
// The record engine last: its garbage (objects per institution) is not collected during the runs above.
const records = await samples(Math.min(runs, 7), () => {
  const table = scoreInstitutions(synthetic, givens);
  for (const by of ['national', ...GROUPINGS]) groupBy(table, institutions, by);
});
const recalcMs = report(`synthetic 20,000 × 60: score + 4 groupings (columnar${python ? `, ${ALTERNATIONS} alternations` : ''})`, tsSamples);
report('  of which: score only (columnar)', scoreOnly);
report('synthetic 20,000 × 60: score + 4 groupings (records)', records);
let pandasMs: number | null = null;
if (python) {
  pandasMs = report(`pandas/numpy, same job (${python}, pandas ${pandasVersion})`, pandasSamples);
  console.log(`ratio TypeScript / pandas: ${(recalcMs / pandasMs).toFixed(2)} (goal ≤ 1.0: ${recalcMs <= pandasMs ? 'met' : 'NOT met'})`);
}
console.log(`peak memory (data sets + recalculations): rss ${mb(peak.rss)}, heapUsed ${mb(peak.heapUsed)}`);

if (flags.json) {
  console.log(
    JSON.stringify({
      recalc_20000x60_ms: Number(recalcMs.toFixed(2)),
      pandas_20000x60_ms: pandasMs === null ? null : Number(pandasMs.toFixed(2)),
      ratio: pandasMs === null ? null : Number((recalcMs / pandasMs).toFixed(3)),
      peak_rss_mb: Math.round(peak.rss / 2 ** 20),
    }),
  );
}
