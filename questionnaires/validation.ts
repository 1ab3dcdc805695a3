/**
 * Validation and normalisation of submitted answers. Everything arriving from a form or an API is
 * untrusted: only known item ids are read, every value is checked against its item's kind, and
 * objects where a value is expected (e.g. {"$gt": ""}) are type errors.
 */
import {
  EVIDENCE_SUFFIX,
  ROW_KEY,
  ROW_KEY_PATTERN,
  topLevelItems,
  type ChoiceItem,
  type EvidenceItem,
  type GroupItem,
  type ItemKind,
  type NumberItem,
  type QuestionnaireDefinition,
  type QuestionnaireItem,
  type RowItem,
  type TextItem,
} from './definition.js';
import {
  applicableChoices,
  isShown,
  resolveAnswers,
  type AnswerRow,
  type AnswerValue,
  type Answers,
  type InstitutionContext,
  type ItemState,
  type Resolution,
} from './resolve.js';

export type AnswerErrorCode =
  | 'not_object'
  | 'forbidden_key'
  | 'unknown_item'
  | 'type'
  | 'out_of_range'
  | 'too_long'
  | 'too_many'
  | 'invalid_date'
  | 'date_order'
  | 'invalid_url'
  | 'invalid_choice'
  | 'required'
  | 'min_rows'
  | 'duplicate_row'
  | 'too_many_errors';

export interface AnswerError {
  /** Item id, `${id}:evidence`, or a row path such as "requests[2].dateAnswered"; "" for the whole set. */
  item: string;
  code: AnswerErrorCode;
  /** Spanish message for the respondent. */
  reason: string;
  reasonEn: string;
}

export interface AnswerContext {
  institution: InstitutionContext;
}

export interface ValidationContext extends AnswerContext {
  /** draft: type and range checks only; submit: also required items and minimum rows. */
  mode: 'draft' | 'submit';
}

export interface AnswerValidation {
  ok: boolean;
  errors: AnswerError[];
  /**
   * The valid answers, normalised (trimmed text, numbers, ISO dates, canonical URLs, choices in
   * definition order; blank rows dropped); invalid values are left out. On submit, answers of items
   * that are hidden or do not apply are dropped too.
   */
  answers: Answers;
  /** Group id → the index in the input of each kept row (blank rows are dropped), to map error paths back. */
  rowOrigins: ReadonlyMap<string, readonly number[]>;
}

/** Stops hostile input from producing unbounded error lists. */
export const MAX_ERRORS = 100;
export const MAX_URL_LENGTH = 2000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const MIN_YEAR = 1900;
const MAX_YEAR = 2199;
// Tab, line feed and carriage return are the only control characters a text may hold.
const TEXT_CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Half of a UTF-16 surrogate pair without its other half: not a character, and not storable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const URL_FORBIDDEN_CHARS = /[\s\u0000-\u001f\u007f]/;

const EXPECTED: Record<ItemKind | 'row', { es: string; en: string }> = {
  yesno: { es: 'se esperaba "yes" (sí) o "no"', en: 'expected "yes" or "no"' },
  single: { es: 'se esperaba el identificador de una opción', en: 'expected a choice id' },
  multiple: { es: 'se esperaba una lista de identificadores de opciones', en: 'expected a list of choice ids' },
  number: { es: 'se esperaba un número', en: 'expected a number' },
  date: { es: 'se esperaba una fecha AAAA-MM-DD', en: 'expected a date YYYY-MM-DD' },
  url: { es: 'se esperaba una dirección http:// o https://', en: 'expected an http:// or https:// address' },
  text: { es: 'se esperaba un texto', en: 'expected a text' },
  evidence: { es: 'se esperaba una lista de direcciones http:// o https://', en: 'expected a list of http:// or https:// addresses' },
  group: { es: 'se esperaba una lista de filas', en: 'expected a list of rows' },
  row: { es: 'se esperaba una fila con respuestas', en: 'expected a row of answers' },
};

class ErrorList {
  readonly errors: AnswerError[] = [];

