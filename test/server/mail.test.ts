import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParsedMail } from 'mailparser';
import mongoose from 'mongoose';
import { useTestDatabase } from '../setup/database.js';
import { TestSmtp, addresses } from '../setup/smtp.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn, makeUser } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { EditionModel } from '../../server/models/edition.js';
import { AuditEntryModel } from '../../server/models/audit.js';
import { MailModel, ReminderScheduleModel } from '../../server/mail/model.js';
import { closeMailTransports } from '../../server/mail/transport.js';
import { planScheduledReminders } from '../../server/mail/schedule.js';
import { PasswordResetModel } from '../../server/mail/passwordReset.js';
import { JobModel, type JobDoc } from '../../server/jobs/model.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';

const logger = createLogger(process.env.LOG_LEVEL || 'silent');

/** Runs a job with a worker of this process until it ends. */
async function runJob(id: string): Promise<JobDoc> {
  const worker = await startWorker({ logger, settings: { leaseMs: 2000, pollMs: 200 } });
  try {
    for (let i = 0; i < 300; i++) {
      const job = await JobModel.findById(id).lean<JobDoc>();
      if (job && ['done', 'failed', 'cancelled'].includes(job.status)) return job;
      await sleep(200);
    }
    throw new Error(`job ${id} did not end`);
  } finally {
    await worker.stop();
  }
}
const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

