/**
 * `npm run setup`: provisions, ahead of time, what `npm start` and `npm test` would provision on their
 * first run: the PDF browser (and its fonts) and, without MONGODB_URI, the embedded database's mongod.
 * Idempotent and quick when done; it says what it finds and what it installs. Exit 1 with the ways out
 * when something cannot be had.
 */
import { describeChromium, resolveChromium } from '../reports/chromium.js';
import { resolveMongodBinary } from '../server/db/mongodBinary.js';

const log = (msg: string) => process.stdout.write(`setup: ${msg}\n`);
const started = performance.now();
try {
  log(describeChromium(await resolveChromium(log)));
  if (process.env.MONGODB_URI) {
    log('MONGODB_URI is set: no embedded mongod is needed');
  } else {
    const t = performance.now();
    const mongod = await resolveMongodBinary(log);
    log(`embedded database: ${mongod.route}: ${mongod.path} (found in ${((performance.now() - t) / 1000).toFixed(2)} s)`);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
} catch (error) {
  process.stderr.write(`setup: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
