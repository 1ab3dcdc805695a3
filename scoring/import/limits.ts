/**
 * Caps on what an imported table may hold, so a file can neither exhaust memory nor hold the
 * process for long: rows, columns, the length of a cell, and for XLSX (a ZIP archive) the
 * decompressed size and the compression ratio (a "zip bomb" guard). The service sets them from
 * its configuration; each cap has a name that errors quote, so people know which one to raise.
 */
export interface ImportLimits {
  /** Data rows (the header not counted). */
  maxRows: number;
  /** Columns of the header row. */
  maxColumns: number;
  /** Characters in one cell. */
  maxCellLength: number;
  /** XLSX: bytes of all the archive's entries once decompressed. */
  maxUnzippedBytes: number;
  /** XLSX: decompressed size / compressed size of any entry. */
  maxRatio: number;
  /** How errors name each cap (e.g. the environment variable that sets it). */
  names?: Partial<Record<Exclude<keyof ImportLimits, 'names'>, string>>;
}

/** For tools reading trusted files (the command line): generous, but still bounded. */
export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxRows: 1_000_000,
  maxColumns: 1_000,
  maxCellLength: 100_000,
  maxUnzippedBytes: 512 * 1024 * 1024,
  maxRatio: 200,
};

export function limitName(limits: ImportLimits, key: Exclude<keyof ImportLimits, 'names'>): string {
  return limits.names?.[key] ?? key;
}

/** Lets the event loop serve other work (e.g. /healthz, other requests) during a long loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Rows between two yields of the readers and the row mapper. */
export const ROWS_PER_SLICE = 500;
