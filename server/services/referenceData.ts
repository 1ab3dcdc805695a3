/** Reference editions shipped in data/ and loaded on first start, so a fresh install serves real results. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EditionModel } from '../models/edition.js';
import { importEditionResults, repairStoredNames, type ImportSummary } from './results.js';
import { methodologyById } from './methodologies.js';
import { changeStatus, isPublic } from './editionLifecycle.js';
import { SYSTEM_ACTOR } from './audit.js';

const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

export const REFERENCE_EDITIONS = [
  {
    editionId: 'mga-2017',
    year: 2017,
    title: 'Métrica de Gobierno Abierto 2017',
    methodologyId: 'mga-2017',
    file: 'mga-2017/sujetos_obligados_2017.csv',
    preset: 'mga-2017' as const,
  },
];

export async function loadReferenceEditions(log: (msg: string) => void): Promise<ImportSummary[]> {
  const loaded: ImportSummary[] = [];
  for (const reference of REFERENCE_EDITIONS) {
    const existing = await EditionModel.findOne({ editionId: reference.editionId }, { resultsVersion: 1, status: 1 }).lean();
    if (existing && existing.resultsVersion > 0) {
      const repaired = await repairStoredNames(reference.editionId);
      if (repaired.length > 0) log(`reference edition ${reference.editionId}: ${repaired.length} institution names repaired (${repaired.map((r) => r.repaired).join('; ')})`);
      continue;
    }
    const started = Date.now();
    if (!existing) {
      // Loaded in review, then published through the edition's state machine (with its preflight).
      await EditionModel.create({
        editionId: reference.editionId,
        year: reference.year,
        title: reference.title,
        methodology: { id: reference.methodologyId, hash: methodologyById(reference.methodologyId).hash },
        status: 'review',
      });
    } else if (isPublic(existing)) {
      await changeStatus(reference.editionId, 'review', { actor: SYSTEM_ACTOR, reason: 'Carga de los datos de referencia' });
    }
    const bytes = await readFile(DATA_DIR + reference.file);
    const summary = await importEditionResults(reference.editionId, bytes, { format: 'csv', preset: reference.preset, fileName: `data/${reference.file}`, actor: SYSTEM_ACTOR });
    await changeStatus(reference.editionId, 'published', { actor: SYSTEM_ACTOR });
    log(`loaded reference edition ${reference.editionId}: ${summary.rows} institutions from data/${reference.file} in ${Date.now() - started} ms${summary.repairedNames.length > 0 ? `; ${summary.repairedNames.length} names repaired (see data/README.md)` : ''}`);
    loaded.push(summary);
  }
  return loaded;
}
