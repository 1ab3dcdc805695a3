import { expect } from 'chai';
import mongoose from 'mongoose';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { connectMongoose } from '../../server/db/connection.js';

describe('HTTP skeleton', () => {
  let server: TestServer;
  before(async () => {
    await useTestDatabase('http');
    server = await startTestServer();
  });
  after(() => server.close());

  it('GET /healthz answers 200 with the database state and MongoDB server version', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { status: string; database: { state: string; serverVersion: string } };
    expect(body.status).to.equal('ok');
    expect(body.database.state).to.equal('connected');
    expect(body.database.serverVersion).to.match(/^\d+\.\d+\.\d+/);
  });

  it('unknown routes are 404 problem+json', async () => {
    const res = await fetch(`${server.url}/no/such/route?x=1`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).to.include({ type: 'about:blank', title: 'Not Found', status: 404, instance: '/no/such/route?x=1' });
    expect(body.detail).to.equal('no route for GET /no/such/route');
  });

  it('a malformed JSON body is a 400 problem+json without a stack trace', async () => {
    const res = await fetch(`${server.url}/api/v1/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": ' });
    expect(res.status).to.equal(400);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const text = await res.text();
    expect(JSON.parse(text)).to.include({ status: 400, detail: 'the request body is not valid JSON' });
    expect(text).not.to.match(/at .*\.(ts|js):\d+/);
  });

  it('an oversized body is a 413 problem+json', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) });
    const res = await fetch(`${server.url}/api/v1/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).to.equal(413);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  });

  it('GET /healthz answers 503 problem+json while the database is unreachable', async () => {
    const uri = process.env.MGA_TEST_MONGODB_URI!;
    await mongoose.disconnect();
    try {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).to.match(/database is unreachable \(disconnected\)/);
    } finally {
      await connectMongoose(uri, 'test_http');
    }
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
  });
});
