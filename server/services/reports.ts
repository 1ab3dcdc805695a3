/**
 * Reports of a stored edition: its results in the database turned into the report library's input
 * (computeEditionResults), once per results version, and the PDFs and workbooks made from it. The HTTP
 * routes, the results pages and the `mga report` command all go through here.
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
  computeEditionResults,
  renderEntityReportPdf,
  renderInstitutionReportPdf,
  renderNationalReportPdf,
  safeFileName,
  writeInstitutionCards,
  type BulkOptions,
  type BulkResult,
  type DataSource,
  type EditionResults,
  type InstitutionRecord,
  type NationalReportData,
  type AnsweredItems,
  type InstitutionReportData,
} from '../../reports/index.js';
import { foldName, normalizeEntity, UnknownNameError } from '../../scoring/catalogue.js';
import { SOURCE_GIVEN } from '../../scoring/engine.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionResultModel } from '../models/result.js';
import { ResponseModel } from '../models/response.js';
import { HttpProblem, notFound, type FieldError } from '../http/problem.js';
import { editionTable, findEdition, type EditionTable } from './results.js';
import { scoreWithExplanation } from './responses.js';
import { instrumentById, itemLabels } from './instruments.js';
import { editionsWithNationalFigures, publishedAggregates, PUBLISHED_EDITION_ABOUT, PUBLISHED_SAMPLE_SIZES, type PublishedAggregatesFile } from './publishedAggregates.js';

const EDITION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

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

type EditionDoc = Awaited<ReturnType<typeof findEdition>>;

export interface LoadedEdition {
  edition: EditionDoc;
  table: EditionTable;
  results: EditionResults;
  /** Institution id of each row of `results` (rows are sorted: federal first, then by INEGI code, then by name). */
  ids: readonly string[];
}

export interface LoadOptions {
  /** Only published editions exist (the public HTTP routes and pages); default true. */
  publishedOnly?: boolean;
}

function problem(status: 400 | 404, field: string, value: unknown, reason: string): HttpProblem {
  const errors: FieldError[] = [{ field, ...(value !== undefined && { value }), reason }];
  return new HttpProblem(status, status === 400 ? 'Bad Request' : 'Not Found', reason, errors);
}

/** The published edition with the latest year (the default of the national report). */
export async function latestPublishedEditionId(): Promise<string> {
  const latest = await EditionModel.findOne({ status: 'published' }, { editionId: 1 }).sort({ year: -1 }).lean();
  if (!latest) throw problem(404, 'edition', undefined, 'no edition has been published');
  return latest.editionId;
}

/** Sources of the shipped reference data, by the sha256 of the imported file. */
const KNOWN_SOURCES: Record<string, DataSource> = {
  '917eaafc273421d789c579f977381573650bc09bb78f2af56ddd6a06054e8ebb': {
    short: 'BSO2017',
    citation:
      'BSO2017: puntajes 2017 de los 908 sujetos obligados evaluados, publicados por INAI/CIDE con el tablero de resultados 2017 (repositorio público JuveCampos/Metrica_Gob_Abierto, archivo BSO.csv); copia UTF-8 en data/mga-2017/sujetos_obligados_2017.csv',
  },
};

/** Where the stored inputs of an edition come from: each imported file, and the questionnaires. */
async function dataSourcesOf(editionId: string, year: number): Promise<DataSource[]> {
  const groups = await InstitutionResultModel.aggregate<{ _id: { kind: string; fileName?: string; sha256?: string }; n: number }>([
    { $match: { edition: editionId } },
    { $group: { _id: { kind: '$source.kind', fileName: '$source.fileName', sha256: '$source.sha256' }, n: { $sum: 1 } } },
    { $sort: { '_id.kind': 1, '_id.fileName': 1 } },
  ]);
  return groups.map(({ _id: s, n }): DataSource => {
    if (s.kind === 'questionnaire') {
      return { short: `cuestionarios ${year}`, citation: `Cuestionarios aprobados y registros de la perspectiva ciudadana de la edición ${year} (${n} sujetos obligados)` };
    }
    const known = s.sha256 ? KNOWN_SOURCES[s.sha256] : undefined;
    if (known) return known;
    const file = s.fileName ?? 'archivo importado';
    return { short: file.split('/').pop()!, citation: `Resultados por sujeto obligado importados de ${file}${s.sha256 ? ` (sha256 ${s.sha256})` : ''}: ${n} sujetos obligados` };
  });
}

