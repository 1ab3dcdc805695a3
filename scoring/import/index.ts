/**
 * Institution-level results from a CSV or XLSX file given as bytes: columns mapped to fields,
 * names normalised through the catalogue, values checked. Every problem is returned in `errors`
 * (with row, column, value and reason) so that the caller can refuse to store anything when it is
 * not empty; rows with a problem are left out of `rows`.
 */
import {
  foldName,
  type Entity,
  INSTITUTION_TYPES_2017,
  normalizeEntity,
  normalizeInstitutionType,
  normalizeLevel,
  UnknownNameError,
} from '../catalogue.js';
import { scoreValueProblem } from '../engine.js';
import { methodologyGraph, type Methodology } from '../methodology.js';
import type { TextEncodingOption } from './decode.js';
import {
  IMPORT_PRESET_IDS,
  IMPORT_PRESETS,
  isIdentityField,
  isImportPresetId,
  OPTIONAL_IDENTITY_FIELDS,
  REQUIRED_IDENTITY_FIELDS,
  type ColumnMapping,
  type ImportPresetId,
} from './presets.js';
import { readCsvStream } from './read-csv.js';
import { repairName, type NameRepair } from './repair.js';
import { readXlsx } from './read-xlsx.js';
import { DEFAULT_IMPORT_LIMITS, ROWS_PER_SLICE, yieldToEventLoop, type ImportLimits } from './limits.js';
import type { Cell, ImportError, RawTable, ReadResult } from './types.js';

export type { TextEncodingOption } from './decode.js';
export { TEXT_ENCODINGS } from './decode.js';
export { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './limits.js';
export type { Cell, ImportError } from './types.js';
export { repairName, type NameRepair, type NameRepairRule } from './repair.js';
export * from './presets.js';

export type TableFormat = 'csv' | 'xlsx';
export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'xlsx'];

export interface ParseResultsOptions {
  format: TableFormat;
  /** A known column layout; its methodology and type catalogue become the defaults. */
  preset?: ImportPresetId;
  /** Column header → field ("name", "entity", "level", "type", "externalId" or a node id); overrides the preset per field. */
  mapping?: ColumnMapping;
  /** CSV only; default "auto" (valid UTF-8, else Latin-1). */
  encoding?: TextEncodingOption;
  /** The methodology whose node ids a column may map to (the preset's, when a preset is given). */
  methodology: Methodology;
  /** Accepted institution types; default the preset's, else the 2017 types. */
  institutionTypes?: readonly string[];
  /** A sample of institutions (no scores yet): score columns are optional. */
  identityOnly?: boolean;
  /** XLSX only: the worksheet to read; default the first. */
  sheet?: string;
  /** Caps on rows, columns, cell length and (XLSX) decompressed size; default DEFAULT_IMPORT_LIMITS. */
  limits?: ImportLimits;
}

export interface ImportedRow {
  /** Row in the file, the header being row 1. */
  rowNumber: number;
  /** The name, repaired when it arrived damaged by a wrong encoding (see repair.ts). */
  name: string;
  /** The name as the file has it, when it was repaired. */
  nameAsRead?: string;
  /** Canonical Spanish entity name (catalogue), e.g. "Ciudad de México". */
  entity: string;
  entityCode: string;
  level: string;
  type: string;
  externalId?: string;
  /** The institution's contact for e-mails (sample imports), when the file has these columns. */
  contactName?: string;
  contactEmail?: string;
  contactCc?: string[];
  /** Node id → value, for the non-empty score cells. */
  values: Record<string, number>;
}

export interface ParseResultsOutput {
  rows: ImportedRow[];
  errors: ImportError[];
  /** The column → field mapping applied (after the preset, the explicit mapping and headers named like fields). */
  mapping: Record<string, string>;
  /** CSV only: how the bytes were decoded. */
  encoding?: 'utf-8' | 'latin1';
  /** Names that arrived damaged by a wrong text encoding: how each was repaired (or that it could not be). */
  repairs: NameRepairNote[];
}

export interface NameRepairNote extends NameRepair {
  row: number;
  column: string;
}

interface ResolvedMapping {
  /** Column index → field. */
  fields: Map<number, string>;
  /** Field → column header. */
  columnOf: Map<string, string>;
  applied: Record<string, string>;
  errors: ImportError[];
}

/** A plain e-mail address: something@domain.tld, no spaces (the SMTP server has the last word). */
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA_NUMBER = /^[+-]?\d*,\d+$/;

function headerError(column: string, reason: string): ImportError {
  return { row: 1, column, value: null, reason };
}

function cellText(cell: Cell | undefined): string {
  return cell === null || cell === undefined ? '' : String(cell).trim();
}

/** Preset columns, minus the fields the explicit mapping reassigns, plus the explicit mapping. */
function explicitMapping(preset: ImportPresetId | undefined, mapping: ColumnMapping | undefined): Map<string, string> {
  const reassigned = new Set(Object.values(mapping ?? {}));
  const result = new Map<string, string>();
  for (const [column, field] of Object.entries(preset ? IMPORT_PRESETS[preset].mapping : {})) {
    if (!reassigned.has(field)) result.set(column, field);
  }
  for (const [column, field] of Object.entries(mapping ?? {})) result.set(column, field);
  return result;
}

