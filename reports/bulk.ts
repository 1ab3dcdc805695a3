/**
 * Every institution report card of an edition written into one folder through the shared browser,
 * many cards per print (cards.ts), a few prints at once. Progress goes to an injected callback (the
 * server) or a cli-progress bar (the CLI).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { getBrowser } from './browser.js';
import { CARDS_PER_PRINT, renderInstitutionCardPdfs } from './cards.js';
import type { BuildOptions, EditionResults } from './models/common.js';
import { buildInstitutionReportData, type InstitutionReportData } from './models/institution.js';
import { pagePool } from './pages.js';

export interface BulkProgress {
  done: number;
  total: number;
  institution: string;
  file: string;
}

export interface BulkOptions extends BuildOptions {
  /** Prints at the same time; default the page pool's size (MGA_PDF_PAGES, 2: one per core here). */
  concurrency?: number;
  /** Cards per print; default CARDS_PER_PRINT (12). */
  batchSize?: number;
  /** The cards' data for some rows (the service adds questionnaire answers); default built from `results` alone. */
  cardData?: (rows: readonly number[]) => Promise<InstitutionReportData[]>;
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
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? pagePool().options.pages));
  const generatedAt = options.generatedAt ?? new Date();
  const buildOptions: BuildOptions = { generatedAt, ...(options.timeZone && { timeZone: options.timeZone }) };
  await mkdir(outDir, { recursive: true });
  await getBrowser(); // fail early (e.g. Chromium missing) before any file is written

  const showBar = options.progressBar ?? (process.stderr.isTTY === true && !options.onProgress);
  const bar = showBar
    ? new cliProgress.SingleBar({ format: 'Fichas |{bar}| {value}/{total} · {eta_formatted} restantes', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(rows.length, 0);

  const batchSize = Math.max(1, Math.floor(options.batchSize ?? CARDS_PER_PRINT));
  const batches: { start: number; rows: number[] }[] = [];
  for (let start = 0; start < rows.length; start += batchSize) batches.push({ start, rows: rows.slice(start, start + batchSize) });
  const cardData = options.cardData ?? (async (some: readonly number[]) => some.map((row) => buildInstitutionReportData(results, row, buildOptions)));

  const cards: BulkCard[] = new Array(rows.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      options.signal?.throwIfAborted();
      const batch = batches[next++]!;
      const data = await cardData(batch.rows);
      const pdfs = await renderInstitutionCardPdfs(data, { priority: 'background', ...(options.signal && { signal: options.signal }) });
      for (let i = 0; i < batch.rows.length; i++) {
        const row = batch.rows[i]!;
        const path = join(outDir, institutionCardFileName(results, row));
        await writeFile(path, pdfs[i]!);
        cards[batch.start + i] = { row, institution: data[i]!.institution.name, path, bytes: pdfs[i]!.length };
        done++;
        bar?.update(done);
        options.onProgress?.({ done, total: rows.length, institution: data[i]!.institution.name, file: path });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  } finally {
    bar?.stop();
  }
  return { cards, durationMs: performance.now() - started };
}
