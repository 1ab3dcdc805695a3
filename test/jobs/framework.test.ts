/**
 * The job framework on a real MongoDB: workers in this process and in child processes share a job's
 * parts, a dead worker's part is taken over after its lease, a half-written result is never served,
 * and the API shows state and result to the right people only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { BUCKETS, upload } from '../../server/files/gridfs.js';
import { JobModel, type JobDoc } from '../../server/jobs/model.js';
import { enqueue, startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { jobView, submitJob } from '../../server/jobs/service.js';
import { createLogger } from '../../server/logger.js';
import { UserModel } from '../../server/models/user.js';
import type { UserPrincipal } from '../../server/auth/access.js';
import { Client, makeUser } from '../setup/client.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import type { TestParams } from './testKinds.js';
import './testKinds.js';

const DB_NAME = 'test_jobs_framework';
const logger = createLogger(process.env.LOG_LEVEL || 'silent');
const FAST = { leaseMs: 2000, pollMs: 200 };

async function principal(role: 'admin' | 'evaluator' | 'viewer' = 'evaluator'): Promise<UserPrincipal & { password: string }> {
  const { email, password } = await makeUser(role);
  const user = await UserModel.findOne({ email }).lean();
  return { kind: 'user', id: String(user!._id), email, name: user!.name, role, editions: [], password };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const job = (id: unknown) => JobModel.findById(id).lean<JobDoc>();
const ended = (id: unknown) => waitFor('the job to end', async () => {
  const found = await job(id);
  return found && ['done', 'failed', 'cancelled'].includes(found.status) ? found : undefined;
});

async function resultText(found: JobDoc): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of mongoose.connection.db!.collection(`${BUCKETS.jobs}.chunks`).find({ files_id: found.result!.fileId }).sort({ n: 1 })) chunks.push(Buffer.from(chunk.data.buffer));
  return Buffer.concat(chunks).toString('utf-8');
}

/** Every unit's line appears exactly once, in order. */
function expectAllUnits(text: string, params: TestParams): string[] {
  const lines = text.trim().split('\n');
  expect(lines.map((l) => Number(/^unit (\d+) by/.exec(l)![1]))).to.deep.equal(Array.from({ length: params.parts * params.units }, (_, i) => i));
  return lines.map((l) => l.replace(/^unit \d+ by /, ''));
}

/** Intermediate files still stored, and chunks that belong to no file (an upload cut short). */
async function leftovers(): Promise<{ partFiles: number; orphanChunks: number }> {
  const db = mongoose.connection.db!;
  const files = await db.collection(`${BUCKETS.jobs}.files`).find({}, { projection: { metadata: 1 } }).toArray();
  const ids = files.map((f) => f._id);
  return {
    partFiles: files.filter((f) => f.metadata?.role !== 'result').length,
    orphanChunks: await db.collection(`${BUCKETS.jobs}.chunks`).countDocuments({ files_id: { $nin: ids } }),
  };
}
const CLEAN = { partFiles: 0, orphanChunks: 0 };
/** Intermediate files are deleted right after the job is marked done. */
const cleanedUp = () => waitFor('intermediate files to be deleted', async () => {
  const left = await leftovers();
  return left.partFiles === 0 && left.orphanChunks === 0;
}, 10_000);

/** A worker in its own process, on this test's database. */
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

