/**
 * `npm run demo`: a pilot edition with a few institutions at every stage of the flow, demo accounts
 * and invitation links, so a newcomer sees the whole questionnaire cycle in a minute. For local
 * use: the accounts get fresh random passwords, printed once, each time it runs.
 */
import { randomBytes } from 'node:crypto';
import { EditionModel } from '../models/edition.js';
import { UserModel, type Role } from '../models/user.js';
import { hashPassword } from '../auth/passwords.js';
import { createUser } from '../auth/users.js';
import { createEdition } from './editions.js';
import { importEditionSample } from './results.js';
import { issueInvitations } from './invitations.js';
import { editionInstrument, returnResponse, saveDraft, saveCitizenLogs, submitAnswers, approveResponse, type Actor } from './responses.js';
import { changeStatus } from './editionLifecycle.js';
import { SYSTEM_ACTOR } from './audit.js';
import { InstitutionModel } from '../models/institution.js';
import { assign } from './assignments.js';
import { recordAssignments } from './assignmentAudit.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';

export const DEMO_EDITION = 'piloto-demo';

const SAMPLE = [
  'name,entity,level,type',
  'Municipio de Zapopan,Jalisco,municipal,Municipio',
  'Municipio de León,Guanajuato,municipal,Municipio',
  'Municipio de Mérida,Yucatán,municipal,Municipio',
  'Municipio de Oaxaca de Juárez,Oaxaca,municipal,Municipio',
  'Municipio de Hermosillo,Sonora,municipal,Municipio',
  'Municipio de Puebla,Puebla,municipal,Municipio',
].join('\n');

const ACCOUNTS: { role: Role; email: string; name: string }[] = [
  { role: 'admin', email: 'admin@demo.mga.local', name: 'Administración (demo)' },
  { role: 'evaluator', email: 'evaluacion@demo.mga.local', name: 'Equipo evaluador (demo)' },
  { role: 'viewer', email: 'comisionado@demo.mga.local', name: 'Comisionada (demo)' },
];

export interface DemoSummary {
  edition: string;
  created: boolean;
  accounts: { role: Role; email: string; password: string }[];
  invitations: { institution: string; stage: string; link: string }[];
}

async function demoAccounts(): Promise<DemoSummary['accounts']> {
  const accounts = [];
  for (const account of ACCOUNTS) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    const existing = await UserModel.findOne({ email: account.email });
    if (existing) {
      existing.passwordHash = await hashPassword(password);
      if (!existing.editions.includes(DEMO_EDITION)) existing.editions.push(DEMO_EDITION);
      await existing.save();
    } else {
      await createUser({ ...account, password, editions: [DEMO_EDITION] });
    }
    accounts.push({ role: account.role, email: account.email, password });
  }
  return accounts;
}

/** Puts the sample institutions at different stages: approved and scored, returned, submitted, draft, not started. */
async function demoAnswers(editionId: string): Promise<Map<string, string>> {
  const own = await editionInstrument(editionId, 'institution');
  const logs = await editionInstrument(editionId, 'evaluator');
  const institutions = await InstitutionModel.find({ scope: editionId }, { name: 1 }).lean();
  const idOf = (name: string) => String(institutions.find((i) => i.name === name)!._id);
  const evaluator: Actor = { kind: 'user', id: 'demo', label: 'Equipo evaluador (demo)', role: 'evaluator' };
  const respondent = (name: string): Actor => ({ kind: 'respondent', id: 'demo', label: `Sujeto obligado: ${name}`, role: 'respondent' });
  const submit = (name: string) => submitAnswers(editionId, idOf(name), own, DEMO_GOVERNMENT_ANSWERS, { actor: respondent(name), editableIn: ['draft'] });
  const stages = new Map<string, string>();

  await submit('Municipio de Zapopan');
  await approveResponse(editionId, idOf('Municipio de Zapopan'), own, { actor: evaluator });
  await saveCitizenLogs(editionId, idOf('Municipio de Zapopan'), logs, DEMO_CITIZEN_ANSWERS, { actor: evaluator, complete: true });
  stages.set('Municipio de Zapopan', 'aprobado, con bitácora ciudadana y calificación');

  await submit('Municipio de León');
  await returnResponse(editionId, idOf('Municipio de León'), own, [{ item: 'aiTraining', comment: 'Adjunte la constancia de la capacitación de 2016 o corrija la respuesta.' }], { actor: evaluator });
  stages.set('Municipio de León', 'devuelto con un comentario');

  await submit('Municipio de Mérida');
  stages.set('Municipio de Mérida', 'enviado, en la cola de revisión');

  await saveDraft(editionId, idOf('Municipio de Oaxaca de Juárez'), own, { aiUnit: 'yes', aiHead: 'yes', aiStaffCount: 2 }, { actor: respondent('Municipio de Oaxaca de Juárez'), editableIn: ['draft'] });
  stages.set('Municipio de Oaxaca de Juárez', 'borrador');
  stages.set('Municipio de Hermosillo', 'sin iniciar');
  stages.set('Municipio de Puebla', 'sin iniciar');
  return stages;
}

