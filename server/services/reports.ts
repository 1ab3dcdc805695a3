/**
 * Reports of a stored edition (loaded by ./loadedEditions.ts): the PDFs and workbooks made from it.
 * The HTTP routes, the results pages and the `mga report` command all go through here.
 *
 * Problems with the request (unknown edition, entity or institution, bad compare list) are
 * HttpProblems whose `errors[].field` names the parameter, so the CLI can name its flag.
 */
import { robustnessSection } from '../../reports/models/robustness.js';
import { coherenceOf } from './research.js';
import { robustnessOf } from './robustness.js';
import {
  buildEditionWorkbook,
  buildEntityReportData,
  buildInstitutionReportData,
  buildNationalReportData,
  renderEntityReportPdf,
  renderInstitutionReportPdf,
  renderNationalReportPdf,
  safeFileName,
  writeInstitutionCards,
  type BulkOptions,
  type BulkResult,
  type EditionResults,
  type NationalReportData,
  type AnsweredItems,
  type InstitutionReportData,
} from '../../reports/index.js';
import { foldName, normalizeEntity, UnknownNameError } from '../../scoring/catalogue.js';
import { ResponseModel } from '../models/response.js';
import { scoreWithExplanation } from './responses.js';
import { explanationAnswers } from './explanations.js';
import { instrumentById, itemLabels } from './instruments.js';
import { editionsWithNationalFigures, publishedAggregates, PUBLISHED_EDITION_ABOUT, PUBLISHED_SAMPLE_SIZES, type PublishedAggregatesFile } from './publishedAggregates.js';
import { previousEditions, reportPanels } from './crosswalks.js';
import { isPublic } from './editionLifecycle.js';
import { loadEditionResults, OBJECT_ID, problem, type EditionDoc, type LoadedEdition, type LoadOptions } from './loadedEditions.js';

export { latestPublishedEditionId, loadEditionResults, type LoadedEdition, type LoadOptions } from './loadedEditions.js';

export const CONTENT_TYPES = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

export interface ReportFile {
  body: Buffer;
  /** ASCII file name that starts with the edition id, e.g. "mga-2017-reporte-nacional.pdf". */
  fileName: string;
  contentType: string;
}

/**
 * The editions a national report compares: the base edition and the `compare` list ("2019,2021";
 * each must have published national figures). Undefined = the base and every published edition.
 */
export function comparedEditions(results: EditionResults, published: PublishedAggregatesFile, compare: string | undefined): string[] | undefined {
  if (compare === undefined) return undefined;
  const available = editionsWithNationalFigures(published).filter((e) => e !== results.edition);
  const asked = compare.split(',').map((e) => e.trim()).filter(Boolean);
  for (const edition of asked) {
    if (!/^\d{4}$/.test(edition)) throw problem(400, 'compare', compare, `compare: "${edition}" is not an edition year; give years separated by commas, e.g. 2019,2021`);
    if (edition !== results.edition && !available.includes(edition)) {
      throw problem(400, 'compare', compare, `compare: no published national figures for ${edition}; available: ${available.join(', ') || 'none'}`);
    }
  }
  return [...new Set([results.edition, ...asked])].sort((a, b) => a.localeCompare(b, 'es', { numeric: true }));
}

export interface NationalOptions extends LoadOptions {
  compare?: string;
  generatedAt?: Date;
}

/** The national comparative report's data, as the PDF and the national results page show it. */
export async function nationalReportData(loaded: LoadedEdition, options: Pick<NationalOptions, 'compare' | 'generatedAt'> = {}): Promise<NationalReportData & { publishedFile: PublishedAggregatesFile }> {
  const published = await publishedAggregates();
  const editions = comparedEditions(loaded.results, published, options.compare);
  const panels = await reportPanels(loaded.edition.editionId, { publishedOnly: isPublic(loaded.edition) });
  const data = buildNationalReportData(loaded.results, published, {
    ...(editions && { editions }),
    sampleSizes: PUBLISHED_SAMPLE_SIZES,
    editionAbout: PUBLISHED_EDITION_ABOUT,
    ...(panels.length > 0 && { panels }),
    ...(options.generatedAt && { generatedAt: options.generatedAt }),
  });
  if (published.errors.length > 0) {
    data.notes.push(`Archivo de cifras publicadas ${published.file}: ${published.errors.map((e) => `${e.row === null ? '' : `fila ${e.row}`}${e.column ? `, ${e.column}` : ''}: ${e.reason}`).join('; ')}.`);
  }
  return Object.assign(data, { publishedFile: published });
}

