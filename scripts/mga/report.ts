/**
 * `mga report`: the national, entity and institution reports (PDF) and the edition workbook (XLSX)
 * of an edition stored in the service's database, without a running server; `--all` writes every
 * institution report card into a folder through one browser, with a progress bar.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ChromiumNotFoundError, closeBrowser } from '../../reports/browser.js';
import { describeChromium, NoChromiumError, resolveChromium } from '../../reports/chromium.js';
import { configurePagePool } from '../../reports/pages.js';
import { loadConfig } from '../../server/config.js';
import { openDatabaseForTool } from '../../server/db/connection.js';
import { HttpProblem } from '../../server/http/problem.js';
import { createLogger } from '../../server/logger.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import {
  editionWorkbook,
  entityReportPdf,
  institutionCards,
  institutionReportPdf,
  latestPublishedEditionId,
  nationalReportPdf,
  type ReportFile,
} from '../../server/services/reports.js';
import { CliError, oneOf, type CliIo, type Subcommand } from './cli.js';

const KINDS = ['national', 'entity', 'institution'] as const;
const FORMATS = ['pdf', 'xlsx'] as const;
const MAX_CONCURRENCY = 8;

const usage = `usage: mga report --kind ${KINDS.join('|')} --format ${FORMATS.join('|')} --out FILE
                 [--edition ID] [--compare 2019,2021] [--entity NAME] [--institution ID|NAME]
       mga report --kind institution --all --out DIR [--edition ID] [--concurrency N]
(--kind national --format xlsx is the edition workbook; --edition defaults to the latest published edition)`;

/** The service's problems name their parameter; on the command line that is the flag. */
function asCliError(error: unknown): unknown {
  if (error instanceof HttpProblem && error.status < 500) {
    const field = error.errors?.[0]?.field;
    const reason = (error.errors?.[0]?.reason ?? error.detail ?? error.title).replace(new RegExp(`^${field}: `), '');
    return new CliError(field ? `--${field}: ${reason}` : reason);
  }
  if (error instanceof ChromiumNotFoundError) return new CliError(error.message);
  return error;
}

