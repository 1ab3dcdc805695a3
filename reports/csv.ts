/** CSV for spreadsheets: RFC 4180 quoting, a UTF-8 byte order mark, and formula-looking text kept as text. */
import { escapeCellText } from './excel.js';

export type CsvValue = string | number | boolean | Date | null | undefined;

/** One cell: text that could start a formula gets the workbook's escape, then RFC 4180 quoting. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? escapeCellText(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole file: header and rows, CRLF line ends, with a BOM so spreadsheet programs read UTF-8. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
