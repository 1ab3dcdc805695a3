/** Opens the service's database: MONGODB_URI when set, otherwise the embedded replica set. */
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import path from 'node:path';
import type { Config } from '../config.js';
import { startEmbeddedMongo, type EmbeddedMongo, type StopResult } from './embedded.js';
import { NoMongodError } from './mongodBinary.js';
import { ensureCollectionsAndIndexes, configureMongoose } from './schema.js';
import { seedEntities } from '../models/entity.js';
import { seedInstitutionTypes } from '../models/institutionType.js';

/**
 * How long an operation waits for a reachable database before failing (then the request gets a 503
 * within about this long). The driver keeps monitoring the server and reconnects by itself.
 */
export const DATABASE_WAIT_MS = 2000;

/** Options of every mongoose connection of the service, its tools and its tests. */
export const CONNECTION_OPTIONS = {
  serverSelectionTimeoutMS: DATABASE_WAIT_MS,
  // Not DATABASE_WAIT_MS: the driver's monitor uses this as the time a heartbeat may take, and a busy
  // server (the Wine build on a loaded machine) answering a hello in 3 s must not be declared down.
  // A stopped or unreachable server is noticed at once (refused connection) or by server selection.
  connectTimeoutMS: 10_000,
  // Commands are not queued while disconnected (mongoose's default would hold them for 10 s): they
  // go to the driver, which fails them after DATABASE_WAIT_MS of server selection.
  bufferCommands: false,
} as const;

/** A deployment may take a while to answer the first time (DNS, TLS, an election): the first connection retries for this long. */
const FIRST_CONNECTION_PATIENCE_MS = 30_000;

/**
 * Connects mongoose with CONNECTION_OPTIONS; the first connection is retried for up to `patienceMs`
 * (logging each failed try), so a database that is still starting is waited for at start only.
 */
export async function connectMongoose(uri: string, dbName: string | undefined, options: { patienceMs?: number; log?: (msg: string) => void } = {}): Promise<void> {
  configureMongoose();
  const deadline = Date.now() + (options.patienceMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      await mongoose.connect(uri, { ...CONNECTION_OPTIONS, ...(dbName ? { dbName } : {}) });
      return;
    } catch (error) {
      await mongoose.disconnect().catch(() => {});
      if (Date.now() + DATABASE_WAIT_MS > deadline) throw error;
      options.log?.(`MongoDB at ${redactUri(uri)} does not answer yet (try ${attempt}: ${(error as Error).message}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export interface Database {
  uri: string;
  embedded?: EmbeddedMongo;
  /** Closes the pool and shuts an embedded mongod down; says whether that shutdown was clean. */
  close(): Promise<StopResult>;
}

/** Redacts credentials before a URI is logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}

export async function serverVersion(): Promise<string> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const info = await db.admin().command({ buildInfo: 1 }, { timeoutMS: 2000 });
  return String(info.version);
}

/** Idempotent reference data every deployment needs. */
export async function seedReferenceData(): Promise<void> {
  await ensureCollectionsAndIndexes();
  await seedEntities();
  await seedInstitutionTypes();
}

/**
 * For command-line tools: the service's own database. With the embedded one, a running service
 * holds the data folder, so connect to its mongod when it answers; otherwise start it.
 */
export async function openDatabaseForTool(config: Config, logger: Logger): Promise<Database> {
  if (!config.mongodbUri) {
    const running = `mongodb://127.0.0.1:${config.embeddedMongoPort}/?directConnection=true`;
    try {
      await connectMongoose(running, 'mga');
      await seedReferenceData();
      return { uri: running, close: async () => (await mongoose.disconnect(), { clean: true, detail: 'connection closed (the service owns the database)' }) };
    } catch {
      await mongoose.disconnect().catch(() => {});
    }
  }
  return openDatabase(config, logger);
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedMongo | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    try {
      embedded = await startEmbeddedMongo({
        dbPath: path.join(config.dataDir, 'mongodb'),
        port: config.embeddedMongoPort,
        log: (msg) => logger.info(msg),
      });
    } catch (error) {
      if (error instanceof NoMongodError) throw error;
      throw new Error(
        `the embedded MongoDB did not start: ${(error as Error).message}\n` +
          `Ways out: set MONGODB_URI to a running MongoDB deployment, or MONGOMS_SYSTEM_BINARY to a working mongod; ` +
          `if another process holds ${config.dataDir} or port ${config.embeddedMongoPort}, stop it or set MGA_DATA_DIR / MGA_EMBEDDED_MONGO_PORT.`,
      );
    }
    uri = embedded.uri;
  }
  try {
    await connectMongoose(uri, embedded ? 'mga' : undefined, { patienceMs: embedded ? 0 : FIRST_CONNECTION_PATIENCE_MS, log: (msg) => logger.warn(msg) });
    const version = await serverVersion();
    logger.info(
      embedded
        ? { mongod: embedded.binary.path, route: embedded.binary.route, version, dataDir: config.dataDir }
        : { uri: redactUri(uri), version },
      embedded ? `embedded MongoDB ${version} ready` : `connected to MongoDB ${version}`,
    );
    await seedReferenceData();
  } catch (error) {
    await mongoose.disconnect().catch(() => {});
    await embedded?.stop().catch(() => {});
    throw error;
  }
  return {
    uri,
    embedded,
    close: async () => {
      await mongoose.disconnect();
      return embedded ? embedded.stop() : { clean: true, detail: 'connection pool closed' };
    },
  };
}