async function checkOutFile(out: string): Promise<void> {
  const folder = await stat(dirname(out)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new CliError(`--out: folder ${dirname(out)} does not exist`);
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new CliError(`--out: ${out} is a folder; give a file name (or --all to write every institution card into a folder)`);
}

async function checkOutDir(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new CliError(`--out: ${out} is a file; --all writes into a folder`);
}

const size = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`);

export const reportCommand: Subcommand = {
  summary: 'national, entity or institution report (PDF) or the edition workbook (XLSX); --all: every institution card',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: flags } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        kind: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        edition: { type: 'string' },
        compare: { type: 'string' },
        entity: { type: 'string' },
        institution: { type: 'string' },
        all: { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (flags.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }

    // Every flag is checked before the database is opened.
    const kind = oneOf('kind', flags.kind, KINDS);
    if (!kind) throw new CliError(`--kind is required (${KINDS.join(', ')})`);
    const format = oneOf('format', flags.format, FORMATS);
    if (!flags.out) throw new CliError(`--out is required (${flags.all ? 'a folder' : 'the file to write'})`);
    if (flags.edition !== undefined && !/^[a-z0-9][a-z0-9-]{1,62}$/.test(flags.edition)) throw new CliError(`--edition must be an edition id such as mga-2017, got "${flags.edition}"`);
    if (flags.compare !== undefined) {
      if (kind !== 'national') throw new CliError('--compare applies only to --kind national');
      if (!/^(\d{4}(,\d{4})*)?$/.test(flags.compare)) throw new CliError(`--compare must be edition years separated by commas, e.g. 2019,2021; got "${flags.compare}"`);
    }
    if (flags.entity !== undefined && kind === 'national') throw new CliError('--entity applies only to --kind entity or institution');
    if (flags.institution !== undefined && kind !== 'institution') throw new CliError('--institution applies only to --kind institution');
    if (flags.concurrency !== undefined && !flags.all) throw new CliError('--concurrency applies only to --all');
    let concurrency = 2;
    if (flags.concurrency !== undefined) {
      if (!/^\d+$/.test(flags.concurrency) || Number(flags.concurrency) < 1 || Number(flags.concurrency) > MAX_CONCURRENCY) {
        throw new CliError(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got "${flags.concurrency}"`);
      }
      concurrency = Number(flags.concurrency);
    }
    if (flags.all) {
      if (kind !== 'institution') throw new CliError('--all applies only to --kind institution (every institution card of the edition)');
      if (flags.institution !== undefined || flags.entity !== undefined) throw new CliError('--all writes every institution card: leave out --institution and --entity');
      if (format === 'xlsx') throw new CliError('--format: institution cards are PDF only');
      await checkOutDir(flags.out);
    } else {
      if (!format) throw new CliError(`--format is required (${FORMATS.join(', ')})`);
      if (format === 'xlsx' && kind !== 'national') throw new CliError(`--format xlsx is only for --kind national (the edition workbook); --kind ${kind} is PDF`);
      if (kind === 'entity' && !flags.entity) throw new CliError('--entity is required with --kind entity');
      if (kind === 'institution' && !flags.institution) throw new CliError('--institution is required with --kind institution (an id, or a name with --entity when it repeats), or use --all');
      await checkOutFile(flags.out);
    }

    // The browser first (found, or installed the first time, saying so), before any work is done.
    if (flags.all || format === 'pdf') {
      try {
        const browser = await resolveChromium((msg) => io.stderr(`mga report: ${msg}\n`));
        if (browser.route !== 'PATH' && browser.route !== 'CHROMIUM_PATH') io.stderr(`mga report: ${describeChromium(browser)}\n`);
      } catch (error) {
        if (error instanceof NoChromiumError) {
          io.stderr(`mga report: ${error.message}\n`);
          return 1;
        }
        throw asCliError(error);
      }
    }

    const logger = createLogger(process.env.LOG_LEVEL || 'warn');
    const database = await openDatabaseForTool(loadConfig(), logger);
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once('SIGINT', interrupt);
    try {
      // As the server does on first start: a fresh install has the 2017 edition without ever running the server.
      await loadReferenceEditions((msg) => logger.info(msg));
      // An explicit --edition may be unpublished (reports for review); the default is the latest published one.
      const editionId = flags.edition ?? (await latestPublishedEditionId());
      const options = { publishedOnly: false };
      const started = performance.now();
      if (flags.all) {
        // --concurrency: prints at the same time, each on its own page of the one browser.
        if (flags.concurrency !== undefined) configurePagePool({ pages: concurrency });
        const showBar = process.stderr.isTTY === true;
        let lastTenth = 0;
        const result = await institutionCards(editionId, flags.out, {
          ...options,
          concurrency,
          progressBar: showBar,
          signal: controller.signal,
          // Without a terminal, a line every tenth of the way instead of the bar.
          ...(!showBar && {
            onProgress: ({ done, total }) => {
              const tenth = Math.floor((10 * done) / total);
              if (tenth > lastTenth || done === total) io.stderr(`mga report: ${done}/${total} institution cards\n`);
              lastTenth = tenth;
            },
          }),
        });
        const bytes = result.cards.reduce((sum, c) => sum + c.bytes, 0);
        io.stdout(`wrote ${result.cards.length} institution cards of ${result.edition} to ${flags.out} (${size(bytes)}) in ${(result.durationMs / 1000).toFixed(1)} s\n`);
        return 0;
      }
      let file: ReportFile;
      if (kind === 'national') {
        const national = { ...options, ...(flags.compare !== undefined && { compare: flags.compare }) };
        file = format === 'xlsx' ? await editionWorkbook(editionId, national) : await nationalReportPdf(editionId, national);
      } else if (kind === 'entity') {
        file = await entityReportPdf(editionId, flags.entity!, options);
      } else {
        file = await institutionReportPdf(editionId, flags.institution!, { ...options, ...(flags.entity !== undefined && { entity: flags.entity }) });
      }
      await writeFile(flags.out, file.body).catch((error: Error) => {
        throw new CliError(`--out: cannot write ${flags.out}: ${error.message}`);
      });
      io.stdout(`wrote ${flags.out} (${size(file.body.length)}, ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      return 0;
    } catch (error) {
      if (controller.signal.aborted) {
        io.stderr('mga report: interrupted; the cards written so far are kept\n');
        return 130;
      }
      throw asCliError(error);
    } finally {
      process.removeListener('SIGINT', interrupt);
      await closeBrowser();
      await database.close();
    }
  },
};
