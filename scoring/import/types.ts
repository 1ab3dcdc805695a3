/** Shapes shared by the readers and the row mapper of results tables. */

/** A cell as read: text from CSV, text or number from XLSX; null when empty. */
export type Cell = string | number | null;

export interface RawTable {
  header: string[];
  /** Data rows; rowNumber counts the header as row 1, as a spreadsheet shows it. */
  rows: { rowNumber: number; cells: Cell[] }[];
}

export interface ImportError {
  /** Row number (header = 1); null for problems with the whole file. */
  row: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

export function fileError(reason: string): ImportError {
  return { row: null, column: null, value: null, reason };
}

/** A table, or why it cannot be read (`errors` when there are several, e.g. cells past the length cap). */
export type ReadResult = { table: RawTable; encoding?: 'utf-8' | 'latin1' } | { error: ImportError; errors?: ImportError[] };
