/**
 * Background-save benchmark: `tsx bench/autosave.ts [--clients 20] [--saves 40] [--rounds 3]`.
 * In one run, on one embedded mongod, side by side: the service's background saves
 * (POST /responder/borrador, each respondent in its own session, CSRF token and revision, as the
 * page script sends them) and a bare Express app writing the same answers with the MongoDB driver
 * (one updateOne per save). Rounds alternate (bare, service, bare, …) so both see the same machine.
 * Prints saves/s, p50 and p95 of each, their ratio, checks that every save was stored (nothing
 * lost), and a profile of where a service save spends its time: the database commands it sends
 * (count and time each) and the rest (middleware, validation, JSON). The profile comes from a further
 * round with command monitoring on; the timed rounds run without it, as production does.
 * Goal: service p95 at most 2 × the bare floor, nothing lost.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import express from 'express';
import mongoose from 'mongoose';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedMongo } from '../server/db/embedded.js';
import { configureMongoose } from '../server/db/schema.js';
import { seedReferenceData } from '../server/db/connection.js';
import { createApp } from '../server/app.js';
import { createEdition } from '../server/services/editions.js';
import { importEditionSample } from '../server/services/results.js';
import { issueInvitations } from '../server/services/invitations.js';
import { changeStatus } from '../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../server/services/audit.js';
import { ResponseModel } from '../server/models/response.js';

const GOAL_RATIO = 2;

const { values: flags } = parseArgs({
  options: { clients: { type: 'string', default: '20' }, saves: { type: 'string', default: '40' }, rounds: { type: 'string', default: '3' } },
  strict: true,
});
const CLIENTS = Number(flags.clients);
const SAVES = Number(flags.saves);
const ROUNDS = Number(flags.rounds);
const EDITION = 'banco-autoguardado';

/** The form a page script sends: a few answers, one of them changing with every save. */
function form(save: number): Record<string, string> {
  return { aiUnit: 'yes', 'aiUnit:evidence': 'https://municipio.example/acta.pdf', aiHead: 'yes', aiStaffCount: String(save + 1), aiStaffing: 'one_full_time', aiChannels: 'email', generalComments: `Borrador número ${save + 1}` };
}

