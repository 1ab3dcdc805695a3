/**
 * The cards job on a real MongoDB with real worker processes: every report card of an edition as a
 * zip through the API; two workers share the job and no card is rendered twice; a worker killed
 * mid-job loses its part to the other after the lease, and the zip is still complete and valid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { descendants } from '../../reports/pages.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { PDFDocument } from 'pdf-lib';
import yauzl from 'yauzl';
import { closeBrowser } from '../../reports/browser.js';
import { institutionCardFileName } from '../../reports/bulk.js';
import { BUCKETS } from '../../server/files/gridfs.js';
import { JobModel, type JobDoc } from '../../server/jobs/model.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { submitJob } from '../../server/jobs/service.js';
import { createLogger } from '../../server/logger.js';
import { EditionModel } from '../../server/models/edition.js';
import { UserModel } from '../../server/models/user.js';
import { createEdition } from '../../server/services/editions.js';
import { importEditionResults } from '../../server/services/results.js';
import { loadEditionResults } from '../../server/services/reports.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import type { UserPrincipal } from '../../server/auth/access.js';
import { Client, makeUser } from '../setup/client.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';

const DB_NAME = 'test_jobs_cards';
const EDITION = 'mga-fichas';
const INSTITUTIONS = 30;
const logger = createLogger(process.env.LOG_LEVEL || 'silent');

/** The first rows of the 2017 data as a published edition. */
async function createEditionWithCards(): Promise<void> {
  const lines = readFileSync('data/mga-2017/sujetos_obligados_2017.csv', 'utf-8').split(/\r?\n/).filter(Boolean);
  await createEdition({ editionId: EDITION, year: 2031, title: 'Edición para fichas', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
  await importEditionResults(EDITION, Buffer.from(lines.slice(0, INSTITUTIONS + 1).join('\n')), { format: 'csv', preset: 'mga-2017', fileName: 'fichas.csv' });
  await EditionModel.updateOne({ editionId: EDITION }, { $set: { status: 'published' } });
}

async function principal(role: 'admin' | 'evaluator' | 'viewer', editions: string[] = []): Promise<UserPrincipal & { password: string }> {
  const { email, password } = await makeUser(role, editions);
  const user = await UserModel.findOne({ email }).lean();
  return { kind: 'user', id: String(user!._id), email, name: user!.name, role, editions, password };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const job = (id: unknown) => JobModel.findById(id).lean<JobDoc>();
const ended = (id: unknown) => waitFor('the job to end', async () => {
  const found = await job(id);
  return found && ['done', 'failed'].includes(found.status) ? found : undefined;
});

async function resultBytes(found: JobDoc): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of mongoose.connection.db!.collection(`${BUCKETS.jobs}.chunks`).find({ files_id: found.result!.fileId }).sort({ n: 1 })) chunks.push(Buffer.from(chunk.data.buffer));
  return Buffer.concat(chunks);
}

/** Every entry of a zip, read with yauzl (which checks the central directory and each entry's size and CRC). */
function unzip(bytes: Buffer): Promise<{ name: string; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries: { name: string; data: Buffer }[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** The zip holds exactly the edition's cards, in row order, each a whole PDF titled after its institution. */
async function expectCompleteZip(bytes: Buffer): Promise<void> {
  const loaded = await loadEditionResults(EDITION);
  const entries = await unzip(bytes);
  expect(entries.map((e) => e.name)).to.deep.equal(loaded.results.institutions.map((_, row) => `${EDITION}-fichas/${institutionCardFileName(loaded.results, row)}`));
  for (const [row, entry] of entries.entries()) {
    expect(entry.data.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const pdf = await PDFDocument.load(entry.data);
    expect(pdf.getPageCount()).to.be.within(1, 6);
    expect(pdf.getTitle(), entry.name).to.equal(loaded.results.institutions[row]!.name);
  }
}

/** A worker in its own process on this test's database, with its own browser. */
async function childWorker(env: Record<string, string>): Promise<{ child: ChildProcess; id: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/jobs/workerProcess.ts', process.env.MGA_TEST_MONGODB_URI!, DB_NAME], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const id = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      const ready = /ready (\S+)/.exec(output);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready`)));
  });
  return { child, id };
}


/** Kills a worker process as a crash would (SIGKILL), and the browser it started (left orphaned by a real crash). */
export async function crash(child: ChildProcess): Promise<void> {
  const orphans = descendants(child.pid!);
  child.kill('SIGKILL');
  await once(child, 'exit');
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Stops a worker process the way an operator would (SIGTERM: it hands its work back and closes its browser). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const exited = once(child, 'exit');
  const timeout = sleep(20_000).then(() => 'timeout');
  if ((await Promise.race([exited, timeout])) === 'timeout') await crash(child);
}

describe('cards job: every report card of an edition as a zip (real MongoDB, real workers)', function () {
  this.timeout(600_000);
  const workers: JobWorker[] = [];
  const children: ChildProcess[] = [];
  let admin: UserPrincipal & { password: string };
  const previousPartSize = process.env.MGA_CARDS_PER_PART;

  before(async () => {
    await useTestDatabase('jobs_cards');
    expect(mongoose.connection.db!.databaseName).to.equal(DB_NAME);
    await createEditionWithCards();
    admin = await principal('admin');
    // Small parts, so two workers have something to share: 30 cards in 10 parts.
    process.env.MGA_CARDS_PER_PART = '3';
  });
  after(async () => {
    if (previousPartSize === undefined) delete process.env.MGA_CARDS_PER_PART;
    else process.env.MGA_CARDS_PER_PART = previousPartSize;
    await closeBrowser();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await Promise.all(children.splice(0).map(stopChild));
  });

  describe('API', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => server?.close());

    it('202 with the job, status while it runs, the zip when done; signed-in users who may read the edition only', async () => {
      const viewer = await principal('viewer');
      const client = new Client(server.url);
      await client.apiLogin(viewer.email, viewer.password);
      const started = await client.request('POST', `/api/v1/editions/${EDITION}/reports/cards`);
      expect(started.status).to.equal(202);
      const view = (await started.json()) as { id: string; kind: string; status: string; done: number; total: number };
      expect(view).to.include({ kind: 'edition-cards', status: 'queued', done: 0, total: INSTITUTIONS });
      expect(started.headers.get('location')).to.equal(`/api/v1/jobs/${view.id}`);

      // Nobody else's: another viewer sees nothing; no session, no job.
      const other = await principal('viewer');
      const otherClient = new Client(server.url);
      await otherClient.apiLogin(other.email, other.password);
      expect((await otherClient.get(`/api/v1/jobs/${view.id}`)).status).to.equal(404);
      expect((await otherClient.get(`/api/v1/jobs/${view.id}/result`)).status).to.equal(404);
      expect((await fetch(`${server.url}/api/v1/editions/${EDITION}/reports/cards`, { method: 'POST' })).status).to.equal(401);
      // An unpublished edition is not the viewer's to read; an unknown one does not exist.
      await EditionModel.create({ editionId: 'mga-cerrada', year: 2032, title: 'Edición cerrada', methodology: { id: 'mga-2017' } });
      expect((await client.request('POST', '/api/v1/editions/mga-cerrada/reports/cards')).status).to.equal(404);
      expect((await client.request('POST', '/api/v1/editions/mga-1999/reports/cards')).status).to.equal(404);
      expect(await JobModel.countDocuments({ createdBy: viewer.id })).to.equal(1);

      const running = await client.get(`/api/v1/jobs/${view.id}/result`);
      expect(running.status).to.equal(409);

      workers.push(await startWorker({ logger, settings: { leaseMs: 5000, pollMs: 200 } }));
      const seen = new Set<string>();
      const final = await waitFor('the job to be done', async () => {
        const state = (await (await client.get(`/api/v1/jobs/${view.id}`)).json()) as { status: string; done: number; total: number; result?: { href: string; length: number; contentType: string } };
        seen.add(`${state.status}:${state.done}`);
        return state.status === 'done' || state.status === 'failed' ? state : undefined;
      });
      expect(final).to.deep.include({ status: 'done', done: INSTITUTIONS, total: INSTITUTIONS });
      expect(final.result).to.include({ contentType: 'application/zip', href: `/api/v1/jobs/${view.id}/result` });
      const zip = await client.get(final.result!.href);
      expect(zip.status).to.equal(200);
      expect(zip.headers.get('content-type')).to.equal('application/zip');
      expect(zip.headers.get('content-disposition')).to.equal(`attachment; filename=${EDITION}-fichas.zip`);
      const bytes = Buffer.from(await zip.arrayBuffer());
      expect(bytes.length).to.equal(final.result!.length);
      await expectCompleteZip(bytes);
      console.log(`      ${INSTITUTIONS} cards through the API with one in-process worker; zip ${(bytes.length / 1024).toFixed(0)} kB; states seen: ${[...seen].join(', ')}`);
    });
  });

  it('two worker processes share one cards job: every card rendered once, by one of them', async () => {
    const env = { MGA_JOB_LEASE_MS: '20000', MGA_JOB_POLL_MS: '200', MGA_PDF_PAGES: '1' };
    const [a, b] = await Promise.all([childWorker(env), childWorker(env)]);
    children.push(a.child, b.child);
    const submitted = await submitJob('edition-cards', { edition: EDITION }, admin);
    const found = await ended(submitted._id);
    expect(found.status, found.error ?? "").to.equal('done');
    // Which worker rendered which cards: each part (3 cards) ran exactly once, and both workers took parts.
    expect(found.parts.map((p) => p.attempts)).to.deep.equal(found.parts.map(() => 1));
    expect(found.parts.every((p) => p.abandonedBy.length === 0)).to.equal(true);
    const rendered = found.parts.flatMap((p) => (p.output as { cards: { name: string }[] }).cards.map((c) => ({ card: c.name, worker: p.worker })));
    expect(rendered).to.have.length(INSTITUTIONS);
    expect(new Set(rendered.map((r) => r.card)).size).to.equal(INSTITUTIONS);
    const byWorker = new Map<string, number>();
    for (const r of rendered) byWorker.set(r.worker!, (byWorker.get(r.worker!) ?? 0) + 1);
    expect([...byWorker.keys()].sort()).to.deep.equal([a.id, b.id].sort());
    console.log(`      cards rendered by worker: ${[...byWorker.entries()].map(([w, n]) => `${w} ${n}`).join(', ')}`);
    await expectCompleteZip(await resultBytes(found));
  });

  it('a worker killed mid-job: the other takes its part over after the lease; the zip is complete and valid', async () => {
    const env = { MGA_JOB_LEASE_MS: '3000', MGA_JOB_POLL_MS: '200', MGA_PDF_PAGES: '1' };
    const a = await childWorker(env);
    children.push(a.child);
    const submitted = await submitJob('edition-cards', { edition: EDITION }, admin);
    // Kill A while it holds a part (after it finished at least one, so the kill lands mid-job).
    await waitFor('worker A to hold a part mid-job', async () => {
      const state = await job(submitted._id);
      return state!.parts.some((p) => p.state === 'done') && state!.parts.some((p) => p.state === 'running' && p.worker === a.id);
    });
    await crash(a.child);
    const held = (await job(submitted._id))!.parts.filter((p) => p.state === 'running' && p.worker === a.id).map((p) => p.index);
    expect(held.length).to.be.greaterThan(0);
    const b = await childWorker(env);
    children.push(b.child);
    const found = await ended(submitted._id);
    expect(found.status, found.error ?? "").to.equal('done');
    for (const index of held) expect(found.parts[index]).to.deep.include({ worker: b.id, attempts: 2, abandonedBy: [a.id] });
    expect(found.finish).to.include({ worker: b.id });
    await expectCompleteZip(await resultBytes(found));
    // Nothing of A's half-done part is left behind: once the job is done, only the zip remains.
    await waitFor('intermediate files to be deleted', async () => {
      const files = await mongoose.connection.db!.collection(`${BUCKETS.jobs}.files`).find({ 'metadata.job': String(submitted._id) }).toArray();
      return files.length === 1 && files[0]!.metadata?.role === 'result';
    }, 10_000);
    const ids = (await mongoose.connection.db!.collection(`${BUCKETS.jobs}.files`).find({}, { projection: { _id: 1 } }).toArray()).map((f) => f._id);
    expect(await mongoose.connection.db!.collection(`${BUCKETS.jobs}.chunks`).countDocuments({ files_id: { $nin: ids } }), 'chunks of no file').to.equal(0);
  });
});