  add(item: string, code: AnswerErrorCode, reason: string, reasonEn: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ item, code, reason, reasonEn });
    else if (this.errors.length === MAX_ERRORS) {
      this.errors.push({ item: '', code: 'too_many_errors', reason: `hay más de ${MAX_ERRORS} errores; se omiten los demás`, reasonEn: `more than ${MAX_ERRORS} errors; the rest are omitted` });
    }
  }

  typeError(item: string, kind: ItemKind | 'row', raw: unknown): void {
    const isObject = typeof raw === 'object' && raw !== null;
    const expected = EXPECTED[kind];
    this.add(
      item,
      'type',
      isObject ? `${expected.es}; no se aceptan objetos ni operadores` : expected.es,
      isObject ? `${expected.en}; objects and operators are not accepted` : expected.en,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Keys that could reach a query operator, a dotted path or an object's prototype. */
function forbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key) || key.startsWith('$') || key.includes('.');
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** A trimmed string, undefined for anything else. */
function trimmed(raw: unknown): string | undefined {
  return typeof raw === 'string' ? raw.trim() : undefined;
}

/** The canonical form of an http(s) URL, or undefined. */
export function normaliseUrl(text: string): string | undefined {
  if (text.length > MAX_URL_LENGTH || URL_FORBIDDEN_CHARS.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url.href : undefined;
}

/** Whether "YYYY-MM-DD" names a real calendar day in the accepted range. */
export function isIsoDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < MIN_YEAR || year > MAX_YEAR) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function coerceUrl(raw: unknown, path: string, errors: ErrorList): string | undefined {
  const text = trimmed(raw);
  if (text === undefined) return errors.typeError(path, 'url', raw), undefined;
  if (text === '') return undefined;
  const url = normaliseUrl(text);
  if (url === undefined) errors.add(path, 'invalid_url', `${quote(text)} no es una dirección http:// o https:// válida`, `${quote(text)} is not a valid http:// or https:// address`);
  return url;
}

function coerceNumber(item: NumberItem, raw: unknown, path: string, errors: ErrorList): number | undefined {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else {
    const text = trimmed(raw);
    if (text === '') return undefined;
    if (text === undefined || !NUMBER_PATTERN.test(text)) return errors.typeError(path, 'number', raw), undefined;
    value = Number(text);
  }
  if (!Number.isFinite(value)) return errors.typeError(path, 'number', raw), undefined;
  if (item.integer && !Number.isInteger(value)) {
    return errors.add(path, 'type', 'se esperaba un número entero', 'expected a whole number'), undefined;
  }
  if ((item.min !== undefined && value < item.min) || (item.max !== undefined && value > item.max)) {
    const range = `${item.min ?? '−∞'}–${item.max ?? '∞'}`;
    return errors.add(path, 'out_of_range', `${value} está fuera del intervalo ${range}`, `${value} is outside ${range}`), undefined;
  }
  return value;
}

function coerceDate(raw: unknown, path: string, errors: ErrorList): string | undefined {
  const text = trimmed(raw);
  if (text === undefined) return errors.typeError(path, 'date', raw), undefined;
  if (text === '') return undefined;
  if (!isIsoDate(text)) {
    return errors.add(path, 'invalid_date', `${quote(text)} no es una fecha válida (AAAA-MM-DD, años ${MIN_YEAR}–${MAX_YEAR})`, `${quote(text)} is not a valid date (YYYY-MM-DD, years ${MIN_YEAR}–${MAX_YEAR})`), undefined;
  }
  return text;
}

function coerceText(item: TextItem, raw: unknown, path: string, errors: ErrorList): string | undefined {
  const text = trimmed(raw)?.normalize('NFC');
  if (text === undefined) return errors.typeError(path, 'text', raw), undefined;
  if (text === '') return undefined;
  if (TEXT_CONTROL_CHARS.test(text)) return errors.add(path, 'type', 'el texto contiene caracteres de control', 'the text contains control characters'), undefined;
  if (LONE_SURROGATE.test(text)) return errors.add(path, 'type', 'el texto contiene un carácter inválido (medio par sustituto UTF-16)', 'the text contains a lone UTF-16 surrogate'), undefined;
  const length = [...text].length;
  if (length > item.maxLength) {
    return errors.add(path, 'too_long', `el texto tiene ${length} caracteres; el máximo es ${item.maxLength}`, `the text has ${length} characters; the maximum is ${item.maxLength}`), undefined;
  }
  return text;
}

function invalidChoice(path: string, id: string, errors: ErrorList, applies: boolean): void {
  if (applies) errors.add(path, 'invalid_choice', `la opción ${quote(id)} no aplica a esta institución`, `choice ${quote(id)} does not apply to this institution`);
  else errors.add(path, 'invalid_choice', `${quote(id)} no es una de las opciones`, `${quote(id)} is not one of the choices`);
}

function coerceChoices(item: ChoiceItem, raw: unknown, path: string, errors: ErrorList, institution: InstitutionContext): AnswerValue | undefined {
  const applicable = new Set(applicableChoices(item, institution).map((c) => c.id));
  const known = (id: string) => item.choices.some((c) => c.id === id);
  if (item.kind === 'single') {
    const id = trimmed(raw);
    if (id === undefined) return errors.typeError(path, 'single', raw), undefined;
    if (id === '') return undefined;
    if (!applicable.has(id)) return invalidChoice(path, id, errors, known(id)), undefined;
    return id;
  }
  // A form posts one checkbox as a string and none at all as a lone "" (a hidden field): see README.
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) return errors.typeError(path, 'multiple', raw), undefined;
  if (list.length > item.choices.length + 1) {
    return errors.add(path, 'too_many', `se recibieron ${list.length} opciones; hay ${item.choices.length}`, `${list.length} choices received; there are ${item.choices.length}`), undefined;
  }
  const selected = new Set<string>();
  for (const element of list) {
    const id = trimmed(element);
    if (id === undefined) return errors.typeError(path, 'multiple', raw), undefined;
    if (id === '') continue;
    if (!applicable.has(id)) return invalidChoice(path, id, errors, known(id)), undefined;
    selected.add(id);
  }
  return item.choices.filter((c) => selected.has(c.id)).map((c) => c.id);
}

