/** Opens the service's database: MONGODB_URI when set, otherwise the embedded replica set. */
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import path from 'node:path';
import type { Config } from '../config.js';
import { startEmbeddedMongo, type EmbeddedMongo } from './embedded.js';
import { NoMongodError } from './mongodBinary.js';
import { ensureCollectionsAndIndexes, configureMongoose } from './schema.js';
import { seedEntities } from '../models/entity.js';
import { seedInstitutionTypes } from '../models/institutionType.js';

export interface Database {
  uri: string;
  embedded?: EmbeddedMongo;
  close(): Promise<void>;
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
    configureMongoose();
    try {
      await mongoose.connect(running, { dbName: 'mga', serverSelectionTimeoutMS: 1500 });
      await seedReferenceData();
      return { uri: running, close: () => mongoose.disconnect() };
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
  configureMongoose();
  try {
    await mongoose.connect(uri, { dbName: embedded ? 'mga' : undefined, serverSelectionTimeoutMS: 15_000 });
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
      await embedded?.stop();
    },
  };
}
