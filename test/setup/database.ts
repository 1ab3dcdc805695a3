import mongoose from 'mongoose';
import { connectMongoose, seedReferenceData } from '../../server/db/connection.js';

/** Connects mongoose to a fresh database of the shared test server, named after the suite. */
export async function useTestDatabase(name: string): Promise<void> {
  const uri = process.env.MGA_TEST_MONGODB_URI;
  if (!uri) throw new Error('the test database was not started (test/setup/rootHooks.ts)');
  if (mongoose.connection.readyState !== 0) await mongoose.disconnect();
  // The service's own connection options (no command buffering, 2 s server selection).
  await connectMongoose(uri, `test_${name}`.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 60));
  await mongoose.connection.dropDatabase();
  await seedReferenceData();
}
