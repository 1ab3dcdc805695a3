/**
 * One throw-away embedded MongoDB (a one-member replica set in a temporary folder, never `.data/`)
 * for the whole test run; each test file resets its own database through `useTestDatabase`.
 */
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded.js';

let embedded: EmbeddedMongo | undefined;

// Every test signs in from 127.0.0.1 and the sign-in limiter counts per process, so the whole run
// shares one budget of attempts; tests of their own raise it, set here before any app is loaded.
process.env.MGA_LOGIN_ATTEMPTS ??= '1000';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(600_000); // a first run may provision the offline MongoDB route
    if (process.env.MGA_TEST_MONGODB_URI) return;
    embedded = await startEmbeddedMongo({ log: (msg) => console.log(`[test db] ${msg}`) });
    process.env.MGA_TEST_MONGODB_URI = embedded.uri;
    process.env.MGA_TEST_MONGOD_BINARY = embedded.binary.path;
    console.log(`[test db] ${embedded.binary.route}: ${embedded.binary.path}`);
  },
  async afterAll() {
    await mongoose.disconnect();
    await embedded?.stop();
  },
};