const pdf = (body: Buffer, fileName: string): ReportFile => ({ body, fileName, contentType: CONTENT_TYPES.pdf });

export async function nationalReportPdf(editionId: string, options: NationalOptions = {}): Promise<ReportFile> {
  const loaded = await loadEditionResults(editionId, options);
  const data = await nationalReportData(loaded, options);
  data.robustness = robustnessSection({ ...robustnessOf(loaded.results), coherence: coherenceOf(loaded.results) });
  return pdf(await renderNationalReportPdf(data), `${loaded.edition.editionId}-reporte-nacional.pdf`);
}

/** The edition workbook (the national report's Excel): institutions, groupings, national figures, comparison. */
export async function editionWorkbook(editionId: string, options: NationalOptions = {}): Promise<ReportFile> {
  const loaded = await loadEditionResults(editionId, options);
  const published = await publishedAggregates();
  const editions = comparedEditions(loaded.results, published, options.compare);
  const body = await buildEditionWorkbook(loaded.results, {
    published,
    sampleSizes: PUBLISHED_SAMPLE_SIZES,
    editionAbout: PUBLISHED_EDITION_ABOUT,
    ...(editions && { editions }),
    ...(options.generatedAt && { generatedAt: options.generatedAt }),
  });
  return { body, fileName: `${loaded.edition.editionId}-resultados.xlsx`, contentType: CONTENT_TYPES.xlsx };
}

/** The published aggregates and what is known of each edition: the entity report's and page's «Evolución». */
export async function evolutionOptions(): Promise<{ published: PublishedAggregatesFile; editionAbout: Readonly<Record<string, string>> }> {
  return { published: await publishedAggregates(), editionAbout: PUBLISHED_EDITION_ABOUT };
}

/** The canonical name of an entity with results in the edition. */
export function entityOf(results: EditionResults, input: string): string {
  let name: string;
  try {
    name = normalizeEntity(input).name;
  } catch (error) {
    if (error instanceof UnknownNameError) throw problem(404, 'entity', input, `unknown entity "${input}"`);
    throw error;
  }
  if (!results.byEntity.groups.some((g) => g.name === name)) throw problem(404, 'entity', input, `edition ${results.edition} has no institutions of ${name}`);
  return name;
}

export async function entityReportPdf(editionId: string, entity: string, options: LoadOptions & { generatedAt?: Date } = {}): Promise<ReportFile> {
  const loaded = await loadEditionResults(editionId, options);
  const name = entityOf(loaded.results, entity);
  const data = buildEntityReportData(loaded.results, name, { ...(await evolutionOptions()), ...(options.generatedAt && { generatedAt: options.generatedAt }) });
  data.robustness = robustnessSection(robustnessOf(loaded.results), name);
  return pdf(await renderEntityReportPdf(data), `${loaded.edition.editionId}-entidad-${safeFileName(name, 40)}.pdf`);
}

/**
 * The row of an institution in the edition's results: by its id (24 hex digits), or by its name
 * (accents and case ignored) and, when the name repeats, its entity.
 */
