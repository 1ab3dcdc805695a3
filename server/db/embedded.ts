/**
 * The embedded database: a one-member replica set (so multi-document transactions work) run by
 * mongodb-memory-server. For local use and tests only; production points MONGODB_URI at a real deployment.
 *
 * - mongod runs in its own process group (a detached spawn), so the terminal's Ctrl-C reaches only
 *   node, which drains its requests and then shuts mongod down with the `shutdown` command.
 * - With a fixed port (the persistent `.data/` database), start makes sure that the mongod it talks
 *   to is the one it started: it waits for a mongod that is still going away to free the port, reuses
 *   on purpose a healthy one on the same data folder whose service is gone, refuses to share one with a
 *   service that still runs, and says why the port cannot be had otherwise.
 */
import { MongoMemoryServer } from 'mongodb-memory-server-core';
import mongoose from 'mongoose';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { resolveMongodBinary, type MongodBinaryChoice } from './mongodBinary.js';

export interface StopResult {
  /** mongod acknowledged the shutdown command, exited, and left an empty lock file (a persistent dbPath). */
  clean: boolean;
  detail: string;
}

export interface EmbeddedMongo {
  uri: string;
  binary: MongodBinaryChoice;
  /** A healthy mongod left running by an earlier start was reused instead of starting one. */
  reused: boolean;
  /** Clean shutdown through mongod's `shutdown` command, so a persistent dbPath stays consistent. */
  stop(): Promise<StopResult>;
}

export interface EmbeddedMongoOptions {
  /** Persistent data folder; omitted: a throw-away folder removed on stop. */
  dbPath?: string;
  /** A persistent replica set must keep its member address across restarts, hence a fixed port. */
  port?: number;
  log: (msg: string) => void;
  /** How long to wait for a port held by a mongod that is going away; default 30 s. */
  portWaitMs?: number;
}

const REPLICA_SET = 'mga';
const { MongoClient } = mongoose.mongo;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // accepted but silent still holds the port
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface MongodOnPort {
  dbPath?: string;
  writablePrimary: boolean;
  uptimeMs: number;
}

/** Asks whatever listens on the port whether it is a mongod, and which. Undefined: not a (working) mongod. */
export async function mongodOnPort(port: number): Promise<MongodOnPort | undefined> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
  try {
    await client.connect();
    const admin = client.db('admin');
    const hello = await admin.command({ hello: 1 }, { timeoutMS: 1500 });
    const opts = await admin.command({ getCmdLineOpts: 1 }, { timeoutMS: 1500 });
    const status = await admin.command({ serverStatus: 1, repl: 0, metrics: 0, locks: 0 }, { timeoutMS: 1500 });
    const dbPath = (opts.parsed as { storage?: { dbPath?: string } } | undefined)?.storage?.dbPath;
    return { dbPath, writablePrimary: hello.isWritablePrimary === true, uptimeMs: Number(status.uptimeMillis) };
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => {});
  }
}

/** Same folder, whatever the spelling (trailing slash, relative). */
const samePath = (a: string | undefined, b: string) => !!a && path.resolve(a) === path.resolve(b);

interface Owner {
  pid: number;
  port: number;
  startedAt: string;
}

/** Beside the data folder, not in it (mongod owns that): which service process started the mongod. */
const ownerFile = (dbPath: string) => `${path.resolve(dbPath)}.owner.json`;

