/**
 * E-mail over HTTP: institution contacts (API and an admin page), reminders by hand (a job), the
 * record of every e-mail sent, which is also the outbox without SMTP (/admin/correo), and password
 * reset by e-mail (/entrar/recuperar, and the public auth API).
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { JSONSchemaType } from 'ajv';
import { currentUser, requireUser, userActor } from '../auth/access.js';
import type { Actor } from '../services/audit.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import type { ApiRegistry } from '../http/api.js';
import { InstitutionModel } from '../models/institution.js';
import { EditionModel } from '../models/edition.js';
import { findEdition } from '../services/results.js';
import { updateInstitution } from '../services/institutionAdmin.js';
import { JOB_VIEW_SCHEMA, jobView, submitJob } from '../jobs/service.js';
import { JobModel } from '../jobs/model.js';
import { MailModel, MAIL_STATUSES, type MailStatus } from '../mail/model.js';
import { mailSettings } from '../mail/settings.js';
import { NOT_SENT_INTERRUPTED, NOT_SENT_LINK_GONE } from '../mail/send.js';
import { requestPasswordReset, resetPassword, resetTokenIsValid } from '../mail/passwordReset.js';
import { undeliveredInvitationCounts } from '../mail/retry.js';
import { retryInvitationMails } from '../mail/invitations.js';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** Password-reset requests and uses: MGA_RESET_ATTEMPTS per 15 minutes and address (e-mail flooding, token guessing), counted per process. */
const resetAttempts = new RateLimiterMemory({ points: Number(process.env.MGA_RESET_ATTEMPTS) || 20, duration: 15 * 60 });
const loginLimiter: RequestHandler = (req, _res, next) => {
  resetAttempts.consume(req.ip ?? 'unknown').then(
    () => next(),
    (error: unknown) => next(error instanceof RateLimiterRes ? new HttpProblem(429, 'Too Many Requests', 'too many password-reset attempts; wait a few minutes', undefined, { code: 'rate_limited', message: 'Demasiados intentos: espere unos minutos.' }) : error),
  );
};
const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, schema: PROBLEM, contentType: 'application/problem+json' });

export const MAIL_KIND_LABELS: Record<string, string> = { invitation: 'Invitación', reminder: 'Recordatorio', 'password-reset': 'Cambio de contraseña' };
export const MAIL_STATUS_LABELS: Record<MailStatus, string> = { queued: 'En cola para enviarse', sending: 'Enviándose', sent: 'Enviado', failed: 'Falló el envío', outbox: 'En la bandeja (sin servidor de correo)' };
/** Our own reasons for not sending a queued e-mail (English in the API), in Spanish for the page. */
const NOT_SENT_REASONS: Record<string, string> = {
  [NOT_SENT_INTERRUPTED]: 'No se volvió a enviar: el envío se interrumpió mientras se entregaba y no se sabe si llegó.',
  [NOT_SENT_LINK_GONE]: 'No se envió: su liga de invitación fue revocada o venció antes de que saliera el correo.',
};
/** A queued e-mail whose sending job ended without it (cancelled, or failed): it will not go out. */
const NOT_SENT_LABELS: Record<string, string> = { cancelled: 'No se envió: se canceló el envío', failed: 'No se envió: el envío se detuvo por un error' };

export function publicBaseUrl(req: Request): string {
  return process.env.MGA_PUBLIC_URL?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
}

// ---- contacts ----

interface Contacts {
  contactName?: string | null;
  contactEmail?: string | null;
  contactCc?: string[] | null;
}

const EMAIL_PATTERN = '^[^\\s@<>,;"]+@[^\\s@<>,;"]+\\.[^\\s@<>,;"]+$';
const contactsSchema: JSONSchemaType<Contacts & { reason?: string; baseRevision?: number }> = {
  type: 'object',
  properties: {
    contactName: { type: 'string', maxLength: 200, nullable: true },
    contactEmail: { type: 'string', maxLength: 254, pattern: EMAIL_PATTERN, nullable: true },
    contactCc: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 254, pattern: EMAIL_PATTERN }, nullable: true },
    reason: { type: 'string', maxLength: 1000, nullable: true, description: 'required (3+ characters) once the edition is collecting or in review; recorded in the audit trail' },
    baseRevision: { type: 'integer', minimum: 0, nullable: true, description: 'when given, a stale one gets 409 stale_revision (PATCH /editions/{edition}/institutions/{id} edits every field)' },
  },
  additionalProperties: false,
};
const checkContacts = validator(contactsSchema, 'body');
const CONTACTS_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, contactName: { type: 'string', nullable: true }, contactEmail: { type: 'string', nullable: true }, contactCc: { type: 'array', items: { type: 'string' } } },
  required: ['id', 'name', 'contactCc'],
};

