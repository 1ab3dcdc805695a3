/**
 * A job worker in its own process, for tests: `tsx test/jobs/workerProcess.ts <mongodb uri> <db name>`.
 * Knows the service's job kinds and the test kind; prints "ready <worker id>" once it takes work.
 * Settings come from the environment (MGA_JOB_LEASE_MS, MGA_JOB_POLL_MS, MGA_PDF_PAGES...).
 */
import mongoose from 'mongoose';
import { configureMongoose } from '../../server/db/schema.js';
import { createLogger } from '../../server/logger.js';
import { startWorker } from '../../server/jobs/queue.js';
import { closeBrowser } from '../../reports/browser.js';
import './testKinds.js';

const [uri, dbName] = process.argv.slice(2);
configureMongoose();
await mongoose.connect(uri!, { dbName: dbName! });
const worker = await startWorker({ logger: createLogger(process.env.LOG_LEVEL || 'silent') });
process.stdout.write(`ready ${worker.id}\n`);
const stop = async () => {
  await worker.stop();
  await closeBrowser();
  await mongoose.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
