/**
 * The embedded database: a one-member replica set (so multi-document transactions work) run by
 * mongodb-memory-server. For local use and tests only; production points MONGODB_URI at a real deployment.
 */
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { mkdir } from 'node:fs/promises';
import { resolveMongodBinary, type MongodBinaryChoice } from './mongodBinary.js';

export interface EmbeddedMongo {
  uri: string;
  binary: MongodBinaryChoice;
  /** Clean shutdown through mongod's `shutdown` command, so a persistent dbPath stays consistent. */
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /** Persistent data folder; omitted: a throw-away folder removed on stop. */
  dbPath?: string;
  /** A persistent replica set must keep its member address across restarts, hence a fixed port. */
  port?: number;
  log: (msg: string) => void;
}

export async function startEmbeddedMongo(options: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const binary = await resolveMongodBinary(options.log);
  options.log(`starting embedded MongoDB (${binary.route}: ${binary.path})`);
  if (options.dbPath) await mkdir(options.dbPath, { recursive: true });
  const replSet = await MongoMemoryReplSet.create({
    binary: binary.binary,
    replSet: { count: 1, name: 'mga', storageEngine: 'wiredTiger' },
    instanceOpts: [{ dbPath: options.dbPath, port: options.port, launchTimeout: 60_000 }],
  });
  const persistent = Boolean(options.dbPath);
  return {
    uri: replSet.getUri(),
    binary,
    stop: async () => {
      await replSet.stop({ doCleanup: !persistent, force: false });
    },
  };
}