async function institutionOf(editionId: string, id: string) {
  await findEdition(editionId);
  const institution = OBJECT_ID.test(id) ? await InstitutionModel.findOne({ _id: id, scope: editionId }).lean() : null;
  if (!institution) throw new HttpProblem(404, 'Not Found', `institution "${id}" is not part of edition "${editionId}"`, undefined, { code: 'institution_not_found' });
  return institution;
}


/**
 * Sets the given fields; null or "" clears one. Goes through the institution edits of
 * services/institutionAdmin.ts (edition lifecycle, a reason once collecting, revisions, audit).
 */
async function updateContacts(editionId: string, id: string, contacts: Contacts & { reason?: string; baseRevision?: number }, actor: Actor) {
  const institution = await institutionOf(editionId, id);
  const { reason, baseRevision, ...changes } = contacts;
  const result = await updateInstitution(editionId, id, changes, { actor, reason, baseRevision: baseRevision ?? institution.revision ?? 0 });
  const view = result.institution;
  return { id: view.id, name: view.name, contactName: view.contactName, contactEmail: view.contactEmail, contactCc: view.contactCc };
}

// ---- the record of e-mails ----

async function listMails(query: { limit: number; offset: number; status?: MailStatus; edition?: string }) {
  const filter: Record<string, unknown> = {};
  if (query.status) filter.status = query.status;
  if (query.edition) filter.edition = query.edition;
  const [total, mails] = await Promise.all([MailModel.countDocuments(filter), MailModel.find(filter).sort({ createdAt: -1, _id: -1 }).skip(query.offset).limit(query.limit).lean()]);
  return { total, mails };
}

const mailJson = (m: Awaited<ReturnType<typeof listMails>>['mails'][number]) => ({
  id: String(m._id),
  kind: m.kind,
  to: m.to,
  cc: m.cc ?? [],
  subject: m.subject,
  status: m.status,
  ...(m.error && { error: m.error }),
  ...(m.edition && { edition: m.edition }),
  ...(m.institution && { institution: String(m.institution) }),
  createdAt: (m as { createdAt: Date }).createdAt,
  ...(m.text !== undefined && { text: m.text }),
});

const MAIL_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['invitation', 'reminder', 'password-reset'] },
    to: { type: 'array', items: { type: 'string' } },
    cc: { type: 'array', items: { type: 'string' } },
    subject: { type: 'string' },
    status: { type: 'string', enum: [...MAIL_STATUSES] },
    error: { type: 'string' },
    edition: { type: 'string' },
    institution: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    text: { type: 'string', description: 'the body; absent for password-reset e-mails that went through SMTP' },
  },
  required: ['id', 'kind', 'to', 'subject', 'status', 'createdAt'],
};

const mailQuery: JSONSchemaType<{ limit: number; offset: number; status?: MailStatus; edition?: string }> = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    status: { type: 'string', enum: [...MAIL_STATUSES], nullable: true },
    edition: { type: 'string', maxLength: 64, nullable: true },
  },
  required: ['limit', 'offset'],
  additionalProperties: false,
};
const checkMailQuery = validator(mailQuery, 'query');

