/**
 * The database goes away under a running service and comes back: every database-backed route
 * answers 503 problem+json with Retry-After (a Spanish page for browsers) within 3 s, never a 500 nor
 * a hang, and the service recovers by itself. The mongod is this test's own (not the shared test
 * server), stopped and started again on the same port and data folder.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded.js';
import { databaseUnavailable, toProblem } from '../../server/http/problem.js';
import { Client } from '../setup/client.js';
import { freePort, startService, stopService, type Service } from '../setup/service.js';

const ADMIN = { email: 'admin@outage.example', password: 'outage test password' };

interface Probe {
  name: string;
  method: string;
  path: string;
  page?: boolean;
  json?: unknown;
  client: 'anonymous' | 'admin' | 'respondent';
  /** Status while the database is up (default 200). */
  healthy?: number;
}

const PROBES: Probe[] = [
  { name: 'public API', method: 'GET', path: '/api/v1/editions/mga-2017/results?by=entity', client: 'anonymous' },
  { name: 'results page', method: 'GET', path: '/resultados/mga-2017', page: true, client: 'anonymous' },
  { name: 'signed-in API (session lookup)', method: 'GET', path: '/api/v1/users', client: 'admin' },
  { name: 'signed-in page', method: 'GET', path: '/admin', page: true, client: 'admin' },
  { name: 'write', method: 'POST', path: '/api/v1/users', json: { email: 'nuevo@outage.example', name: 'Nuevo', role: 'viewer', password: 'a long enough password' }, client: 'admin' },
  { name: 'respondent API (token lookup)', method: 'GET', path: '/api/v1/respondent/questionnaire', client: 'respondent', healthy: 401 },
  { name: 'sign-in', method: 'POST', path: '/api/v1/auth/login', json: ADMIN, client: 'anonymous' },
];

