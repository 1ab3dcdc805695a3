/**
 * Admin completeness (real MongoDB): editing and removing an edition's institutions under the
 * edition lifecycle (free in draft, with a reason later, never once published), revisions against
 * concurrent edits (a race run 20 times), removal that never loses answers, the edition's details
 * and deadline (and what the deadline feeds: the gate, overdue flags, reminders), and the sample
 * template as CSV and XLSX, which the import accepts as it is.
 */
import { expect } from 'chai';
import type { InstitutionView as ServiceInstitutionView } from '../../server/services/institutionAdmin.js';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn, makeUser } from '../setup/client.js';
import { UserModel } from '../../server/models/user.js';
import { AssignmentModel } from '../../server/models/assignment.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { createEdition } from '../../server/services/editions.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { importEditionSample } from '../../server/services/results.js';
import { issueInvitations } from '../../server/services/invitations.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { InvitationModel } from '../../server/models/invitation.js';
import { EditionModel } from '../../server/models/edition.js';
import { ResponseModel } from '../../server/models/response.js';
import { AuditEntryModel } from '../../server/models/audit.js';
import { MailModel, ReminderScheduleModel } from '../../server/mail/model.js';
import { planScheduledReminders } from '../../server/mail/schedule.js';
import { JobModel, type JobDoc } from '../../server/jobs/model.js';
import { startWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';
import { ENGLISH_VALIDATOR_PHRASES } from '../../server/http/messages.js';

/** Validator phrases (the project's list) and this work's machine codes must never reach these pages. */
const ENGLISH_PHRASES = [...ENGLISH_VALIDATOR_PHRASES, /validation failed/i, /stale_revision|reason_required|validation_failed|unknown_entity|institution_has_answers/];

const logger = createLogger(process.env.LOG_LEVEL || 'silent');
const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the institution operations answer: the service's view without the edition (it is in the path). */
type InstitutionView = Omit<ServiceInstitutionView, 'edition'>;
interface Problem {
  code?: string;
  detail?: string;
  currentRevision?: number;
  current?: InstitutionView;
  held?: { responses: number; evidence: number; results: number };
  errors?: { field: string; reason: string; code?: string; message?: string }[];
}

const DRAFT = 'admin-borrador';
const DRAFT_SAMPLE = ['name,entity,level,type,externalId,contactName,contactEmail', 'Municipio de Colima,Colima,municipal,Municipio,COL-1,Ana Ruiz,ana@colima.example', 'Municipio de Manzanillo,Colima,municipal,Municipio,,,', 'Municipio de Tecomán,Colima,municipal,Municipio,,,'].join('\n');

async function stored(id: string) {
  return InstitutionModel.findById(id).lean();
}

describe('admin completeness: institutions, edition details, deadline, sample template (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let admin: Client;
  let pilot: Pilot;
  const ids: Record<string, string> = {};
  const savedDays = process.env.MGA_REMINDER_DAYS;

  before(async () => {
    await useTestDatabase('admin_edits');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
    await createEdition({ editionId: DRAFT, year: 2026, title: 'Edición en preparación', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
    await importEditionSample(DRAFT, new TextEncoder().encode(DRAFT_SAMPLE), { format: 'csv', fileName: 'muestra.csv' });
    for (const i of await InstitutionModel.find({ scope: DRAFT }).lean()) ids[i.name] = String(i._id);
    pilot = await createPilot('admin-captura');
  });
  after(async () => {
    await server.close();
    if (savedDays === undefined) delete process.env.MGA_REMINDER_DAYS;
    else process.env.MGA_REMINDER_DAYS = savedDays;
  });

  const url = (edition: string, id: string) => `/api/v1/editions/${edition}/institutions/${id}`;

  describe('editing institutions', () => {
    it('in draft: every field the sample accepts changes freely, with its revision, normalised by the model, and one audit entry with old and new values', async () => {
      const id = ids['Municipio de Colima']!;
      const got = await json<{ institution: InstitutionView; editable: boolean; removable: boolean; reasonRequired: boolean }>(await admin.get(url(DRAFT, id)));
      expect(got).to.include({ editable: true, removable: true, reasonRequired: false });
      expect(got.institution).to.include({ name: 'Municipio de Colima', externalId: 'COL-1', contactEmail: 'ana@colima.example', revision: 0 });
      const resultsVersion = (await EditionModel.findOne({ editionId: DRAFT }).lean())!.resultsVersion;
      const res = await admin.request('PATCH', url(DRAFT, id), {
        json: { baseRevision: 0, name: 'Municipio de Colima, Colima', entity: 'colima', level: 'MUNICIPAL', type: 'Municipio', externalId: 'COL-01', contactName: 'Ana Ruiz Pérez', contactEmail: 'Ana.Ruiz@Colima.example', contactCc: ['Archivo@Colima.example', 'archivo@colima.example'] },
      });
      expect(res.status, await res.clone().text()).to.equal(200);
      const body = await json<{ institution: InstitutionView; changed: string[] }>(res);
      expect(body.institution).to.include({ name: 'Municipio de Colima, Colima', entity: 'Colima', level: 'Municipal', externalId: 'COL-01', contactEmail: 'ana.ruiz@colima.example', revision: 1 });
      expect(body.institution.contactCc).to.deep.equal(['archivo@colima.example']);
      expect(body.changed).to.have.members(['name', 'externalId', 'contactName', 'contactEmail', 'contactCc']);
      const doc = await stored(id);
      expect(doc).to.include({ name: 'Municipio de Colima, Colima', normalizedName: 'municipiodecolimacolima', revision: 1 });
      expect((await EditionModel.findOne({ editionId: DRAFT }).lean())!.resultsVersion, 'a new name invalidates cached results and reports').to.equal(resultsVersion + 1);
      const audit = await AuditEntryModel.find({ action: 'institution.change', institution: new mongoose.Types.ObjectId(id) }).lean();
      expect(audit).to.have.length(1);
      expect(audit[0]!.oldValue).to.deep.include({ name: 'Municipio de Colima', externalId: 'COL-1' });
      expect(audit[0]!.newValue).to.deep.include({ name: 'Municipio de Colima, Colima', externalId: 'COL-01' });
      // Clearing optional fields; sending the same values again changes nothing and records nothing.
      const cleared = await json<{ institution: InstitutionView }>(await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 1, externalId: null, contactCc: [] } }));
      expect(cleared.institution).to.include({ externalId: null, revision: 2 });
      expect((await stored(id))!.externalIds).to.equal(undefined);
      const same = await json<{ changed: string[]; institution: InstitutionView }>(await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 2, name: 'Municipio de Colima, Colima' } }));
      expect(same.changed).to.deep.equal([]);
      expect(same.institution.revision).to.equal(2);
      expect(await AuditEntryModel.countDocuments({ action: 'institution.change', institution: new mongoose.Types.ObjectId(id) })).to.equal(2);
    });

    it('bad input is a 400 naming every field with a code and a Spanish message; nothing is written', async () => {
      const id = ids['Municipio de Manzanillo']!;
      const before = JSON.stringify(await stored(id));
      const res = await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 0, name: 'M', entity: 'Atlantis', level: 'Galáctico', type: 'Imperio', contactEmail: 'sin arroba', contactCc: ['bien@colima.example', 'mal'] } });
      expect(res.status).to.equal(400);
      const problem = await json<Problem>(res);
      expect(problem.code).to.equal('validation_failed');
      const byField = Object.fromEntries(problem.errors!.map((e) => [e.field, e]));
      expect(Object.keys(byField)).to.include.members(['name', 'entity', 'level', 'type', 'contactEmail', 'contactCc']);
      expect(byField.entity).to.include({ code: 'unknown_entity' });
      expect(byField.entity!.message).to.include('no es una entidad federativa');
      expect(byField.contactEmail!.message).to.include('dirección de correo válida');
      expect(byField.contactCc!.message).to.include('mal');
      expect(JSON.stringify(await stored(id))).to.equal(before);
      // Unknown fields and a missing revision are refused by the request schema.
      expect((await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 0, scope: 'otra' } })).status).to.equal(400);
      expect((await admin.request('PATCH', url(DRAFT, id), { json: { name: 'Sin revisión' } })).status).to.equal(400);
      expect((await admin.request('PATCH', url(DRAFT, '0123456789abcdef01234567'), { json: { baseRevision: 0 } })).status).to.equal(404);
      expect((await admin.request('PATCH', url(pilot.editionId, id), { json: { baseRevision: 0 } })).status, 'an institution of another edition').to.equal(404);
    });

    it('the same name and entity as another institution is a 409 (institution_duplicate); a stale revision is a 409 with the current data', async () => {
      const id = ids['Municipio de Manzanillo']!;
      const dup = await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 0, name: 'MUNICIPIO DE TECOMÁN' } });
      expect(dup.status).to.equal(409);
      expect((await json<Problem>(dup)).code).to.equal('institution_duplicate');
      expect((await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 0, contactName: 'Luis' } })).status).to.equal(200);
      const stale = await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: 0, contactName: 'Otra persona' } });
      expect(stale.status).to.equal(409);
      const problem = await json<Problem>(stale);
      expect(problem).to.include({ code: 'stale_revision', currentRevision: 1 });
      expect(problem.current).to.include({ contactName: 'Luis' });
      expect((await stored(id))!.contactName).to.equal('Luis');
    });

    it('a sample import bumps the revision of the institutions it updates, so an edit based on the older data gets 409', async () => {
      const id = ids['Municipio de Tecomán']!;
      const base = (await stored(id))!.revision ?? 0;
      await importEditionSample(DRAFT, new TextEncoder().encode('name,entity,level,type,contactEmail\nMunicipio de Tecomán,Colima,municipal,Municipio,nuevo@tecoman.example\n'), { format: 'csv', fileName: 'otra.csv' });
      expect((await stored(id))!.revision).to.equal(base + 1);
      expect((await admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: base, contactEmail: 'viejo@tecoman.example' } })).status).to.equal(409);
      expect((await stored(id))!.contactEmail).to.equal('nuevo@tecoman.example');
    });

    it('once collecting, a change needs a reason (400 reason_required, nothing written); the reason is in the audit trail; published: 409', async () => {
      const zapopan = pilot.institutions.find((i) => i.name === 'Municipio de Zapopan')!;
      const before = JSON.stringify(await stored(zapopan.id));
      const refused = await admin.request('PATCH', url(pilot.editionId, zapopan.id), { json: { baseRevision: 0, type: 'Municipio', name: 'Municipio de Zapopan, Jal.' } });
      expect(refused.status).to.equal(400);
      const problem = await json<Problem>(refused);
      expect(problem.code).to.equal('reason_required');
      expect(problem.errors![0]).to.include({ field: 'reason', code: 'reason_required' });
      expect(JSON.stringify(await stored(zapopan.id))).to.equal(before);
      const ok = await admin.request('PATCH', url(pilot.editionId, zapopan.id), { json: { baseRevision: 0, name: 'Municipio de Zapopan, Jal.', reason: 'Nombre oficial según el padrón del SNT' } });
      expect(ok.status, await ok.clone().text()).to.equal(200);
      const entry = await AuditEntryModel.findOne({ action: 'institution.change', institution: new mongoose.Types.ObjectId(zapopan.id) }).lean();
      expect(entry).to.include({ reason: 'Nombre oficial según el padrón del SNT' });
      expect(entry!.actor.role).to.equal('admin');

      await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { status: 'published' } });
      try {
        const closed = await admin.request('PATCH', url(pilot.editionId, zapopan.id), { json: { baseRevision: 1, name: 'Otro', reason: 'Un motivo' } });
        expect(closed.status).to.equal(409);
        expect((await json<Problem>(closed)).code).to.equal('edition_published');
        expect((await admin.request('POST', `${url(pilot.editionId, zapopan.id)}/remove`, { json: { reason: 'Un motivo' } })).status).to.equal(409);
      } finally {
        await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { status: 'collecting' } });
      }
    });

    it('race: two edits of one institution at once, 20 times: exactly one wins, the other gets 409, nothing is lost or mixed', async () => {
      const id = ids['Municipio de Manzanillo']!;
      for (let round = 0; round < 20; round++) {
        const base = (await stored(id))!.revision ?? 0;
        const a = { contactName: `Ana ${round}`, contactEmail: `ana${round}@manzanillo.example` };
        const b = { contactName: `Beto ${round}`, contactEmail: `beto${round}@manzanillo.example` };
        const [ra, rb] = await Promise.all([admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: base, ...a } }), admin.request('PATCH', url(DRAFT, id), { json: { baseRevision: base, ...b } })]);
        const statuses = [ra.status, rb.status].sort();
        expect(statuses, `round ${round}: ${await ra.clone().text()} ${await rb.clone().text()}`).to.deep.equal([200, 409]);
        const winner = ra.status === 200 ? a : b;
        const loser = ra.status === 200 ? rb : ra;
        expect((await json<Problem>(loser)).code).to.equal('stale_revision');
        const doc = (await stored(id))!;
        expect(doc).to.include({ ...winner, revision: base + 1 });
      }
      expect(await AuditEntryModel.countDocuments({ action: 'institution.contacts', institution: new mongoose.Types.ObjectId(id), newValue: { $ne: null } })).to.be.at.least(20);
    });
  });

  describe('removing institutions', () => {
    it('in draft: removed without a reason; its invitations revoked; the audit entry keeps its data', async () => {
      const id = ids['Municipio de Tecomán']!;
      await issueInvitations(DRAFT, { baseUrl: 'http://localhost', expiresInDays: 10, actor: SYSTEM_ACTOR, institutionIds: [id] });
      const res = await admin.request('POST', `${url(DRAFT, id)}/remove`, { json: {} });
      expect(res.status, await res.clone().text()).to.equal(200);
      expect(await json(res)).to.deep.include({ invitationsRevoked: 1 });
      expect(await stored(id)).to.equal(null);
      expect(await InvitationModel.countDocuments({ institution: new mongoose.Types.ObjectId(id), revokedAt: null })).to.equal(0);
      const entry = await AuditEntryModel.findOne({ action: 'institution.remove', institution: new mongoose.Types.ObjectId(id) }).lean();
      expect(entry!.oldValue).to.deep.include({ name: 'Municipio de Tecomán', entity: 'Colima', contactEmail: 'nuevo@tecoman.example' });
      expect((await admin.request('POST', `${url(DRAFT, id)}/remove`, { json: {} })).status).to.equal(404);
    });

    it('once collecting: an institution with answers cannot be removed (409 institution_has_answers, nothing changes); one without needs a reason', async () => {
      const zapopan = pilot.institutions.find((i) => i.name === 'Municipio de Zapopan')!;
      const leon = pilot.institutions.find((i) => i.name === 'Municipio de León')!;
      const respondent = Object.assign(new Client(server.url), { bearer: zapopan.token });
      expect((await respondent.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } })).status).to.equal(200);
      const refused = await admin.request('POST', `${url(pilot.editionId, zapopan.id)}/remove`, { json: { reason: 'Ya no existe' } });
      expect(refused.status).to.equal(409);
      const problem = await json<Problem>(refused);
      expect(problem.code).to.equal('institution_has_answers');
      expect(problem.held).to.deep.include({ responses: 1 });
      expect(await stored(zapopan.id)).to.not.equal(null);
      expect((await ResponseModel.findOne({ institution: new mongoose.Types.ObjectId(zapopan.id) }).lean())!.answers).to.deep.include({ aiUnit: 'yes' });
      expect((await respondent.get('/api/v1/respondent/questionnaire')).status, 'its link still works').to.equal(200);
      const got = await json<{ removable: boolean; held: Problem['held'] }>(await admin.get(url(pilot.editionId, zapopan.id)));
      expect(got.removable).to.equal(false);

      const noReason = await admin.request('POST', `${url(pilot.editionId, leon.id)}/remove`, { json: {} });
      expect(noReason.status).to.equal(400);
      expect((await json<Problem>(noReason)).code).to.equal('reason_required');
      expect(await stored(leon.id)).to.not.equal(null);
      const evaluator = await makeUser('evaluator', [pilot.editionId]);
      const evaluatorId = String((await UserModel.findOne({ email: evaluator.email }).lean())!._id);
      const assigned = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/assignments`, { json: { evaluatorId, institutionIds: [leon.id] } });
      expect(assigned.status, await assigned.clone().text()).to.be.oneOf([200, 201]);
      expect(await AssignmentModel.countDocuments({ institution: new mongoose.Types.ObjectId(leon.id) })).to.equal(1);
      const removed = await admin.request('POST', `${url(pilot.editionId, leon.id)}/remove`, { json: { reason: 'Duplicado en la muestra' } });
      expect(removed.status, await removed.clone().text()).to.equal(200);
      expect((await AuditEntryModel.findOne({ action: 'institution.remove', institution: new mongoose.Types.ObjectId(leon.id) }).lean())!.reason).to.equal('Duplicado en la muestra');
      expect(await AssignmentModel.countDocuments({ institution: new mongoose.Types.ObjectId(leon.id) }), 'its assignments go with it').to.equal(0);
      const link = Object.assign(new Client(server.url), { bearer: leon.token });
      expect((await link.get('/api/v1/respondent/questionnaire')).status, 'its link no longer opens').to.equal(401);
    });
  });

  describe('pages', () => {
    it('the edit page is Spanish, names fields by their labels on errors, keeps what was typed, and shows a stale edit side by side', async () => {
      const id = ids['Municipio de Manzanillo']!;
      const page = await admin.page(`/admin/ediciones/${DRAFT}/sujetos/${id}`);
      expect(page).to.include('Datos de Municipio de Manzanillo').and.include('Nombre del sujeto obligado').and.include('Correo del contacto').and.include('puede cambiar estos datos libremente');
      const revision = Number(/name="baseRevision" value="(\d+)"/.exec(page)![1]);
      const bad = await admin.request('POST', `/admin/ediciones/${DRAFT}/sujetos/${id}`, { form: { baseRevision: String(revision), name: 'Municipio de Manzanillo', entity: 'Colima', level: 'Municipal', type: 'Municipio', externalId: '', contactName: 'Luis', contactEmail: 'luis(at)manzanillo', contactCc: '', reason: '' }, headers: { accept: 'text/html' } });
      expect(bad.status).to.equal(400);
      const html = await bad.text();
      expect(html).to.include('Correo del contacto: escriba una dirección de correo válida').and.include('value="luis(at)manzanillo"');
      expect(html, 'the message beside its field too').to.match(/aria-invalid="true" aria-describedby="e-contactEmail" id="f-contactEmail"/).and.include('<p class="field-error" id="e-contactEmail">escriba una dirección de correo válida');
      for (const phrase of ENGLISH_PHRASES) expect(html).to.not.match(phrase);
      const stale = await admin.request('POST', `/admin/ediciones/${DRAFT}/sujetos/${id}`, { form: { baseRevision: String(revision - 1), name: 'Municipio de Manzanillo', entity: 'Colima', level: 'Municipal', type: 'Municipio', contactName: 'Otra', contactEmail: '', contactCc: '', externalId: '' }, headers: { accept: 'text/html' } });
      expect(stale.status).to.equal(409);
      const staleHtml = await stale.text();
      expect(staleHtml).to.include('Alguien más cambió este sujeto obligado').and.include('Su versión').and.include('Versión guardada');
      const good = await admin.request('POST', `/admin/ediciones/${DRAFT}/sujetos/${id}`, { form: { baseRevision: String(revision), name: 'Municipio de Manzanillo', entity: 'Colima', level: 'Municipal', type: 'Municipio', externalId: 'COL-7', contactName: 'Luis', contactEmail: 'luis@manzanillo.example', contactCc: '', reason: '' } });
      expect(good.status).to.equal(303);
      expect((await stored(id))!).to.include({ contactEmail: 'luis@manzanillo.example' });
    });

    it('the removal page says plainly why an institution with answers stays, and asks for the reason and a confirmation otherwise', async () => {
      const zapopan = pilot.institutions.find((i) => i.name === 'Municipio de Zapopan')!;
      const tonala = pilot.institutions.find((i) => i.name === 'Municipio de Tonalá')!;
      const held = await admin.page(`/admin/ediciones/${pilot.editionId}/sujetos/${zapopan.id}/quitar`);
      expect(held).to.include('No se puede quitar').and.include('un cuestionario con respuestas').and.include('exclúyalo de los resultados');
      const form = await admin.page(`/admin/ediciones/${pilot.editionId}/sujetos/${tonala.id}/quitar`);
      expect(form).to.include('Confirmo que quiero quitar').and.include('obligatorio');
      const unconfirmed = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/sujetos/${tonala.id}/quitar`, { form: { reason: '' }, headers: { accept: 'text/html' } });
      expect(unconfirmed.status).to.equal(400);
      expect(await unconfirmed.text()).to.include('Confirmación: marque la casilla');
      expect(await stored(tonala.id)).to.not.equal(null);
    });

    it('the edition page links the edit pages, the details, the preflight and the templates', async () => {
      const page = await admin.page(`/admin/ediciones/${DRAFT}`);
      expect(page).to.include(`/admin/ediciones/${DRAFT}/datos`).and.include(`/admin/ediciones/${DRAFT}/publicar`).and.include('/api/v1/templates/sample.xlsx').and.include('/api/v1/templates/sample.csv');
      expect(page).to.include(`/admin/ediciones/${DRAFT}/sujetos/${ids['Municipio de Manzanillo']}"`);
    });
  });

  describe('edition details and deadline', () => {
    it('title, year, help contact and deadline change with a revision, audited; bad input is a 400 by field; stale is a 409', async () => {
      const details = await json<{ revision: number; title: string; help: { email: string | null } }>(await admin.get(`/api/v1/editions/${DRAFT}/details`));
      expect(details).to.include({ title: 'Edición en preparación' });
      const bad = await admin.request('PATCH', `/api/v1/editions/${DRAFT}`, { json: { baseRevision: details.revision, title: 'x', help: { email: 'no es correo', phone: 'llámenos' } } });
      expect(bad.status).to.equal(400);
      expect((await json<Problem>(bad)).errors!.map((e) => e.field)).to.have.members(['title', 'help.email', 'help.phone']);
      const deadline = '2026-12-15T18:00:00-06:00';
      const ok = await admin.request('PATCH', `/api/v1/editions/${DRAFT}`, { json: { baseRevision: details.revision, title: 'Edición 2026 de prueba', year: 2027, deadline, help: { name: 'Mesa de ayuda MGA', email: 'Ayuda@MGA.example', phone: '55 5004 2400 ext. 1234' }, reason: 'Datos definitivos' } });
      expect(ok.status, await ok.clone().text()).to.equal(200);
      const now = await json<{ title: string; year: number; deadline: string; help: Record<string, string>; revision: number }>(ok);
      expect(now).to.deep.include({ title: 'Edición 2026 de prueba', year: 2027, deadline: new Date(deadline).toISOString(), revision: details.revision + 1 });
      expect(now.help).to.deep.equal({ name: 'Mesa de ayuda MGA', email: 'ayuda@mga.example', phone: '55 5004 2400 ext. 1234' });
      expect(await AuditEntryModel.countDocuments({ edition: DRAFT, action: 'edition.details', reason: 'Datos definitivos' })).to.equal(1);
      expect(await AuditEntryModel.countDocuments({ edition: DRAFT, action: 'edition.deadline' })).to.equal(1);
      const stale = await admin.request('PATCH', `/api/v1/editions/${DRAFT}`, { json: { baseRevision: details.revision, title: 'Otra' } });
      expect(stale.status).to.equal(409);
      expect((await json<Problem>(stale)).code).to.equal('stale_revision');
      expect((await EditionModel.findOne({ editionId: DRAFT }).lean())!.title).to.equal('Edición 2026 de prueba');
    });

    it('the details page: Spanish errors by label, the deadline read in central Mexico time; the invitation e-mails name the help contact', async () => {
      const page = await admin.page(`/admin/ediciones/${DRAFT}/datos`);
      expect(page).to.include('Título de la edición').and.include('Correo para dudas').and.include('recordatorios automáticos');
      const revision = /name="baseRevision" value="(\d+)"/.exec(page)![1]!;
      const bad = await admin.request('POST', `/admin/ediciones/${DRAFT}/datos`, { form: { baseRevision: revision, title: 'Edición 2026 de prueba', year: '27', deadline: '2026-13-45T99:00', helpName: '', helpEmail: 'ayuda(at)mga', helpPhone: '' }, headers: { accept: 'text/html' } });
      expect(bad.status).to.equal(400);
      const html = await bad.text();
      expect(html).to.include('Año: escriba un año de cuatro cifras').and.include('Fecha límite para responder: escriba la fecha y la hora');
      for (const phrase of ENGLISH_PHRASES) expect(html).to.not.match(phrase);
      const good = await admin.request('POST', `/admin/ediciones/${DRAFT}/datos`, { form: { baseRevision: revision, title: 'Edición 2026 de prueba', year: '2027', deadline: '2026-12-20T23:59', helpName: 'Mesa de ayuda MGA', helpEmail: 'ayuda@mga.example', helpPhone: '' } });
      expect(good.status).to.equal(303);
      expect((await EditionModel.findOne({ editionId: DRAFT }).lean())!.deadline!.toISOString()).to.equal('2026-12-21T05:59:00.000Z');

      delete process.env.SMTP_URL;
      const sent = await admin.request('POST', `/api/v1/editions/${DRAFT}/invitations`, { json: { expiresInDays: 10, send: true, institutionIds: [ids['Municipio de Manzanillo']!] } });
      expect(sent.status, await sent.clone().text()).to.equal(201);
      const mail = await MailModel.findOne({ edition: DRAFT, kind: 'invitation' }).sort({ _id: -1 }).lean();
      expect(mail!.text).to.include('Mesa de ayuda MGA, ayuda@mga.example').and.include('Edición 2026 de prueba').and.include('20 de diciembre de 2026');
    });

    it('moving the deadline: respondents are let in or out, overdue follows it, and reminders planned for the old deadline send nothing', async () => {
      process.env.MGA_REMINDER_DAYS = '7,1';
      const tonala = pilot.institutions.find((i) => i.name === 'Municipio de Tonalá')!;
      await admin.request('PATCH', url(pilot.editionId, tonala.id), { json: { baseRevision: (await stored(tonala.id))!.revision ?? 0, contactEmail: 'rosa@tonala.example', reason: 'Contacto del enlace' } });
      const respondent = Object.assign(new Client(server.url), { bearer: tonala.token });
      const setDeadline = async (date: Date) => {
        const { revision } = await json<{ revision: number }>(await admin.get(`/api/v1/editions/${pilot.editionId}/details`));
        const res = await admin.request('PATCH', `/api/v1/editions/${pilot.editionId}`, { json: { baseRevision: revision, deadline: date.toISOString() } });
        expect(res.status, await res.clone().text()).to.equal(200);
      };
      await setDeadline(new Date(Date.now() - 60_000));
      const late = await respondent.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'no' } } });
      expect(late.status).to.equal(409);
      expect((await json<Problem>(late)).code).to.equal('deadline_passed');
      const overdue = async () => (await json<{ total: number }>(await admin.get(`/api/v1/editions/${pilot.editionId}/review?overdue=true`))).total;
      expect(await overdue(), 'past the deadline, the institutions that have not handed in are overdue').to.be.greaterThan(0);

      // 5 days ahead: the 7-day reminder is due and gets planned for this deadline.
      const first = new Date(Date.now() + 5 * 86_400_000);
      await setDeadline(first);
      expect((await respondent.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'no' } } })).status, 'in again').to.equal(200);
      expect(await overdue(), 'a later deadline: nobody is overdue').to.equal(0);
      const planned = await planScheduledReminders(logger);
      expect(planned).to.have.length(1);
      // The deadline moves to 30 days ahead before the worker runs that job: it sends nothing.
      await setDeadline(new Date(Date.now() + 30 * 86_400_000));
      expect(await planScheduledReminders(logger), 'nothing due for the new deadline yet').to.have.length(0);
      const worker = await startWorker({ logger, settings: { leaseMs: 2000, pollMs: 200 } });
      let job: JobDoc | null = null;
      try {
        for (let i = 0; i < 300; i++) {
          job = await JobModel.findById(planned[0]).lean<JobDoc>();
          if (job && ['done', 'failed'].includes(job.status)) break;
          await sleep(200);
        }
      } finally {
        await worker.stop();
      }
      expect(job!.status).to.equal('done');
      expect(await MailModel.countDocuments({ kind: 'reminder', job: new mongoose.Types.ObjectId(planned[0]) })).to.equal(0);
      // A day before the new deadline its own 1-day reminder is due (a moved deadline gets its own reminders).
      const later = await planScheduledReminders(logger, new Date(Date.now() + 29.5 * 86_400_000));
      expect(later).to.have.length(1);
      expect(await ReminderScheduleModel.countDocuments({ edition: pilot.editionId })).to.equal(3);
    });
  });

  describe('sample template', () => {
    it('CSV and XLSX: the header row the import reads, one example row, the XLSX explains every column in Spanish; both import as they are', async () => {
      const csvRes = await admin.get('/api/v1/templates/sample.csv');
      expect(csvRes.status).to.equal(200);
      expect(csvRes.headers.get('content-disposition')).to.include('plantilla-muestra.csv');
      const csv = Buffer.from(await csvRes.arrayBuffer());
      const lines = csv.toString('utf-8').replace(/^\uFEFF/, '').trim().split(/\r\n/);
      expect(lines).to.have.length(2);
      expect(lines[0]).to.equal('name,entity,level,type,externalId,contactName,contactEmail,contactCc');
      expect(lines[1]).to.include('Jalisco').and.include('María López Hernández');

      const xlsxRes = await admin.get('/api/v1/templates/sample.xlsx');
      expect(xlsxRes.status).to.equal(200);
      const xlsx = Buffer.from(await xlsxRes.arrayBuffer());
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
      expect(workbook.worksheets.map((w) => w.name)).to.deep.equal(['Muestra', 'Instrucciones', 'Valores válidos']);
      const sample = workbook.worksheets[0]!;
      expect((sample.getRow(1).values as unknown[]).slice(1)).to.deep.equal(['name', 'entity', 'level', 'type', 'externalId', 'contactName', 'contactEmail', 'contactCc']);
      expect(sample.rowCount).to.equal(2);
      const help = workbook.getWorksheet('Instrucciones')!;
      const helpText = JSON.stringify(help.getSheetValues());
      for (const words of ['Nombre del sujeto obligado', 'Entidad federativa', 'Nivel de gobierno', 'Correo del contacto', 'Borre la fila de ejemplo']) expect(helpText).to.include(words);
      const values = JSON.stringify(workbook.getWorksheet('Valores válidos')!.getSheetValues());
      expect(values).to.include('Aguascalientes').and.include('Municipal').and.include('Municipio');

      for (const [format, bytes] of [['csv', csv], ['xlsx', xlsx]] as const) {
        const edition = `plantilla-${format}`;
        await createEdition({ editionId: edition, year: 2026, title: `Plantilla ${format}`, methodology: 'mga-2017', instruments: ['mga-2017-gobierno'] }, SYSTEM_ACTOR);
        const res = await admin.request('POST', `/api/v1/editions/${edition}/sample`, { body: new Uint8Array(bytes), headers: { 'content-type': format === 'csv' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } });
        expect(res.status, `${format}: ${await res.clone().text()}`).to.equal(200);
        const imported = await InstitutionModel.findOne({ scope: edition }).lean();
        expect(imported).to.include({ name: 'Municipio de San Pedro Tlaquepaque', entity: 'Jalisco', level: 'Municipal', contactEmail: 'maria.lopez@tlaquepaque.example' });
      }
      const evaluator = await loggedIn(server.url, 'evaluator');
      expect((await evaluator.get('/api/v1/templates/sample.xlsx')).status).to.equal(403);
    });
  });
});