function coerceEvidenceList(item: EvidenceItem, raw: unknown, path: string, errors: ErrorList): readonly string[] | undefined {
  // A textarea holds one address per line.
  const list = typeof raw === 'string' ? raw.split(/\s+/).filter((s) => s !== '') : raw;
  if (!Array.isArray(list)) return errors.typeError(path, 'evidence', raw), undefined;
  if (list.length > item.maxItems) {
    return errors.add(path, 'too_many', `se recibieron ${list.length} direcciones; el máximo es ${item.maxItems}`, `${list.length} addresses received; the maximum is ${item.maxItems}`), undefined;
  }
  const urls = new Set<string>();
  for (const element of list) {
    if (typeof element !== 'string') return errors.typeError(path, 'evidence', raw), undefined;
    const url = coerceUrl(element, path, errors);
    if (url === undefined && element.trim() !== '') return undefined;
    if (url !== undefined) urls.add(url);
  }
  return urls.size > 0 ? [...urls] : undefined;
}

/** The normalised value of one answer, or undefined when it is empty or invalid (then with an error). */
function coerceValue(item: RowItem, raw: unknown, path: string, errors: ErrorList, institution: InstitutionContext): AnswerValue | undefined {
  if (raw === undefined || raw === null) return undefined;
  switch (item.kind) {
    case 'yesno': {
      if (typeof raw === 'boolean') return raw ? 'yes' : 'no';
      const text = trimmed(raw)?.toLowerCase();
      if (text === '') return undefined;
      if (text !== 'yes' && text !== 'no') return errors.typeError(path, 'yesno', raw), undefined;
      return text;
    }
    case 'single':
    case 'multiple':
      return coerceChoices(item, raw, path, errors, institution);
    case 'number':
      return coerceNumber(item, raw, path, errors);
    case 'date':
      return coerceDate(raw, path, errors);
    case 'url':
      return coerceUrl(raw, path, errors);
    case 'text':
      return coerceText(item, raw, path, errors);
    case 'evidence':
      return coerceEvidenceList(item, raw, path, errors);
  }
}

/**
 * Reads the known keys of an object of answers (the whole set, or one row): item ids and
 * `${id}:evidence` for items that accept an evidence link. `pathOf` turns a key into an error path.
 */
