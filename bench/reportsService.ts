/**
 * The service under PDF load, measured over HTTP against a real `server/main.ts` (embedded MongoDB,
 * the 2017 edition loaded on first start, one in-process job worker), started here on free ports in a
 * temporary data folder:
 *
 * 1. respondents' saves (PUT /api/v1/respondent/answers, 4 respondents at once): p50/p95 alone, then
 *    while 40 anonymous clients download 40 different PDFs (32 institution cards, 8 entity reports;
 *    each client honours 503 Retry-After and tries again);
 * 2. the same 40 PDFs again, now from the cache, and as conditional requests (304);
 * 3. the 908-card job of mga-2017 through the job API (POST, poll, download the zip, count its
 *    entries), with respondents' saves measured while it runs; with `workers`, that many
 *    `npm run worker` processes share it with the in-process worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import yauzl from 'yauzl';
import { treeCpuSeconds } from './cpu.js';

const ADMIN = { email: 'bench-admin@example.org', password: 'bench password 12345' };
const PILOT_CSV = ['name,entity,level,type', ...['Zapopan', 'Tonalá', 'Tlaquepaque', 'Tlajomulco'].map((m) => `Municipio de ${m},Jalisco,municipal,Municipio`)].join('\n');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

class Session {
  private cookie = '';
  csrf = '';
  constructor(readonly base: string, readonly bearer?: string) {}
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...headers,
        ...(this.cookie && { cookie: this.cookie }),
        ...(this.bearer && { authorization: `Bearer ${this.bearer}` }),
        ...(this.csrf && method !== 'GET' && { 'x-csrf-token': this.csrf }),
        ...(body !== undefined && { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' }),
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    if (set.length) this.cookie = set.join('; ');
    return res;
  }
  async login(email: string, password: string): Promise<void> {
    const res = await this.request('POST', '/api/v1/auth/login', { email, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    this.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
  }
}

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

const percentile = (values: readonly number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const stats = (values: readonly number[]) => `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms (${values.length} saves)`;

/** Respondents saving drafts in a loop until `until` resolves (or `count` saves each); latencies in ms. */
async function saves(base: string, tokens: readonly string[], options: { count?: number; until?: Promise<unknown> }): Promise<number[]> {
  const latencies: number[] = [];
  let stop = false;
  void options.until?.then(() => (stop = true));
  await Promise.all(
    tokens.map(async (token, r) => {
      const respondent = new Session(base, token);
      for (let i = 0; !stop && (options.count === undefined || i < options.count); i++) {
        const started = performance.now();
        const res = await respondent.request('PUT', '/api/v1/respondent/answers', { answers: { aiUnit: 'yes', aiStaffCount: 1 + ((i + r) % 50) } });
        const ms = performance.now() - started;
        if (res.status !== 200) throw new Error(`save: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        if (!stop) latencies.push(ms);
        await sleep(250); // a respondent's page saves in the background every few seconds; here 4 a second each
      }
    }),
  );
  return latencies;
}

interface Download {
  path: string;
  firstStatus: number;
  attempts: number;
  ms: number;
  bytes: number;
  cache?: string;
}

/** One anonymous client: GET until 200, waiting Retry-After after each 503. */
async function download(base: string, path: string, headers: Record<string, string> = {}): Promise<Download> {
  const started = performance.now();
  let attempts = 0;
  let firstStatus = 0;
  for (;;) {
    attempts++;
    const res = await fetch(base + path, { headers });
    if (!firstStatus) firstStatus = res.status;
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 503) {
      await sleep(1000 * Number(res.headers.get('retry-after') ?? '1'));
      continue;
    }
    if (res.status !== 200 && res.status !== 304) throw new Error(`${path}: HTTP ${res.status} ${body.toString().slice(0, 200)}`);
    return { path, firstStatus, attempts, ms: performance.now() - started, bytes: body.length, cache: res.headers.get('x-cache') ?? undefined };
  }
}

function zipEntries(bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: false }, (error, zip) => {
      if (error || !zip) return reject(error);
      let n = 0;
      zip.on('entry', () => n++);
      zip.on('end', () => resolve(n));
      zip.on('error', reject);
    });
  });
}

export async function runServiceBench(log: (line: string) => void, options: { job?: boolean; jobSaves?: boolean; workers?: number; env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mga-bench-service-'));
  const [port, mongoPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const settings = Object.entries({ ...options.env }).map(([k, v]) => `${k}=${v}`).join(' ') || 'default settings';
  log(`service: starting server/main.ts on port ${port} (embedded MongoDB on ${mongoPort}, ${settings}); load average ${loadavg()[0]!.toFixed(1)}`);
  const env = { ...process.env, ...options.env, PORT: String(port), MGA_EMBEDDED_MONGO_PORT: String(mongoPort), MGA_DATA_DIR: dataDir, MGA_ADMIN_EMAIL: ADMIN.email, MGA_ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', SESSION_SECRET: 'bench-secret-bench-secret-bench-secret' };
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'server/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  /** `npm run worker` processes on the service's embedded database, started just before the job. */
  const workers: ChildProcess[] = [];
  try {
    const startedAt = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
      const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(500);
    }
    log(`service: ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

    // ── a pilot edition with invited respondents ──
    const admin = new Session(base);
    await admin.login(ADMIN.email, ADMIN.password);
    await expectStatus(await admin.request('POST', '/api/v1/editions', { editionId: 'bench-piloto', year: 2026, title: 'Piloto de medición', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }), 201, 'create the pilot edition');
    await expectStatus(await admin.request('POST', '/api/v1/editions/bench-piloto/sample', PILOT_CSV), 200, 'import the pilot sample');
    const issued = (await (await expectStatus(await admin.request('POST', '/api/v1/editions/bench-piloto/invitations', { expiresInDays: 30 }), 201, 'issue invitations')).json()) as { invitations: { link: string }[] };
    const tokens = issued.invitations.map((i) => i.link.split('/').pop()!);
    // Answers are taken only while the edition is collecting (the edition's state machine).
    await expectStatus(await admin.request('PATCH', '/api/v1/editions/bench-piloto', { status: 'collecting' }), 200, 'open the pilot edition for answers');

    // ── 40 different PDFs: 32 cards, 8 entity reports ──
    const found = (await (await fetch(`${base}/api/v1/editions/mga-2017/institutions?limit=1000`)).json()) as { institutions: { id: string; entity: string }[] };
    const step = Math.floor(found.institutions.length / 32);
    const entities = ['Jalisco', 'Oaxaca', 'Yucatán', 'Sonora', 'Puebla', 'Chiapas', 'Durango', 'Tabasco'];
    const paths = [
      ...Array.from({ length: 32 }, (_, i) => `/api/v1/reports/editions/mga-2017/institutions/${found.institutions[i * step]!.id}.pdf`),
      ...entities.map((e) => `/api/v1/reports/editions/mga-2017/entities/${encodeURIComponent(e)}.pdf`),
    ];

    // ── 1. saves alone, then saves under 40 PDF downloads ──
    await saves(base, tokens, { count: 5 }); // warm
    const alone = await saves(base, tokens, { count: 30 });
    log(`respondent saves, no other load:            ${stats(alone)}`);
    const burstStart = performance.now();
    const burst = Promise.all(paths.map((p) => download(base, p)));
    const loaded = await saves(base, tokens, { until: burst });
    const downloads = await burst;
    const burstMs = performance.now() - burstStart;
    log(`respondent saves, 40 PDF downloads running: ${stats(loaded)}`);
    const refused = downloads.filter((d) => d.firstStatus === 503).length;
    log(`  the 40 PDFs: ${40 - refused} served on the first try, ${refused} told 503 + Retry-After first (${downloads.reduce((s, d) => s + d.attempts, 0)} requests in all); each done in p50 ${percentile(downloads.map((d) => d.ms), 50).toFixed(0)} ms, p95 ${percentile(downloads.map((d) => d.ms), 95).toFixed(0)} ms; all in ${(burstMs / 1000).toFixed(1)} s`);

    // ── 2. the same PDFs from the cache, and conditional ──
    await sleep(1000); // the cache is written just after each response
    const cachedStart = performance.now();
    const cached = await Promise.all(paths.map((p) => download(base, p)));
    log(`  the same 40 PDFs again (cache): all in ${((performance.now() - cachedStart) / 1000).toFixed(2)} s, p95 ${percentile(cached.map((d) => d.ms), 95).toFixed(0)} ms, ${cached.filter((d) => d.cache === 'hit').length}/40 cache hits`);
    const etags = await Promise.all(paths.map(async (p) => (await fetch(base + p, { method: 'HEAD' })).headers.get('etag') ?? ''));
    const conditional = await Promise.all(paths.map(async (p, i) => (await fetch(base + p, { headers: { 'if-none-match': etags[i]!, 'cache-control': 'max-age=0' } })).status));
    log(`  conditional requests with the ETag: ${conditional.filter((s) => s === 304).length}/40 answered 304 Not Modified`);

    // ── 3. the 908-card job through the API ──
    if (options.job === false) return;
    for (let i = 0; i < (options.workers ?? 0); i++) workers.push(spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    if (workers.length > 0) await sleep(5000); // connected and polling (a worker logs nothing at LOG_LEVEL=warn)
    const jobStart = performance.now();
    const jobCpu = treeCpuSeconds(child.pid!);
    const submitted = await expectStatus(await admin.request('POST', '/api/v1/editions/mga-2017/reports/cards'), 202, 'start the cards job');
    const { id } = (await submitted.json()) as { id: string };
    let done: { status: string; done: number; total: number; error?: string; result?: { href: string; length: number } } | undefined;
    const finished = (async () => {
      for (;;) {
        const state = (await (await admin.request('GET', `/api/v1/jobs/${id}`)).json()) as NonNullable<typeof done>;
        if (['done', 'failed', 'cancelled'].includes(state.status)) return (done = state);
        await sleep(1000);
      }
    })();
    const duringJob = options.jobSaves === false ? [] : await saves(base, tokens, { until: finished });
    await finished;
    const jobMs = performance.now() - jobStart;
    const jobCpuSeconds = treeCpuSeconds(child.pid!) - jobCpu;
    if (done!.status !== 'done') throw new Error(`the cards job failed: ${done!.error}`);
    const zip = Buffer.from(await (await expectStatus(await admin.request('GET', done!.result!.href), 200, 'download the zip')).arrayBuffer());
    const entries = await zipEntries(zip);
    const who = workers.length ? `the in-process worker and ${workers.length} \`npm run worker\` process${workers.length > 1 ? 'es' : ''}` : 'in-process worker';
    log(`cards job (mga-2017, through the job API, ${who}): ${done!.total} cards in ${(jobMs / 1000).toFixed(1)} s (goal ≤ 90 s: ${jobMs <= 90_000 ? 'OK' : 'OVER'}); zip ${(zip.length / 2 ** 20).toFixed(1)} MB with ${entries} PDFs`);
    log(`  the job's CPU time in the service (node, its browser, its mongod${duringJob.length ? '; the saves included' : ''}): ${jobCpuSeconds.toFixed(0)} s, so at best ${(jobCpuSeconds / 2).toFixed(0)} s of wall time on an idle 2-core machine; load average now ${loadavg()[0]!.toFixed(1)}`);
    log(duringJob.length ? `respondent saves while the job runs:        ${stats(duringJob)}` : 'respondent saves while the job runs: none (--no-job-saves)');
  } finally {
    for (const worker of workers) worker.kill('SIGINT');
    await Promise.all(workers.map((w) => (w.exitCode === null ? Promise.race([once(w, 'exit'), sleep(15_000)]) : undefined)));
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    child.kill('SIGINT');
    await Promise.race([once(child, 'exit'), sleep(30_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    log(`service: stopped; load average ${loadavg()[0]!.toFixed(1)}`);
  }
}
