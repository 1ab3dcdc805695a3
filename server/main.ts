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

/** `npm run demo` = `npm start -- --demo`: also create the pilot edition and print its accounts and links. */
const DEMO = process.argv.slice(2).includes('--demo');

const SHUTDOWN_GRACE_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
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
    await ensureAdminFromEnvironment((msg) => logger.info(msg));
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
    if (DEMO) {
      const baseUrl = process.env.MGA_PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${port}`;
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

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // close() waits for requests in flight; idle keep-alive sockets would hold it open, so close those.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await database.close();
    logger.info('shutdown complete: database closed cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
