/**
 * Import benchmark: `tsx bench/import.ts [--sizes 4000,16000,100000] [--formats xlsx,csv]`.
 * The service on an embedded MongoDB, with its in-process job worker as `npm start` runs it; for each
 * size and format a fresh edition imports a synthetic sample over HTTP (POST
 * /api/v1/editions/{edition}/sample; files from 512 kB on become a job, followed until done) while
 * /healthz is probed every 100 ms.
 * Prints rows/s, the phases (read, validate, write), the worst event-loop delay of the process during
 * the import (perf_hooks.monitorEventLoopDelay) and the /healthz latencies.
 * Goals: 16,000 rows in at most ~4.5 × the time of 4,000 (linear), /healthz within 1 s throughout.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../server/db/embedded.js';
import { configureMongoose } from '../server/db/schema.js';
import { seedReferenceData } from '../server/db/connection.js';
import { createApp } from '../server/app.js';
import { createLogger } from '../server/logger.js';
import { createUser } from '../server/auth/users.js';
import { createEdition } from '../server/services/editions.js';
import { SYSTEM_ACTOR } from '../server/services/audit.js';
import { ENTITIES, INSTITUTION_TYPES_2017 } from '../scoring/catalogue.js';
import { startWorker } from '../server/jobs/queue.js';

const GOALS = { linearRatio: 4.5, healthzMs: 1000 };

const { values: flags } = parseArgs({
  options: { sizes: { type: 'string', default: '4000,16000,100000' }, formats: { type: 'string', default: 'xlsx,csv' } },
  strict: true,
});
const sizes = flags.sizes.split(',').map(Number);
const formats = flags.formats.split(',') as ('xlsx' | 'csv')[];

// Big enough for the largest run; the defaults (50,000 rows) are what the service uses.
process.env.MGA_IMPORT_MAX_ROWS = String(Math.max(...sizes));
process.env.MGA_IMPORT_MAX_UPLOAD_BYTES = String(64 * 1024 * 1024);
process.env.MGA_IMPORT_MAX_UNZIPPED_BYTES = String(512 * 1024 * 1024);

const LEVELS = ['municipal', 'estatal', 'federal'];
function row(i: number): [string, string, string, string] {
  const entity = ENTITIES[i % ENTITIES.length]!;
  return [`Sujeto obligado de prueba ${String(i + 1).padStart(6, '0')}`, entity.name, LEVELS[i % LEVELS.length]!, INSTITUTION_TYPES_2017[i % INSTITUTION_TYPES_2017.length]!];
}

async function xlsxOf(rows: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => out.on('end', resolve));
  // Shared strings, as spreadsheet programs write them.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: false });
  const sheet = workbook.addWorksheet('muestra');
  sheet.addRow(['name', 'entity', 'level', 'type']).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(row(i)).commit();
  sheet.commit();
  await workbook.commit();
  await done;
  return Buffer.concat(chunks);
}

function csvOf(rows: number): Buffer {
  const lines = ['name,entity,level,type'];
  for (let i = 0; i < rows; i++) lines.push(row(i).join(','));
  return Buffer.from(lines.join('\n'));
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function main() {
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  const embedded = await startEmbeddedMongo({ log });
  configureMongoose();
  await mongoose.connect(embedded.uri, { dbName: 'bench_import' });
  await mongoose.connection.dropDatabase();
  await seedReferenceData();
  const app = createApp({ logger: createLogger('silent'), session: { secret: randomBytes(16).toString('hex'), secureCookies: false } });
  const worker = await startWorker({ logger: createLogger('silent'), settings: { pollMs: 200 } });
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const password = 'una contraseña de banco de pruebas';
  await createUser({ email: 'bench@example.org', name: 'Bench', role: 'admin', password });
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.org', password }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken: string };

  console.log(`Import benchmark: synthetic samples (name, entity, level, type), ${process.platform} ${process.arch}, Node ${process.version}`);
  console.log('format      rows  bytes(kB)  time(s)   rows/s  read/validate/write(s)  worst loop delay(ms)  /healthz probes  p50(ms)  max(ms)');
  const results: { format: string; rows: number; seconds: number; loopMs: number; healthzMaxMs: number }[] = [];
  for (const format of formats) {
    for (const rows of sizes) {
      const body = format === 'xlsx' ? await xlsxOf(rows) : csvOf(rows);
      const editionId = `bench-${format}-${rows}`;
      await createEdition({ editionId, year: 2026, title: `Banco ${format} ${rows}`, methodology: 'mga-2017', instruments: ['mga-2017-gobierno'] }, SYSTEM_ACTOR);
      const contentType = format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';

      const histogram = monitorEventLoopDelay({ resolution: 10 });
      const probes: number[] = [];
      let importing = true;
      const probing = (async () => {
        while (importing) {
          const started = performance.now();
          await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
          probes.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      histogram.enable();
      const started = performance.now();
      const res = await fetch(`${base}/api/v1/editions/${editionId}/sample`, { method: 'POST', headers: { 'content-type': contentType, cookie, 'x-csrf-token': csrfToken }, body: new Uint8Array(body) });
      let summary = (await res.json()) as { id?: string; rows?: number; phases?: { readMs: number; validateMs: number; writeMs: number }; detail?: string; status?: string; error?: string };
      const asJob = res.status === 202;
      if (asJob) {
        for (;;) {
          const view = (await (await fetch(`${base}/api/v1/jobs/${summary.id}`, { headers: { cookie } })).json()) as { status: string; error?: string };
          if (view.status === 'failed') throw new Error(`${format} ${rows}: the job failed: ${view.error}`);
          if (view.status === 'done') break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        summary = (await (await fetch(`${base}/api/v1/jobs/${summary.id}/result`, { headers: { cookie } })).json()) as typeof summary;
      }
      const seconds = (performance.now() - started) / 1000;
      histogram.disable();
      importing = false;
      await probing;
      if ((res.status !== 200 && !asJob) || summary.rows !== rows) throw new Error(`${format} ${rows}: ${res.status} ${summary.detail ?? JSON.stringify(summary).slice(0, 300)}`);
      const loopMs = histogram.max / 1e6;
      const healthzMaxMs = Math.max(...probes);
      const p = summary.phases!;
      results.push({ format, rows, seconds, loopMs, healthzMaxMs });
      console.log(
        `${(format + (asJob ? '/job' : '')).padEnd(8)} ${String(rows).padStart(7)} ${String(Math.round(body.length / 1024)).padStart(10)} ${seconds.toFixed(2).padStart(8)} ${String(Math.round(rows / seconds)).padStart(8)}  ${`${(p.readMs / 1000).toFixed(2)}/${(p.validateMs / 1000).toFixed(2)}/${(p.writeMs / 1000).toFixed(2)}`.padStart(22)} ${loopMs.toFixed(0).padStart(21)} ${String(probes.length).padStart(16)} ${percentile(probes, 50).toFixed(0).padStart(8)} ${healthzMaxMs.toFixed(0).padStart(8)}`,
      );
    }
  }
  for (const format of formats) {
    const t4 = results.find((r) => r.format === format && r.rows === 4000);
    const t16 = results.find((r) => r.format === format && r.rows === 16000);
    if (t4 && t16) {
      const ratio = t16.seconds / t4.seconds;
      console.log(`${format}: 16,000 rows took ${ratio.toFixed(2)} × the time of 4,000 (goal ≤ ${GOALS.linearRatio}) ${ratio <= GOALS.linearRatio ? 'OK' : 'MISSED'}`);
    }
  }
  const worstHealthz = Math.max(...results.map((r) => r.healthzMaxMs));
  console.log(`/healthz: slowest answer during any import ${worstHealthz.toFixed(0)} ms (goal < ${GOALS.healthzMs}) ${worstHealthz < GOALS.healthzMs ? 'OK' : 'MISSED'}`);

  await worker.stop();
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await mongoose.disconnect();
  await embedded.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
