/**
 * Reports benchmark: `npm run bench:reports -- [--runs N] [--concurrency N] [--sample N] [--out DIR]
 * [--no-library] [--no-strategies] [--no-bulk] [--no-service] [--no-job] [--no-job-saves] [--workers N]`.
 *
 * 1. With the browser warm (launched and used once), the median time of each PDF kind (data + HTML +
 *    charts + PDF) and of the edition workbook.
 * 2. How to print many cards: one print per card (new or reused pages) against several cards per
 *    print, with 1 to 3 prints at once, on a sample of the 2017 cards (bench/cardStrategies.ts).
 * 3. The CLI's path: all 908 institution cards of 2017 into a folder (`mga report --all`).
 * 4. The service over HTTP (bench/reportsService.ts): respondents' save latency alone and while 40
 *    anonymous PDF downloads run, the same PDFs from the cache, and the 908-card job through the job
 *    API with saves measured meanwhile (--workers N: N `npm run worker` processes share the job;
 *    --no-job-saves: the job alone, no saves while it runs).
 * Peak RSS of this process and PSS of Chromium's process tree, sampled every 100 ms.
 * Goals: institution card ≤ 0.5 s median; workbook ≤ 3 s; the 908-card job ≤ 90 s.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closeBrowser, getBrowser } from '../reports/browser.js';
import { writeInstitutionCards } from '../reports/bulk.js';
import { compareCardStrategies } from './cardStrategies.js';
import { runServiceBench } from './reportsService.js';
import { computeEditionResults } from '../reports/models/common.js';
import { buildEntityReportData } from '../reports/models/entity.js';
import { buildInstitutionReportData } from '../reports/models/institution.js';
import { buildNationalReportData } from '../reports/models/national.js';
import { buildEditionWorkbook } from '../reports/excel.js';
import { renderReportPdf } from '../reports/render.js';
import { descendants } from '../reports/pages.js';
import { ENTITIES } from '../scoring/catalogue.js';
import { parseResultsTable } from '../scoring/import/index.js';
import { loadBuiltinMethodology } from '../questionnaires/methodologies.js';
import { parsePublishedAggregates } from '../scoring/published.js';

const GOALS = { cardMs: 500, bulkMs: 90_000, workbookMs: 3_000 };

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '2' },
    'no-bulk': { type: 'boolean', default: false },
    'no-strategies': { type: 'boolean', default: false },
    'no-service': { type: 'boolean', default: false },
    'no-job': { type: 'boolean', default: false },
    'no-job-saves': { type: 'boolean', default: false },
    workers: { type: 'string', default: '0' },
    'no-library': { type: 'boolean', default: false },
    sample: { type: 'string', default: '96' },
    out: { type: 'string' },
  },
  strict: true,
});
const runs = Math.max(1, Number(flags.runs));

// ── memory sampling: this process, and Chromium with all its child processes (Linux /proc) ──
const peak = { node: 0, chromium: 0 };
let browserPid: number | undefined;

/** Proportional set size: shared pages split between the processes that map them, so a sum over processes is not inflated. */
function pss(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf-8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0; // the process ended while we looked
  }
}

/** Memory of a process and all its descendants (Chromium runs a zygote, GPU/utility and one renderer per page). */
function treeMemory(rootPid: number): number {
  return [rootPid, ...descendants(rootPid)].reduce((total, pid) => total + pss(pid), 0);
}

function sample(): void {
  peak.node = Math.max(peak.node, process.memoryUsage().rss);
  if (browserPid !== undefined && process.platform === 'linux') peak.chromium = Math.max(peak.chromium, treeMemory(browserPid));
}
const sampler = setInterval(sample, 100);

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (value: number) => `${value.toFixed(0).padStart(6)} ms`;

async function measure(name: string, times: number, task: (i: number) => Promise<unknown>): Promise<number> {
  await task(0); // warm: templates compiled, page pool and fonts loaded
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await task(i + 1);
    durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)]!;
  console.log(`${name.padEnd(44)} median ${ms(median)}  (min ${durations[0]!.toFixed(0)}, max ${durations.at(-1)!.toFixed(0)}, ${times} runs)`);
  return median;
}

