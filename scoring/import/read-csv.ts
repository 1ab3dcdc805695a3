import { parse } from 'csv-parse/sync';
import { decodeText, type TextEncodingOption } from './decode.js';
import { fileError, type ReadResult } from './types.js';

/** Reads a comma-separated table (RFC 4180 quoting) from bytes in the given or detected encoding. */
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
