/**
 * Invitations e-mailed by a job: the request issues the links and queues one e-mail per contact
 * (answering at once, even with a slow mail server); the job sends them, records each outcome, and
 * never sends an e-mail twice when a part runs again (takeover). Real MongoDB, real SMTP server.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { useTestDatabase } from '../setup/database.js';
import { TestSmtp, addresses } from '../setup/smtp.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { loggedIn, type Client } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { InvitationModel } from '../../server/models/invitation.js';
import { MailModel } from '../../server/mail/model.js';
import { closeMailTransports } from '../../server/mail/transport.js';
import { NOT_SENT_INTERRUPTED, NOT_SENT_LINK_GONE } from '../../server/mail/send.js';
import { invitationMailsJob } from '../../server/jobs/invitationMails.js';
import { JobModel, type JobDoc } from '../../server/jobs/model.js';
import { jobView, type JobView } from '../../server/jobs/service.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import type { PartContext } from '../../server/jobs/kind.js';
import { createLogger } from '../../server/logger.js';

const logger = createLogger(process.env.LOG_LEVEL || 'silent');
const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

/** 25 municipalities: 24 with a contact (some with a copy), the last without one. */
const SAMPLE = [
  'name,entity,level,type,contactName,contactEmail,contactCc',
  ...Array.from({ length: 25 }, (_, i) => {
    const n = String(i + 1).padStart(3, '0');
    return `Municipio de prueba ${n},Jalisco,municipal,Municipio,${i === 24 ? ',,' : `Enlace ${n},enlace${n}@municipio.example,${i % 5 === 0 ? `archivo${n}@municipio.example` : ''}`}`;
  }),
].join('\n');

interface Issued {
  invitations: { invitationId: string; institutionId: string; institution: string; link: string; mail?: { status: string; to: string[]; mailId?: string } }[];
  job?: JobView & { href: string };
}