const DATE_TIME = new Intl.DateTimeFormat('es-MX', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Mexico_City' });

export function mailRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.get('/admin/correo', admin, async (req, res) => {
    const page = Math.max(1, Number.parseInt(String(req.query.pagina ?? '1'), 10) || 1);
    const { total, mails } = await listMails({ limit: 50, offset: (page - 1) * 50 });
    const waiting = mails.filter((m) => (m.status === 'queued' || m.status === 'sending') && m.job).map((m) => m.job!);
    const jobStatus = new Map((waiting.length ? await JobModel.find({ _id: { $in: waiting } }, { status: 1 }).lean() : []).map((j) => [String(j._id), j.status]));
    const editions = await EditionModel.find({ status: 'collecting' }, { editionId: 1, title: 1 }).sort({ editionId: 1 }).lean();
    const undelivered = await undeliveredInvitationCounts();
    const titles = new Map((undelivered.size ? await EditionModel.find({ editionId: { $in: [...undelivered.keys()] } }, { editionId: 1, title: 1 }).lean() : []).map((e) => [e.editionId, e.title]));
    const retry = [...undelivered].sort(([a], [b]) => a.localeCompare(b)).map(([editionId, mails]) => ({ editionId, title: titles.get(editionId) ?? editionId, mails }));
    renderPage(
      req,
      res,
      'admin/mail',
      {
        title: 'Correo',
        smtp: Boolean(mailSettings().smtpUrl),
        total,
        page,
        previous: page > 1 ? page - 1 : undefined,
        next: page * 50 < total ? page + 1 : undefined,
        editions,
        retry,
        mails: mails.map((m) => ({
          id: String(m._id),
          when: DATE_TIME.format((m as { createdAt: Date }).createdAt),
          kind: MAIL_KIND_LABELS[m.kind] ?? m.kind,
          to: [...m.to, ...(m.cc ?? [])].join(', '),
          subject: m.subject,
          status: (m.status === 'queued' && NOT_SENT_LABELS[jobStatus.get(String(m.job)) ?? '']) || MAIL_STATUS_LABELS[m.status as MailStatus],
          failed: m.status === 'failed',
          error: m.error ? (NOT_SENT_REASONS[m.error] ?? m.error) : undefined,
          text: m.text,
        })),
      },
      { form: true },
    );
  });

  router.post('/admin/correo/recordatorios', admin, async (req, res) => {
    const editionId = String(formFields(req.body).edition ?? '');
    try {
      const job = await submitJob('reminders', { edition: editionId }, currentUser(res));
      flash(req, `Recordatorios en camino a ${job.total} sujetos obligados que no han enviado sus respuestas. El avance se ve en Trabajos.`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      flash(req, `No se enviaron recordatorios: ${error.extras.message ?? 'revise la edición elegida.'}`);
    }
    res.redirect(303, '/admin/correo');
  });

  router.post('/admin/correo/reenviar', admin, async (req, res) => {
    const fields = formFields(req.body);
    const editionId = String(fields.edition ?? '');
    if (fields.confirmar !== 'si') {
      flash(req, 'No se reenvió nada: marque la casilla para confirmar el reenvío.', 'error');
      return res.redirect(303, '/admin/correo');
    }
    try {
      const job = await retryInvitationMails(editionId, { user: currentUser(res), logger: req.log });
      flash(req, `Reenvío en camino: ${job.total} ${job.total === 1 ? 'invitación' : 'invitaciones'} por correo. El avance se ve en Trabajos.`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      flash(req, `No se reenvió nada: ${error.extras.message ?? 'revise la edición elegida.'}`, 'error');
    }
    res.redirect(303, '/admin/correo');
  });

  // ---- password reset ----
  router.get('/entrar/recuperar', (req, res) => renderPage(req, res, 'auth/forgot', { title: 'Recuperar la contraseña' }, { form: true }));

  router.post('/entrar/recuperar', loginLimiter, async (req, res) => {
    await requestPasswordReset(formFields(req.body).email, publicBaseUrl(req));
    renderPage(req, res, 'auth/forgot', { title: 'Recuperar la contraseña', sent: true }, { form: true });
  });

  router.get('/entrar/restablecer/:token', async (req, res) => {
    res.setHeader('Referrer-Policy', 'no-referrer');
    const valid = await resetTokenIsValid(String(req.params.token));
    renderPage(req, res, 'auth/reset', { title: 'Nueva contraseña', valid, token: String(req.params.token) }, { form: true, status: valid ? 200 : 400 });
  });

  router.post('/entrar/restablecer/:token', loginLimiter, async (req, res) => {
    res.setHeader('Referrer-Policy', 'no-referrer');
    const fields = formFields(req.body);
    const token = String(req.params.token);
    const errors: (FieldError & { label: string })[] = [];
    if (typeof fields.password !== 'string' || fields.password.length < 10) errors.push({ field: 'password', label: 'Nueva contraseña', reason: 'debe tener al menos 10 caracteres' });
    else if (fields.password.length > 200) errors.push({ field: 'password', label: 'Nueva contraseña', reason: 'debe tener a lo más 200 caracteres' });
    else if (fields.password !== fields.confirmation) errors.push({ field: 'confirmation', label: 'Repita la contraseña', reason: 'no coincide con la nueva contraseña' });
    if (errors.length) return renderPage(req, res, 'auth/reset', { title: 'Nueva contraseña', valid: true, token, errors }, { form: true, status: 400 });
    try {
      await resetPassword(token, fields.password);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status !== 400) throw error;
      return renderPage(req, res, 'auth/reset', { title: 'Nueva contraseña', valid: false, token }, { form: true, status: 400 });
    }
    flash(req, 'Contraseña cambiada. Entre con la nueva.');
    res.redirect(303, '/entrar');
  });

  return router;
}

export function registerMailApi(api: ApiRegistry): void {
  const admin = requireUser('admin');

  api.add(
    {
      method: 'patch',
      path: '/editions/:edition/institutions/:id/contacts',
      summary: 'Change an institution\'s contacts for e-mails (contactName, contactEmail, contactCc: more addresses); null clears one',
      tag: 'admin',
      access: 'admin',
      body: contactsSchema,
      responses: {
        200: { description: 'the contacts now', schema: CONTACTS_SCHEMA },
        400: problem('invalid addresses (validation_failed), or a reason is missing once the edition is collecting (reason_required)'),
        404: problem('no such edition or institution'),
        409: problem('a stale baseRevision (stale_revision), or the edition is published (edition_published)'),
      },
    },
    admin,
    async (req, res) => {
      res.json(await updateContacts(String(req.params.edition), String(req.params.id), checkContacts(req.body ?? {}), userActor(currentUser(res))));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/reminders',
      summary: 'E-mail a reminder now to every institution of the edition that has not handed its answers in (a job)',
      tag: 'admin',
      access: 'admin',
      responses: {
        202: { description: 'the reminders job', schema: JOB_VIEW_SCHEMA },
        404: problem('no such edition'),
        409: problem('the edition is not collecting answers, or everybody has answered (edition_state, nothing_to_remind)'),
      },
    },
    admin,
    async (req, res) => {
      const job = await submitJob('reminders', { edition: String(req.params.edition) }, currentUser(res));
      res.status(202).location(`/api/v1/jobs/${job._id}`).json(jobView(job));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/invitations/mail-retry',
      summary: 'Send again the invitation e-mails of the edition that did not go out (failed, or left queued by a job that ended) and whose links are still valid (a job)',
      tag: 'admin',
      access: 'admin',
      responses: {
        202: { description: 'the job that sends them again', schema: JOB_VIEW_SCHEMA },
        404: problem('no such edition'),
        409: problem('no invitation e-mail of the edition is waiting to be sent again (nothing_to_send)'),
      },
    },
    admin,
    async (req, res) => {
      const job = await retryInvitationMails(String(req.params.edition), { user: currentUser(res), logger: req.log });
      res.status(202).location(`/api/v1/jobs/${job._id}`).json(jobView(job));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/mail',
      summary: 'Every e-mail the service sent or keeps in its outbox, newest first, with its outcome',
      tag: 'admin',
      access: 'admin',
      query: mailQuery,
      responses: { 200: { description: 'a page of e-mails', schema: { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: MAIL_SCHEMA } }, required: ['total', 'items'] } } },
    },
    admin,
    async (req, res) => {
      const { total, mails } = await listMails(checkMailQuery(req.query));
      res.json({ total, items: mails.map(mailJson) });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/auth/password-reset',
      summary: 'Ask for a password-reset e-mail; answers 202 whether or not the account exists',
      tag: 'auth',
      public: true,
      body: { type: 'object', properties: { email: { type: 'string', maxLength: 254 } }, required: ['email'] },
      responses: { 202: { description: 'if an active account has this address, a reset link is on its way', schema: { type: 'object', properties: { accepted: { type: 'boolean' } }, required: ['accepted'] } } },
    },
    loginLimiter,
    async (req, res) => {
      await requestPasswordReset((req.body as { email?: unknown } | undefined)?.email, publicBaseUrl(req));
      res.status(202).json({ accepted: true });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/auth/password-reset/confirm',
      summary: 'Set a new password with the token of a reset e-mail (single use, expiring)',
      tag: 'auth',
      public: true,
      body: { type: 'object', properties: { token: { type: 'string' }, password: { type: 'string' } }, required: ['token', 'password'] },
      responses: { 204: 'password changed; the account\'s sessions are closed', 400: problem('unknown, used or expired token (reset_token_invalid), or a password too short or long (password_invalid)') },
    },
    loginLimiter,
    async (req, res) => {
      const body = (req.body ?? {}) as { token?: unknown; password?: unknown };
      await resetPassword(body.token, body.password);
      res.status(204).end();
    },
  );
}

