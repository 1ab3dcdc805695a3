/**
 * An edition's stored results as the report library's input (computeEditionResults), once per results
 * version: the reports, the results pages and the comparisons across editions all load editions here.
 */
import { computeEditionResults, type DataSource, type EditionResults, type InstitutionRecord } from '../../reports/index.js';
import { normalizeEntity } from '../../scoring/catalogue.js';
import { SOURCE_GIVEN } from '../../scoring/engine.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionResultModel } from '../models/result.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { editionTable, findEdition, type EditionTable } from './results.js';
import { isPublic, PUBLIC_EDITIONS } from './editionLifecycle.js';

const EDITION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const OBJECT_ID = /^[0-9a-f]{24}$/i;

export type EditionDoc = Awaited<ReturnType<typeof findEdition>>;

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

export function problem(status: 400 | 404, field: string, value: unknown, reason: string): HttpProblem {
  const errors: FieldError[] = [{ field, ...(value !== undefined && { value }), reason }];
  return new HttpProblem(status, status === 400 ? 'Bad Request' : 'Not Found', reason, errors);
}

/** The published edition with the latest year (the default of the national report). */
export async function latestPublishedEditionId(): Promise<string> {
  const latest = await EditionModel.findOne(PUBLIC_EDITIONS, { editionId: 1 }).sort({ year: -1 }).lean();
  if (!latest) throw problem(404, 'edition', undefined, 'no edition has been published');
  return latest.editionId;
}

/** Sources of the shipped reference data, by the sha256 of the imported file. */
const KNOWN_SOURCES: Record<string, DataSource> = {
  '917eaafc273421d789c579f977381573650bc09bb78f2af56ddd6a06054e8ebb': {
    short: 'BSO2017',
    citation:
      'BSO2017: puntajes 2017 de los 908 sujetos obligados evaluados, publicados por INAI/CIDE con el tablero de resultados 2017 (repositorio público JuveCampos/Metrica_Gob_Abierto, archivo BSO.csv); copia UTF-8 en data/mga-2017/sujetos_obligados_2017.csv; seis nombres que llegaron con caracteres dañados por la codificación se repararon al importarlos (por ejemplo, «SÃ¡nchez» → «Sánchez»; la lista, en data/README.md)',
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
  if ((options.publishedOnly ?? true) && !isPublic(edition)) throw problem(404, 'edition', editionId, `edition "${editionId}" is not published`);
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
