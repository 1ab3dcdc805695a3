import mongoose from 'mongoose';
import { ensureLoginLimitIndexes } from '../auth/loginLimits.js';
import { ensureRequestLimitIndexes } from '../http/requestLimits.js';

/**
 * Creates every model's collection and indexes one at a time. Mongoose's automatic index builds
 * are turned off (see `configureMongoose`) because they race to create the same collection; a real
 * mongod retries that conflict, but the offline Wine build crashes on it.
 */
export async function ensureCollectionsAndIndexes(): Promise<void> {
  for (const model of Object.values(mongoose.models)) {
    await model.createCollection();
    await model.createIndexes();
  }
  // Sessions (connect-mongo) expire through this TTL index.
  const db = mongoose.connection.db!;
  if (!(await db.listCollections({ name: 'sessions' }).hasNext())) await db.createCollection('sessions');
  await db.collection('sessions').createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
  // Sign-in limits shared by every web process (server/auth/loginLimits.ts).
  await ensureLoginLimitIndexes(db);
  // Request limits of expensive public operations (server/http/requestLimits.ts).
  await ensureRequestLimitIndexes(db);
}

export function configureMongoose(): void {
  mongoose.set('autoIndex', false);
  mongoose.set('autoCreate', false);
  mongoose.set('strictQuery', true);
  // No queueing of commands while disconnected: the driver fails them within its server selection
  // timeout (server/db/connection.ts), and the request gets a 503 instead of waiting.
  mongoose.set('bufferCommands', false);
}