/** The demo's evaluator works on every institution of the pilot (kept on later runs). */
async function assignDemoEvaluator(institutionIds: string[]): Promise<void> {
  const evaluator = await UserModel.findOne({ email: ACCOUNTS.find((a) => a.role === 'evaluator')!.email }, { _id: 1 }).lean();
  if (!evaluator || institutionIds.length === 0) return;
  const result = await assign(DEMO_EDITION, { evaluatorId: String(evaluator._id), institutionIds }, { id: 'demo', label: 'Demostración' });
  await recordAssignments(DEMO_EDITION, 'assign', result);
}

/** Creates the pilot edition once; every run prints fresh passwords and links. */
export async function seedDemo(baseUrl: string): Promise<DemoSummary> {
  let created = false;
  let stages = new Map<string, string>();
  if (!(await EditionModel.exists({ editionId: DEMO_EDITION }))) {
    await createEdition({ editionId: DEMO_EDITION, year: 2026, title: 'Edición piloto (demostración)', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
    await importEditionSample(DEMO_EDITION, new TextEncoder().encode(SAMPLE), { format: 'csv', fileName: 'muestra-demo.csv', actor: SYSTEM_ACTOR });
    await changeStatus(DEMO_EDITION, 'collecting', { actor: SYSTEM_ACTOR });
    stages = await demoAnswers(DEMO_EDITION);
    created = true;
  }
  const accounts = await demoAccounts();
  const institutions = await InstitutionModel.find({ scope: DEMO_EDITION }, { _id: 1 }).lean();
  await assignDemoEvaluator(institutions.map((i) => String(i._id)));
  const issued = await issueInvitations(DEMO_EDITION, { baseUrl, expiresInDays: 30, actor: SYSTEM_ACTOR, institutionIds: institutions.map((i) => String(i._id)) });
  return {
    edition: DEMO_EDITION,
    created,
    accounts,
    invitations: issued.map((i) => ({ institution: i.institution, stage: stages.get(i.institution) ?? '', link: i.link })),
  };
}

export function demoText(summary: DemoSummary, baseUrl: string): string {
  const lines = [
    '',
    `Demostración: edición "${summary.edition}" ${summary.created ? 'creada' : 'ya existía'} en ${baseUrl}`,
    '',
    'Cuentas (contraseñas nuevas en cada ejecución; sólo para uso local):',
    ...summary.accounts.map((a) => `  ${a.role.padEnd(9)} ${a.email}  ${a.password}`),
    '',
    `Entre en ${baseUrl}/entrar. Ligas de invitación de los sujetos obligados (emitir otras revoca éstas):`,
    ...summary.invitations.map((i) => `  ${i.institution}${i.stage ? ` (${i.stage})` : ''}\n    ${i.link}`),
    '',
  ];
  return lines.join('\n');
}
