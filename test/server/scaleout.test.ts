/**
 * Scale-out: two web processes on one database (MONGODB_URI to the run's throw-away embedded mongod),
 * as behind a load balancer. Nothing lives in a process: a session made on one is valid on the
 * other, and sign-in attempts and what-if requests are counted across both.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '../setup/client.js';
import { startService, stopService, type Service } from '../setup/service.js';

const ADMIN = { email: 'admin@scaleout.example', password: 'scale-out test password' };

describe('two web processes on one database (real processes)', function () {
  this.timeout(240_000);
  let dataDir: string;
  const services: Service[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mga-scaleout-'));
    const uri = new URL(process.env.MGA_TEST_MONGODB_URI!);
    uri.pathname = '/mga_scaleout';
    const env = {
      MONGODB_URI: uri.toString(),
      // Shared by every web process, as the README asks (each would otherwise make its own).
      SESSION_SECRET: 'scale-out-test-session-secret-0123456789',
      MGA_ADMIN_EMAIL: ADMIN.email,
      MGA_ADMIN_PASSWORD: ADMIN.password,
      MGA_LOGIN_ACCOUNT_ATTEMPTS: '4',
      MGA_WHAT_IF_PER_MINUTE: '3',
    };
    // One after the other: the first start loads the reference edition and creates the first admin.
    services.push(await startService({ ...env, MGA_DATA_DIR: path.join(dataDir, 'a') }));
    services.push(await startService({ ...env, MGA_DATA_DIR: path.join(dataDir, 'b') }));
  });
  after(async () => {
    for (const s of services) await stopService(s);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a session made on one process is valid on the other, for reads and for changes, and ends on both', async () => {
    const [a, b] = services as [Service, Service];
    const onA = new Client(a.url);
    await onA.apiLogin(ADMIN.email, ADMIN.password);
    // The same cookie and CSRF token, sent to the other process.
    const onB = new Client(b.url);
    const me = await onB.request('GET', '/api/v1/auth/me', { headers: { cookie: onA.cookieHeader() } });
    expect(me.status).to.equal(200);
    expect(((await me.json()) as { user: { email: string } }).user.email).to.equal(ADMIN.email);
    const created = await onB.request('POST', '/api/v1/users', {
      json: { email: 'visor@scaleout.example', name: 'Visor', role: 'viewer', password: 'another long password', editions: [] },
      headers: { cookie: onA.cookieHeader(), 'x-csrf-token': onA.csrfToken! },
      csrf: false,
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    // Signing out on A ends the session on B too.
    expect((await onA.request('POST', '/api/v1/auth/logout')).status).to.equal(204);
    expect((await onB.request('GET', '/api/v1/auth/me', { headers: { cookie: onA.cookieHeader() } })).status).to.equal(401);
  });

  it('sign-in attempts on an account are counted across both processes', async () => {
    const [a, b] = services as [Service, Service];
    const attempt = (service: Service, password: string) => new Client(service.url).request('POST', '/api/v1/auth/login', { json: { email: 'visor@scaleout.example', password } });
    const statuses = [await attempt(a, 'wrong password 1'), await attempt(b, 'wrong password 2'), await attempt(a, 'wrong password 3'), await attempt(b, 'wrong password 4')].map((r) => r.status);
    expect(statuses).to.deep.equal([401, 401, 401, 401]);
    // Four failures in total, two on each process: the limit (4) is reached on both, even with the right password.
    for (const service of [a, b]) {
      const res = await attempt(service, 'another long password');
      expect(res.status).to.equal(429);
      expect(res.headers.get('retry-after')).to.match(/^\d+$/);
    }
  });

  it('what-if requests from one address are counted across both processes', async () => {
    const [a, b] = services as [Service, Service];
    const whatIf = (service: Service) => new Client(service.url).request('POST', '/api/v1/editions/mga-2017/what-if?by=entity', { json: { GA: { T: 0.7, P: 0.3 } } });
    const allowed = [await whatIf(a), await whatIf(b), await whatIf(a)];
    expect(allowed.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    // The remaining count falls across both processes: 2, 1, 0.
    expect(allowed.map((r) => /;r=(\d+);/.exec(r.headers.get('ratelimit') ?? '')?.[1])).to.deep.equal(['2', '1', '0']);
    // Three in total, on two processes: the limit (3 a minute) is reached on both.
    for (const service of [b, a]) {
      const res = await whatIf(service);
      expect(res.status).to.equal(429);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).to.equal('too-many-what-if-requests');
      expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
    }
  });
});