function resolveMapping(header: readonly string[], explicit: ReadonlyMap<string, string>, nodeIds: ReadonlySet<string>, identityOnly = false): ResolvedMapping {
  const errors: ImportError[] = [];
  const columnIndex = new Map<string, number>();
  header.forEach((column, i) => {
    if (column === '') return;
    if (columnIndex.has(column)) errors.push(headerError(column, `duplicate column "${column}"`));
    else columnIndex.set(column, i);
  });

  const fields = new Map<number, string>();
  const columnOf = new Map<string, string>();
  const applied: Record<string, string> = {};
  const assign = (column: string, index: number, field: string): void => {
    fields.set(index, field);
    columnOf.set(field, column);
    applied[column] = field;
  };
  for (const [column, field] of explicit) {
    const index = columnIndex.get(column);
    if (index !== undefined) assign(column, index, field);
    else if (!OPTIONAL_IDENTITY_FIELDS.includes(field as never)) errors.push(headerError(column, `missing required column "${column}" (${field})`));
  }
  // Columns named exactly like a field or a node are taken as that field unless something maps to it already.
  const assignedFields = new Set(explicit.values());
  for (const [column, index] of columnIndex) {
    if (explicit.has(column) || assignedFields.has(column)) continue;
    if (isIdentityField(column) || nodeIds.has(column)) {
      assign(column, index, column);
      assignedFields.add(column);
    }
  }
  for (const field of REQUIRED_IDENTITY_FIELDS) {
    if (!assignedFields.has(field)) errors.push(headerError(field, `missing required column "${field}" (no column is mapped to the institution's ${field})`));
  }
  if (!identityOnly && ![...fields.values()].some((field) => !isIdentityField(field))) {
    errors.push({ row: 1, column: null, value: null, reason: `no score columns: expected at least one column mapped to a node (${[...nodeIds].join(', ')})` });
  }
  return { fields, columnOf, applied, errors };
}

function checkMappingTargets(explicit: ReadonlyMap<string, string>, nodeIds: ReadonlySet<string>, methodologyId: string): void {
  const columnOfField = new Map<string, string>();
  for (const [column, field] of explicit) {
    if (!isIdentityField(field) && !nodeIds.has(field)) {
      throw new TypeError(`mapping: column "${column}" maps to "${field}", which is neither an institution field nor a node of ${methodologyId}`);
    }
    const other = columnOfField.get(field);
    if (other !== undefined) throw new TypeError(`mapping: columns "${other}" and "${column}" both map to "${field}"`);
    columnOfField.set(field, column);
  }
}

/** The cell's value as a score, or the reason it is not one. */
function parseScore(cell: Cell): number | string {
  let value: number;
  if (typeof cell === 'number') value = cell;
  else {
    const text = cellText(cell);
    if (!DECIMAL_NUMBER.test(text)) {
      return DECIMAL_COMMA_NUMBER.test(text) ? 'not a number: use a decimal point, not a comma (e.g. 0.5)' : 'not a number';
    }
    value = Number(text);
  }
  return scoreValueProblem(value) ?? value;
}