export function institutionRow(loaded: LoadedEdition, institution: string, entity?: string): number {
  const { results } = loaded;
  if (OBJECT_ID.test(institution)) {
    const row = loaded.ids.indexOf(institution.toLowerCase());
    if (row < 0) throw problem(404, 'institution', institution, `institution "${institution}" has no results in edition "${loaded.edition.editionId}"`);
    return row;
  }
  const entityName = entity === undefined ? undefined : entityOf(results, entity);
  const folded = foldName(institution);
  const rows = results.institutions.flatMap((inst, row) => (foldName(inst.name) === folded && (entityName === undefined || inst.entity === entityName) ? [row] : []));
  if (rows.length === 0) throw problem(404, 'institution', institution, `no institution named "${institution}"${entityName ? ` in ${entityName}` : ''} in edition "${loaded.edition.editionId}"`);
  if (rows.length > 1) {
    const entities = rows.map((r) => results.institutions[r]!.entity).join(', ');
    throw problem(400, 'institution', institution, `${rows.length} institutions are named "${institution}" (${entities}): give the entity or the institution id`);
  }
  return rows[0]!;
}

/** The institution's approved answers as scored, with the question texts, when it answered a questionnaire. */
async function answeredItems(edition: EditionDoc, institutionId: string): Promise<AnsweredItems | undefined> {
  const { variables } = await scoreWithExplanation(edition.editionId, institutionId);
  if (!variables) return undefined;
  const labels = Object.fromEntries((edition.instruments ?? []).flatMap((ref) => Object.entries(itemLabels(instrumentById(ref.id))).map(([id, item]) => [id, item.label])));
  const answers = await explanationAnswers(edition.editionId, institutionId);
  return { explanation: variables.explanation, labels, ...(answers && { answers }) };
}

/**
 * Report cards of some rows of a loaded edition, each with the questionnaire answers behind it when
 * the institution has approved ones (one query for the rows, then one score per such institution).
 */
export async function institutionCardsData(loaded: LoadedEdition, rows: readonly number[], generatedAt?: Date): Promise<InstitutionReportData[]> {
  const ids = rows.map((row) => loaded.ids[row]!);
  const answering = new Set((await ResponseModel.distinct('institution', { edition: loaded.edition.editionId, status: 'approved', institution: { $in: ids } })).map(String));
  // The same institutions in an earlier edition linked by a crosswalk (the card's «Edición anterior»).
  const previous = await previousEditions(loaded.edition.editionId, ids, { publishedOnly: isPublic(loaded.edition) });
  return Promise.all(
    rows.map(async (row, i) => {
      const answered = answering.has(ids[i]!) ? await answeredItems(loaded.edition, ids[i]!) : undefined;
      const before = previous.get(ids[i]!);
      return buildInstitutionReportData(loaded.results, row, {
        ...(generatedAt && { generatedAt }),
        ...(answered && { answered }),
        ...(before && { previous: { edition: before.edition, title: before.title, name: before.institution.name, values: before.values, link: before.link } }),
      });
    }),
  );
}

/** "mga-2017-ficha-fed-asf.pdf" */
export function institutionCardDownloadName(loaded: LoadedEdition, row: number): string {
  const inst = loaded.results.institutions[row]!;
  const entityCode = safeFileName(inst.entityCode ?? normalizeEntity(inst.entity).code, 12);
  return `${loaded.edition.editionId}-ficha-${entityCode}-${safeFileName(inst.name, 60)}.pdf`;
}

export async function institutionReportPdf(editionId: string, institution: string, options: LoadOptions & { entity?: string; generatedAt?: Date } = {}): Promise<ReportFile> {
  const loaded = await loadEditionResults(editionId, options);
  const row = institutionRow(loaded, institution, options.entity);
  const [data] = await institutionCardsData(loaded, [row], options.generatedAt);
  return pdf(await renderInstitutionReportPdf(data!), institutionCardDownloadName(loaded, row));
}

/**
 * Every institution card of an edition into a folder (the CLI's bulk mode): the same cards as the
 * HTTP route and the cards job, many per print.
 */
export async function institutionCards(editionId: string, outDir: string, options: LoadOptions & BulkOptions = {}): Promise<BulkResult & { edition: string }> {
  const loaded = await loadEditionResults(editionId, options);
  const generatedAt = options.generatedAt ?? new Date();
  const result = await writeInstitutionCards(loaded.results, outDir, { ...options, generatedAt, cardData: (rows) => institutionCardsData(loaded, rows, generatedAt) });
  return { ...result, edition: loaded.edition.editionId };
}
