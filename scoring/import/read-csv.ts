import { parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { decodeText, type TextEncodingOption } from './decode.js';
import { limitName, ROWS_PER_SLICE, yieldToEventLoop, DEFAULT_IMPORT_LIMITS, type ImportLimits } from './limits.js';
import { fileError, type Cell, type ImportError, type ReadResult } from './types.js';

/** Reads a small comma-separated table (RFC 4180 quoting) at once, e.g. a reference data file. */
export function readCsv(bytes: Uint8Array, encoding: TextEncodingOption): ReadResult {
  if (bytes.length === 0) return { error: fileError('empty file') };
  const decoded = decodeText(bytes, encoding);
  if ('error' in decoded) return { error: fileError(decoded.error) };
  if (decoded.text.trim() === '') return { error: fileError('empty file') };
  let records: string[][];
  try {
    records = parse(decoded.text, { relax_column_count: true, skip_empty_lines: false });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return { error: { row: line ?? null, column: null, value: null, reason: `malformed CSV: ${(error as Error).message}` } };
  }
  const [header = [], ...data] = records;
  return {
    encoding: decoded.encoding,
    table: {
      header: header.map((h) => h.trim()),
      rows: data.map((cells, i) => ({ rowNumber: i + 2, cells })),
    },
  };
}

const CHUNK_CHARS = 256 * 1024;

/** A cell longer than the cap, as an error naming its row and column. */
export function longCell(limits: ImportLimits, row: number, column: string, text: string): ImportError {
  return {
    row,
    column,
    value: `${text.slice(0, 40)}…`,
    reason: `the cell has ${text.length} characters; the limit is ${limits.maxCellLength} (${limitName(limits, 'maxCellLength')})`,
  };
}

export const MAX_READ_ERRORS = 100;

/**
 * Reads a comma-separated table with csv-parse's streaming parser: linear in the rows, yielding to
 * the event loop every few hundred rows, stopping at the first cap it passes (rows, columns) and
 * reporting cells longer than the cap with their row and column.
 */
export async function readCsvStream(bytes: Uint8Array, encoding: TextEncodingOption, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<ReadResult> {
  if (bytes.length === 0) return { error: fileError('empty file') };
  const decoded = decodeText(bytes, encoding);
  if ('error' in decoded) return { error: fileError(decoded.error) };
  const text = decoded.text;
  if (text.trim() === '') return { error: fileError('empty file') };

  const parser = parseStream({ relax_column_count: true, skip_empty_lines: false });
  let feedError: unknown;
  const feeding = (async () => {
    try {
      for (let at = 0; at < text.length && !parser.destroyed; at += CHUNK_CHARS) {
        if (!parser.write(text.slice(at, at + CHUNK_CHARS))) {
          // Whichever comes first; the other listener goes too, or every wait would leave one behind.
          await new Promise<void>((resolve) => {
            const done = () => {
              parser.off('drain', done);
              parser.off('close', done);
              resolve();
            };
            parser.once('drain', done);
            parser.once('close', done);
          });
        }
      }
      if (!parser.destroyed) parser.end();
    } catch (error) {
      feedError = error;
    }
  })();

  let header: string[] | undefined;
  const rows: { rowNumber: number; cells: Cell[] }[] = [];
  const errors: ImportError[] = [];
  let record = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      record += 1;
      if (!header) {
        header = cells.map((h) => h.trim());
        if (header.length > limits.maxColumns) {
          return { error: fileError(`the header has ${header.length} columns; the limit is ${limits.maxColumns} (${limitName(limits, 'maxColumns')})`) };
        }
        continue;
      }
      const rowNumber = record;
      if (rows.length >= limits.maxRows) {
        return { error: fileError(`the file has more than ${limits.maxRows} data rows; the limit is ${limits.maxRows} (${limitName(limits, 'maxRows')})`) };
      }
      const kept = cells.length > header.length ? cells.slice(0, Math.max(header.length, 1)) : cells;
      kept.forEach((cell, i) => {
        if (cell.length > limits.maxCellLength && errors.length < MAX_READ_ERRORS) errors.push(longCell(limits, rowNumber, header![i] || `column ${i + 1}`, cell));
      });
      rows.push({ rowNumber, cells: kept });
      if (rows.length % ROWS_PER_SLICE === 0) await yieldToEventLoop();
      if (errors.length >= MAX_READ_ERRORS) break;
    }
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return { error: { row: line ?? null, column: null, value: null, reason: `malformed CSV: ${(error as Error).message}` } };
  } finally {
    if (!parser.destroyed) parser.destroy();
    await feeding;
  }
  if (feedError) throw feedError;
  if (errors.length) return { error: errors[0]!, errors };
  return { encoding: decoded.encoding, table: { header: header ?? [], rows } };
}
