/**
 * Lists at national scale: the query parameters every list shares (search, filters, sort, page) read
 * and checked in one place, the pager pages show, and CSV exports streamed row by row from a cursor,
 * so no page or response grows with the edition beyond its page size.
 */
import type { Response } from 'express';
import { HttpProblem, type FieldError } from './problem.js';
import { escapeCellText } from '../../reports/excel.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface FilterSpec {
  /** The accepted values (an enum), or */
  values?: readonly string[];
  /** a pattern the value must match (ids, codes). */
  pattern?: RegExp;
  /** What the value must be, for the error message. */
  describe?: string;
  maxLength?: number;
}

export interface ListSpec<S extends string = string> {
  filters: Record<string, FilterSpec>;
  sorts: readonly S[];
  defaultSort: S;
  defaultLimit?: number;
  /** Other parameters the route reads itself (left alone here, not refused). */
  extra?: readonly string[];
}

export interface ListQuery<S extends string = string> {
  q: string;
  filters: Record<string, string>;
  sort: S;
  limit: number;
  offset: number;
  /** `format=csv`: the whole filtered list as CSV instead of one page. */
  csv: boolean;
}

/** A 400 naming the query parameter, with a stable machine code. */
export function badParameter(parameter: string, value: unknown, reason: string): HttpProblem {
  const errors: FieldError[] = [{ field: parameter, value, reason }];
  return new HttpProblem(400, 'Bad Request', `invalid query parameter "${parameter}": ${reason}`, errors, { code: 'invalid_parameter', message: `El filtro o la página pedidos no son válidos (${parameter}).` });
}

const INTEGER = /^\d{1,9}$/;

/**
 * Reads a list's query string: `q`, the spec's filters, `sort`, `limit` (default 50, at most 500),
 * `offset`, `format`. Empty values count as absent (forms send them); anything else wrong is a 400
 * naming the parameter. Unknown parameters are refused too, so a typo does not silently show everything.
 */
export function parseListQuery<S extends string>(query: Record<string, unknown>, spec: ListSpec<S>): ListQuery<S> {
  const known = new Set(['q', 'sort', 'limit', 'offset', 'format', ...Object.keys(spec.filters), ...(spec.extra ?? [])]);
  for (const [key, value] of Object.entries(query)) {
    if (!known.has(key)) throw badParameter(key, value, `unknown parameter; known: ${[...known].join(', ')}`);
    if (typeof value !== 'string') throw badParameter(key, value, 'must be given once, as text');
  }
  const text = (key: string) => ((query[key] as string | undefined) ?? '').trim();
  const q = text('q');
  if (q.length > 200) throw badParameter('q', q, 'must be at most 200 characters');
  const filters: Record<string, string> = {};
  for (const [key, filter] of Object.entries(spec.filters)) {
    const value = text(key);
    if (!value) continue;
    if (value.length > (filter.maxLength ?? 200)) throw badParameter(key, value, `must be at most ${filter.maxLength ?? 200} characters`);
    if (filter.values && !filter.values.includes(value)) throw badParameter(key, value, `must be one of ${filter.values.join(', ')}`);
    if (filter.pattern && !filter.pattern.test(value)) throw badParameter(key, value, `must be ${filter.describe ?? `a value matching ${filter.pattern}`}`);
    filters[key] = value;
  }
  const sort = (text('sort') || spec.defaultSort) as S;
  if (!spec.sorts.includes(sort)) throw badParameter('sort', sort, `must be one of ${spec.sorts.join(', ')}`);
  const limitText = text('limit');
  if (limitText && !INTEGER.test(limitText)) throw badParameter('limit', limitText, `must be a whole number from 1 to ${MAX_LIMIT}`);
  const limit = limitText ? Number(limitText) : (spec.defaultLimit ?? DEFAULT_LIMIT);
  if (limit < 1 || limit > MAX_LIMIT) throw badParameter('limit', limitText, `must be a whole number from 1 to ${MAX_LIMIT}`);
  const offsetText = text('offset');
  if (offsetText && !INTEGER.test(offsetText)) throw badParameter('offset', offsetText, 'must be a whole number, 0 or more');
  const offset = offsetText ? Number(offsetText) : 0;
  const format = text('format');
  if (format && format !== 'csv' && format !== 'json') throw badParameter('format', format, 'must be csv or json');
  return { q, filters, sort, limit, offset, csv: format === 'csv' };
}

/** A regular expression matching `text` literally. */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const count = new Intl.NumberFormat('es-MX');

export interface Pager {
  total: number;
  totalText: string;
  from: number;
  to: number;
  /** «Mostrando 51 a 100 de 2,043» */
  summary: string;
  first?: string;
  prev?: string;
  next?: string;
  last?: string;
  page: number;
  pages: number;
  csv: string;
}

/**
 * The pager of a page: where the previous and next pages are (the same filters and sort, another
 * offset), what is shown, and the link to the CSV of the whole filtered list.
 */
export function pager(path: string, query: ListQuery, total: number, params: Record<string, string> = {}, csvPath?: string): Pager {
  const href = (offset: number, extra: Record<string, string> = {}) => {
    const search = new URLSearchParams();
    if (query.q) search.set('q', query.q);
    for (const [k, v] of Object.entries({ ...query.filters, ...params })) if (v) search.set(k, v);
    search.set('sort', query.sort);
    if (query.limit !== DEFAULT_LIMIT) search.set('limit', String(query.limit));
    if (offset > 0) search.set('offset', String(offset));
    for (const [k, v] of Object.entries(extra)) search.set(k, v);
    return `?${search.toString()}`;
  };
  const from = total === 0 ? 0 : Math.min(query.offset + 1, total);
  const to = Math.min(query.offset + query.limit, total);
  const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / query.limit) * query.limit;
  const csvSearch = href(0, { format: 'csv' }).replace(/&?limit=\d+/, '').replace(/&?offset=\d+/, '');
  return {
    total,
    totalText: count.format(total),
    from,
    to,
    summary: total === 0 ? 'Ninguno' : `Mostrando ${count.format(from)} a ${count.format(to)} de ${count.format(total)}`,
    first: query.offset > 0 ? href(0) : undefined,
    prev: query.offset > 0 ? href(Math.max(0, query.offset - query.limit)) : undefined,
    next: query.offset + query.limit < total ? href(query.offset + query.limit) : undefined,
    last: query.offset + query.limit < total ? href(lastOffset) : undefined,
    page: Math.floor(query.offset / query.limit) + 1,
    pages: Math.max(1, Math.ceil(total / query.limit)),
    csv: `${csvPath ?? path}${csvSearch}`,
  };
}

export type CsvValue = string | number | boolean | Date | null | undefined;

/** One cell: text that could start a formula stays text (the workbook's escape), then RFC 4180 quoting. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? escapeCellText(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Streams a CSV download (BOM, CRLF) row by row, waiting for the client whenever its buffer is full,
 * so memory stays flat however long the list is.
 */
export async function streamCsv(res: Response, fileName: string, header: readonly string[], rows: AsyncIterable<readonly CsvValue[]>): Promise<void> {
  res.status(200).attachment(fileName).type('text/csv; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  const write = (line: string) => (res.write(line) ? Promise.resolve() : new Promise<void>((resolve) => res.once('drain', resolve)));
  await write('\uFEFF' + header.map(csvCell).join(',') + '\r\n');
  let batch = '';
  for await (const row of rows) {
    if (res.destroyed) return;
    batch += row.map(csvCell).join(',') + '\r\n';
    if (batch.length > 16_384) {
      await write(batch);
      batch = '';
    }
  }
  if (batch) await write(batch);
  res.end();
}
