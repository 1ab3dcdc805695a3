/** The open data package of a published edition (reports/datapackage.ts), as a zip. */
import { buildDataPackage, publishedFigureRows, zipDataPackage } from '../../reports/datapackage.js';
import { publishedAggregates } from './publishedAggregates.js';
import { loadEditionResults } from './reports.js';

export async function editionDataPackage(editionId: string, created = new Date()): Promise<{ body: Buffer; fileName: string }> {
  const { edition, results } = await loadEditionResults(editionId);
  const published = await publishedAggregates();
  const figures = publishedFigureRows(published.data, String(edition.year));
  const files = buildDataPackage({
    edition: { id: edition.editionId, year: edition.year, title: edition.title },
    methodology: results.compiled,
    institutions: results.institutions,
    scores: results.scores,
    groupings: [results.byEntity, results.byType, results.byLevel, results.nationalGrouping],
    published: figures,
    sources: [...results.dataSources.map((s) => ({ title: s.citation })), ...[...new Set(figures.map((f) => f.source))].map((title) => ({ title }))],
    created: created.toISOString(),
  });
  return { body: Buffer.from(zipDataPackage(files)), fileName: `${edition.editionId}-datapackage.zip` };
}