function encode(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// ── profile: database commands of each service request, by request ──
interface RequestProfile {
  start: number;
  commands: { name: string; start: number; end?: number }[];
}
const requestContext = new AsyncLocalStorage<RequestProfile>();
const pending = new Map<number, { profile: RequestProfile; entry: RequestProfile['commands'][number] }>();
const profiles: { total: number; commands: { name: string; ms: number; start: number; end: number }[] }[] = [];

function commandName(event: { commandName: string; command?: Record<string, unknown> }): string {
  const collection = event.command?.[event.commandName];
  return typeof collection === 'string' ? `${event.commandName} ${collection}` : event.commandName;
}

interface Respondent {
  cookie: string;
  csrf: string;
  revision: number;
  institution: string;
}

async function openRespondent(base: string, token: string, institution: string): Promise<Respondent> {
  const opened = await fetch(`${base}/responder/${token}`, { redirect: 'manual' });
  const cookie = opened.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  // The section index has no form; the whole questionnaire on one page carries the token and the revision.
  const page = await (await fetch(`${base}/responder/todas`, { headers: { cookie, accept: 'text/html' } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const revision = Number(/name="baseRevision" value="(\d+)"/.exec(page)![1]);
  return { cookie, csrf, revision, institution };
}

async function round(kind: 'service' | 'bare', url: string, respondents: Respondent[], offset: number): Promise<{ latencies: number[]; seconds: number; failures: number; cpuMs: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    respondents.map(async (r) => {
      for (let i = 0; i < SAVES; i++) {
        const fields = form(offset + i);
        const t0 = performance.now();
        const res =
          kind === 'service'
            ? await fetch(`${url}/responder/borrador`, {
                method: 'POST',
                headers: { cookie: r.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-csrf-token': r.csrf },
                body: encode({ ...fields, baseRevision: String(r.revision) }),
              })
            : await fetch(`${url}/save/${r.institution}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encode(fields) });
        const body = (await res.json()) as { revision?: number };
        latencies.push(performance.now() - t0);
        if (res.status !== 200) failures++;
        else if (kind === 'service') r.revision = body.revision!;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { latencies, seconds: (performance.now() - started) / 1000, failures, cpuMs: (used.user + used.system) / 1000 };
}

async function main() {
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  const embedded = await startEmbeddedMongo({ log });
  configureMongoose();
  // The timed rounds run without command monitoring (it re-reads every reply and would burden the
  // service's saves only); the profile runs afterwards, in a round of its own.
  await mongoose.connect(embedded.uri, { dbName: 'bench_autosave' });
  await mongoose.connection.dropDatabase();
  await seedReferenceData();
  // The pilot edition: CLIENTS institutions, their links, capture open.
  const sample = ['name,entity,level,type', ...Array.from({ length: CLIENTS }, (_, i) => `Municipio de banco ${i + 1},Jalisco,municipal,Municipio`)].join('\n');
  await createEdition({ editionId: EDITION, year: 2026, title: 'Banco de autoguardado', methodology: 'mga-2017', instruments: ['mga-2017-gobierno'] }, SYSTEM_ACTOR);
  await importEditionSample(EDITION, Buffer.from(sample), { format: 'csv' });
  const issued = await issueInvitations(EDITION, { baseUrl: 'http://localhost', expiresInDays: 1, actor: SYSTEM_ACTOR });
  await changeStatus(EDITION, 'collecting', { actor: SYSTEM_ACTOR });

  // The service, logging at info level as in production (to /dev/null).
  const logger = pino({ level: 'info', base: { service: 'mga' } }, pino.destination('/dev/null'));
  const secret = randomBytes(16).toString('hex');
  const startService = (profiled: boolean) => {
    const app = createApp({ logger, session: { secret, secureCookies: false } });
    return listen((req, res) => {
      if (!profiled || req.url !== '/responder/borrador') return app(req, res);
      const profile: RequestProfile = { start: performance.now(), commands: [] };
      res.on('finish', () => {
        const end = performance.now();
        profiles.push({ total: end - profile.start, commands: profile.commands.filter((c) => c.end !== undefined).map((c) => ({ name: c.name, ms: c.end! - c.start, start: c.start, end: c.end! })) });
      });
      return requestContext.run(profile, () => app(req, res));
    });
  };
  const service = await startService(false);

  // The bare floor: Express, the same form parsing, one updateOne with the MongoDB driver.
  const bareClient = await MongoClient.connect(embedded.uri);
  const bareCollection = bareClient.db('bench_autosave_bare').collection('responses');
  await bareCollection.createIndex({ edition: 1, institution: 1, questionnaire: 1 }, { unique: true });
  const bareApp = express();
  bareApp.use(express.urlencoded({ extended: false }));
  bareApp.post('/save/:institution', async (req, res) => {
    await bareCollection.updateOne({ edition: EDITION, institution: req.params.institution, questionnaire: 'mga-2017-gobierno' }, { $set: { answers: req.body, updatedAt: new Date() } }, { upsert: true });
    res.json({ ok: true });
  });
  const bare = await listen(bareApp);

  const respondents = await Promise.all(issued.map((i) => openRespondent(service.url, i.link.split('/').pop()!, i.institutionId)));
  // Warm both (connections, JIT, caches).
  await round('service', service.url, respondents.slice(0, 2), 10_000);
  await round('bare', bare.url, respondents.slice(0, 2), 10_000);

  const totals = { service: { latencies: [] as number[], seconds: 0, saves: 0, failures: 0, cpuMs: 0 }, bare: { latencies: [] as number[], seconds: 0, saves: 0, failures: 0, cpuMs: 0 } };
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ['bare', 'service'] as const) {
      const result = await round(kind, kind === 'service' ? service.url : bare.url, respondents, r * SAVES);
      totals[kind].latencies.push(...result.latencies);
      totals[kind].seconds += result.seconds;
      totals[kind].saves += result.latencies.length;
      totals[kind].failures += result.failures;
      totals[kind].cpuMs += result.cpuMs;
    }
  }

  // Nothing lost: every respondent's last answers are stored, and every save was acknowledged.
  const last = form(ROUNDS * SAVES - 1);
  const stored = await ResponseModel.find({ edition: EDITION }).lean();
  const lostService = respondents.filter((r) => {
    const doc = stored.find((d) => String(d.institution) === r.institution);
    return !doc || (doc.answers as Record<string, unknown>).aiStaffCount !== Number(last.aiStaffCount) || doc.revision !== r.revision;
  }).length;
  const bareDocs = await bareCollection.find({}).toArray();
  const lostBare = respondents.filter((r) => bareDocs.find((d) => d.institution === r.institution)?.answers?.aiStaffCount !== last.aiStaffCount).length;

  console.log(`Background saves: ${CLIENTS} respondents at once, ${SAVES} saves each per round, ${ROUNDS} rounds of each, one mongod (${process.platform} ${process.arch}, Node ${process.version})`);
  // CPU: this process's (clients and server together) per save; mongod runs apart.
  console.log('                 saves   saves/s   p50(ms)   p95(ms)   max(ms)  failed  lost respondents  CPU ms/save');
  const line = (name: string, t: (typeof totals)['service'], lost: number) => {
    const sorted = [...t.latencies].sort((a, b) => a - b);
    console.log(`${name.padEnd(16)} ${String(t.saves).padStart(5)} ${(t.saves / t.seconds).toFixed(0).padStart(9)} ${percentile(sorted, 50).toFixed(1).padStart(9)} ${percentile(sorted, 95).toFixed(1).padStart(9)} ${sorted.at(-1)!.toFixed(1).padStart(9)} ${String(t.failures).padStart(7)} ${String(lost).padStart(17)} ${(t.cpuMs / t.saves).toFixed(2).padStart(12)}`);
    return percentile(sorted, 95);
  };
  const p95Bare = line('bare Express', totals.bare, lostBare);
  const p95Service = line('service', totals.service, lostService);
  const ratio = p95Service / p95Bare;
  console.log(`p95 service / bare: ${ratio.toFixed(2)} (goal ≤ ${GOAL_RATIO}) ${ratio <= GOAL_RATIO && lostService === 0 && totals.service.failures === 0 ? 'OK' : 'MISSED'}`);

  // Profile of a service save: one more round of service saves, on a connection that monitors its
  // commands (sessions and answers stay in the database, so the respondents' cookies still work).
  service.server.closeAllConnections();
  await new Promise((resolve) => service.server.close(resolve));
  await mongoose.disconnect();
  await mongoose.connect(embedded.uri, { dbName: 'bench_autosave', monitorCommands: true });
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (event) => {
    const profile = requestContext.getStore();
    if (!profile) return;
    const entry = { name: commandName(event as never), start: performance.now() };
    profile.commands.push(entry);
    pending.set(event.requestId, { profile, entry });
  });
  const ended = (event: { requestId: number }) => {
    const found = pending.get(event.requestId);
    if (!found) return;
    pending.delete(event.requestId);
    found.entry.end = performance.now();
  };
  client.on('commandSucceeded', ended);
  client.on('commandFailed', ended);

  const profiled = await startService(true);
  await round('service', profiled.url, respondents, ROUNDS * SAVES);
  const n = profiles.length;
  const byName = new Map<string, { count: number; ms: number }>();
  let dbWall = 0;
  for (const p of profiles) {
    for (const c of p.commands) {
      const entry = byName.get(c.name) ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += c.ms;
      byName.set(c.name, entry);
    }
    // Time with at least one command in flight (parallel reads overlap).
    const spans = p.commands.map((c) => [c.start, c.end] as const).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let until = -Infinity;
    for (const [s, e] of spans) {
      if (e <= until) continue;
      covered += e - Math.max(s, until);
      until = e;
    }
    dbWall += covered;
  }
  const meanTotal = profiles.reduce((sum, p) => sum + p.total, 0) / n;
  console.log(`\nWhere a service save spends its time (a further round with command monitoring on; mean over ${n} saves, ${meanTotal.toFixed(1)} ms from request to answer):`);
  console.log('  database command                       per save   mean ms   share of a save');
  for (const [name, { count, ms }] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${name.padEnd(38)} ${(count / n).toFixed(2).padStart(8)} ${(ms / count).toFixed(1).padStart(9)} ${`${Math.round((100 * ms) / n / meanTotal)} %`.padStart(17)}`);
  }
  console.log(`  waiting for the database (union)       ${''.padStart(8)} ${(dbWall / n).toFixed(1).padStart(9)} ${`${Math.round((100 * dbWall) / n / meanTotal)} %`.padStart(17)}`);
  console.log(`  everything else (parsing, middleware, validation, JSON, queueing)  ${((meanTotal * n - dbWall) / n).toFixed(1)} ms`);

  await bareClient.close();
  for (const s of [profiled.server, bare.server]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await mongoose.disconnect();
  await embedded.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
