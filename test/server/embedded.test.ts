/**
 * A start gets its own embedded database: it waits for a port still held by a mongod going away,
 * reuses on purpose a healthy mongod of the same data folder whose service is gone, refuses one that a
 * running service owns or that serves another folder, and says why a port cannot be had.
 * Every mongod here is this file's own, on its own port and folder.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mongodOnPort, portAnswers, startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded.js';
import { freePort } from '../setup/service.js';

const quiet = () => {};

describe('embedded MongoDB: a start gets its own database', function () {
  this.timeout(240_000);
  let root: string;
  const started: EmbeddedMongo[] = [];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mga-embedded-'));
  });
  after(async () => {
    for (const m of started) await m.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  async function start(dbPath: string, port: number, portWaitMs?: number): Promise<EmbeddedMongo> {
    const m = await startEmbeddedMongo({ dbPath, port, log: quiet, portWaitMs });
    started.push(m);
    return m;
  }

  it('a restart right after a stop waits for the old mongod to free the port, then runs its own', async () => {
    const dbPath = path.join(root, 'restart');
    const port = await freePort();
    const first = await start(dbPath, port);
    const logs: string[] = [];
    // The stop is not awaited: the new start races the old mongod going away.
    const stopping = first.stop();
    const second = await startEmbeddedMongo({ dbPath, port, log: (m) => logs.push(m) });
    started.push(second);
    expect((await stopping).clean).to.equal(true);
    expect(second.reused).to.equal(false);
    const answering = await mongodOnPort(port);
    expect(answering?.writablePrimary).to.equal(true);
    expect(path.resolve(answering!.dbPath!)).to.equal(path.resolve(dbPath));
    expect(logs.join('\n')).to.match(/starting embedded MongoDB/);
    const stopped = await second.stop();
    expect(stopped, stopped.detail).to.deep.include({ clean: true });
    expect((await readFile(path.join(dbPath, 'mongod.lock'), 'utf8')).trim()).to.equal('');
  });

  it('reuses a healthy mongod of the same data folder whose service is gone, and shuts it down cleanly', async () => {
    const dbPath = path.join(root, 'orphan');
    const port = await freePort();
    await start(dbPath, port);
    // As if the service that started it had died: its owner record names a process that is gone.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(`${dbPath}.owner.json`, JSON.stringify({ pid: gone.pid, port, startedAt: new Date().toISOString() }));
    const logs: string[] = [];
    const reused = await startEmbeddedMongo({ dbPath, port, log: (m) => logs.push(m) });
    expect(reused.reused).to.equal(true);
    expect(logs.join('\n')).to.match(new RegExp(`reusing the embedded MongoDB already running on port ${port}.*process ${gone.pid}, is gone`));
    const stopped = await reused.stop();
    expect(stopped, stopped.detail).to.deep.include({ clean: true });
    expect(await portAnswers(port)).to.equal(false);
  });

  it('refuses a mongod that a running service owns, naming the process and the ways out', async () => {
    const dbPath = path.join(root, 'owned');
    const port = await freePort();
    await start(dbPath, port);
    const alive = spawn('sleep', ['60']);
    try {
      await writeFile(`${dbPath}.owner.json`, JSON.stringify({ pid: alive.pid, port, startedAt: new Date().toISOString() }));
      const error = await startEmbeddedMongo({ dbPath, port, log: quiet }).catch((e: unknown) => e);
      expect((error as Error).message).to.match(new RegExp(`another MGA service \\(process ${alive.pid}\\) is running on this data folder`));
      expect((error as Error).message).to.include('MGA_DATA_DIR');
    } finally {
      alive.kill();
    }
  });

  it('refuses a mongod serving another data folder on the port', async () => {
    const port = await freePort();
    await start(path.join(root, 'someone-else'), port);
    const error = await startEmbeddedMongo({ dbPath: path.join(root, 'mine'), port, log: quiet, portWaitMs: 1000 }).catch((e: unknown) => e);
    expect((error as Error).message).to.match(new RegExp(`port ${port} is used by another mongod \\(data folder .*someone-else\\).*MGA_EMBEDDED_MONGO_PORT`));
  });

  it('a port held by another program: waits for it, and says why when it stays held', async () => {
    const port = await freePort();
    const blocker: Server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const logs: string[] = [];
    const error = await startEmbeddedMongo({ dbPath: path.join(root, 'blocked'), port, log: (m) => logs.push(m), portWaitMs: 1500 }).catch((e: unknown) => e);
    expect((error as Error).message).to.match(new RegExp(`port ${port} is still held .* not a working mongod.*MGA_EMBEDDED_MONGO_PORT`));
    expect(logs.join('\n')).to.match(/waiting up to 1 s for it to be free|waiting up to 2 s for it to be free/);

    // Freed while the start waits: the start goes ahead.
    setTimeout(() => blocker.close(), 1000);
    const m = await start(path.join(root, 'blocked'), port, 20_000);
    expect(m.reused).to.equal(false);
    expect((await mongodOnPort(port))?.writablePrimary).to.equal(true);
  });
});
