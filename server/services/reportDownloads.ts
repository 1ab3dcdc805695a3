/**
 * The public PDF downloads of published editions (the /api/v1/reports routes), cached: each request
 * is first checked (edition, entity, institution, compared editions; 4xx as in services/reports.ts),
 * then turned into a cache key (reportCache.ts) without rendering anything, so a repeated download
 * is a 304 or a file streamed from GridFS, and only a new one is printed.
 */
import { createHash } from 'node:crypto';
import {
  buildEntityReportData,
  renderEntityReportPdf,
  renderInstitutionReportPdf,
  renderNationalReportPdf,
  safeFileName,
} from '../../reports/index.js';
import { cacheKey, editionDataHash, purgeOtherGenerations } from './reportCache.js';
import { publishedAggregates, PUBLISHED_EDITION_ABOUT, PUBLISHED_SAMPLE_SIZES } from './publishedAggregates.js';
import {
  comparedEditions,
  entityOf,
  evolutionOptions,
  institutionCardDownloadName,
  institutionCardsData,
  institutionRow,
  loadEditionResults,
  nationalReportData,
  type LoadedEdition,
} from './reports.js';

export interface PreparedPdf {
  /** The cache key, also the ETag (without quotes). */
  key: string;
  /** The report whatever its data: a new key for the same slot replaces the older PDF. */
  slot: string;
  /** What all the edition's PDFs are made from (see reportCache.ts). */
  generation: string;
  edition: string;
  report: 'national' | 'entity' | 'institution';
  fileName: string;
  /** Prints the PDF (only when it is not cached). */
  render(): Promise<Buffer>;
}

/** Constants of the service that reports print besides the edition's data (published sample sizes, notes on editions). */
const SERVICE_CONSTANTS = createHash('sha256').update(JSON.stringify([PUBLISHED_SAMPLE_SIZES, PUBLISHED_EDITION_ABOUT])).digest('hex');

async function keyOf(loaded: LoadedEdition, report: PreparedPdf['report'], params: Record<string, unknown>) {
  const published = await publishedAggregates();
  const { edition } = loaded;
  const keys = cacheKey({
    edition: edition.editionId,
    dataHash: editionDataHash(loaded.results, loaded.ids, { editionId: edition.editionId, year: edition.year, title: edition.title }),
    methodologyHash: loaded.results.compiled.hash,
    publishedSha256: `${published.sha256}:${SERVICE_CONSTANTS}`,
    report,
    params,
  });
  void purgeOtherGenerations(edition.editionId, keys.generation);
  return keys;
}

export async function prepareNationalPdf(editionId: string, compare: string | undefined): Promise<PreparedPdf> {
  const loaded = await loadEditionResults(editionId);
  const editions = comparedEditions(loaded.results, await publishedAggregates(), compare) ?? 'all';
  const { key, slot, generation } = await keyOf(loaded, 'national', { editions });
  return {
    key,
    slot,
    generation,
    edition: loaded.edition.editionId,
    report: 'national',
    fileName: `${loaded.edition.editionId}-reporte-nacional.pdf`,
    render: async () => renderNationalReportPdf(await nationalReportData(loaded, { ...(compare !== undefined && { compare }) })),
  };
}

export async function prepareEntityPdf(editionId: string, entity: string): Promise<PreparedPdf> {
  const loaded = await loadEditionResults(editionId);
  const name = entityOf(loaded.results, entity);
  const { key, slot, generation } = await keyOf(loaded, 'entity', { entity: name });
  return {
    key,
    slot,
    generation,
    edition: loaded.edition.editionId,
    report: 'entity',
    fileName: `${loaded.edition.editionId}-entidad-${safeFileName(name, 40)}.pdf`,
    render: async () => renderEntityReportPdf(buildEntityReportData(loaded.results, name, await evolutionOptions())),
  };
}

export async function prepareInstitutionPdf(editionId: string, institutionId: string): Promise<PreparedPdf> {
  const loaded = await loadEditionResults(editionId);
  const row = institutionRow(loaded, institutionId);
  // The card also lists the institution's approved answers, which the edition's data hash does not
  // cover: its whole view model (but the printed date) goes into the key.
  const [data] = await institutionCardsData(loaded, [row]);
  const card = createHash('sha256').update(JSON.stringify({ ...data!, meta: { ...data!.meta, generatedAt: null } })).digest('hex');
  const { key, generation } = await keyOf(loaded, 'institution', { institution: loaded.ids[row], card });
  const { slot } = await keyOf(loaded, 'institution', { institution: loaded.ids[row] });
  return {
    key,
    slot,
    generation,
    edition: loaded.edition.editionId,
    report: 'institution',
    fileName: institutionCardDownloadName(loaded, row),
    render: async () => renderInstitutionReportPdf((await institutionCardsData(loaded, [row]))[0]!),
  };
}