/** Maps every row (linear: each distinct spelling is normalised once), yielding to the event loop now and then. */
async function mapRows(table: RawTable, mapping: ResolvedMapping, institutionTypes: readonly string[]) {
  const rows: ImportedRow[] = [];
  const errors: ImportError[] = [];
  const repairs: NameRepairNote[] = [];
  const firstRowOf = new Map<string, number>();
  const columns = [...mapping.fields].map(([index, field]) => ({ index, field, header: table.header[index]!, isNode: !isIdentityField(field) }));
  // Few distinct spellings recur on every row: normalise each once.
  const normalized = new Map<string, Entity | string | UnknownNameError>();
  const normalizeOnce = <T extends Entity | string>(field: string, text: string, normalize: (text: string) => T): T => {
    const key = `${field}\u0000${text}`;
    let result = normalized.get(key);
    if (result === undefined) {
      try {
        result = normalize(text);
      } catch (error) {
        if (!(error instanceof UnknownNameError)) throw error;
        result = error;
      }
      normalized.set(key, result);
    }
    if (result instanceof UnknownNameError) throw result;
    return result as T;
  };
  let seen = 0;
  for (const { rowNumber, cells } of table.rows) {
    if (++seen % ROWS_PER_SLICE === 0) await yieldToEventLoop();
    if (cells.every((cell) => cellText(cell) === '')) continue;
    const rowErrors: ImportError[] = [];
    const fail = (column: string, text: string, reason: string): void => void rowErrors.push({ row: rowNumber, column, value: text, reason });
    let name: string | undefined;
    let nameAsRead: string | undefined;
    let externalId: string | undefined;
    let entity: Entity | undefined;
    let level: string | undefined;
    let type: string | undefined;
    const contact: Pick<ImportedRow, 'contactName' | 'contactEmail' | 'contactCc'> = {};
    const values: Record<string, number> = {};
    for (const { index, field, header, isNode } of columns) {
      const cell = cells[index] ?? null;
      const text = cellText(cell);
      if (isNode) {
        if (text === '') continue; // no value for this node: it may still be computed from others
        const parsed = parseScore(cell);
        if (typeof parsed === 'string') fail(header, text, parsed);
        else values[field] = parsed;
        continue;
      }
      if (text === '') {
        if (!OPTIONAL_IDENTITY_FIELDS.includes(field as never)) fail(header, text, `empty ${field}`);
        continue;
      }
      try {
        switch (field) {
          case 'name': {
            const repair = repairName(text);
            name = repair ? repair.to : text;
            if (repair) {
              repairs.push({ row: rowNumber, column: header, ...repair });
              if (repair.to !== text) nameAsRead = text;
            }
            break;
          }
          case 'externalId':
            externalId = text;
            break;
          case 'contactName':
            if (text.length > 200) fail(header, text, 'contact name longer than 200 characters');
            else contact.contactName = text;
            break;
          case 'contactEmail':
            if (!EMAIL.test(text) || text.length > 254) fail(header, text, 'not an e-mail address');
            else contact.contactEmail = text.toLowerCase();
            break;
          case 'contactCc': {
            const list = text.split(/[;,\s]+/).filter(Boolean);
            const bad = list.find((address) => !EMAIL.test(address) || address.length > 254);
            if (bad !== undefined) fail(header, text, `not an e-mail address: "${bad}"`);
            else if (list.length > 10) fail(header, text, 'more than 10 addresses');
            else contact.contactCc = list.map((address) => address.toLowerCase());
            break;
          }
          case 'entity':
            entity = normalizeOnce(field, text, normalizeEntity);
            break;
          case 'level':
            level = normalizeOnce(field, text, normalizeLevel);
            break;
          case 'type':
            type = normalizeOnce(field, text, (t) => normalizeInstitutionType(t, institutionTypes));
            break;
        }
      } catch (error) {
        if (!(error instanceof UnknownNameError)) throw error;
        fail(header, text, error.message);
      }
    }
    if (rowErrors.length === 0 && name !== undefined && entity && level !== undefined && type !== undefined) {
      const key = `${foldName(name)}|${entity.code}`;
      const first = firstRowOf.get(key);
      if (first === undefined) {
        firstRowOf.set(key, rowNumber);
        rows.push({ rowNumber, name, ...(nameAsRead !== undefined && { nameAsRead }), entity: entity.name, entityCode: entity.code, level, type, ...(externalId !== undefined && { externalId }), ...contact, values });
      } else {
        const reason = `duplicate institution: same name and entity (${entity.name}) as row ${first}`;
        rowErrors.push({ row: rowNumber, column: mapping.columnOf.get('name') ?? null, value: name, reason });
      }
    }
    errors.push(...rowErrors);
  }
  if (rows.length === 0 && errors.length === 0) {
    errors.push({ row: null, column: null, value: null, reason: 'no data rows: the file has a header but no institutions' });
  }
  return { rows, errors, repairs };
}

/** Parses a results table; never throws for problems in the data (see `errors`), only for bad options. */
export async function parseResultsTable(bytes: Uint8Array, options: ParseResultsOptions): Promise<ParseResultsOutput> {
  if (options.preset !== undefined && !isImportPresetId(options.preset)) {
    throw new TypeError(`unknown preset "${String(options.preset)}"; available: ${IMPORT_PRESET_IDS.join(', ')}`);
  }
  const preset = options.preset === undefined ? undefined : IMPORT_PRESETS[options.preset];
  const { methodology } = options;
  if (preset && methodology.id !== preset.methodologyId) {
    throw new TypeError(`preset "${options.preset}" belongs to methodology "${preset.methodologyId}", not "${methodology.id}"`);
  }
  const nodeIds = new Set(methodologyGraph(methodology).nodes.map((n) => n.id));
  const institutionTypes = options.institutionTypes ?? preset?.institutionTypes ?? INSTITUTION_TYPES_2017;
  const explicit = explicitMapping(options.preset, options.mapping);
  checkMappingTargets(explicit, nodeIds, methodology.id);

  const limits = options.limits ?? DEFAULT_IMPORT_LIMITS;
  let read: ReadResult;
  switch (options.format) {
    case 'csv':
      read = await readCsvStream(bytes, options.encoding ?? 'auto', limits);
      break;
    case 'xlsx':
      read = await readXlsx(bytes, options.sheet, limits);
      break;
    default:
      throw new TypeError(`unknown format "${String(options.format)}"; expected one of: ${TABLE_FORMATS.join(', ')}`);
  }
  if ('error' in read) return { rows: [], errors: read.errors ?? [read.error], mapping: {}, repairs: [] };
  const encoding = read.encoding && { encoding: read.encoding };
  const mapping = resolveMapping(read.table.header, explicit, nodeIds, options.identityOnly);
  if (mapping.errors.length > 0) return { rows: [], errors: mapping.errors, mapping: mapping.applied, repairs: [], ...encoding };
  const { rows, errors, repairs } = await mapRows(read.table, mapping, institutionTypes);
  return { rows, errors, mapping: mapping.applied, repairs, ...encoding };
}
