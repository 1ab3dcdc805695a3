/** `npm start`: opens the database (embedded unless MONGODB_URI is set), serves HTTP, shuts down cleanly. */
import type { Server } from 'node:http';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openDatabase, type Database } from './db/connection.js';
import { createApp } from './app.js';
import { loadReferenceEditions } from './services/referenceData.js';
import { sessionSecret } from './auth/session.js';
import { ensureAdminFromEnvironment } from './auth/users.js';
import { demoText, seedDemo } from './services/demo.js';
import { describeChromium, resolveChromium } from '../reports/chromium.js';
import { drainer } from './http/drain.js';
import { cacheWritesSettled } from './services/reportCache.js';
import { configuredPublicUrl, publicBaseUrl, setListenUrl } from './http/publicUrl.js';
import { startWorker, type JobWorker } from './jobs/queue.js';
import { jobSettings } from './jobs/settings.js';

/** `npm run demo` = `npm start -- --demo`: also create the pilot edition and print its accounts and links. */
const DEMO = process.argv.slice(2).includes('--demo');

/** Requests in flight get this long to finish after SIGINT/SIGTERM; then they are dropped and the database is closed anyway. */
const SHUTDOWN_GRACE_MS = 15_000;
/** Past this, something hangs (e.g. the database shutdown): exit without waiting more. */
const SHUTDOWN_HARD_LIMIT_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  try {
    if (!configuredPublicUrl() && process.env.NODE_ENV === 'production') {
      logger.warn('MGA_PUBLIC_URL is not set: invitation links will be refused until it is (production never takes the address from requests)');
    }
  } catch (error) {
    logger.fatal((error as Error).message);
    process.stderr.write(`\nThe MGA service cannot start:\n${(error as Error).message}\n`);
    process.exit(1);
  }
  // A signal during start-up: finish the step in progress (a half-started mongod must be shut down too), then stop.
  let stopRequested: string | undefined;
  const early = (signal: string) => {
    stopRequested ??= signal;
    logger.info({ signal }, 'stopping once the start-up step in progress is done');
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const stopIfRequested = async (database: Database) => {
    if (!stopRequested) return;
    const result = await database.close();
    logger.info(result.clean ? 'stopped during start-up: database closed cleanly' : `stopped during start-up; the database did not close cleanly: ${result.detail}`);
    process.exit(result.clean ? 0 : 1);
  };
  let database: Database;
  try {
    // The PDF browser is found (or installed, the first time) now, not by the first visitor's request,
    // and before the database so that a machine without one fails at once, saying what was tried.
    const browser = await resolveChromium((msg) => logger.info(msg));
    logger.info({ browser: browser.path, route: browser.route, version: browser.version }, describeChromium(browser));
    database = await openDatabase(config, logger);
  } catch (error) {
    logger.fatal((error as Error).message);
    // The same words as plain text: what was tried and the ways out, readable without a log viewer.
    process.stderr.write(`\nThe MGA service cannot start:\n${(error as Error).message}\n`);
    process.exit(1);
  }
  try {
    await loadReferenceEditions((msg) => logger.info(msg));
    await stopIfRequested(database);
    await ensureAdminFromEnvironment((msg) => logger.info(msg));
  } catch (error) {
    await database.close().catch(() => {});
    logger.fatal((error as Error).message);
    process.exit(1);
  }
  await stopIfRequested(database);
  // One job worker in this process unless MGA_INPROCESS_WORKER=false (then run `npm run worker`).
  let worker: JobWorker | undefined;
  try {
    if (jobSettings().inProcessWorker) worker = await startWorker({ logger });
  } catch (error) {
    await database.close().catch(() => {});
    logger.fatal((error as Error).message);
    process.exit(1);
  }
  const app = createApp({
    logger,
    session: { secret: await sessionSecret(config.dataDir), secureCookies: config.secureCookies },
  });
  const server: Server = app.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port }, `MGA service listening on http://localhost:${port}`);
    setListenUrl(`http://localhost:${port}`);
    if (DEMO) {
      const baseUrl = publicBaseUrl();
      seedDemo(baseUrl).then(
        (summary) => process.stdout.write(demoText(summary, baseUrl)),
        (error: unknown) => logger.error({ err: error }, 'the demo edition could not be created'),
      );
    }
  });
  server.on('error', async (error) => {
    logger.fatal({ err: error }, 'HTTP server failed');
    await database.close().catch(() => {});
    process.exit(1);
  });

  const requests = drainer(server);
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'already shutting down: waiting for requests in flight and the database');
      return;
    }
    shuttingDown = true;
    logger.info({ signal, inFlight: requests.inFlight() }, 'shutting down: no new connections, finishing requests in flight');
    const hard = setTimeout(() => {
      logger.error(`shutdown still not done after ${SHUTDOWN_HARD_LIMIT_MS / 1000} s; exiting without a clean database shutdown`);
      process.exit(1);
    }, SHUTDOWN_HARD_LIMIT_MS);
    hard.unref();
    const drained = await requests.drain(SHUTDOWN_GRACE_MS);
    if (drained.dropped > 0) logger.error({ dropped: drained.dropped }, `requests still running after ${SHUTDOWN_GRACE_MS / 1000} s were dropped`);
    else logger.info({ ms: drained.ms }, 'every request in flight was answered');
    // PDFs already sent but still being stored in the cache: stored before the database closes.
    const stored = await cacheWritesSettled();
    if (stored > 0) logger.info({ pdfs: stored }, 'PDFs being stored in the cache were stored');
    // Running jobs hand their parts back (another worker, or the next start, continues them).
    await worker?.stop().catch((error: Error) => logger.error({ err: error }, 'the job worker did not stop cleanly'));
    // Only now the database: the requests and jobs above needed it.
    const closed = await database.close().catch((error: Error) => ({ clean: false, detail: error.message }));
    if (closed.clean) {
      logger.info({ detail: closed.detail }, 'shutdown complete: database closed cleanly');
      process.exit(0);
    }
    logger.error({ detail: closed.detail }, `shutdown complete, but the database did not close cleanly: ${closed.detail}`);
    process.exit(1);
  };
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (stopRequested) void shutdown(stopRequested);
}

void main();
