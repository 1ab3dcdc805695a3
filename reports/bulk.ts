/**
 * Every institution report card of an edition written into one folder through the shared browser.
 * Progress goes to an injected callback (the server) or a cli-progress bar (the CLI).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { getBrowser } from './browser.js';
import type { BuildOptions, EditionResults } from './models/common.js';
import { buildInstitutionReportData } from './models/institution.js';
import { renderInstitutionReportPdf } from './render.js';

export interface BulkProgress {
  done: number;
  total: number;
  institution: string;
  file: string;
}

export interface BulkOptions extends BuildOptions {
  /** Cards rendered at the same time (pages of the one browser); default 2, one per core here. */
  concurrency?: number;
  /** Called after each card is written. */
  onProgress?: (progress: BulkProgress) => void;
  /** Draw a progress bar on stderr; default: when stderr is a terminal and no onProgress is given. */
  progressBar?: boolean;
  /** Rows of the results to render; default all. */
  rows?: readonly number[];
  signal?: AbortSignal;
}

export interface BulkCard {
  row: number;
  institution: string;
  /** Absolute or as given: outDir joined with the file name. */
  path: string;
  bytes: number;
}

export interface BulkResult {
  cards: BulkCard[];
  durationMs: number;
}

/**
 * A portable file name: accents folded, anything but letters, digits and hyphens replaced, at most
 * `maxLength` characters; never empty, never hidden, never a path.
 */
export function safeFileName(name: string, maxLength = 80): string {
  const slug = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return slug || 'sin-nombre';
}

/** "0001-fed-asf.pdf": the row keeps names unique (two institutions may fold to the same slug). */
export function institutionCardFileName(results: EditionResults, row: number): string {
  const inst = results.institutions[row]!;
  const width = String(results.institutions.length).length;
  const entity = safeFileName(inst.entityCode ?? inst.entity, 12);
  return `${String(row + 1).padStart(width, '0')}-${entity}-${safeFileName(inst.name)}.pdf`;
}

export async function writeInstitutionCards(results: EditionResults, outDir: string, options: BulkOptions = {}): Promise<BulkResult> {
  const started = performance.now();
  const rows = options.rows ?? results.institutions.map((_, row) => row);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const generatedAt = options.generatedAt ?? new Date();
  const buildOptions: BuildOptions = { generatedAt, ...(options.timeZone && { timeZone: options.timeZone }) };
  await mkdir(outDir, { recursive: true });
  await getBrowser(); // fail early (e.g. Chromium missing) before any file is written

  const showBar = options.progressBar ?? (process.stderr.isTTY === true && !options.onProgress);
  const bar = showBar
    ? new cliProgress.SingleBar({ format: 'Fichas |{bar}| {value}/{total} · {eta_formatted} restantes', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(rows.length, 0);

  const cards: BulkCard[] = new Array(rows.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      options.signal?.throwIfAborted();
      const position = next++;
      const row = rows[position]!;
      const data = buildInstitutionReportData(results, row, buildOptions);
      const pdf = await renderInstitutionReportPdf(data);
      const path = join(outDir, institutionCardFileName(results, row));
      await writeFile(path, pdf);
      cards[position] = { row, institution: data.institution.name, path, bytes: pdf.length };
      done++;
      bar?.update(done);
      options.onProgress?.({ done, total: rows.length, institution: data.institution.name, file: path });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  } finally {
    bar?.stop();
  }
  return { cards, durationMs: performance.now() - started };
}
