import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { DEFAULT_IMPORT_LIMITS, limitName, ROWS_PER_SLICE, yieldToEventLoop, type ImportLimits } from './limits.js';
import { checkZipArchive } from './zip-guard.js';
import { longCell, MAX_READ_ERRORS } from './read-csv.js';
import { fileError, type Cell, type ImportError, type ReadResult } from './types.js';

/** The shown value of an exceljs cell: formulas give their cached result, rich text its plain text. */
function cellValue(value: ExcelJS.CellValue | undefined): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellValue((value as ExcelJS.CellFormulaValue).result ?? null);
  if ('hyperlink' in value) return value.text;
  if ('error' in value) return String(value.error);
  return String(value);
}

const isEmpty = (cells: readonly Cell[]) => cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''));

/**
 * Reads the first worksheet (or the one named) of an XLSX workbook with exceljs's streaming reader,
 * after the archive passed the ZIP guard: linear in the rows (no per-row column scans), yielding to
 * the event loop every few hundred rows, stopping at the first cap it passes. The first non-empty
 * row is the header; cells right of the header's last column are ignored.
 */
export async function readXlsx(bytes: Uint8Array, sheetName?: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<ReadResult> {
  if (bytes.length === 0) return { error: fileError('empty file') };
  const guard = await checkZipArchive(bytes, limits);
  if (guard) return { error: guard };

  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    entries: 'ignore',
  });
  let header: string[] | undefined;
  let width = 0;
  const rows: { rowNumber: number; cells: Cell[] }[] = [];
  const errors: ImportError[] = [];
  let found = false;
  const names: string[] = [];
  try {
    for await (const worksheet of reader) {
      const name = (worksheet as unknown as { name?: string }).name ?? '';
      names.push(name);
      if (found || (sheetName !== undefined && name !== sheetName)) continue;
      found = true;
      for await (const row of worksheet) {
        const values = (row as ExcelJS.Row).values as ExcelJS.CellValue[];
        if (!header) {
          const cells = values.slice(1).map(cellValue);
          if (isEmpty(cells)) continue;
          if (cells.length > limits.maxColumns) {
            return { error: fileError(`the header has ${cells.length} columns; the limit is ${limits.maxColumns} (${limitName(limits, 'maxColumns')})`) };
          }
          header = cells.map((c) => (c === null ? '' : String(c).trim()));
          width = header.length;
          continue;
        }
        const cells: Cell[] = [];
        for (let column = 1; column <= width; column++) cells.push(cellValue(values[column]));
        if (isEmpty(cells)) continue;
        if (rows.length >= limits.maxRows) {
          return { error: fileError(`the file has more than ${limits.maxRows} data rows; the limit is ${limits.maxRows} (${limitName(limits, 'maxRows')})`) };
        }
        const rowNumber = (row as ExcelJS.Row).number;
        cells.forEach((cell, i) => {
          if (typeof cell === 'string' && cell.length > limits.maxCellLength && errors.length < MAX_READ_ERRORS) errors.push(longCell(limits, rowNumber, header![i] || `column ${i + 1}`, cell));
        });
        rows.push({ rowNumber, cells });
        if (rows.length % ROWS_PER_SLICE === 0) await yieldToEventLoop();
        if (errors.length >= MAX_READ_ERRORS) break;
      }
      if (header) {
        // The header cells themselves may be too long too.
        header.forEach((h, i) => {
          if (h.length > limits.maxCellLength) errors.unshift(longCell(limits, 1, `column ${i + 1}`, h));
        });
      }
    }
  } catch (error) {
    return { error: fileError(`not a readable XLSX workbook: ${(error as Error).message}`) };
  }
  if (!found) {
    return { error: fileError(sheetName === undefined ? 'the workbook has no worksheet' : `the workbook has no worksheet "${sheetName}"${names.length ? ` (it has ${names.map((n) => `"${n}"`).join(', ')})` : ''}`) };
  }
  if (errors.length) return { error: errors[0]!, errors };
  if (!header) return { error: fileError('empty file: the worksheet has no rows') };
  return { table: { header, rows } };
}
