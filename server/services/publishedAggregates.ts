/**
 * The published aggregate figures shipped with the service (data/published/national_results.csv:
 * national figures of 2017, 2019, 2021 and 2023 and a few 2021 entity figures, each with its source
 * and, where the source states it, the entity's place), parsed and checked against the methodology
 * once per process.
 *
 * Consistency failures (e.g. the 2019 PG against P = (PG + PC)/2) stay warnings: reports and pages
 * show them next to the published figures, which are never corrected.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { NATIONAL_GROUP_NAME } from '../../scoring/grouping.js';
import { groupKey, parsePublishedAggregates, type ParsePublishedResult } from '../../scoring/published.js';

/** Relative to the repository root, as printed in notes. */
export const PUBLISHED_AGGREGATES_FILE = 'data/published/national_results.csv';
const PUBLISHED_AGGREGATES_PATH = fileURLToPath(new URL(`../../${PUBLISHED_AGGREGATES_FILE}`, import.meta.url));

/**
 * Institutions evaluated in the editions without per-institution data here (printed as n): the
 * sample sizes of the shared data README and METHODOLOGY.md §4 (2019: 1,243; 2021: 1,365;
 * 2023: 2,043). Not in the published CSV.
 */
export const PUBLISHED_SAMPLE_SIZES: Readonly<Record<string, number>> = { '2019': 1243, '2021': 1365, '2023': 2043 };

/**
 * What is known about who ran an edition, printed beside its figures (METHODOLOGY.md §4 and §6 name
 * only the 2023 edition's authors; nothing is said for the others).
 */
export const PUBLISHED_EDITION_ABOUT: Readonly<Record<string, string>> = {
  '2023': '4.ª edición, del INAI y El Colegio de México; resultados publicados solo en un tablero en línea (sin archivo por sujeto obligado ni por entidad)',
};

export interface PublishedAggregatesFile extends ParsePublishedResult {
  /** Repository-relative path of the file. */
  file: string;
  sha256: string;
}

let loading: Promise<PublishedAggregatesFile> | undefined;

/** The parsed published aggregates, read on first call and shared afterwards. */
export function publishedAggregates(): Promise<PublishedAggregatesFile> {
  loading ??= readFile(PUBLISHED_AGGREGATES_PATH).then((bytes) => ({
    ...parsePublishedAggregates(bytes, { methodology: loadBuiltinMethodology('mga-2017') }),
    file: PUBLISHED_AGGREGATES_FILE,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  }));
  // A failed read (e.g. the file was missing) is retried by the next call.
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Editions with at least one published national figure, in chronological order. */
export function editionsWithNationalFigures(published: Pick<ParsePublishedResult, 'data'>): string[] {
  return Object.values(published.data.editions)
    .filter((e) => Object.keys(e.groups[groupKey('national', NATIONAL_GROUP_NAME)]?.measures ?? {}).length > 0)
    .map((e) => e.edition)
    .sort((a, b) => a.localeCompare(b, 'es', { numeric: true }));
}
