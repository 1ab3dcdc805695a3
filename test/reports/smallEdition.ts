/** A small edition for report tests: three institutions, the first named like a spreadsheet formula. */
import { createEdition } from '../../server/services/editions.js';
import { importEditionResults } from '../../server/services/results.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';

export const SMALL_EDITION_CSV = [
  'SO,edo,niv,ts,GA,P,T,TG,TC,PG,PC',
  '=CMD|calc!A0,Jalisco,Estatal,Autonomo,0.5054,0.333,0.6778,0.5556,0.8,0.466,0.2',
  'Jalisco-Auditoria Superior,Jalisco,Estatal,Legislativo,0.353,0.25,0.456,0.5244,0.3875,0,0.5',
  'Guanajuato-Leon,Guanajuato,Municipal,Municipio,0.3581,0.1,0.6163,0.7033,0.5292,0,0.2',
].join('\n');

/** Creates the edition (year 2030, so the latest) with its results, published or not. */
export async function createSmallEdition(editionId = 'mga-prueba', status: 'published' | 'draft' = 'published'): Promise<void> {
  await createEdition({ editionId, year: 2030, title: 'Edición de prueba', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
  await importEditionResults(editionId, Buffer.from(SMALL_EDITION_CSV), { format: 'csv', preset: 'mga-2017', fileName: 'prueba.csv' });
  if (status === 'published') {
    // Through the state machine: capture, review, then publish (the preflight passes: every institution has imported results).
    for (const next of ['collecting', 'review', 'published'] as const) await changeStatus(editionId, next, { actor: SYSTEM_ACTOR });
  }
}
