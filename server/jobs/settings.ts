/** The job system's settings from the environment (README.md "Jobs"), read when a queue starts. */

function positiveInteger(name: string, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

export interface JobSettings {
  /** The web process runs a worker too (MGA_INPROCESS_WORKER, default true). */
  inProcessWorker: boolean;
  /**
   * How long a claim (a queue entry's lock, a part's lease) lasts without being renewed; a worker
   * that dies loses its work to another after this long (MGA_JOB_LEASE_MS, default 60 s).
   */
  leaseMs: number;
  /** How often an idle worker looks for queued work (MGA_JOB_POLL_MS, default 2 s); new jobs on a replica set start at once. */
  pollMs: number;
  /** Workers that may share one job (MGA_JOB_HELPERS, default 4). */
  helpers: number;
  /** Jobs one worker runs at the same time, of any kind (MGA_WORKER_CONCURRENCY, default 2). */
  concurrency: number;
  /** Days a finished job's result is kept (MGA_JOB_RESULT_DAYS, default 7). */
  resultDays: number;
}

export function jobSettings(): JobSettings {
  return {
    inProcessWorker: flag('MGA_INPROCESS_WORKER', true),
    leaseMs: positiveInteger('MGA_JOB_LEASE_MS', 60_000, { min: 1000 }),
    pollMs: positiveInteger('MGA_JOB_POLL_MS', 2000, { min: 100 }),
    helpers: positiveInteger('MGA_JOB_HELPERS', 4, { max: 64 }),
    concurrency: positiveInteger('MGA_WORKER_CONCURRENCY', 2, { max: 64 }),
    resultDays: positiveInteger('MGA_JOB_RESULT_DAYS', 7, { max: 3650 }),
  };
}
