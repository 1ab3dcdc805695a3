/** Shared by the file-based subcommands: reading a results file, a methodology and a variant. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { IMPORT_PRESETS, IMPORT_PRESET_IDS, parseResultsTable, TEXT_ENCODINGS, type ImportError, type ImportedRow, type ImportPresetId, type TableFormat, type TextEncodingOption } from '../../scoring/import/index.js';
import { MethodologyValidationError, validateMethodology, type Methodology } from '../../scoring/methodology.js';
import { applyVariant, VariantValidationError, type DerivedMethodology } from '../../scoring/variants.js';
import { CliError, oneOf } from './cli.js';

const ERRORS_SHOWN = 3;

export function describeImportError(e: ImportError): string {
  const where = [e.row !== null && `row ${e.row}`, e.column !== null && `column "${e.column}"`, e.value !== null && `value "${e.value}"`].filter(Boolean);
  return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${e.reason}`;
}

export function inputFormat(path: string): TableFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.xlsx') return 'xlsx';
  throw new CliError(`cannot tell the format of "${path}": expected a .csv or .xlsx file`);
}

export async function readInput(path: string, flag = 'input'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${flag} file not found: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readJson(path: string, flag: string): Promise<unknown> {
  const text = (await readInput(path, flag)).toString('utf-8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`--${flag}: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Flags every file-based subcommand accepts. */
export const INPUT_OPTIONS = {
  input: { type: 'string' },
  preset: { type: 'string', default: 'mga-2017' },
  encoding: { type: 'string', default: 'auto' },
  weights: { type: 'string' },
  methodology: { type: 'string' },
} as const;

export const INPUT_USAGE = `--input <file.csv|file.xlsx> [--preset ${IMPORT_PRESET_IDS.join('|')}] [--encoding ${TEXT_ENCODINGS.join('|')}]
                 [--weights VARIANT.json] [--methodology METHODOLOGY.json]`;

export interface LoadedInput {
  rows: ImportedRow[];
  /** The preset's built-in methodology (the official one). */
  official: Methodology;
  /** The methodology used: the official one, the one given with --methodology, or a variant of either. */
  methodology: Methodology;
  /** Set when --weights or --methodology changed the formulas: the primary tree is recomputed. */
  derived: DerivedMethodology | null;
  /** Tree nodes whose formulas changed, to be recomputed everywhere. */
  changed: string[];
}

export async function loadInput(
  flags: { input?: string; preset?: string; encoding?: string; weights?: string; methodology?: string },
  /** What the command does with the data, for the import-error message ("nothing <verb>"). */
  verb = 'computed',
): Promise<LoadedInput> {
  if (!flags.input) throw new CliError('--input is required');
  const format = inputFormat(flags.input);
  const preset: ImportPresetId = oneOf('preset', flags.preset, IMPORT_PRESET_IDS)!;
  const encoding: TextEncodingOption = oneOf('encoding', flags.encoding, TEXT_ENCODINGS)!;
  const official = loadBuiltinMethodology(IMPORT_PRESETS[preset].methodologyId);
  let methodology = official;
  let changed: string[] = [];
  if (flags.methodology) {
    try {
      methodology = validateMethodology(await readJson(flags.methodology, 'methodology'));
    } catch (error) {
      if (error instanceof MethodologyValidationError) throw new CliError(`--methodology: ${error.message}`);
      throw error;
    }
    // A whole methodology replaces every formula: every composite is recomputed where the data allow.
    changed = [];
  }
  let derived: DerivedMethodology | null = null;
  if (flags.weights) {
    try {
      derived = applyVariant(methodology, await readJson(flags.weights, 'weights'));
    } catch (error) {
      if (error instanceof VariantValidationError) throw new CliError(`--weights: ${error.message}`);
      throw error;
    }
    methodology = derived.methodology;
    changed = derived.changed;
  }
  const parsed = await parseResultsTable(await readInput(flags.input), { format, preset, encoding, methodology: official });
  if (parsed.errors.length > 0) {
    const shown = parsed.errors.slice(0, ERRORS_SHOWN).map(describeImportError).join('; ');
    const more = parsed.errors.length > ERRORS_SHOWN ? `; and ${parsed.errors.length - ERRORS_SHOWN} more` : '';
    throw new CliError(`${parsed.errors.length} import error(s) in ${flags.input}, nothing ${verb}: ${shown}${more}`);
  }
  return { rows: parsed.rows, official, methodology, derived, changed };
}

/** Whether the formulas differ from the official ones (so the primary tree is recomputed). */
export function recomputes(input: LoadedInput): boolean {
  return input.methodology !== input.official;
}
