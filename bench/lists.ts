/**
 * `npm run bench:lists`: lists at national scale. Builds synthetic editions of 2,043 and 100,000
 * institutions (answers in every state) in a throw-away embedded MongoDB, then times, through the
 * HTTP app as an admin, the review queue API (default order, a status filter, a name search, sorted
 * by score, the last page), the queue page, the admin edition page and the dashboard, and prints the
 * size of each answer: none should grow with the edition beyond its page of 50.
 *   --sizes 2043,100000   --runs 3   --json (last line: the figures as JSON)
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../server/db/embedded.js';
import { configureMongoose } from '../server/db/schema.js';
import { seedReferenceData } from '../server/db/connection.js';
import { createApp } from '../server/app.js';
import { createLogger } from '../server/logger.js';
import { createUser } from '../server/auth/users.js';
import { listen } from '../test/setup/http.js';
import { createLargeEdition } from '../test/server/lists/largeEdition.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '2043,100000' }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const sizes = values.sizes!.split(',').map(Number);
const runs = Number(values.runs);
const log = (msg: string) => console.error(msg);

const embedded = await startEmbeddedMongo({ log });
configureMongoose();
await mongoose.connect(embedded.uri, { dbName: 'bench_lists' });
await mongoose.connection.dropDatabase();
await seedReferenceData();
await mongoose.connection.syncIndexes();
const server = await listen(createApp({ logger: createLogger('silent'), session: { secret: randomBytes(16).toString('hex'), secureCookies: false } }));
const password = 'una contraseña de prueba larga';
await createUser({ email: 'bench@example.org', name: 'Bench', role: 'admin', password });
const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.org', password }) });
const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const figures: Record<string, { ms: number; bytes: number }> = {};

async function measure(label: string, path: string, accept = 'application/json') {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const res = await fetch(server.url + path, { headers: { cookie, accept } });
    const body = await res.arrayBuffer();
    times.push(performance.now() - start);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
    bytes = body.byteLength;
  }
  figures[label] = { ms: Math.round(median(times)), bytes };
  console.log(`${label.padEnd(44)} ${String(Math.round(median(times))).padStart(6)} ms  ${String(bytes).padStart(9)} bytes`);
}

for (const size of sizes) {
  const id = `bench-${size}`;
  const t = performance.now();
  await createLargeEdition(id, size, { deadline: new Date(Date.now() - 86_400_000) });
  log(`built ${size} institutions in ${Math.round(performance.now() - t)} ms`);
  const api = `/api/v1/editions/${id}/review`;
  await measure(`${size}: queue API, default order`, api);
  await measure(`${size}: queue API, status=submitted`, `${api}?status=submitted`);
  await measure(`${size}: queue API, q=obligado 0001`, `${api}?q=${encodeURIComponent('obligado 0001')}`);
  await measure(`${size}: queue API, sort=score`, `${api}?sort=score`);
  await measure(`${size}: queue API, overdue=true`, `${api}?overdue=true`);
  await measure(`${size}: queue API, last page`, `${api}?sort=name&offset=${Math.floor((size - 1) / 50) * 50}`);
  await measure(`${size}: queue page (HTML)`, `/evaluacion/${id}`, 'text/html');
  await measure(`${size}: admin edition page (HTML)`, `/admin/ediciones/${id}`, 'text/html');
  await measure(`${size}: sample API, invitation=none`, `/api/v1/editions/${id}/sample?invitation=none`);
}

await server.close();
await mongoose.disconnect();
await embedded.stop();
if (values.json) console.log(JSON.stringify(figures));