/** Given values of one row of the stored table (the engine keeps them next to the computed ones). */
function givenValues(table: EditionTable, row: number): Record<string, number> {
  const { nodeIds } = table.methodology;
  const base = row * nodeIds.length;
  const values: Record<string, number> = {};
  for (let i = 0; i < nodeIds.length; i++) if (table.scores.sources[base + i] === SOURCE_GIVEN) values[nodeIds[i]!] = table.scores.values[base + i]!;
  return values;
}

const resultsCache = new WeakMap<EditionTable, Promise<{ results: EditionResults; ids: string[] }>>();

/** Federal institutions first, then the states in INEGI order; by name within each. */
function rowOrder(table: EditionTable): number[] {
  const key = (row: number) => {
    const code = normalizeEntity(table.institutions[row]!.entity).code;
    return code === 'FED' ? '00' : code;
  };
  const collator = new Intl.Collator('es', { sensitivity: 'base', numeric: true });
  return table.institutions.map((_, row) => row).sort((a, b) => key(a).localeCompare(key(b)) || collator.compare(table.institutions[a]!.name, table.institutions[b]!.name) || a - b);
}

/**
 * An edition's stored results as the report library's input. The table is cached by the results
 * service per results version, and the computed results per table, so both follow every new import
 * or approved questionnaire. Rows are in a fixed order (see `ids`), so workbooks and the file names
 * of bulk cards do not depend on the database's storage order.
 */
export async function loadEditionResults(editionId: string, options: LoadOptions = {}): Promise<LoadedEdition> {
  if (!EDITION_ID.test(editionId)) throw problem(404, 'edition', editionId, `edition "${editionId}" does not exist`);
  let edition: EditionDoc;
  try {
    edition = await findEdition(editionId);
  } catch (error) {
    if (error instanceof HttpProblem && error.status === 404) throw problem(404, 'edition', editionId, error.detail ?? `edition "${editionId}" does not exist`);
    throw error;
  }
  if ((options.publishedOnly ?? true) && edition.status !== 'published') throw problem(404, 'edition', editionId, `edition "${editionId}" is not published`);
  const table = await editionTable(editionId);
  if (table.institutions.length === 0) throw problem(404, 'edition', editionId, `edition "${editionId}" has no institution results yet`);
  let cached = resultsCache.get(table);
  if (!cached) {
    cached = (async () => {
      const order = rowOrder(table);
      const institutions: InstitutionRecord[] = order.map((row) => {
        const inst = table.institutions[row]!;
        return { name: inst.name, entity: inst.entity, entityCode: normalizeEntity(inst.entity).code, level: inst.level, type: inst.type, values: givenValues(table, row) };
      });
      // Scored again in this order from the stored inputs (908 rows take a few milliseconds).
      const results = computeEditionResults({
        edition: String(edition.year),
        methodology: table.methodology,
        institutions,
        dataSources: await dataSourcesOf(editionId, edition.year),
      });
      return { results, ids: order.map((row) => table.institutions[row]!.id) };
    })();
    resultsCache.set(table, cached);
    cached.catch(() => resultsCache.delete(table));
  }
  const { results, ids } = await cached;
  return { edition, table, results, ids };
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
  const data = buildNationalReportData(loaded.results, published, {
    ...(editions && { editions }),
    sampleSizes: PUBLISHED_SAMPLE_SIZES,
    editionAbout: PUBLISHED_EDITION_ABOUT,
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
  return { explanation: variables.explanation, labels };
}

/**
 * Report cards of some rows of a loaded edition, each with the questionnaire answers behind it when
 * the institution has approved ones (one query for the rows, then one score per such institution).
 */
export async function institutionCardsData(loaded: LoadedEdition, rows: readonly number[], generatedAt?: Date): Promise<InstitutionReportData[]> {
  const ids = rows.map((row) => loaded.ids[row]!);
  const answering = new Set((await ResponseModel.distinct('institution', { edition: loaded.edition.editionId, status: 'approved', institution: { $in: ids } })).map(String));
  return Promise.all(
    rows.map(async (row, i) => {
      const answered = answering.has(ids[i]!) ? await answeredItems(loaded.edition, ids[i]!) : undefined;
      return buildInstitutionReportData(loaded.results, row, { ...(generatedAt && { generatedAt }), ...(answered && { answered }) });
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
