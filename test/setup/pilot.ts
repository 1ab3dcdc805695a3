/** A pilot edition with two invited municipalities, built through the services the API uses. */
import { createEdition } from '../../server/services/editions.js';
import { importEditionSample } from '../../server/services/results.js';
import { issueInvitations } from '../../server/services/invitations.js';

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

export async function createPilot(editionId = 'piloto-prueba'): Promise<Pilot> {
  await createEdition({ editionId, year: 2026, title: 'Piloto de prueba', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] });
  await importEditionSample(editionId, new TextEncoder().encode(PILOT_SAMPLE_CSV), { format: 'csv', fileName: 'muestra.csv' });
  const issued = await issueInvitations(editionId, { baseUrl: 'http://localhost', expiresInDays: 30 });
  const institutions = issued.map((i) => ({ id: i.institutionId, name: i.institution, token: i.link.split('/').pop()! }));
  return { editionId, tokens: Object.fromEntries(institutions.map((i) => [i.id, i.token])), institutions };
}
