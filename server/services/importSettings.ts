/**
 * The caps of imported files, from the environment (read on each import, so a test or an operator
 * can change them without a restart). Errors quote the variable that sets the cap they hit.
 */
import { InstitutionModel } from '../models/institution.js';
import type { ImportLimits } from '../../scoring/import/index.js';

export const IMPORT_SETTINGS = {
  maxRows: { variable: 'MGA_IMPORT_MAX_ROWS', fallback: 50_000 },
  maxColumns: { variable: 'MGA_IMPORT_MAX_COLUMNS', fallback: 200 },
  maxUploadBytes: { variable: 'MGA_IMPORT_MAX_UPLOAD_BYTES', fallback: 10 * 1024 * 1024 },
  maxUnzippedBytes: { variable: 'MGA_IMPORT_MAX_UNZIPPED_BYTES', fallback: 100 * 1024 * 1024 },
  maxRatio: { variable: 'MGA_IMPORT_MAX_RATIO', fallback: 100 },
  /** Files from this size on are imported by a job (202); smaller ones answer at once (200). */
  jobBytes: { variable: 'MGA_IMPORT_JOB_BYTES', fallback: 512 * 1024 },
} as const;

function setting(key: keyof typeof IMPORT_SETTINGS): number {
  const { variable, fallback } = IMPORT_SETTINGS[key];
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${variable} must be a positive whole number, got "${raw}"`);
  return value;
}

/** The longest text the institution model accepts in an imported cell: the maximum length of a name (400). */
export function modelCellLimit(): number {
  const maxlength = (InstitutionModel.schema.path('name').options as { maxlength?: number }).maxlength;
  if (typeof maxlength !== 'number') throw new Error('the institution model has no maximum name length');
  return maxlength;
}

/** Whether an upload of this size runs as a job; `requested` (the caller's `?job=`) overrides. */
export function importAsJob(bytes: number, requested?: boolean): boolean {
  return requested ?? bytes >= setting('jobBytes');
}

export function importLimits(): ImportLimits & { maxUploadBytes: number } {
  return {
    maxRows: setting('maxRows'),
    maxColumns: setting('maxColumns'),
    maxCellLength: modelCellLimit(),
    maxUnzippedBytes: setting('maxUnzippedBytes'),
    maxRatio: setting('maxRatio'),
    maxUploadBytes: setting('maxUploadBytes'),
    names: {
      maxRows: IMPORT_SETTINGS.maxRows.variable,
      maxColumns: IMPORT_SETTINGS.maxColumns.variable,
      maxCellLength: 'the maximum length of an institution name in the model',
      maxUnzippedBytes: IMPORT_SETTINGS.maxUnzippedBytes.variable,
      maxRatio: IMPORT_SETTINGS.maxRatio.variable,
    },
  };
}