const verdict = (value: number, goal: number) => (value <= goal ? `OK (goal ≤ ${goal >= 10_000 ? `${goal / 1000} s` : `${goal} ms`})` : `OVER GOAL (≤ ${goal >= 10_000 ? `${goal / 1000} s` : `${goal} ms`})`);

// ── data ──
const { rows } = await parseResultsTable(await readFile('data/mga-2017/sujetos_obligados_2017.csv'), { format: 'csv', preset: 'mga-2017', methodology: loadBuiltinMethodology('mga-2017') });
const published = parsePublishedAggregates(await readFile('data/published/national_results.csv', 'utf-8'), { methodology: loadBuiltinMethodology('mga-2017') });
const results = computeEditionResults({
  edition: '2017',
  methodology: loadBuiltinMethodology('mga-2017'),
  institutions: rows,
  dataSources: [{ short: 'BSO2017', citation: 'BSO2017: puntajes 2017 de los 908 sujetos obligados' }],
});
const sampleSizes = { '2019': 1243, '2021': 1365 };

const launchStart = performance.now();
const browser = await getBrowser();
browserPid = browser.process()?.pid;
console.log(`browser launch: ${(performance.now() - launchStart).toFixed(0)} ms (pid ${browserPid ?? '?'}); load average ${loadavg()[0]!.toFixed(1)} (other work on this machine slows every figure below)`);

try {
  if (!flags['no-library']) {
    await measure('national report PDF (7 pages, 5 charts)', Math.min(runs, 7), () => renderReportPdf(buildNationalReportData(results, published, { sampleSizes })));
    await measure('entity report PDF', runs, (i) => renderReportPdf(buildEntityReportData(results, ENTITIES[i % ENTITIES.length]!.name)));
    const card = await measure('institution report card PDF', Math.max(runs, 30), (i) => renderReportPdf(buildInstitutionReportData(results, (i * 37) % rows.length)));
    const workbook = await measure('edition workbook (xlsx, 2 chart images)', Math.min(runs, 7), () => buildEditionWorkbook(results, { published, sampleSizes }));
    console.log(`  card: ${verdict(card, GOALS.cardMs)}; workbook: ${verdict(workbook, GOALS.workbookMs)}`);
  }

  if (!flags['no-strategies']) {
    console.log(`printing many cards (a sample of ${flags.sample} cards of 2017):`);
    await compareCardStrategies(results, Math.max(12, Number(flags.sample)), console.log);
  }

  if (!flags['no-bulk']) {
    const out = flags.out ?? (await mkdtemp(join(tmpdir(), 'mga-cards-')));
    const concurrency = Number(flags.concurrency);
    const bulk = await writeInstitutionCards(results, out, { concurrency, progressBar: process.stderr.isTTY === true });
    const bytes = bulk.cards.reduce((sum, c) => sum + c.bytes, 0);
    console.log(
      `bulk (the CLI's --all): ${bulk.cards.length} institution cards, ${concurrency} prints at once: total ${(bulk.durationMs / 1000).toFixed(1)} s, ` +
        `${(bulk.durationMs / bulk.cards.length).toFixed(0)} ms per card, ${mb(bytes)} written — ${verdict(bulk.durationMs, GOALS.bulkMs)}`,
    );
    if (!flags.out) await rm(out, { recursive: true, force: true });
  }
} finally {
  sample();
  clearInterval(sampler);
  await closeBrowser();
}
console.log(`peak memory: node RSS ${mb(peak.node)}; chromium, all its processes (PSS) ${peak.chromium > 0 ? mb(peak.chromium) : 'n/a'}`);

if (!flags['no-service']) await runServiceBench(console.log, { job: !flags['no-job'], jobSaves: !flags['no-job-saves'], workers: Number(flags.workers) });