describe('e-mail: contacts, invitations, reminders, outbox, password reset (real MongoDB, real SMTP server)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;
  let smtp: TestSmtp;
  let admin: Client;
  let zapopan: { id: string; token: string };
  let tonala: { id: string; token: string };
  let leon: { id: string; token: string };
  const saved = { smtp: process.env.SMTP_URL, help: process.env.MGA_HELP_EMAIL, days: process.env.MGA_REMINDER_DAYS };

  before(async () => {
    await useTestDatabase('mail');
    delete process.env.SMTP_URL;
    process.env.MGA_HELP_EMAIL = 'mesa.ayuda@mga.example';
    server = await startTestServer();
    pilot = await createPilot();
    const byName = (name: string) => pilot.institutions.find((i) => i.name === name)!;
    zapopan = byName('Municipio de Zapopan');
    tonala = byName('Municipio de Tonalá');
    leon = byName('Municipio de León');
    admin = await loggedIn(server.url, 'admin');
    smtp = new TestSmtp();
    await smtp.start();
  });
  after(async () => {
    closeMailTransports();
    await smtp.stop();
    await server.close();
    for (const [key, value] of [['SMTP_URL', saved.smtp], ['MGA_HELP_EMAIL', saved.help], ['MGA_REMINDER_DAYS', saved.days]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  describe('contacts', () => {
    it('the sample import reads contactName, contactEmail and contactCc; a bad address rejects the whole file naming row and column', async () => {
      const good = ['name,entity,level,type,contactName,contactEmail,contactCc', 'Municipio de Zapopan,Jalisco,municipal,Municipio,Ana Ruiz,Ana.Ruiz@Zapopan.example,archivo@zapopan.example; jefa@zapopan.example', 'Municipio de Tonalá,Jalisco,municipal,Municipio,,,', 'Municipio de León,Guanajuato,municipal,Municipio,Luis Gómez,transparencia@rechaza.example,'].join('\n');
      const res = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/sample`, { body: good, headers: { 'content-type': 'text/csv' } });
      expect(res.status, await res.clone().text()).to.equal(200);
      const stored = await InstitutionModel.findById(zapopan.id).lean();
      expect(stored).to.include({ contactName: 'Ana Ruiz', contactEmail: 'ana.ruiz@zapopan.example' });
      expect(stored!.contactCc).to.deep.equal(['archivo@zapopan.example', 'jefa@zapopan.example']);
      expect((await InstitutionModel.findById(tonala.id).lean())!.contactEmail).to.equal(undefined);

      const before = JSON.stringify(await InstitutionModel.find({ scope: pilot.editionId }).sort({ _id: 1 }).lean());
      const bad = ['name,entity,level,type,contactEmail', 'Municipio de Zapopan,Jalisco,municipal,Municipio,otra@zapopan.example', 'Municipio de Tonalá,Jalisco,municipal,Municipio,no es un correo'].join('\n');
      const refused = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/sample`, { body: bad, headers: { 'content-type': 'text/csv' } });
      expect(refused.status).to.equal(400);
      const problem = await json<{ errors: { row: number; field: string; reason: string }[] }>(refused);
      expect(problem.errors).to.deep.include({ field: 'contactEmail', row: 3, value: 'no es un correo', reason: 'not an e-mail address' });
      expect(JSON.stringify(await InstitutionModel.find({ scope: pilot.editionId }).sort({ _id: 1 }).lean())).to.equal(before);
    });

    it('admins edit contacts in the API (bad addresses are 400, nothing written) and on a page with Spanish errors', async () => {
      const url = `/api/v1/editions/${pilot.editionId}/institutions/${tonala.id}/contacts`;
      const bad = await admin.request('PATCH', url, { json: { contactEmail: 'sin arroba' } });
      expect(bad.status).to.equal(400);
      expect((await InstitutionModel.findById(tonala.id).lean())!.contactEmail).to.equal(undefined);
      const missingReason = await admin.request('PATCH', url, { json: { contactName: 'Rosa Díaz', contactEmail: 'Rosa@Tonala.example' } });
      expect(missingReason.status, 'the edition is collecting: a change needs a reason').to.equal(400);
      expect((await json<{ code: string }>(missingReason)).code).to.equal('reason_required');
      const ok = await admin.request('PATCH', url, { json: { contactName: 'Rosa Díaz', contactEmail: 'Rosa@Tonala.example', reason: 'Cambio de enlace de transparencia' } });
      expect(ok.status, await ok.clone().text()).to.equal(200);
      expect(await json(ok)).to.deep.include({ contactName: 'Rosa Díaz', contactEmail: 'rosa@tonala.example', contactCc: [] });
      const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
      expect((await evaluator.request('PATCH', url, { json: { contactEmail: 'x@y.example' } })).status).to.equal(403);

      const page = await admin.page(`/admin/ediciones/${pilot.editionId}/sujetos/${tonala.id}/contacto`);
      expect(page).to.include('value="rosa@tonala.example"');
      const posted = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/sujetos/${tonala.id}/contacto`, { form: { contactName: 'Rosa Díaz', contactEmail: 'rosa(at)tonala', contactCc: '' }, headers: { accept: 'text/html' } });
      expect(posted.status).to.equal(400);
      const html = await posted.text();
      expect(html).to.include('Correo del contacto: escriba una dirección de correo válida').and.not.match(/must match|pattern/);
      expect((await InstitutionModel.findById(tonala.id).lean())!.contactEmail).to.equal('rosa@tonala.example');
      const audit = await AuditEntryModel.find({ action: 'institution.contacts', institution: new mongoose.Types.ObjectId(tonala.id) }).lean();
      expect(audit).to.have.length(1);
      expect(audit[0]!.newValue).to.deep.include({ contactEmail: 'rosa@tonala.example' });
    });
  });

  describe('without SMTP_URL: the outbox', () => {
    it('invitations with send: true are queued; their job puts them in the outbox, which admins read in the API and at /admin/correo', async () => {
      const res = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations`, { json: { expiresInDays: 30, institutionIds: [zapopan.id], send: true } });
      expect(res.status, await res.clone().text()).to.equal(201);
      const body = await json<{ invitations: { link: string; mail: { status: string; to: string[]; mailId: string } }[]; job: { id: string; href: string } }>(res);
      expect(body.invitations[0]!.mail).to.deep.include({ status: 'queued', to: ['ana.ruiz@zapopan.example'] });
      expect(body.job.href).to.equal(`/api/v1/jobs/${body.job.id}`);
      zapopan.token = body.invitations[0]!.link.split('/').pop()!;
      const job = await runJob(body.job.id);
      expect(job.status).to.equal('done');
      const listed = await json<{ total: number; items: { id: string; status: string; text: string; subject: string }[] }>(await admin.get('/api/v1/mail?status=outbox'));
      expect(listed.total).to.equal(1);
      expect(listed.items[0]!.id).to.equal(body.invitations[0]!.mail.mailId);
      expect(listed.items[0]!.text).to.include(body.invitations[0]!.link).and.include('Piloto de prueba').and.include('mesa.ayuda@mga.example');
      const page = await admin.page('/admin/correo');
      expect(page).to.include('No hay servidor de correo configurado').and.include('Invitación: cuestionario de la Métrica de Gobierno Abierto').and.include(body.invitations[0]!.link);
      const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
      expect((await evaluator.get('/api/v1/mail')).status).to.equal(403);
    });
  });

  describe('with SMTP_URL: a real SMTP server', () => {
    before(() => {
      process.env.SMTP_URL = smtp.url;
      smtp.received.length = 0;
    });

    it('e-mails each contact its own link (Spanish, with edition, deadline and help contact); failures and missing contacts are recorded', async () => {
      const deadline = new Date('2026-12-15T23:59:00-06:00');
      await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { deadline } });
      await InstitutionModel.updateOne({ _id: tonala.id }, { $unset: { contactEmail: '' } });
      const res = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations`, { json: { expiresInDays: 30, institutionIds: [zapopan.id, tonala.id, leon.id], send: true } });
      expect(res.status, await res.clone().text()).to.equal(201);
      const answer = await json<{ invitations: { institutionId: string; link: string; mail: { status: string } }[]; job: { id: string } }>(res);
      const issued = answer.invitations;
      expect(Object.fromEntries(issued.map((i) => [i.institutionId, i.mail.status]))).to.deep.equal({ [zapopan.id]: 'queued', [tonala.id]: 'no-contact', [leon.id]: 'queued' });
      expect(smtp.received, 'the request sends nothing itself').to.have.length(0);
      const job = await runJob(answer.job.id);
      expect(job.status).to.equal('done');
      const outcome = Object.fromEntries((await MailModel.find({ job: job._id }).lean()).map((m) => [String(m.institution), m]));
      expect(Object.keys(outcome).sort()).to.deep.equal([zapopan.id, leon.id].sort());
      expect(outcome[zapopan.id]!.status).to.equal('sent');
      expect(outcome[leon.id]!.status).to.equal('failed');
      expect(outcome[leon.id]!.error).to.match(/550|mailbox/);

      const [mail] = await smtp.waitFor(1);
      expect(smtp.received).to.have.length(1);
      expect(addresses(mail!.to)).to.deep.equal(['ana.ruiz@zapopan.example']);
      expect(addresses(mail!.cc)).to.deep.equal(['archivo@zapopan.example', 'jefa@zapopan.example']);
      expect(mail!.subject).to.equal('Invitación: cuestionario de la Métrica de Gobierno Abierto (Piloto de prueba)');
      const link = issued.find((i) => i.institutionId === zapopan.id)!.link;
      zapopan.token = link.split('/').pop()!;
      expect(mail!.text).to.include('Estimada(o) Ana Ruiz:').and.include(link).and.include('Piloto de prueba').and.include('15 de diciembre de 2026').and.include('mesa.ayuda@mga.example');
      expect(mail!.html).to.include(`<a href="${link}">`);
      // The link in the e-mail opens the questionnaire.
      const opened = await new Client(server.url).get(new URL(link).pathname);
      expect(opened.status).to.equal(303);
      expect(opened.headers.get('location')).to.equal('/responder');

      const records = await MailModel.find({ kind: 'invitation', status: { $ne: 'outbox' } }).lean();
      expect(records.map((r) => r.status).sort()).to.deep.equal(['failed', 'sent']);
    });

    it('the admin page sends the invitations by e-mail too and says what happened, in Spanish', async () => {
      smtp.received.length = 0;
      const page = await admin.page(`/admin/ediciones/${pilot.editionId}`);
      expect(page).to.include('Emitir invitaciones pendientes y enviarlas por correo').and.include('ana.ruiz@zapopan.example');
      await InstitutionModel.updateOne({ _id: leon.id }, { $set: { contactEmail: 'transparencia@leon.example' } });
      await mongoose.connection.db!.collection('invitations').updateMany({ edition: pilot.editionId, institution: new mongoose.Types.ObjectId(leon.id) }, { $set: { revokedAt: new Date() } });
      const res = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/invitaciones`, { form: { expiresInDays: '30', send: 'true' }, headers: { accept: 'text/html' } });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal('/admin/trabajos');
      const after = await admin.page('/admin/trabajos');
      expect(after).to.include('Se emitió 1 invitación. 1 correo quedó en cola y se envía en segundo plano: el avance del envío se ve en esta página');
      const queued = await MailModel.findOne({ kind: 'invitation', institution: new mongoose.Types.ObjectId(leon.id), status: 'queued' }).lean();
      expect((await runJob(String(queued!.job))).status).to.equal('done');
      expect(addresses((await smtp.waitFor(1))[0]!.to)).to.deep.equal(['transparencia@leon.example']);
    });

    it('reminders by hand go, as a job, only to institutions that have not handed their answers in; scheduled ones are planned once', async () => {
      await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { status: 'review' } });
      const before = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/reminders`);
      expect(before.status).to.equal(409);
      expect((await json<{ code: string }>(before)).code).to.equal('edition_state');

      await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { status: 'collecting', deadline: new Date(Date.now() + 5 * 86_400_000) } });
      await InstitutionModel.updateOne({ _id: tonala.id }, { $set: { contactEmail: 'rosa@tonala.example' } });
      await InstitutionModel.updateOne({ _id: leon.id }, { $set: { contactEmail: 'transparencia@leon.example' } });
      const submitted = await Object.assign(new Client(server.url), { bearer: zapopan.token }).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
      expect(submitted.status, await submitted.clone().text()).to.equal(200);

      smtp.received.length = 0;
      const worker: JobWorker = await startWorker({ logger, settings: { leaseMs: 2000, pollMs: 200 } });
      try {
        const res = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/reminders`);
        expect(res.status, await res.clone().text()).to.equal(202);
        const { id } = await json<{ id: string }>(res);
        let job: JobDoc | null = null;
        for (let i = 0; i < 300; i++) {
          job = await JobModel.findById(id).lean<JobDoc>();
          if (job && ['done', 'failed'].includes(job.status)) break;
          await sleep(200);
        }
        expect(job!.status).to.equal('done');
        const mails = await smtp.waitFor(2);
        expect(mails.map((m) => addresses(m.to)[0]).sort()).to.deep.equal(['rosa@tonala.example', 'transparencia@leon.example']);
        const tonalaMail = mails.find((m) => addresses(m.to)[0] === 'rosa@tonala.example')!;
        expect(tonalaMail.subject).to.equal('Recordatorio: cuestionario de la Métrica de Gobierno Abierto (Piloto de prueba)');
        expect(tonalaMail.text).to.include('Estimada(o) Rosa Díaz:').and.include('aún no envía sus respuestas').and.include('faltan 5 días').and.include('mesa.ayuda@mga.example');
        expect(await MailModel.countDocuments({ kind: 'reminder', job: new mongoose.Types.ObjectId(id), status: 'sent' })).to.equal(2);

        // Scheduled: 7 and 1 days before the deadline; at 5 days only the 7-day one is due, once.
        process.env.MGA_REMINDER_DAYS = '7,1';
        const first = await planScheduledReminders(logger);
        const second = await planScheduledReminders(logger);
        expect(first).to.have.length(1);
        expect(second).to.have.length(0);
        expect(await ReminderScheduleModel.countDocuments({ edition: pilot.editionId })).to.equal(1);
        // A day before the deadline the 1-day reminder is due.
        const later = await planScheduledReminders(logger, new Date(Date.now() + 4.5 * 86_400_000));
        expect(later).to.have.length(1);
        for (const jobId of [...first, ...later]) {
          for (let i = 0; i < 300; i++) {
            const found = await JobModel.findById(jobId).lean<JobDoc>();
            if (found && ['done', 'failed'].includes(found.status)) break;
            await sleep(200);
          }
          expect((await JobModel.findById(jobId).lean<JobDoc>())!.status).to.equal('done');
        }
        expect(await MailModel.countDocuments({ kind: 'reminder', status: 'sent' })).to.equal(6);
      } finally {
        await worker.stop();
      }
      const nonAdmin = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
      expect((await nonAdmin.request('POST', `/api/v1/editions/${pilot.editionId}/reminders`)).status).to.equal(403);
    });

    it('password reset: a single-use, expiring link by e-mail, stored only as a hash; unknown addresses get the same answer', async () => {
      smtp.received.length = 0;
      const user = await makeUser('evaluator', [pilot.editionId]);
      const unknown = await new Client(server.url).request('POST', '/api/v1/auth/password-reset', { json: { email: 'nadie@example.org' } });
      expect(unknown.status).to.equal(202);
      const known = await new Client(server.url).request('POST', '/api/v1/auth/password-reset', { json: { email: user.email.toUpperCase() } });
      expect(known.status).to.equal(202);
      const [mail] = await smtp.waitFor(1);
      await sleep(300);
      expect(smtp.received).to.have.length(1);
      expect(addresses(mail!.to)).to.deep.equal([user.email]);
      expect(mail!.subject).to.equal('Cambio de contraseña — Métrica de Gobierno Abierto');
      const link = /https?:\/\/\S+\/entrar\/restablecer\/([A-Za-z0-9_-]{43})/.exec(mail!.text!)!;
      const token = link[1]!;
      expect(JSON.stringify(await PasswordResetModel.find().lean())).to.not.include(token);
      expect((await MailModel.findOne({ kind: 'password-reset' }).lean())!.text).to.equal(undefined);

      const page = new Client(server.url);
      const form = await page.page(`/entrar/restablecer/${token}`);
      expect(form).to.include('Nueva contraseña');
      const mismatch = await page.request('POST', `/entrar/restablecer/${token}`, { form: { password: 'una clave nueva y larga', confirmation: 'otra' }, headers: { accept: 'text/html' } });
      expect(mismatch.status).to.equal(400);
      expect(await mismatch.text()).to.include('no coincide');
      const changed = await page.request('POST', `/entrar/restablecer/${token}`, { form: { password: 'una clave nueva y larga', confirmation: 'una clave nueva y larga' }, headers: { accept: 'text/html' } });
      expect(changed.status).to.equal(303);
      const again = await new Client(server.url).request('POST', '/api/v1/auth/password-reset/confirm', { json: { token, password: 'y otra clave distinta' } });
      expect(again.status).to.equal(400);
      expect((await json<{ code: string }>(again)).code).to.equal('reset_token_invalid');
      expect((await new Client(server.url).request('POST', '/api/v1/auth/login', { json: { email: user.email, password: user.password } })).status).to.equal(401);
      expect((await new Client(server.url).request('POST', '/api/v1/auth/login', { json: { email: user.email, password: 'una clave nueva y larga' } })).status).to.equal(200);

      // An expired link is refused.
      await new Client(server.url).request('POST', '/api/v1/auth/password-reset', { json: { email: user.email } });
      const [, second] = await smtp.waitFor(2);
      const expired = /\/entrar\/restablecer\/([A-Za-z0-9_-]{43})/.exec(second!.text!)![1]!;
      await PasswordResetModel.updateMany({ usedAt: null }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      expect((await new Client(server.url).get(`/entrar/restablecer/${expired}`)).status).to.equal(400);
      expect((await new Client(server.url).request('POST', '/api/v1/auth/password-reset/confirm', { json: { token: expired, password: 'una tercera clave larga' } })).status).to.equal(400);
    });
  });
});

