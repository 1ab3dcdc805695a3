/**
 * One throw-away embedded MongoDB (a one-member replica set in a temporary folder, never `.data/`)
 * for the whole test run; each test file resets its own database through `useTestDatabase`.
 */
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded.js';
import { describeChromium, resolveChromium } from '../../reports/chromium.js';

let embedded: EmbeddedMongo | undefined;

// The sign-in limit (30 per 15 minutes and address by default) counts every test file's logins: the
// whole suite signs in from 127.0.0.1 within minutes, so a file late in the run got 429s once the
// suite had grown past 30 logins. Tests of the limit itself set their own value.
process.env.MGA_LOGIN_ATTEMPTS ??= '100000';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(900_000); // a first run may provision the PDF browser and the offline MongoDB route
    // One after the other: both may use apt-get, which takes one lock. Child processes (the CLI, the
    // service) inherit the choice through CHROMIUM_PATH instead of looking again.
    const browser = await resolveChromium((msg) => console.log(`[test browser] ${msg}`));
    process.env.CHROMIUM_PATH = browser.path;
    console.log(`[test browser] ${describeChromium(browser)}`);
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
