/** A pilot edition with two invited municipalities, built through the services the API uses. */
import { createEdition } from '../../server/services/editions.js';
import { importEditionSample } from '../../server/services/results.js';
import { issueInvitations } from '../../server/services/invitations.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';

export const PILOT_SAMPLE_CSV = [
  'name,entity,level,type',
  'Municipio de Zapopan,Jalisco,municipal,Municipio',
  'Municipio de Tonalá,Jalisco,municipal,Municipio',
  'Municipio de León,Guanajuato,municipal,Municipio',
].join('\n');

export interface Pilot {
  editionId: string;
  /** Institution id → invitation token. */
  tokens: Record<string, string>;
  institutions: { id: string; name: string; token: string }[];
}

/** A sample of `n` municipalities ("Municipio de prueba 001, Jalisco", …) for tests that need many institutions. */
export function manyMunicipalities(n: number): string {
  return ['name,entity,level,type', ...Array.from({ length: n }, (_, i) => `Municipio de prueba ${String(i + 1).padStart(3, '0')},Jalisco,municipal,Municipio`)].join('\n');
}

/** The pilot edition, its sample imported, invitations issued and its capture open (collecting). */
export async function createPilot(editionId = 'piloto-prueba', sampleCsv = PILOT_SAMPLE_CSV): Promise<Pilot> {
  await createEdition({ editionId, year: 2026, title: 'Piloto de prueba', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
  await importEditionSample(editionId, new TextEncoder().encode(sampleCsv), { format: 'csv', fileName: 'muestra.csv' });
  const issued = await issueInvitations(editionId, { baseUrl: 'http://localhost', expiresInDays: 30, actor: SYSTEM_ACTOR });
  await changeStatus(editionId, 'collecting', { actor: SYSTEM_ACTOR });
  const institutions = issued.map((i) => ({ id: i.institutionId, name: i.institution, token: i.link.split('/').pop()! }));
  return { editionId, tokens: Object.fromEntries(institutions.map((i) => [i.id, i.token])), institutions };
}
