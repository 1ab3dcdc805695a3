/** Shared inputs of the report tests: the real 2017 edition and the published figures, loaded once. */
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeEditionResults, type EditionResults } from '../../reports/data.js';
import { parseResultsTable } from '../../scoring/import/index.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { parsePublishedAggregates, type ParsePublishedResult } from '../../scoring/published.js';
import { DATA_2017, REPO_ROOT } from '../scoring/helpers.js';
import { readPdfText } from '../setup/pdfText.js';

export const PUBLISHED_CSV = 'data/published/national_results.csv';
/** The 2019, 2021 and 2023 sample sizes (METHODOLOGY.md §4); not in the published CSV. */
export const SAMPLE_SIZES = { '2019': 1243, '2021': 1365, '2023': 2043 } as const;
export const GENERATED_AT = new Date('2025-03-04T17:30:00Z');

export interface Fixture {
  results: EditionResults;
  published: ParsePublishedResult;
}

let loading: Promise<Fixture> | undefined;

export function load2017(): Promise<Fixture> {
  loading ??= (async () => {
    const { rows, errors } = await parseResultsTable(await readFile(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: loadBuiltinMethodology('mga-2017') });
    if (errors.length > 0) throw new Error(`2017 data: ${errors.length} import errors`);
    const results = computeEditionResults({
      edition: '2017',
      methodology: loadBuiltinMethodology('mga-2017'),
      institutions: rows,
      dataSources: [{ short: 'BSO2017', citation: 'BSO2017: puntajes 2017 de los 908 sujetos obligados (JuveCampos/Metrica_Gob_Abierto, BSO.csv)' }],
    });
    const published = parsePublishedAggregates(await readFile(join(REPO_ROOT, PUBLISHED_CSV), 'utf-8'), { methodology: loadBuiltinMethodology('mga-2017') });
    return { results, published };
  })();
  return loading;
}

let scratch: Promise<string> | undefined;

/** A temporary folder for this test run, removed when the process exits. */
export function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(join(tmpdir(), 'mga-reports-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return scratch;
}

/**
 * Text of a PDF in reading order and in physical layout (table rows on one line), and its page count,
 * read with pdfjs-dist (no system tool). `name` labels the PDF in failure messages.
 */
export async function pdfFacts(pdf: Buffer, name: string): Promise<{ text: string; layout: string; pages: number }> {
  try {
    return await readPdfText(pdf);
  } catch (error) {
    throw new Error(`${name}.pdf could not be read: ${(error as Error).message}`);
  }
}
