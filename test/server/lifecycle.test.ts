/**
 * The real service process (`server/main.ts`) on its embedded database: starts, persists data in its
 * data folder, shuts down cleanly on SIGTERM/SIGINT and restarts on the same data.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort, startService } from '../setup/service.js';

describe('service lifecycle (real process, embedded MongoDB)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let mongoPort: number;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mga-lifecycle-'));
    mongoPort = await freePort();
    env = {
      MGA_DATA_DIR: dataDir,
      MGA_EMBEDDED_MONGO_PORT: String(mongoPort),
      // The binary the test run already resolved: no second resolution or download attempt.
      MONGOMS_SYSTEM_BINARY: process.env.MGA_TEST_MONGOD_BINARY ?? '',
      MONGOMS_SYSTEM_BINARY_VERSION_CHECK: 'false',
    };
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('serves /healthz, keeps a document across a SIGTERM restart, and shuts mongod down cleanly', async () => {
    const first = await startService(env);
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).to.equal(200);
    expect(first.output()).to.match(/embedded MongoDB \d+\.\d+\.\d+ ready/);
    expect(first.output()).to.match(/PDF browser: .+ at \/.+ \((CHROMIUM_PATH|PATH)/);

    const client = await MongoClient.connect(`mongodb://127.0.0.1:${mongoPort}/?directConnection=true`);
    await client.db('mga').collection('lifecycle_probe').insertOne({ written: 'before restart' });
    await client.close();

    first.child.kill('SIGTERM');
    expect(await first.exit).to.equal(0);
    expect(first.output()).to.include('shutdown complete: database closed cleanly');
    // mongod empties its lock file only on a clean shutdown.
    expect((await readFile(path.join(dataDir, 'mongodb', 'mongod.lock'), 'utf8')).trim()).to.equal('');

    const second = await startService(env);
    try {
      expect((await fetch(`${second.url}/healthz`)).status).to.equal(200);
      const again = await MongoClient.connect(`mongodb://127.0.0.1:${mongoPort}/?directConnection=true`);
      const doc = await again.db('mga').collection('lifecycle_probe').findOne({});
      await again.close();
      expect(doc?.written).to.equal('before restart');
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exit).to.equal(0);
    }
  });

  it('with MONGODB_URI set, connects to that deployment and starts no embedded mongod', async () => {
    const service = await startService({ ...env, MONGODB_URI: process.env.MGA_TEST_MONGODB_URI!.replace('/?', '/mga_uri_test?') });
    try {
      expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
      expect(service.output()).to.match(/connected to MongoDB \d/);
      expect(service.output()).not.to.include('starting embedded MongoDB');
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.exit).to.equal(0);
    }
  });

  it('exits non-zero, naming the browser and CHROMIUM_PATH, when the PDF browser is not there', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, ...env, CHROMIUM_PATH: path.join(dataDir, 'no-such-chromium') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).to.equal(1);
    expect(output).to.match(/Chromium not found at .*no-such-chromium/);
    expect(output).to.include('CHROMIUM_PATH');
    expect(output).not.to.include('starting embedded MongoDB');
  });

  it('exits non-zero with the ways out when no mongod can run', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, ...env, MONGOMS_SYSTEM_BINARY: path.join(dataDir, 'no-such-mongod') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).to.equal(1);
    expect(output).to.include('MONGODB_URI');
    expect(output).to.include('MONGOMS_SYSTEM_BINARY');
  });
});