function coerceRecord(
  raw: Record<string, unknown>,
  items: ReadonlyMap<string, RowItem | GroupItem>,
  pathOf: (key: string) => string,
  errors: ErrorList,
  institution: InstitutionContext,
  coerceGroup: (group: GroupItem, value: unknown, path: string) => readonly AnswerRow[] | undefined,
): Record<string, AnswerValue | readonly AnswerRow[]> {
  const result: Record<string, AnswerValue | readonly AnswerRow[]> = {};
  for (const key of Object.keys(raw)) {
    const path = pathOf(key);
    if (forbiddenKey(key)) {
      errors.add(path, 'forbidden_key', `clave no permitida ${quote(key)}`, `forbidden key ${quote(key)}`);
      continue;
    }
    const evidenceOf = key.endsWith(EVIDENCE_SUFFIX) ? items.get(key.slice(0, -EVIDENCE_SUFFIX.length)) : undefined;
    const item = evidenceOf ? undefined : items.get(key);
    if (evidenceOf?.evidence) {
      const url = coerceUrl(raw[key], path, errors);
      if (url !== undefined) result[key] = url;
    } else if (item) {
      const value = item.kind === 'group' ? coerceGroup(item, raw[key], path) : coerceValue(item, raw[key], path, errors, institution);
      if (value !== undefined) result[key] = value;
    } else {
      errors.add(path, 'unknown_item', `${quote(key)} no es una pregunta de este cuestionario`, `${quote(key)} is not an item of this questionnaire`);
    }
  }
  return result;
}

interface Normalised {
  answers: Record<string, AnswerValue | readonly AnswerRow[]>;
  /** Group id → index in the input of each kept row (blank rows are dropped). */
  rowOrigins: Map<string, number[]>;
  errors: ErrorList;
}

function normalise(def: QuestionnaireDefinition, input: unknown, institution: InstitutionContext): Normalised {
  const errors = new ErrorList();
  const rowOrigins = new Map<string, number[]>();
  if (!isPlainObject(input)) {
    errors.add('', 'not_object', 'las respuestas deben ser un objeto de pregunta → respuesta', 'answers must be an object of item → answer');
    return { answers: {}, rowOrigins, errors };
  }
  const coerceGroup = (group: GroupItem, raw: unknown, path: string): readonly AnswerRow[] | undefined => {
    if (!Array.isArray(raw)) return errors.typeError(path, 'group', raw), undefined;
    if (raw.length > group.maxRows) {
      return errors.add(path, 'too_many', `se recibieron ${raw.length} filas; el máximo es ${group.maxRows}`, `${raw.length} rows received; the maximum is ${group.maxRows}`), undefined;
    }
    const children = new Map(group.items.map((child) => [child.id, child]));
    const rows: AnswerRow[] = [];
    const origins: number[] = [];
    const keys = new Set<string>();
    raw.forEach((row: unknown, index) => {
      const rowPath = `${path}[${index}]`;
      if (!isPlainObject(row)) return errors.typeError(rowPath, 'row', row);
      // The row's stable key (ROW_KEY) is not an answer: it is checked here and kept with the row.
      const { [ROW_KEY]: key, ...answers } = row;
      const values = coerceRecord(answers, children, (k) => `${rowPath}.${k}`, errors, institution, () => undefined) as AnswerRow;
      if (Object.keys(values).length === 0) return; // a blank row left by a form (its key goes with it)
      if (key !== undefined && key !== null && key !== '') {
        if (typeof key !== 'string' || !ROW_KEY_PATTERN.test(key)) {
          errors.add(`${rowPath}.${ROW_KEY}`, 'type', 'la clave de la fila no es válida', 'expected a row key of 1 to 40 letters, digits, "-" or "_"');
        } else if (keys.has(key)) {
          errors.add(`${rowPath}.${ROW_KEY}`, 'duplicate_row', 'otra fila tiene la misma clave', `another row has the key ${quote(key)}`);
        } else {
          keys.add(key);
          rows.push({ [ROW_KEY]: key, ...values });
          origins.push(index);
          return;
        }
      }
      rows.push(values);
      origins.push(index);
    });
    rowOrigins.set(group.id, origins);
    return rows.length > 0 ? rows : undefined;
  };
  const items = new Map(topLevelItems(def).map(({ item }) => [item.id, item]));
  const answers = coerceRecord(input, items, (key) => key, errors, institution, coerceGroup);
  return { answers, rowOrigins, errors };
}

/** Normalised answers for reading (progress, views, scoring): invalid values are simply left out. */
export function normaliseAnswers(def: QuestionnaireDefinition, input: unknown, institution: InstitutionContext): Answers {
  return normalise(def, input, institution).answers;
}