async function readOwner(dbPath: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(ownerFile(dbPath), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockFileEmpty(dbPath: string): Promise<boolean> {
  try {
    return (await readFile(path.join(dbPath, 'mongod.lock'), 'utf8')).trim() === '';
  } catch {
    return true; // no lock file: nothing ran, or it was removed
  }
}

/** Sends `shutdown` to a mongod we did not spawn (a reused one) and waits for its port to close. */
async function shutdownByCommand(port: number, dbPath: string): Promise<StopResult> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.connect();
    await client.db('admin').command({ shutdown: 1, force: true, timeoutSecs: 1 });
  } catch (error) {
    // The connection closing under the command is how a successful shutdown looks.
    if (!/closed|ECONNRESET|socket|network/i.test((error as Error).message)) return { clean: false, detail: `shutdown command failed: ${(error as Error).message}` };
  } finally {
    await client.close().catch(() => {});
  }
  for (let waited = 0; waited < 30_000 && (await portAnswers(port, 500)); waited += 250) await sleep(250);
  if (await portAnswers(port, 500)) return { clean: false, detail: `mongod still answers on port ${port} 30 s after the shutdown command` };
  return (await lockFileEmpty(dbPath)) ? { clean: true, detail: 'shutdown command acknowledged, lock file empty' } : { clean: false, detail: 'mongod exited but left its lock file (an unclean shutdown)' };
}

/** A same-folder mongod whose service is gone is watched this long before it counts as a healthy orphan, not one going away. */
const ORPHAN_GRACE_MS = 3000;

type PortDecision = { kind: 'free' } | { kind: 'reuse'; owner?: Owner };

/**
 * What holds the port, and what to do about it: wait while something goes away, reuse a healthy
 * orphan of this data folder, refuse otherwise (the error says why and the ways out).
 */
async function claimPort(port: number, dbPath: string, waitMs: number, log: (msg: string) => void): Promise<PortDecision> {
  const started = Date.now();
  const deadline = started + waitMs;
  let said = false;
  for (;;) {
    if (!(await portAnswers(port))) return { kind: 'free' };
    const mongod = await mongodOnPort(port);
    const owner = await readOwner(dbPath);
    if (mongod && samePath(mongod.dbPath, dbPath)) {
      if (owner && owner.pid !== process.pid && processAlive(owner.pid)) {
        throw new Error(
          `another MGA service (process ${owner.pid}) is running on this data folder (${dbPath}) with its database on port ${port}; ` +
            'stop it first, or give this one its own MGA_DATA_DIR and MGA_EMBEDDED_MONGO_PORT',
        );
      }
      // Its service is gone; it may still be shutting down (then it stops answering soon) or be a healthy orphan.
      if (mongod.writablePrimary && Date.now() - started >= ORPHAN_GRACE_MS) return { kind: 'reuse', owner };
    } else if (mongod && Date.now() >= deadline) {
      throw new Error(`port ${port} is used by another mongod (data folder ${mongod.dbPath ?? 'unknown'}); stop it or set MGA_EMBEDDED_MONGO_PORT to a free port`);
    }
    if (!said) {
      log(`port ${port} is still held (${mongod ? `a mongod on ${mongod.dbPath}` : 'not answering as a mongod'}); waiting up to ${Math.round(waitMs / 1000)} s for it to be free`);
      said = true;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `port ${port} is still held ${Math.round(waitMs / 1000)} s later by a process that is not a working mongod (a mongod still going away, or another program); ` +
          `stop it, or set MGA_EMBEDDED_MONGO_PORT to a free port`,
      );
    }
    await sleep(500);
  }
}

/**
 * Initiates the one-member replica set on a new data folder; an existing one keeps its configuration
 * (same member address, since the port is fixed). Then waits until the member is primary.
 */
async function initiateReplicaSet(port: number): Promise<void> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 10_000 });
  try {
    const admin = client.db('admin');
    try {
      await admin.command({ replSetInitiate: { _id: REPLICA_SET, members: [{ _id: 0, host: `127.0.0.1:${port}` }] } });
    } catch (error) {
      const code = (error as { codeName?: string }).codeName;
      if (code !== 'AlreadyInitialized') throw error;
    }
    const deadline = Date.now() + 60_000;
    while (!(await admin.command({ hello: 1 })).isWritablePrimary) {
      if (Date.now() > deadline) throw new Error(`the embedded mongod on port ${port} did not become primary within 60 s`);
      await sleep(100);
    }
  } finally {
    await client.close().catch(() => {});
  }
}

