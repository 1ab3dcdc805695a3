/**
 * One throw-away embedded MongoDB (a one-member replica set in a temporary folder, never `.data/`)
 * for the whole test run; each test file resets its own database through `useTestDatabase`.
 */
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded.js';
import { describeChromium, resolveChromium } from '../../reports/chromium.js';

let embedded: EmbeddedMongo | undefined;

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
