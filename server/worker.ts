/**
 * `npm run worker`: a job worker without the web server, on the service's database (MONGODB_URI, or
 * the embedded database of a service running on this machine). Run as many as you like, on as many
 * machines; they share the queued jobs. SIGINT/SIGTERM: running parts are handed back, then it exits.
 */
import { loadConfig } from './config.js';
import { openDatabaseForTool } from './db/connection.js';
import { createLogger } from './logger.js';
import { startWorker } from './jobs/queue.js';
import { describeChromium, resolveChromium } from '../reports/chromium.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
try {
  // Workers print report cards: the browser is found (or installed) first, as `npm start` does.
  const browser = await resolveChromium((msg) => logger.info(msg));
  logger.info({ browser: browser.path, route: browser.route, version: browser.version }, describeChromium(browser));
  const database = await openDatabaseForTool(config, logger);
  const worker = await startWorker({ logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the worker: handing back running work');
    await worker.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  logger.fatal((error as Error).message);
  process.exit(1);
}