export async function startEmbeddedMongo(options: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const binary = await resolveMongodBinary(options.log);
  const persistent = Boolean(options.dbPath);
  const dbPath = options.dbPath ? path.resolve(options.dbPath) : undefined;
  if (dbPath) await mkdir(dbPath, { recursive: true });

  if (dbPath && options.port) {
    const decision = await claimPort(options.port, dbPath, options.portWaitMs ?? 30_000, options.log);
    if (decision.kind === 'reuse') {
      options.log(
        `reusing the embedded MongoDB already running on port ${options.port} with this data folder` +
          (decision.owner ? ` (the service that started it, process ${decision.owner.pid}, is gone)` : ''),
      );
      await writeFile(ownerFile(dbPath), JSON.stringify({ pid: process.pid, port: options.port, startedAt: new Date().toISOString() } satisfies Owner));
      const port = options.port;
      return {
        uri: `mongodb://127.0.0.1:${port}/?replicaSet=${REPLICA_SET}`,
        binary,
        reused: true,
        stop: async () => {
          const result = await shutdownByCommand(port, dbPath);
          if (result.clean) await rm(ownerFile(dbPath), { force: true });
          return result;
        },
      };
    }
  }

  options.log(`starting embedded MongoDB (${binary.route}: ${binary.path})`);
  const spawnedAt = Date.now();
  // One mongod started as a replica-set member and initiated here (not MongoMemoryReplSet, which
  // silently moves to another port when the given one is busy or was used before in this process).
  const server = await MongoMemoryServer.create({
    binary: binary.binary,
    // detached: mongod leads its own process group, out of reach of the terminal's Ctrl-C.
    spawn: { detached: true },
    instance: {
      dbPath,
      port: options.port,
      // The given port or a failure: the replica set's member address must stay the same.
      portGeneration: !options.port,
      replSet: REPLICA_SET,
      storageEngine: 'wiredTiger',
      launchTimeout: 60_000,
    },
  });
  const stopServer = () => server.stop({ doCleanup: !persistent, force: false }).catch(() => false);
  const port = server.instanceInfo!.port;
  try {
    if (options.port && port !== options.port) throw new Error(`the embedded mongod started on port ${port} instead of ${options.port}`);
    await initiateReplicaSet(port);
    // The mongod answering must be the one just spawned: same data folder, and up no longer than since the spawn.
    const answering = await mongodOnPort(port);
    const ours = answering && (!dbPath || samePath(answering.dbPath, dbPath)) && answering.uptimeMs <= Date.now() - spawnedAt + 5000;
    if (!ours) {
      throw new Error(
        `the mongod answering on port ${port} is not the one just started (${answering ? `data folder ${answering.dbPath}, up ${Math.round(answering.uptimeMs / 1000)} s` : 'it does not answer'}); ` +
          'stop the other process or set MGA_EMBEDDED_MONGO_PORT to a free port',
      );
    }
  } catch (error) {
    await stopServer();
    throw error;
  }
  if (dbPath) await writeFile(ownerFile(dbPath), JSON.stringify({ pid: process.pid, port, startedAt: new Date().toISOString() } satisfies Owner));
  return {
    uri: `mongodb://127.0.0.1:${port}/?replicaSet=${REPLICA_SET}`,
    binary,
    reused: false,
    stop: async () => {
      const child = server.instanceInfo?.instance.mongodProcess;
      // mongodb-memory-server sends `shutdown` (force, 1 s timeout) and waits for the process to exit
      // (after 10 s it would kill it: then the exit is by signal and the lock file stays).
      await stopServer();
      const how = child ? (child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`) : 'unknown';
      if (child && child.exitCode === null && child.signalCode === null) return { clean: false, detail: 'mongod did not exit' };
      if (!dbPath) return { clean: true, detail: `mongod exited (${how})` };
      if (!(await lockFileEmpty(dbPath))) return { clean: false, detail: `mongod exited (${how}) but left its lock file: the shutdown was not clean` };
      await rm(ownerFile(dbPath), { force: true });
      return { clean: true, detail: `shutdown command acknowledged, mongod exited (${how}), lock file empty` };
    },
  };
}