async function waitForJob(id: string, timeoutMs = 60_000): Promise<JobDoc> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await JobModel.findById(id).lean<JobDoc>();
    if (job && ['done', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job?.status}`);
    await sleep(100);
  }
}

/** Runs a worker until job `id` ends, and expects it done. */
async function runToDone(id: string): Promise<void> {
  const worker: JobWorker = await startWorker({ logger, settings: { leaseMs: 2000, pollMs: 200 } });
  try {
    expect((await waitForJob(id)).status).to.equal('done');
  } finally {
    await worker.stop();
  }
}

/** A part's context as a worker builds it (runner.ts), for running the kind's work directly. */
function partContext(job: JobDoc, index: number): PartContext<{ edition: string; mails: number }> {
  const part = job.parts[index]!;
  return {
    job: { id: String(job._id), kind: job.kind, params: job.params, createdAt: job.createdAt },
    part: { index, total: part.total, input: part.input, attempt: 1 },
    workerId: 'test:1:abcdef',
    signal: new AbortController().signal,
    logger,
    progress: () => undefined,
    storePartFile: () => Promise.reject(new Error('not used')),
  };
}

describe('invitation e-mails: queued in the request, sent by a job (real MongoDB, real SMTP server)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;
  let admin: Client;
  let ids: string[];
  const saved = process.env.SMTP_URL;
  const servers: TestSmtp[] = [];
  const smtpServer = async (options: { delayMs?: number } = {}) => {
    const smtp = new TestSmtp(options);
    await smtp.start();
    servers.push(smtp);
    closeMailTransports();
    process.env.SMTP_URL = smtp.url;
    return smtp;
  };
  const issue = async (institutionIds: string[]) => {
    const res = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations`, { json: { expiresInDays: 30, send: true, institutionIds } });
    expect(res.status, await res.clone().text()).to.equal(201);
    return json<Issued>(res);
  };

  before(async () => {
    await useTestDatabase('invitation_mails');
    server = await startTestServer();
    pilot = await createPilot('piloto-cola', SAMPLE);
    ids = (await InstitutionModel.find({ scope: pilot.editionId }, { _id: 1 }).sort({ name: 1 }).lean()).map((i) => String(i._id));
    admin = await loggedIn(server.url, 'admin');
  });
  after(async () => {
    closeMailTransports();
    for (const smtp of servers) await smtp.stop();
    await server.close();
    if (saved === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = saved;
  });

  it('answers at once with queued statuses and the job; the job then sends exactly one e-mail per contact, each with its own link', async () => {
    // A slow server: 300 ms per message, 7.2 s for the 24 e-mails if the request sent them itself.
    const smtp = await smtpServer({ delayMs: 300 });
    const started = Date.now();
    const body = await issue(ids);
    const took = Date.now() - started;
    expect(took, 'the request does not wait for the mail server').to.be.below(5_000);
    expect(body.invitations).to.have.length(25);
    const statuses = body.invitations.map((i) => i.mail!.status);
    expect(statuses.filter((s) => s === 'queued')).to.have.length(24);
    expect(body.invitations.find((i) => i.institution === 'Municipio de prueba 025')!.mail).to.deep.equal({ status: 'no-contact', to: [] });
    expect(body.job).to.include({ kind: 'invitation-mails', status: 'queued', total: 24, href: `/api/v1/jobs/${body.job!.id}` });
    // Nothing was sent in the request: every e-mail waits, with its link, as queued.
    expect(smtp.received).to.have.length(0);
    expect(await MailModel.countDocuments({ job: new mongoose.Types.ObjectId(body.job!.id), status: 'queued' })).to.equal(24);
    const stored = await MailModel.findById(body.invitations[0]!.mail!.mailId).lean();
    expect(stored!.text).to.include(body.invitations[0]!.link);
    expect((await JobModel.findById(body.job!.id).lean())!.parts).to.have.length(2);

    await runToDone(body.job!.id);
    expect(smtp.received).to.have.length(24);
    const byAddress = new Map(smtp.received.map((m) => [addresses(m.to)[0]!, m]));
    expect(byAddress.size, 'one e-mail per contact, none twice').to.equal(24);
    for (const invitation of body.invitations.filter((i) => i.mail!.status === 'queued')) {
      const mail = byAddress.get(invitation.mail!.to[0]!)!;
      expect(mail, invitation.institution).to.not.equal(undefined);
      expect(mail.text).to.include(invitation.link).and.include(invitation.institution);
      for (const other of body.invitations) if (other !== invitation) expect(mail.text).to.not.include(other.link);
    }
    expect(addresses(byAddress.get('enlace001@municipio.example')!.cc)).to.deep.equal(['archivo001@municipio.example']);
    expect(await MailModel.countDocuments({ job: new mongoose.Types.ObjectId(body.job!.id), status: 'sent' })).to.equal(24);
    const view = await json<JobView>(await admin.get(`/api/v1/jobs/${body.job!.id}`));
    expect(view.summary).to.deep.equal({ counts: { sent: 24, failed: 0, outbox: 0 }, text: '24 correos enviados.' });
    const jobsPage = await admin.page('/admin/trabajos');
    expect(jobsPage).to.include('Invitaciones por correo de piloto-cola (24 correos)').and.include('24 correos enviados.');
  });

  it('a server that refuses: each e-mail is recorded as failed with its reason, and the job reports them', async () => {
    const smtp = await smtpServer();
    const refused = ids.slice(0, 3);
    for (const [n, id] of refused.entries()) await InstitutionModel.updateOne({ _id: id }, { $set: { contactEmail: `enlace${n}@rechaza.example`, contactCc: [] } });
    const body = await issue(refused);
    await runToDone(body.job!.id);
    expect(smtp.received).to.have.length(0);
    const mails = await MailModel.find({ job: new mongoose.Types.ObjectId(body.job!.id) }).lean();
    expect(mails.map((m) => m.status)).to.deep.equal(['failed', 'failed', 'failed']);
    for (const mail of mails) expect(mail.error).to.match(/550|mailbox unavailable/);
    const view = await json<JobView>(await admin.get(`/api/v1/jobs/${body.job!.id}`));
    expect(view.summary!.counts).to.deep.equal({ sent: 0, failed: 3, outbox: 0 });
    expect(view.summary!.text).to.equal('3 correos no se pudieron enviar (el motivo está en Correo).');
    const page = await admin.page('/admin/correo');
    expect(page).to.include('Falló el envío').and.include('mailbox unavailable');

    // No server at all (connection refused): the same, with the connection's error.
    await smtp.stop();
    servers.splice(servers.indexOf(smtp), 1);
    closeMailTransports();
    await InstitutionModel.updateOne({ _id: refused[0] }, { $set: { contactEmail: 'enlace@municipio.example' } });
    const again = await issue([refused[0]!]);
    await runToDone(again.job!.id);
    const [unreachable] = await MailModel.find({ job: new mongoose.Types.ObjectId(again.job!.id) }).lean();
    expect(unreachable!.status).to.equal('failed');
    expect(unreachable!.error).to.match(/ECONNREFUSED|connect/i);
  });

  it('a part run again (takeover) or twice at once sends no e-mail twice; one a dead attempt was sending, or whose link was revoked, is not sent', async () => {
    const smtp = await smtpServer();
    const chosen = ids.slice(5, 10);
    const body = await issue(chosen);
    const job = (await JobModel.findById(body.job!.id).lean<JobDoc>())!;
    expect(job.parts).to.have.length(1);
    const mailOf = (n: number) => body.invitations[n]!.mail!.mailId!;
    // A worker died while handing the first e-mail to the server; the fourth's link was replaced since.
    await MailModel.updateOne({ _id: mailOf(0) }, { $set: { status: 'sending', sendingBy: 'a-dead-attempt', sendingAt: new Date() } });
    await InvitationModel.updateOne({ _id: body.invitations[3]!.invitationId }, { $set: { revokedAt: new Date() } });

    // Two attempts at once (a lapsed lease whose worker is still alive), then a third after them.
    await Promise.all([invitationMailsJob.runPart(partContext(job, 0)), invitationMailsJob.runPart(partContext(job, 0))]);
    const second = await invitationMailsJob.runPart(partContext(job, 0));
    await sleep(300);
    expect(smtp.received.map((m) => addresses(m.to)[0]).sort()).to.deep.equal([1, 2, 4].map((n) => body.invitations[n]!.mail!.to[0]).sort());
    expect(second).to.deep.equal({ sent: 3, failed: 2, outbox: 0 });
    const dead = await MailModel.findById(mailOf(0)).lean();
    expect(dead).to.include({ status: 'failed', error: NOT_SENT_INTERRUPTED });
    expect(await MailModel.findById(mailOf(3)).lean()).to.include({ status: 'failed', error: NOT_SENT_LINK_GONE });
    const page = await admin.page('/admin/correo');
    expect(page).to.include('no se sabe si llegó').and.include('su liga de invitación fue revocada');
    // The job's view sums what its finished parts returned.
    await JobModel.updateOne({ _id: job._id }, { $set: { 'parts.0.state': 'done', 'parts.0.output': second } });
    expect(jobView((await JobModel.findById(job._id).lean<JobDoc>())!).summary!.counts).to.deep.equal({ sent: 3, failed: 2, outbox: 0 });
    await JobModel.updateOne({ _id: job._id }, { $set: { status: 'cancelled' } });
  });

  it('invitations that did not go out (the server unreachable, or their job cancelled) are sent again on request, once; a revoked link is not', async () => {
    const edition = (await createPilot('piloto-reenvio', SAMPLE)).editionId;
    const mine = (await InstitutionModel.find({ scope: edition }, { _id: 1 }).sort({ name: 1 }).lean()).map((i) => String(i._id));
    const issueHere = async (institutionIds: string[]) => {
      const res = await admin.request('POST', `/api/v1/editions/${edition}/invitations`, { json: { expiresInDays: 30, send: true, institutionIds } });
      expect(res.status, await res.clone().text()).to.equal(201);
      return json<Issued>(res);
    };
    // No mail server listening: the first e-mail fails (connection refused).
    process.env.SMTP_URL = 'smtp://127.0.0.1:1';
    closeMailTransports();
    const unreachable = await issueHere([mine[0]!]);
    await runToDone(unreachable.job!.id);
    expect(await MailModel.findById(unreachable.invitations[0]!.mail!.mailId).lean()).to.include({ status: 'failed' });
    // Two more, whose sending job is cancelled before it runs; then one of their links is revoked.
    const cancelled = await issueHere([mine[1]!, mine[2]!]);
    expect((await admin.request('POST', `/api/v1/jobs/${cancelled.job!.id}/cancel`)).status).to.be.oneOf([200, 202]);
    await InvitationModel.updateOne({ _id: cancelled.invitations[1]!.invitationId }, { $set: { revokedAt: new Date() } });

    const page = await admin.page('/admin/correo');
    expect(page).to.include('Invitaciones que no salieron').and.include('<option value="piloto-reenvio">Piloto de prueba: 2 invitaciones</option>');
    // Without the confirmation nothing is queued.
    const unconfirmed = await admin.request('POST', '/admin/correo/reenviar', { form: { edition }, headers: { accept: 'text/html' } });
    expect(unconfirmed.status).to.equal(303);
    expect(await admin.page('/admin/correo')).to.include('marque la casilla para confirmar el reenvío');
    expect(await MailModel.countDocuments({ edition, status: 'queued', job: { $nin: [new mongoose.Types.ObjectId(cancelled.job!.id)] } })).to.equal(0);

    const smtp = await smtpServer();
    const retried = await admin.request('POST', `/api/v1/editions/${edition}/invitations/mail-retry`);
    expect(retried.status, await retried.clone().text()).to.equal(202);
    const job = await json<JobView>(retried);
    expect(job).to.include({ kind: 'invitation-mails', status: 'queued', total: 2 });
    expect(job.title).to.equal(`Reenvío de invitaciones por correo de ${edition} (2 correos)`);
    // Asked again while that job waits: nothing more to send.
    const twice = await admin.request('POST', `/api/v1/editions/${edition}/invitations/mail-retry`);
    expect(twice.status).to.equal(409);
    expect((await json<{ code: string }>(twice)).code).to.equal('nothing_to_send');
    await runToDone(job.id);
    expect(smtp.received.map((m) => addresses(m.to)[0]).sort()).to.deep.equal([unreachable.invitations[0]!, cancelled.invitations[0]!].map((i) => i.mail!.to[0]).sort());
    expect(smtp.received[0]!.text).to.match(/\/responder\/inv_/);
    expect(await MailModel.findById(cancelled.invitations[1]!.mail!.mailId).lean(), 'the revoked link was not sent').to.include({ status: 'queued' });
    expect((await admin.request('POST', `/api/v1/editions/${edition}/invitations/mail-retry`)).status, 'all sent').to.equal(409);
    expect((await admin.request('POST', '/admin/correo/reenviar', { form: { edition, confirmar: 'si' }, headers: { accept: 'text/html' } })).status).to.equal(303);
    expect(await admin.page('/admin/correo')).to.include('No se reenvió nada: No hay invitaciones por reenviar');
    const retrySelect = /<select id="f-reenviar"[\s\S]*?<\/select>/.exec(await admin.page('/admin/correo'))?.[0] ?? '';
    expect(retrySelect, 'nothing of this edition left to send again').to.not.include('value="piloto-reenvio"');
    expect((await admin.request('POST', '/api/v1/editions/no-existe/invitations/mail-retry')).status).to.equal(404);
  });

  it('two retries at once (20 times): exactly one queues the e-mails, the other gets 409; none is queued twice', async () => {
    const edition = (await createPilot('piloto-reenvio-carrera', SAMPLE)).editionId;
    const mine = (await InstitutionModel.find({ scope: edition }, { _id: 1 }).sort({ name: 1 }).lean()).map((i) => String(i._id)).slice(0, 2);
    const issued = await json<Issued>(await admin.request('POST', `/api/v1/editions/${edition}/invitations`, { json: { expiresInDays: 30, send: true, institutionIds: mine } }));
    const mailIds = issued.invitations.map((i) => new mongoose.Types.ObjectId(i.mail!.mailId));
    // Their sending job ends without them (no worker runs in this test).
    await JobModel.updateOne({ _id: issued.job!.id }, { $set: { status: 'cancelled' } });
    const retry = () => admin.request('POST', `/api/v1/editions/${edition}/invitations/mail-retry`);
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all([retry(), retry()]);
      expect(answers.map((a) => a.status).sort(), `round ${round}`).to.deep.equal([202, 409]);
      const winner = await json<JobView>(answers.find((a) => a.status === 202)!);
      expect(winner.total).to.equal(2);
      const mails = await MailModel.find({ _id: { $in: mailIds } }).lean();
      expect(mails.map((m) => `${m.status} ${String(m.job)}`), `round ${round}`).to.deep.equal([`queued ${winner.id}`, `queued ${winner.id}`]);
      // That job ends too: the next round has the same two e-mails to send again.
      await JobModel.updateOne({ _id: winner.id }, { $set: { status: 'cancelled' } });
    }
  });

  it('without SMTP_URL the job moves the e-mails to the outbox at once; the CSV answer is unchanged; the page says what was queued', async () => {
    delete process.env.SMTP_URL;
    const csv = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations`, { json: { expiresInDays: 30, send: true, institutionIds: ids.slice(10, 12) }, headers: { accept: 'text/csv' } });
    expect(csv.status).to.equal(200);
    const text = await csv.text();
    expect(text.split('\n')[0]).to.match(/^\uFEFF?institution_id,sujeto_obligado,entidad,liga,vence\r?$/);
    const queued = await MailModel.find({ institution: { $in: ids.slice(10, 12).map((id) => new mongoose.Types.ObjectId(id)) }, status: 'queued' }).lean();
    expect(queued).to.have.length(2);
    for (const mail of queued) expect(text).to.include(/https?:\/\/\S+\/responder\/inv_[A-Za-z0-9_-]{43}/.exec(mail.text!)![0]);

    const worker = await startWorker({ logger, settings: { leaseMs: 2000, pollMs: 200 } });
    try {
      const started = Date.now();
      const job = await waitForJob(String(queued[0]!.job), 10_000);
      expect(job.status).to.equal('done');
      expect(Date.now() - started).to.be.below(10_000);
      expect(await MailModel.countDocuments({ job: queued[0]!.job, status: 'outbox' })).to.equal(2);

      // The page: issue what is pending (the link revoked in the test before, and five more, one of
      // them without a contact) and say so, in Spanish, on the jobs page.
      await InvitationModel.updateMany({ edition: pilot.editionId, institution: { $in: ids.slice(20).map((id) => new mongoose.Types.ObjectId(id)) } }, { $set: { revokedAt: new Date() } });
      const res = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/invitaciones`, { form: { expiresInDays: '30', send: 'true' }, headers: { accept: 'text/html' } });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal('/admin/trabajos');
      const page = await admin.page('/admin/trabajos');
      expect(page).to.include('Se emitieron 6 invitaciones. 5 correos quedaron en cola y se envían en segundo plano').and.include('1 sujeto obligado no tiene correo de contacto');
      expect(page).to.not.match(/no-contact|queued|outbox/);
    } finally {
      await worker.stop();
    }
  });
});