function checkDateOrder(items: readonly QuestionnaireItem[], values: Readonly<Record<string, unknown>>, pathOf: (id: string) => string, errors: ErrorList): void {
  for (const item of items) {
    if (item.kind !== 'date' || item.notBefore === undefined) continue;
    const [date, earlier] = [values[item.id], values[item.notBefore]];
    if (typeof date === 'string' && typeof earlier === 'string' && date < earlier) {
      // The Spanish names the other question by its label, never by its id.
      const other = items.find((i) => i.id === item.notBefore)?.label.es ?? 'la fecha anterior';
      errors.add(pathOf(item.id), 'date_order', `la fecha ${date} es anterior a «${other}» (${earlier})`, `date ${date} is before "${item.notBefore}" (${earlier})`);
    }
  }
}

function requiredError(path: string, errors: ErrorList): void {
  errors.add(path, 'required', 'esta pregunta es obligatoria', 'this item is required');
}

/** Keeps only the answers (and evidence links) of items that are shown. */
function shownAnswers(values: Readonly<Record<string, unknown>>, states: ReadonlyMap<string, ItemState>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [id, state] of states) {
    if (!isShown(state)) continue;
    if (Object.hasOwn(values, id)) kept[id] = values[id];
    if (Object.hasOwn(values, id + EVIDENCE_SUFFIX)) kept[id + EVIDENCE_SUFFIX] = values[id + EVIDENCE_SUFFIX];
  }
  return kept;
}

/**
 * Validates untrusted answers for an institution. Draft mode checks types and ranges only; submit
 * mode also requires every required item that is shown and applies, and each shown group's minRows.
 * Errors name the field ("requests[2].dateAnswered") and say why in Spanish (and English).
 */
export function validateAnswers(def: QuestionnaireDefinition, input: unknown, ctx: ValidationContext): AnswerValidation {
  const { answers, rowOrigins, errors } = normalise(def, input, ctx.institution);
  const resolution: Resolution = resolveAnswers(def, answers, ctx.institution);
  const items = topLevelItems(def).map(({ item }) => item);
  checkDateOrder(items, answers, (id) => id, errors);
  for (const group of items.filter((item): item is GroupItem => item.kind === 'group')) {
    const rows = (answers[group.id] ?? []) as readonly AnswerRow[];
    const origins = rowOrigins.get(group.id) ?? [];
    rows.forEach((row, r) => checkDateOrder(group.items, row, (id) => `${group.id}[${origins[r]}].${id}`, errors));
  }
  if (ctx.mode === 'draft') return { ok: errors.errors.length === 0, errors: errors.errors, answers, rowOrigins };

  for (const item of items) {
    const state = resolution.items.get(item.id);
    if (!isShown(state)) continue;
    if (item.kind !== 'group') {
      if (item.required && state!.status === 'unanswered') requiredError(item.id, errors);
      continue;
    }
    const rowStates = resolution.rows.get(item.id) ?? [];
    const minRows = Math.max(item.minRows ?? 0, item.required ? 1 : 0);
    if (rowStates.length < minRows) {
      errors.add(item.id, 'min_rows', `se requiere al menos ${minRows} fila(s); hay ${rowStates.length}`, `at least ${minRows} row(s) required; there are ${rowStates.length}`);
    }
    const origins = rowOrigins.get(item.id) ?? [];
    rowStates.forEach((states, r) => {
      for (const child of item.items) {
        if (child.required && states.get(child.id)?.status === 'unanswered') requiredError(`${item.id}[${origins[r]}].${child.id}`, errors);
      }
    });
  }
  const submitted = shownAnswers(answers, resolution.items);
  for (const [groupId, rowStates] of resolution.rows) {
    if (!Object.hasOwn(submitted, groupId)) continue;
    const rows = answers[groupId] as readonly AnswerRow[];
    submitted[groupId] = rows.map((row, r) => ({ ...(row[ROW_KEY] !== undefined && { [ROW_KEY]: row[ROW_KEY] }), ...shownAnswers(row, rowStates[r]!) }));
  }
  return { ok: errors.errors.length === 0, errors: errors.errors, answers: submitted as Answers, rowOrigins };
}
