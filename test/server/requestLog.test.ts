/**
 * Request logs carry no secret: no headers (session cookies, CSRF tokens, bearer invitation tokens,
 * Set-Cookie), and the token of an invitation or password-reset link is replaced by «…». Real app,
 * real MongoDB, the logger writing to memory.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../server/app.js';
import { loggableUrl } from '../../server/http/requestLog.js';
import { useTestDatabase } from '../setup/database.js';
import { listen } from '../setup/http.js';

describe('request logs (real MongoDB)', function () {
  this.timeout(60_000);

  it('name the method, the address without its credential and the status, and never a header or a token', async () => {
    await useTestDatabase('request_log');
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const app = createApp({ logger: pino({ level: 'info' }, sink), session: { secret: randomBytes(16).toString('hex'), secureCookies: false } });
    const server = await listen(app);
    const invitation = 'inv_' + randomBytes(32).toString('base64url');
    const reset = randomBytes(32).toString('base64url');
    const cookie = 'mga.sid=s%3A' + randomBytes(24).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    try {
      await fetch(`${server.url}/responder/${invitation}`, { redirect: 'manual', headers: { cookie } });
      await fetch(`${server.url}/entrar/restablecer/${reset}`, { headers: { cookie } });
      await fetch(`${server.url}/api/v1/respondent/questionnaire`, { headers: { authorization: `Bearer ${invitation}` } });
      await fetch(`${server.url}/responder/borrador`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: 'aiUnit=yes' });
      await fetch(`${server.url}/healthz`);
    } finally {
      await server.close();
    }
    const log = lines.join('');
    const requests = lines.map((l) => JSON.parse(l) as { req?: { method: string; url: string; headers?: unknown }; res?: { statusCode: number; headers?: unknown } }).filter((l) => l.req);
    expect(requests.map((l) => `${l.req!.method} ${l.req!.url} ${l.res!.statusCode}`)).to.deep.equal([
      'GET /responder/… 404',
      'GET /entrar/restablecer/… 400',
      'GET /api/v1/respondent/questionnaire 401',
      'POST /responder/borrador 403',
      'GET /healthz 200',
    ]);
    for (const secret of [invitation, reset, cookie.split('=')[1]!, csrf]) expect(log, 'a secret in the log').to.not.include(secret);
    expect(requests.every((l) => l.req!.headers === undefined && l.res!.headers === undefined)).to.equal(true);
  });

  it('keeps addresses that carry no credential as they are', () => {
    expect(loggableUrl('/api/v1/editions/mga-2017/results?by=entity')).to.equal('/api/v1/editions/mga-2017/results?by=entity');
    expect(loggableUrl('/responder/todas')).to.equal('/responder/todas');
    expect(loggableUrl('/responder/inv_abc?x=1')).to.equal('/responder/…?x=1');
    expect(loggableUrl('/entrar/restablecer/abc/')).to.equal('/entrar/restablecer/…/');
  });
});
