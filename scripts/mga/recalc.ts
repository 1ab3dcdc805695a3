/** `mga recalc`: group results from a CSV or XLSX file and print the group means. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { NATIONAL_METHODS } from '../../scoring/grouping.js';
import { IMPORT_PRESETS, IMPORT_PRESET_IDS, parseResultsTable, TEXT_ENCODINGS, type ImportError, type TableFormat } from '../../scoring/import/index.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { groupingTable, recalcJson, recalculate, RECALC_GROUPINGS, summaryColumns, toCsv } from '../../scoring/recalc.js';
import { CliError, oneOf, type CliIo, type Subcommand } from './cli.js';

const OUTPUT_FORMATS = ['csv', 'json'] as const;
const MAX_ROUND = 15;
const ERRORS_SHOWN = 3;

const usage = `usage: mga recalc --input <file.csv|file.xlsx> --by ${RECALC_GROUPINGS.join('|')}
                 [--preset ${IMPORT_PRESET_IDS.join('|')}] [--national-method ${NATIONAL_METHODS.join('|')}]
                 [--round N] [--format ${OUTPUT_FORMATS.join('|')}] [--encoding ${TEXT_ENCODINGS.join('|')}]`;

function describeImportError(e: ImportError): string {
  const where = [e.row !== null && `row ${e.row}`, e.column !== null && `column "${e.column}"`, e.value !== null && `value "${e.value}"`].filter(Boolean);
  return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${e.reason}`;
}

function inputFormat(path: string): TableFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.xlsx') return 'xlsx';
  throw new CliError(`cannot tell the format of "${path}": expected a .csv or .xlsx file`);
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `input file not found: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
}

export const recalc: Subcommand = {
  summary: 'recalculate group means (entity, type, level or national) from institution results',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: flags } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: 'string' },
        preset: { type: 'string', default: 'mga-2017' },
        by: { type: 'string' },
        'national-method': { type: 'string' },
        round: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        encoding: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (flags.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!flags.input) throw new CliError('--input is required');
    const by = oneOf('by', flags.by, RECALC_GROUPINGS);
    if (!by) throw new CliError(`--by is required (${RECALC_GROUPINGS.join(', ')})`);
    const preset = oneOf('preset', flags.preset, IMPORT_PRESET_IDS)!;
    const nationalMethod = oneOf('national-method', flags['national-method'], NATIONAL_METHODS);
    if (nationalMethod && by !== 'national') throw new CliError('--national-method applies only to --by national');
    const outputFormat = oneOf('format', flags.format, OUTPUT_FORMATS)!;
    const encoding = oneOf('encoding', flags.encoding, TEXT_ENCODINGS)!;
    let round: number | undefined;
    if (flags.round !== undefined) {
      if (!/^\d+$/.test(flags.round) || Number(flags.round) > MAX_ROUND) throw new CliError(`--round must be an integer from 0 to ${MAX_ROUND}, got "${flags.round}"`);
      round = Number(flags.round);
    }

    const format = inputFormat(flags.input);
    const methodology = loadBuiltinMethodology(IMPORT_PRESETS[preset].methodologyId);
    const parsed = await parseResultsTable(await readInput(flags.input), { format, preset, encoding, methodology });
    if (parsed.errors.length > 0) {
      const shown = parsed.errors.slice(0, ERRORS_SHOWN).map(describeImportError).join('; ');
      const more = parsed.errors.length > ERRORS_SHOWN ? `; and ${parsed.errors.length - ERRORS_SHOWN} more` : '';
      throw new CliError(`${parsed.errors.length} import error(s) in ${flags.input}, nothing recalculated: ${shown}${more}`);
    }

    const result = recalculate(methodology, parsed.rows, { by, ...(nationalMethod && { nationalMethod }) });
    if (outputFormat === 'json') io.stdout(`${JSON.stringify(recalcJson(result, parsed.rows, round), null, 2)}\n`);
    else io.stdout(toCsv(groupingTable(result.grouping, summaryColumns(methodology), round)));

    const { discrepancies } = result.scores;
    if (discrepancies.length > 0) {
      const first = discrepancies[0]!;
      io.stderr(
        `mga recalc: warning: ${discrepancies.length} given value(s) disagree with their formulas beyond the tolerance; given values were kept ` +
          `(first: row ${parsed.rows[first.row]?.rowNumber}, ${first.node} = ${first.reported} vs ${first.computed} via ${first.via})\n`,
      );
    }
    return 0;
  },
};
