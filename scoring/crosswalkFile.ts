/**
 * Crosswalk decisions as a CSV file: the same layout for the admin page's download and upload and for
 * `mga compare --crosswalk`. One row per pair:
 *
 *   base_id,base_name,base_entity,other_id,other_name,other_entity,similarity,decision
 *
 * `decision` is accept or reject (aceptar / rechazar, sí / no also read; empty = not decided, skipped).
 * `base_id`/`other_id` are optional: without them a row names its institutions by name and entity,
 * folded as the matching folds them. Pure: the caller reads the bytes.
 */
import { readCsv } from './import/read-csv.js';
import type { ImportError } from './import/types.js';
import { normalizeInstitutionName, type MatchDecision, type MatchRecord } from './matching.js';
import { normalizeEntity, UnknownNameError } from './catalogue.js';

export const DECISION_COLUMNS = ['base_id', 'base_name', 'base_entity', 'other_id', 'other_name', 'other_entity', 'similarity', 'decision'] as const;
const REQUIRED_BY_NAME = ['base_name', 'base_entity', 'other_name', 'other_entity', 'decision'];

const ACCEPT = new Set(['accept', 'accepted', 'aceptar', 'aceptado', 'si', 'sí', 'yes', '1']);
const REJECT = new Set(['reject', 'rejected', 'rechazar', 'rechazado', 'no', '0']);

export interface DecisionRow {
  row: number;
  baseId?: string;
  baseName: string;
  baseEntity: string;
  otherId?: string;
  otherName: string;
  otherEntity: string;
  accepted: boolean;
}

export interface ParsedDecisions {
  rows: DecisionRow[];
  errors: ImportError[];
}

export function parseDecisionsCsv(bytes: Uint8Array): ParsedDecisions {
  const read = readCsv(bytes, 'auto');
  if ('error' in read) return { rows: [], errors: [read.error] };
  const { header, rows } = read.table;
  const index = new Map(header.map((h, i) => [h.trim().toLowerCase(), i]));
  const byId = index.has('base_id') && index.has('other_id') && index.has('decision');
  const missing = REQUIRED_BY_NAME.filter((c) => !index.has(c));
  if (!byId && missing.length > 0) {
    return { rows: [], errors: [{ row: 1, column: missing[0]!, value: null, reason: `missing column "${missing[0]}": give ${REQUIRED_BY_NAME.join(', ')} (or base_id, other_id, decision)` }] };
  }
  const out: DecisionRow[] = [];
  const errors: ImportError[] = [];
  for (const { rowNumber, cells } of rows) {
    const cell = (column: string) => String(cells[index.get(column) ?? -1] ?? '').trim();
    if (header.every((_, i) => String(cells[i] ?? '').trim() === '')) continue;
    const decision = cell('decision').toLowerCase();
    // A candidate downloaded and left undecided.
    if (decision === '') continue;
    if (!ACCEPT.has(decision) && !REJECT.has(decision)) {
      errors.push({ row: rowNumber, column: 'decision', value: cell('decision'), reason: 'decision must be accept or reject (aceptar / rechazar)' });
      continue;
    }
    const baseId = cell('base_id');
    const otherId = cell('other_id');
    const row: DecisionRow = { row: rowNumber, baseName: cell('base_name'), baseEntity: cell('base_entity'), otherName: cell('other_name'), otherEntity: cell('other_entity'), accepted: ACCEPT.has(decision), ...(baseId && { baseId }), ...(otherId && { otherId }) };
    for (const side of ['base', 'other'] as const) {
      const hasId = side === 'base' ? !!baseId : !!otherId;
      const name = side === 'base' ? row.baseName : row.otherName;
      const entity = side === 'base' ? row.baseEntity : row.otherEntity;
      if (!hasId && (name === '' || entity === '')) errors.push({ row: rowNumber, column: `${side}_${name === '' ? 'name' : 'entity'}`, value: null, reason: `give the ${side} institution's id, or its name and entity` });
    }
    out.push(row);
  }
  if (rows.length === 0) errors.push({ row: null, column: null, value: null, reason: 'no data rows' });
  return { rows: out, errors };
}

function entityKey(entity: string): string | undefined {
  try {
    return normalizeEntity(entity).code;
  } catch (error) {
    if (error instanceof UnknownNameError) return undefined;
    throw error;
  }
}

/**
 * The decisions as pairs of record keys: by id when the row has one (the key must be a record's key),
 * else by entity and normalised name, which must name exactly one record of its side.
 */
export function resolveDecisions(rows: readonly DecisionRow[], base: readonly MatchRecord[], other: readonly MatchRecord[]): { decisions: MatchDecision[]; errors: ImportError[] } {
  const index = (records: readonly MatchRecord[]) => {
    const byName = new Map<string, string[]>();
    for (const r of records) {
      const key = `${entityKey(r.entity) ?? r.entity}|${normalizeInstitutionName(r.name, r.entity)}`;
      byName.set(key, [...(byName.get(key) ?? []), r.key]);
    }
    return { byName, keys: new Set(records.map((r) => r.key)) };
  };
  const sides = { base: index(base), other: index(other) };
  const decisions: MatchDecision[] = [];
  const errors: ImportError[] = [];
  for (const row of rows) {
    const keys: Partial<Record<'base' | 'other', string>> = {};
    for (const side of ['base', 'other'] as const) {
      const id = side === 'base' ? row.baseId : row.otherId;
      const name = side === 'base' ? row.baseName : row.otherName;
      const entity = side === 'base' ? row.baseEntity : row.otherEntity;
      if (id) {
        if (sides[side].keys.has(id)) keys[side] = id;
        else errors.push({ row: row.row, column: `${side}_id`, value: id, reason: `no ${side} institution has this id` });
        continue;
      }
      const code = entityKey(entity);
      if (code === undefined) {
        errors.push({ row: row.row, column: `${side}_entity`, value: entity, reason: `unknown entity "${entity}"` });
        continue;
      }
      const found = sides[side].byName.get(`${code}|${normalizeInstitutionName(name, entity)}`) ?? [];
      if (found.length === 1) keys[side] = found[0]!;
      else errors.push({ row: row.row, column: `${side}_name`, value: name, reason: found.length === 0 ? `no ${side} institution of ${entity} is named "${name}"` : `${found.length} ${side} institutions of ${entity} are named "${name}": give ${side}_id` });
    }
    if (keys.base !== undefined && keys.other !== undefined) decisions.push({ base: keys.base, other: keys.other, accepted: row.accepted });
  }
  return { decisions, errors };
}

function csvCell(text: string): string {
  // Text a spreadsheet would run as a formula stays text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface DecisionCsvRow {
  baseId: string;
  baseName: string;
  baseEntity: string;
  otherId: string;
  otherName: string;
  otherEntity: string;
  similarity: number | null;
  /** accept, reject, or empty for a candidate not yet decided. */
  decision: 'accept' | 'reject' | '';
}

/** The CSV text (header of DECISION_COLUMNS), LF line ends. */
export function decisionsCsv(rows: readonly DecisionCsvRow[]): string {
  const lines = rows.map((r) => [r.baseId, r.baseName, r.baseEntity, r.otherId, r.otherName, r.otherEntity, r.similarity === null ? '' : r.similarity.toFixed(3), r.decision].map(csvCell).join(','));
  return [DECISION_COLUMNS.join(','), ...lines].join('\n') + '\n';
}
