/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The service must then
 * stop accepting, answer every request in flight, and only then shut its embedded mongod down with
 * the `shutdown` command: mongod runs in its own process group, so the signal does not reach it.
 * Here the service runs in its own group (as under a terminal) and the group gets SIGINT in the
 * middle of a burst of writes (account creations: each hashes a password, so requests overlap).
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '../setup/client.js';
import { freePort, startService, stopService, type Service } from '../setup/service.js';

const ADMIN = { email: 'admin@sigint.example', password: 'sigint test password' };
const WORKERS = 6;

interface Outcome {
  email: string;
  sentAt: number;
  /** The TCP connection was established (the server's kernel accepted it). */
  connected: boolean;
  status?: number;
  error?: string;
  answeredAt?: number;
}

/** One POST on its own connection (no keep-alive), so every outcome is this request's own. */
function createAccount(baseUrl: string, cookie: string, csrf: string, email: string): Promise<Outcome> {
  const body = JSON.stringify({ email, name: 'Cuenta de ráfaga', role: 'viewer', password: 'a long enough password', editions: [] });
  const outcome: Outcome = { email, sentAt: Date.now(), connected: false };
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/api/v1/users`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), cookie, 'x-csrf-token': csrf, connection: 'close' },
    });
    req.on('socket', (socket) => socket.once('connect', () => (outcome.connected = true)));
    req.on('response', (res) => {
      outcome.status = res.statusCode;
      outcome.answeredAt = Date.now();
      res.resume();
      res.on('end', () => resolve(outcome));
      res.on('error', () => resolve(outcome));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      outcome.error = error.code ?? error.message;
      resolve(outcome);
    });
    req.end(body);
  });
}

describe('Ctrl-C: SIGINT to the process group during a burst of saves (real process, embedded MongoDB)', function () {
  this.timeout(240_000);
  let dataDir: string;
  let env: Record<string, string>;
  let service: Service | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mga-sigint-'));
    env = {
      MGA_DATA_DIR: dataDir,
      MGA_EMBEDDED_MONGO_PORT: String(await freePort()),
      MONGOMS_SYSTEM_BINARY: process.env.MGA_TEST_MONGOD_BINARY ?? '',
      MONGOMS_SYSTEM_BINARY_VERSION_CHECK: 'false',
      MGA_ADMIN_EMAIL: ADMIN.email,
      MGA_ADMIN_PASSWORD: ADMIN.password,
    };
  });
  after(async () => {
    await stopService(service);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every request in flight, keeps every acknowledged save, and closes mongod cleanly', async () => {
    const first = await startService(env, { ownGroup: true });
    const admin = new Client(first.url);
    await admin.apiLogin(ADMIN.email, ADMIN.password);
    const cookie = admin.cookieHeader();
    const csrf = admin.csrfToken!;

    const outcomes: Outcome[] = [];
    let seq = 0;
    let stopped = false;
    let signalledAt = Infinity;
    const worker = async () => {
      while (!stopped) {
        const outcome = await createAccount(first.url, cookie, csrf, `rafaga${++seq}@sigint.example`);
        outcomes.push(outcome);
        // Refused: the server no longer accepts; this worker is done.
        if (outcome.error === 'ECONNREFUSED') return;
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);
    // Let the burst run until several saves were acknowledged, then Ctrl-C.
    while (outcomes.filter((o) => o.status === 201).length < 10) await new Promise((resolve) => setTimeout(resolve, 50));
    signalledAt = Date.now();
    process.kill(-first.child.pid!, 'SIGINT');
    const code = await first.exit;
    stopped = true;
    await Promise.all(workers);

    const log = first.output();
    expect(code, log.slice(-3000)).to.equal(0);
    expect(log).to.include('every request in flight was answered');
    expect(log).to.include('shutdown complete: database closed cleanly');
    expect((await readFile(path.join(dataDir, 'mongodb', 'mongod.lock'), 'utf8')).trim(), 'mongod.lock emptied by a clean shutdown').to.equal('');
    const inFlight = Number(/"inFlight":(\d+)[^\n]*shutting down/.exec(log)?.[1] ?? NaN);

    const acked = outcomes.filter((o) => o.status === 201);
    const answeredAfterSignal = outcomes.filter((o) => o.sentAt < signalledAt && (o.answeredAt ?? 0) >= signalledAt);
    const unanswered = outcomes.filter((o) => o.connected && o.status === undefined);
    const failed = outcomes.filter((o) => o.status !== undefined && o.status !== 201);
    console.log(
      `      burst: ${outcomes.length} requests, ${acked.length} acknowledged, ${inFlight} in flight at SIGINT, ` +
        `${answeredAfterSignal.length} answered after it, ${unanswered.length} accepted by the kernel but never read by node, ` +
        `${outcomes.filter((o) => o.error === 'ECONNREFUSED').length} refused`,
    );
    // mongod kept running through the drain: nothing in flight failed for want of a database.
    expect(failed.map((o) => o.status), 'answers other than 201').to.deep.equal([]);

    service = await startService(env);
    const again = new Client(service.url);
    await again.apiLogin(ADMIN.email, ADMIN.password);
    // The accounts list is paged: read every page.
    const users: { email: string }[] = [];
    for (let offset = 0, total = 1; offset < total; offset += 500) {
      const page = (await (await again.get(`/api/v1/users?limit=500&offset=${offset}`)).json()) as { total: number; items: { email: string }[] };
      users.push(...page.items);
      total = page.total;
    }
    const stored = new Set(users.map((u) => u.email));
    // Every acknowledged save survived the restart.
    expect(acked.filter((o) => !stored.has(o.email)).map((o) => o.email), 'acknowledged but lost').to.deep.equal([]);
    // Every save that reached the service was answered: nothing is stored whose request got no answer.
    const storedWithoutAnswer = outcomes.filter((o) => o.status === undefined && stored.has(o.email));
    expect(storedWithoutAnswer.map((o) => `${o.email} (${o.error})`), 'stored but never answered').to.deep.equal([]);
    expect(inFlight, 'requests were in flight when the signal came').to.be.greaterThan(0);
  });

  it('after a PDF was printed (Chromium running), Ctrl-C still drains, stores the PDF in the cache, and closes mongod cleanly', async () => {
    await stopService(service);
    service = undefined;
    const started = await startService(env, { ownGroup: true });
    const pdf = await fetch(`${started.url}/api/v1/reports/national.pdf?edition=mga-2017`);
    expect(pdf.status).to.equal(200);
    expect(pdf.headers.get('x-cache')).to.equal('miss');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).to.equal('%PDF-');
    // At once, while the PDF just sent is still being stored in the cache.
    process.kill(-started.child.pid!, 'SIGINT');
    const code = await started.exit;
    const log = started.output();
    expect(code, log.slice(-3000)).to.equal(0);
    expect(log).to.include('every request in flight was answered');
    expect(log, 'the cache write finished before the database closed').to.not.include('could not store a PDF in the cache');
    expect(log).to.include('shutdown complete: database closed cleanly');
    expect((await readFile(path.join(dataDir, 'mongodb', 'mongod.lock'), 'utf8')).trim(), 'mongod.lock emptied by a clean shutdown').to.equal('');
    // The next start serves it from the cache.
    service = await startService(env);
    const again = await fetch(`${service.url}/api/v1/reports/national.pdf?edition=mga-2017`);
    expect(again.status).to.equal(200);
    expect(again.headers.get('x-cache')).to.equal('hit');
    await again.arrayBuffer();
  });
});
