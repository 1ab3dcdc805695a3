import ExcelJS from 'exceljs';
import { fileError, type Cell, type ReadResult } from './types.js';

/** The shown value of an exceljs cell: formulas give their cached result, rich text its plain text. */
function cellValue(value: ExcelJS.CellValue): Cell {
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

/** Reads the first worksheet (or the one named) of an XLSX workbook; the first non-empty row is the header. */
export async function readXlsx(bytes: Uint8Array, sheetName?: string): Promise<ReadResult> {
  if (bytes.length === 0) return { error: fileError('empty file') };
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its parameter as an ArrayBuffer; a copy of exactly these bytes is one.
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
  } catch (error) {
    return { error: fileError(`not a readable XLSX workbook: ${(error as Error).message}`) };
  }
  const sheet = sheetName === undefined ? workbook.worksheets[0] : workbook.getWorksheet(sheetName);
  if (!sheet) {
    return { error: fileError(sheetName === undefined ? 'the workbook has no worksheet' : `the workbook has no worksheet "${sheetName}"`) };
  }
  const rows: { rowNumber: number; cells: Cell[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: Cell[] = [];
    for (let column = 1; column <= sheet.columnCount; column++) cells.push(cellValue(row.getCell(column).value));
    rows.push({ rowNumber, cells });
  });
  const [header, ...data] = rows;
  if (!header) return { error: fileError('empty file: the worksheet has no rows') };
  return { table: { header: header.cells.map((c) => (c === null ? '' : String(c).trim())), rows: data } };
}