describe('job framework (real MongoDB)', function () {
  this.timeout(120_000);
  const workers: JobWorker[] = [];
  const children: ChildProcess[] = [];
  let owner: UserPrincipal & { password: string };

  before(async () => {
    await useTestDatabase('jobs_framework');
    expect(mongoose.connection.db!.databaseName).to.equal(DB_NAME);
    owner = await principal();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('starting queues and running a job creates no collection: every one exists from start (the Wine mongod dies when two processes create one at once)', async () => {
    const collections = async () => (await mongoose.connection.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    const before = await collections();
    expect(before).to.include.members(['agendaJobs', 'agenda_logs', 'jobs', `${BUCKETS.jobs}.files`, `${BUCKETS.jobs}.chunks`]);
    // Two workers starting at the same moment, as two worker processes do.
    workers.push(...(await Promise.all([startWorker({ logger, settings: FAST }), startWorker({ logger, settings: FAST })])));
    const found = await ended((await submitJob('test-lines', { parts: 2, units: 2, delayMs: 1 }, owner))._id);
    expect(found.status).to.equal('done');
    expect(await collections()).to.deep.equal(before);
  });

  it('one worker runs every part and finishes; intermediate files are deleted', async () => {
    workers.push(await startWorker({ logger, settings: FAST }));
    const params = { parts: 3, units: 4, delayMs: 5 };
    const submitted = await submitJob('test-lines', params, owner);
    expect(jobView(submitted)).to.include({ kind: 'test-lines', status: 'queued', done: 0, total: 12 });
    const found = await ended(submitted._id);
    expect(found.status).to.equal('done');
    expect(jobView(found)).to.include({ done: 12, total: 12 });
    expect(found.result).to.include({ fileName: 'lines.txt', contentType: 'text/plain' });
    expectAllUnits(await resultText(found), params);
    expect(found.parts.map((p) => p.attempts)).to.deep.equal([1, 1, 1]);
    await cleanedUp();
  });

  it('two workers share one job: every part runs once, both workers take parts', async () => {
    workers.push(await startWorker({ logger, settings: FAST }), await startWorker({ logger, settings: FAST }));
    const params = { parts: 8, units: 5, delayMs: 60 };
    const found = await ended((await submitJob('test-lines', params, owner))._id);
    expect(found.status).to.equal('done');
    const by = expectAllUnits(await resultText(found), params);
    expect(found.parts.every((p) => p.attempts === 1 && p.abandonedBy.length === 0)).to.equal(true);
    expect(new Set(found.parts.map((p) => p.worker))).to.deep.equal(new Set(workers.map((w) => w.id)));
    expect(new Set(by)).to.deep.equal(new Set(workers.map((w) => w.id)));
  });

  it('a part that fails for a reason a person can act on fails the job, with its code', async () => {
    workers.push(await startWorker({ logger, settings: FAST }));
    const found = await ended((await submitJob('test-lines', { parts: 3, units: 2, delayMs: 5, failPart: 1 }, owner))._id);
    expect(found).to.include({ status: 'failed', errorCode: 'test-failure', error: 'part 1 fails on purpose' });
    expect(found.result).to.equal(undefined);
    await cleanedUp(); // the other lanes notice the failure at their next renewal and delete what they wrote
  });

  it('a part that fails unexpectedly is tried again and the job completes; one that keeps failing fails the job', async () => {
    workers.push(await startWorker({ logger, settings: FAST }));
    const params = { parts: 3, units: 2, delayMs: 5, flakyPart: 2, flakyAttempts: 1 };
    const retried = await ended((await submitJob('test-lines', params, owner))._id);
    expect(retried.status).to.equal('done');
    expect(retried.parts.map((p) => p.attempts)).to.deep.equal([1, 1, 2]);
    expect(retried.parts[2]!.abandonedBy).to.deep.equal([workers[0]!.id]);
    expectAllUnits(await resultText(retried), params);

    const broken = await ended((await submitJob('test-lines', { ...params, flakyAttempts: 5 }, owner))._id);
    expect(broken).to.include({ status: 'failed', errorCode: 'internal-error' });
    expect(broken.error).to.match(/part 2, attempt 2: an unexpected error/);
    expect(broken.parts[2]!.attempts).to.equal(2); // maxAttempts (default 2)
    expect(broken.result).to.equal(undefined);
    await cleanedUp();
  });

  it('a stopping worker hands its parts back and another continues at once', async () => {
    const first = await startWorker({ logger, settings: { leaseMs: 60_000, pollMs: 200 } });
    const params = { parts: 4, units: 10, delayMs: 100 };
    const submitted = await submitJob('test-lines', params, owner);
    await waitFor('progress', async () => jobView((await job(submitted._id))!).done >= 2);
    await first.stop();
    const handedBack = await job(submitted._id);
    expect(handedBack!.parts.some((p) => p.state === 'running')).to.equal(false);
    const started = Date.now();
    workers.push(await startWorker({ logger, settings: { leaseMs: 60_000, pollMs: 200 } }));
    const found = await ended(submitted._id);
    expect(found.status).to.equal('done');
    expect(Date.now() - started, 'no wait for the 60 s lease').to.be.below(20_000);
    expectAllUnits(await resultText(found), params);
  });

  it('a killed worker process: another takes its part over after the lease and the result is complete', async function () {
    this.timeout(180_000);
    const env = { MGA_JOB_LEASE_MS: '2000', MGA_JOB_POLL_MS: '200' };
    const a = await childWorker(env);
    children.push(a.child);
    const params = { parts: 4, units: 8, delayMs: 250 };
    const submitted = await submitJob('test-lines', params, owner);
    await waitFor('worker A to be mid-part', async () => (await job(submitted._id))!.parts.some((p) => p.worker === a.id && p.state === 'running' && p.done >= 2));
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    const killedAt = Date.now();
    const b = await childWorker(env);
    children.push(b.child);
    const found = await ended(submitted._id);
    expect(found.status).to.equal('done');
    const by = expectAllUnits(await resultText(found), params);
    const taken = found.parts.filter((p) => p.abandonedBy.includes(a.id));
    expect(taken.length).to.be.greaterThan(0);
    for (const part of taken) expect(part).to.include({ worker: b.id, attempts: 2 });
    expect(by).not.to.include(a.id); // A never finished a part: every line of the result is B's
    console.log(`      takeover: job done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (lease 2 s)`);
    await cleanedUp();
  });

  it('a finish whose worker died: its half-written result is deleted and the job finishes once', async () => {
    const parts = [];
    for (let i = 0; i < 2; i++) {
      const file = await upload(BUCKETS.jobs, Buffer.from(`unit ${i} by w\n`), { filename: `part-${i}.txt`, metadata: { job: 'x' } });
      parts.push({ index: i, total: 1, done: 1, state: 'done', attempts: 1, worker: 'w', files: [file._id], output: { fileId: String(file._id), worker: 'w' } });
    }
    const orphan = new Types.ObjectId();
    await mongoose.connection.db!.collection(`${BUCKETS.jobs}.chunks`).insertOne({ files_id: orphan, n: 0, data: new mongoose.mongo.Binary(Buffer.from('half a zip')) });
    const created = await JobModel.create({
      kind: 'test-lines', title: 'Prueba', params: { parts: 2, units: 1, delayMs: 0 }, status: 'running', total: 2, parts,
      finish: { state: 'running', token: 'dead', worker: 'dead-worker', leaseUntil: new Date(Date.now() - 1000), attempts: 1, fileId: orphan },
      createdBy: new Types.ObjectId(owner.id),
    });
    workers.push(await startWorker({ logger, settings: FAST }));
    await enqueue('test-lines', String(created._id), 1);
    const found = await ended(created._id);
    expect(found.status).to.equal('done');
    expect(found.finish).to.include({ worker: workers[0]!.id, attempts: 2 });
    expect(await resultText(found)).to.equal('unit 0 by w\nunit 1 by w\n');
    expect(await mongoose.connection.db!.collection(`${BUCKETS.jobs}.chunks`).countDocuments({ files_id: orphan })).to.equal(0);
    await cleanedUp();
  });

  describe('API', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => server?.close());

    it('state and result for the submitter and admins; 404 for other users, 401 without a session', async () => {
      const client = new Client(server.url);
      await client.apiLogin(owner.email, owner.password);
      const other = await principal();
      const otherClient = new Client(server.url);
      await otherClient.apiLogin(other.email, other.password);
      const admin = await principal('admin');
      const adminClient = new Client(server.url);
      await adminClient.apiLogin(admin.email, admin.password);

      const submitted = await submitJob('test-lines', { parts: 2, units: 3, delayMs: 100 }, owner);
      const path = `/api/v1/jobs/${submitted._id}`;
      const queued = await client.get(path);
      expect(queued.status).to.equal(200);
      expect(await queued.json()).to.include({ id: String(submitted._id), kind: 'test-lines', status: 'queued', done: 0, total: 6 });
      const early = await client.get(`${path}/result`);
      expect(early.status).to.equal(409);
      expect(early.headers.get('content-type')).to.match(/^application\/problem\+json/);

      expect((await otherClient.get(path)).status).to.equal(404);
      expect((await otherClient.get(`${path}/result`)).status).to.equal(404);
      expect((await fetch(server.url + path)).status).to.equal(401);
      expect((await client.get('/api/v1/jobs/not-an-id')).status).to.equal(404);

      workers.push(await startWorker({ logger, settings: FAST }));
      await ended(submitted._id);
      const done = (await (await adminClient.get(path)).json()) as { status: string; done: number; total: number; result: { href: string; length: number } };
      expect(done).to.deep.include({ status: 'done', done: 6, total: 6 });
      expect(done.result.href).to.equal(`${path}/result`);
      const result = await client.get(done.result.href);
      expect(result.status).to.equal(200);
      expect(result.headers.get('content-type')).to.match(/^text\/plain/);
      expect(result.headers.get('content-disposition')).to.equal('attachment; filename=lines.txt');
      expect(Number(result.headers.get('content-length'))).to.equal(done.result.length);
      expectAllUnits(await result.text(), { parts: 2, units: 3, delayMs: 0 });

      const list = (await (await client.get('/api/v1/jobs')).json()) as { jobs: { id: string }[] };
      expect(list.jobs.map((j) => j.id)).to.include(String(submitted._id));
      const othersList = (await (await otherClient.get('/api/v1/jobs')).json()) as { jobs: { id: string }[] };
      expect(othersList.jobs).to.deep.equal([]);
    });

    it('cancel: a running job stops on every worker within seconds, keeps no files and never finishes; a queued one never starts', async () => {
      const client = new Client(server.url);
      await client.apiLogin(owner.email, owner.password);
      const other = await principal();
      const otherClient = new Client(server.url);
      await otherClient.apiLogin(other.email, other.password);

      // Queued, no worker yet: cancelled before anything runs.
      const queued = await submitJob('test-lines', { parts: 2, units: 2, delayMs: 5 }, owner);
      expect((await otherClient.request('POST', `/api/v1/jobs/${queued._id}/cancel`)).status).to.equal(404);
      const cancelledQueued = await client.request('POST', `/api/v1/jobs/${queued._id}/cancel`);
      expect(cancelledQueued.status).to.equal(200);
      expect(await cancelledQueued.json()).to.include({ status: 'cancelled', errorCode: 'cancelled' });

      // Running on two workers (one in another process), with part files already stored.
      const child = await childWorker({ MGA_JOB_LEASE_MS: '2000', MGA_JOB_POLL_MS: '200' });
      children.push(child.child);
      workers.push(await startWorker({ logger, settings: FAST }));
      const running = await submitJob('test-lines', { parts: 8, units: 10, delayMs: 100 }, owner);
      await waitFor('a finished part and parts running on both workers', async () => {
        const found = (await job(running._id))!;
        const busy = new Set(found.parts.filter((p) => p.state === 'running').map((p) => p.worker));
        return found.parts.some((p) => p.state === 'done') && busy.size === 2;
      });
      const res = await client.request('POST', `/api/v1/jobs/${running._id}/cancel`);
      expect(res.status).to.equal(200);
      const view = (await res.json()) as { status: string; done: number; total: number };
      expect(view).to.include({ status: 'cancelled', total: 80 });
      expect(view.done).to.be.above(0).and.below(80);
      const cancelledAt = Date.now();

      // The workers notice at their next renewal: no part makes progress any more.
      await sleep(3000);
      const settled = (await job(running._id))!;
      await sleep(1500);
      const later = (await job(running._id))!;
      expect(later.status).to.equal('cancelled');
      expect(later.parts.map((p) => [p.state, p.done])).to.deep.equal(settled.parts.map((p) => [p.state, p.done]));
      expect(later.result).to.equal(undefined);
      expect(later.finish?.state).to.equal('pending');
      await cleanedUp();
      console.log(`      cancel: workers stopped and files deleted within ${((Date.now() - cancelledAt) / 1000).toFixed(1)} s`);

      const again = await client.request('POST', `/api/v1/jobs/${running._id}/cancel`);
      expect(again.status).to.equal(409);
      expect(again.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect((await client.get(`/api/v1/jobs/${running._id}/result`)).status).to.equal(409);
      expect((await fetch(`${server.url}/api/v1/jobs/${running._id}/cancel`, { method: 'POST' })).status).to.equal(401);

      // The queued job never ran on the workers that were up all along.
      const never = (await job(queued._id))!;
      expect(never.status).to.equal('cancelled');
      expect(never.parts.map((p) => p.attempts)).to.deep.equal([0, 0]);
    });

    it('admin page: a progress bar per job, without JavaScript', async () => {
      const admin = await principal('admin');
      const client = new Client(server.url);
      await client.apiLogin(admin.email, admin.password);
      const html = await client.page('/admin/trabajos');
      expect(html).to.include('<h1>Trabajos en segundo plano</h1>');
      expect(html).to.match(/<progress max="6" value="6"[^>]*>100 %<\/progress>/);
      expect(html).to.include('Terminado');
      expect(html).to.include('Falló');
      expect(html).to.include('Cancelado');

      // A running job has a cancel button, in the page and in the fragment the script swaps in.
      const open = await submitJob('test-lines', { parts: 1, units: 1, delayMs: 5 }, admin);
      const withOpen = await client.page('/admin/trabajos');
      expect(withOpen).to.include(`action="/admin/trabajos/${open._id}/cancelar"`);
      const openFragment = await (await client.get('/admin/trabajos?parcial=1', { accept: 'text/html' })).text();
      expect(openFragment).to.match(new RegExp(`action="/admin/trabajos/${open._id}/cancelar"[^>]*>\\s*<input type="hidden" name="_csrf" value="[^"]+"`));
      const cancelled = await client.request('POST', `/admin/trabajos/${open._id}/cancelar`, { form: {} });
      expect(cancelled.status).to.equal(303);
      expect((await job(open._id))!.status).to.equal('cancelled');
      const after = await client.page('/admin/trabajos');
      expect(after).to.include('Se canceló el trabajo');
      expect(after).not.to.include(`action="/admin/trabajos/${open._id}/cancelar"`);
      const fragment = await (await client.get('/admin/trabajos?parcial=1', { accept: 'text/html' })).text();
      expect(fragment.trim()).to.match(/^<div id="trabajos"/);
      const evaluator = new Client(server.url);
      await evaluator.apiLogin(owner.email, owner.password);
      expect((await evaluator.get('/admin/trabajos', { accept: 'text/html' })).status).to.equal(403);
    });
  });
});