describe('database outage: fail fast with 503, recover by itself (real process, own mongod)', function () {
  this.timeout(300_000);
  let dbPath: string;
  let port: number;
  let mongod: EmbeddedMongo | undefined;
  let service: Service | undefined;

  before(async () => {
    dbPath = await mkdtemp(path.join(tmpdir(), 'mga-outage-'));
    port = await freePort();
    mongod = await startEmbeddedMongo({ dbPath, port, log: () => {} });
    const uri = new URL(mongod.uri);
    uri.pathname = '/mga_outage';
    service = await startService({ MONGODB_URI: uri.toString(), MGA_ADMIN_EMAIL: ADMIN.email, MGA_ADMIN_PASSWORD: ADMIN.password, MGA_DATA_DIR: dbPath });
  });
  after(async () => {
    await stopService(service);
    await mongod?.stop();
    await rm(dbPath, { recursive: true, force: true });
  });

  async function probe(clients: Record<Probe['client'], Client>, p: Probe): Promise<{ status: number; ms: number; type: string; retryAfter: string | null; body: string }> {
    const started = performance.now();
    const res = await clients[p.client].request(p.method, p.path, { json: p.json, headers: p.page ? { accept: 'text/html' } : { accept: 'application/json' } });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body };
  }

  it('answers 503 within 3 s on every kind of route while mongod is down, then recovers without a restart', async () => {
    const admin = new Client(service!.url);
    await admin.apiLogin(ADMIN.email, ADMIN.password);
    const respondent = new Client(service!.url);
    respondent.bearer = 'inv_no-such-invitation-token-of-the-right-length-000';
    const clients = { anonymous: new Client(service!.url), admin, respondent };
    for (const p of PROBES.filter((p) => p.method === 'GET')) {
      expect((await probe(clients, p)).status, p.name).to.equal(p.healthy ?? 200);
    }

    await mongod!.stop();
    const timings: string[] = [];
    for (const p of PROBES) {
      const r = await probe(clients, p);
      timings.push(`${p.name} ${r.ms.toFixed(0)} ms`);
      expect(r.status, `${p.name}: ${r.body.slice(0, 300)}`).to.equal(503);
      expect(r.ms, p.name).to.be.below(3000);
      expect(r.retryAfter, p.name).to.match(/^\d+$/);
      if (p.page) {
        expect(r.type, p.name).to.match(/^text\/html/);
        expect(r.body, p.name).to.include('El servicio no está disponible por un momento');
        expect(r.body, p.name).to.include('La base de datos no responde');
      } else {
        expect(r.type, p.name).to.match(/^application\/problem\+json/);
        const problem = JSON.parse(r.body) as { status: number; code: string; detail: string };
        expect(problem.status).to.equal(503);
        expect(problem.code, p.name).to.equal('database-unavailable');
        if (p.method === 'POST') expect(problem.detail, p.name).to.include('not stored');
      }
    }
    const health = await fetch(`${service!.url}/healthz`);
    expect(health.status).to.equal(503);
    console.log(`      503 latency with mongod down: ${timings.join('; ')}`);
    expect(service!.child.exitCode).to.equal(null);

    // The same port and data folder: the driver finds it again by itself.
    mongod = await startEmbeddedMongo({ dbPath, port, log: () => {} });
    const back = performance.now();
    let healthy = false;
    while (!healthy && performance.now() - back < 60_000) {
      healthy = (await fetch(`${service!.url}/healthz`)).status === 200;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(healthy, 'healthz back to 200 within 60 s').to.equal(true);
    console.log(`      recovered ${((performance.now() - back) / 1000).toFixed(1)} s after mongod was back`);
    for (const p of PROBES.filter((p) => p.method === 'GET')) {
      expect((await probe(clients, p)).status, `${p.name} after recovery`).to.equal(p.healthy ?? 200);
    }
    // The session made before the outage is still valid, and writes work again.
    const created = await probe(clients, PROBES.find((p) => p.name === 'write')!);
    expect(created.status, created.body).to.equal(201);
    expect(service!.output()).not.to.match(/"level":50[^\n]*unhandled error/);
  });

  it('maps the driver\'s errors: nothing sent vs. a write that may or may not have been stored', () => {
    const { mongo } = mongoose;
    const selection = new mongo.MongoServerSelectionError('Server selection timed out after 2000 ms', { type: 'Unknown', servers: new Map() } as never);
    expect(toProblem(selection, 'GET')).to.deep.include({ status: 503 });
    expect(toProblem(selection, 'POST')!.detail).to.match(/was not stored/);
    const network = new mongo.MongoNetworkError('connection 4 to 127.0.0.1:27017 closed');
    expect(toProblem(network, 'GET')!.extras.code).to.equal('database-unavailable');
    const unknown = toProblem(network, 'PUT')!;
    expect(unknown.extras.code).to.equal('write-outcome-unknown');
    expect(unknown.detail).to.match(/may or may not have been stored/);
    expect(unknown.extras.retryAfterSeconds).to.be.a('number');
    const noWrite = new mongo.MongoNetworkError('connection closed');
    noWrite.addErrorLabel('NoWritesPerformed');
    expect(toProblem(noWrite, 'PUT')!.extras.code).to.equal('database-unavailable');
    const stepDown = new mongo.MongoServerError({ message: 'not primary', code: 10107, codeName: 'NotWritablePrimary' });
    expect(toProblem(stepDown, 'GET')!.status).to.equal(503);
    const commit = new mongo.MongoServerError({ message: 'commit', code: 50, codeName: 'MaxTimeMSExpired' });
    commit.addErrorLabel('UnknownTransactionCommitResult');
    expect(toProblem(commit, 'POST')!.extras.code).to.equal('write-outcome-unknown');
    // Wrapped by a library: found through `cause`.
    expect(toProblem(new Error('session store failed', { cause: selection }), 'GET')!.status).to.equal(503);
    // Not a database problem: left to the 500 path.
    expect(toProblem(new Error('boom'), 'GET')).to.equal(undefined);
    expect(databaseUnavailable('GET', true).extras.code).to.equal('database-unavailable');
  });
});
