/**
 * HTTP hygiene: compression of text bodies only, long-lived caching of fingerprinted static files, a
 * favicon, invitation links that never take the request's Host header, and sign-in limits per account
 * and per address kept in MongoDB, with the same cost for an unknown account.
 */
import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import mongoose from 'mongoose';
import { compressible } from '../../server/app.js';
import { LOGIN_LIMITS_COLLECTION } from '../../server/auth/loginLimits.js';
import { publicBaseUrl } from '../../server/http/publicUrl.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { Client, loggedIn, makeUser } from '../setup/client.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { PILOT_SAMPLE_CSV } from '../setup/pilot.js';
import { createEdition } from '../../server/services/editions.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { importEditionSample } from '../../server/services/results.js';

/** An edition with its three institutions and no invitation link yet. */
async function sampledEdition(editionId: string): Promise<void> {
  await createEdition({ editionId, year: 2026, title: 'Piloto de ligas', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
  await importEditionSample(editionId, new TextEncoder().encode(PILOT_SAMPLE_CSV), { format: 'csv', fileName: 'muestra.csv' });
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, so that Host and Accept-Encoding are sent exactly as given. */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

describe('HTTP hygiene (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;

  before(async () => {
    await useTestDatabase('hygiene');
    await loadReferenceEditions(() => {});
    server = await startTestServer();
  });
  after(() => server?.close());

  describe('compression', () => {
    it('gzips HTML, JSON and problem+json; the Estatal level page shrinks several times', async () => {
      const url = `${server.url}/resultados/mga-2017/niveles/Estatal`;
      const plain = await raw(url, { headers: { accept: 'text/html', 'accept-encoding': 'identity' } });
      const gzipped = await raw(url, { headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate' } });
      const brotli = await raw(url, { headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' } });
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(gzipped.headers['content-encoding']).to.equal('gzip');
      expect(brotli.headers['content-encoding']).to.equal('br');
      expect(gzipped.headers.vary).to.match(/Accept-Encoding/i);
      expect(gunzipSync(gzipped.body).toString()).to.equal(plain.body.toString());
      expect(brotliDecompressSync(brotli.body).toString()).to.equal(plain.body.toString());
      const kB = (n: number) => `${(n / 1024).toFixed(0)} kB`;
      console.log(`      /resultados/mga-2017/niveles/Estatal: ${kB(plain.body.length)} plain, ${kB(gzipped.body.length)} gzip, ${kB(brotli.body.length)} brotli`);
      expect(gzipped.body.length).to.be.below(plain.body.length / 3);

      const json = await raw(`${server.url}/api/v1/editions/mga-2017/results?by=entity`, { headers: { 'accept-encoding': 'gzip' } });
      expect(json.headers['content-type']).to.match(/^application\/json/);
      expect(json.headers['content-encoding']).to.equal('gzip');
      const problem = await raw(`${server.url}/api/v1/editions/mga-2017/results?by=${'x'.repeat(2000)}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(problem.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(problem.headers['content-encoding']).to.equal('gzip');
    });

    it('leaves PDFs and workbooks alone (already compressed formats)', async () => {
      const xlsx = await raw(`${server.url}/api/v1/reports/editions/mga-2017/workbook.xlsx`, { headers: { 'accept-encoding': 'gzip' } });
      expect(xlsx.status).to.equal(200);
      expect(xlsx.headers['content-encoding']).to.equal(undefined);
      expect(compressible('application/pdf')).to.equal(false);
      expect(compressible('application/zip')).to.equal(false);
      expect(compressible('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).to.equal(false);
      for (const type of ['text/html; charset=utf-8', 'application/json; charset=utf-8', 'application/problem+json', 'text/csv; charset=utf-8', 'image/svg+xml', 'text/css', 'application/javascript']) {
        expect(compressible(type), type).to.equal(true);
      }
    });
  });

  describe('static files and the favicon', () => {
    it('pages link fingerprinted files that are cached for a year; other URLs revalidate', async () => {
      const html = (await raw(`${server.url}/resultados/mga-2017`, { headers: { accept: 'text/html' } })).body.toString();
      const css = /href="(\/static\/styles\.css\?v=[0-9a-f]{10})"/.exec(html)?.[1];
      expect(css, 'fingerprinted stylesheet link').to.be.a('string');
      expect(html).to.match(/<link rel="icon" href="\/static\/favicon\.svg\?v=[0-9a-f]{10}" type="image\/svg\+xml">/);
      const fresh = await raw(server.url + css!);
      expect(fresh.status).to.equal(200);
      expect(fresh.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      const etag = fresh.headers.etag as string;
      expect(etag).to.be.a('string');
      const bare = await raw(`${server.url}/static/styles.css`);
      expect(bare.headers['cache-control']).to.equal('public, max-age=0, must-revalidate');
      const old = await raw(`${server.url}/static/styles.css?v=0000000000`);
      expect(old.headers['cache-control']).to.equal('public, max-age=0, must-revalidate');
      expect((await raw(`${server.url}/static/styles.css`, { headers: { 'if-none-match': etag } })).status).to.equal(304);
    });

    it('serves a favicon at /favicon.ico (ICO) and as SVG', async () => {
      const ico = await raw(`${server.url}/favicon.ico`);
      expect(ico.status).to.equal(200);
      expect(ico.headers['content-type']).to.match(/image\/(x-icon|vnd\.microsoft\.icon)/);
      expect([...ico.body.subarray(0, 4)]).to.deep.equal([0, 0, 1, 0]);
      const svg = await raw(`${server.url}/static/favicon.svg`);
      expect(svg.headers['content-type']).to.match(/^image\/svg\+xml/);
    });
  });

  describe('API reference', () => {
    it('/api/v1/docs serves Swagger UI from the service itself under its CSP', async () => {
      const page = await raw(`${server.url}/api/v1/docs`);
      expect(page.status).to.equal(200);
      const html = page.body.toString();
      expect(html).to.include('<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>');
      expect(html).not.to.match(/<script>[^<]/); // no inline script
      expect(html).not.to.match(/https?:\/\//); // nothing from another host
      const csp = page.headers['content-security-policy'] as string;
      expect(csp).to.match(/script-src 'self'(;|$)/);
      const bundle = await raw(`${server.url}/api/v1/docs/assets/swagger-ui-bundle.js`);
      expect(bundle.status).to.equal(200);
      expect(bundle.headers['content-type']).to.match(/javascript/);
      expect((await raw(`${server.url}/api/v1/docs/init.js`)).body.toString()).to.include("url: '/api/v1/openapi.json'");
      expect((await raw(`${server.url}/api/v1/docs/assets/package.json`)).status, 'only the files the page needs').to.equal(404);
    });
  });

  describe('invitation links', () => {
    let admin: Client;
    before(async () => {
      await sampledEdition('piloto-ligas');
      admin = await loggedIn(server.url, 'admin');
    });

    async function issue(host: string): Promise<{ status: number; body: { invitations?: { link: string }[]; code?: string; detail?: string } }> {
      const res = await raw(`${server.url}/api/v1/editions/piloto-ligas/invitations`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', cookie: admin.cookieHeader(), 'x-csrf-token': admin.csrfToken! },
        body: JSON.stringify({ expiresInDays: 5 }),
      });
      return { status: res.status, body: JSON.parse(res.body.toString()) };
    }

    it('in development without MGA_PUBLIC_URL: the listen address, never the Host header', async () => {
      await withEnv({ MGA_PUBLIC_URL: undefined, NODE_ENV: 'development' }, async () => {
        const issued = await issue('evil.example');
        expect(issued.status).to.equal(201);
        expect(issued.body.invitations).to.have.length(3);
        for (const { link } of issued.body.invitations!) {
          expect(link.startsWith(`${server.url}/responder/inv_`), link).to.equal(true);
          expect(link).not.to.include('evil.example');
        }
      });
    });

    it('with MGA_PUBLIC_URL: that address; in production without it: refused with a clear error', async () => {
      await withEnv({ MGA_PUBLIC_URL: 'https://mga.example.org/', NODE_ENV: 'production' }, async () => expect(publicBaseUrl()).to.equal('https://mga.example.org'));
      await withEnv({ MGA_PUBLIC_URL: undefined, NODE_ENV: 'production' }, async () => {
        await sampledEdition('piloto-produccion');
        const res = await raw(`${server.url}/api/v1/editions/piloto-produccion/invitations`, {
          method: 'POST',
          headers: { host: 'evil.example', 'content-type': 'application/json', cookie: admin.cookieHeader(), 'x-csrf-token': admin.csrfToken! },
          body: JSON.stringify({ expiresInDays: 5 }),
        });
        expect(res.status).to.equal(500);
        const problem = JSON.parse(res.body.toString()) as { code: string; detail: string };
        expect(problem.code).to.equal('public-url-not-configured');
        expect(problem.detail).to.include('MGA_PUBLIC_URL');
        expect(await mongoose.connection.db!.collection('invitations').countDocuments({ edition: 'piloto-produccion' })).to.equal(0);
      });
      await withEnv({ MGA_PUBLIC_URL: 'ftp://nope' }, async () => expect(() => publicBaseUrl()).to.throw(/http:\/\/ or https:\/\//));
    });
  });

  describe('sign-in limits (in MongoDB) and timing', () => {
    let limited: TestServer;
    before(async () => {
      await withEnv({ MGA_LOGIN_ACCOUNT_ATTEMPTS: '3', MGA_LOGIN_ATTEMPTS: '8' }, async () => {
        limited = await startTestServer();
      });
    });
    after(() => limited?.close());
    beforeEach(() => mongoose.connection.db!.collection(LOGIN_LIMITS_COLLECTION).deleteMany({}));

    const login = (email: string, password: string) => new Client(limited.url).request('POST', '/api/v1/auth/login', { json: { email, password } });

    it('per account: past the limit even the right password is refused with 429 and Retry-After; a success resets the count', async () => {
      const user = await makeUser('viewer');
      for (let i = 0; i < 3; i++) expect((await login(user.email, 'wrong password!!')).status).to.equal(401);
      const blocked = await login(user.email, user.password);
      expect(blocked.status).to.equal(429);
      expect(Number(blocked.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(((await blocked.json()) as { code: string }).code).to.equal('too-many-sign-in-attempts');
      const stored = await mongoose.connection.db!.collection(LOGIN_LIMITS_COLLECTION).findOne({ key: `account:${user.email}` });
      expect(stored?.points).to.be.at.least(4);

      const other = await makeUser('viewer');
      for (let i = 0; i < 2; i++) expect((await login(other.email, 'wrong password!!')).status).to.equal(401);
      expect((await login(other.email.toUpperCase(), other.password)).status).to.equal(200);
      for (let i = 0; i < 2; i++) expect((await login(other.email, 'wrong password!!')).status, 'count reset by the success').to.equal(401);
    });

    it('per address: attempts on many accounts from one address are limited too', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) statuses.push((await login(`nadie${i}@example.org`, 'wrong password!!')).status);
      expect(statuses.slice(0, 8)).to.deep.equal(Array(8).fill(401));
      expect(statuses[8]).to.equal(429);
    });

    it('an unknown account costs a password verification too (timing does not tell whether it exists)', async () => {
      const user = await makeUser('viewer');
      const time = async (email: string) => {
        const started = performance.now();
        expect((await login(email, 'wrong password!!')).status).to.equal(401);
        return performance.now() - started;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 6; i++) {
        await mongoose.connection.db!.collection(LOGIN_LIMITS_COLLECTION).deleteMany({});
        // Alternate which goes first, so that neither always pays for the first writes.
        if (i % 2 === 0) {
          known.push(await time(user.email));
          unknown.push(await time(`nadie-${i}@example.org`));
        } else {
          unknown.push(await time(`nadie-${i}@example.org`));
          known.push(await time(user.email));
        }
      }
      console.log(`      sign-in with a wrong password: known account ${median(known).toFixed(0)} ms, unknown account ${median(unknown).toFixed(0)} ms (medians of 6)`);
      // Without the dummy verification an unknown account answers in a few milliseconds, a known one after an argon2 verification.
      expect(median(unknown)).to.be.above(median(known) * 0.4);
    });
  });
});
