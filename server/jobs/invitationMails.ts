/**
 * Sending the invitation e-mails of one issue of links: the request that issues the links writes
 * each e-mail as `queued` (server/mail/send.ts queueInvitationMails) and, in the same transaction,
 * this job (submitJobInTransaction), which sends them (deliverQueuedMails) in parts of 20. A part run
 * again after a takeover never sends an e-mail twice. Without SMTP_URL the e-mails move to the
 * outbox at once. The job's summary counts the e-mails sent, failed and in the outbox.
 * With `retry`, the job first queues again, for itself, the edition's invitation e-mails that did
 * not go out (mail/retry.ts): submitted in a transaction (submitJobInTransaction), like the first.
 */
import type { JSONSchemaType } from 'ajv';
import { Types } from 'mongoose';
import { HttpProblem } from '../http/problem.js';
import { MailModel } from '../mail/model.js';
import { deliverQueuedMails } from '../mail/send.js';
import { requeueUndeliveredInvitations } from '../mail/retry.js';
import { defineJobKind } from './kind.js';

export const INVITATION_MAILS_JOB = 'invitation-mails';

interface Input {
  edition: string;
  /** Send again the edition's invitation e-mails that did not go out. */
  retry?: boolean;
}

export interface InvitationMailParams {
  edition: string;
  /** How many e-mails were queued. */
  mails: number;
}

const PART_SIZE = 20;

const inputSchema: JSONSchemaType<Input> = {
  type: 'object',
  properties: { edition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }, retry: { type: 'boolean', nullable: true } },
  required: ['edition'],
  additionalProperties: false,
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "3 enviados; 1 no se pudo enviar (vea Correo)": how the e-mails of the finished parts stand, in Spanish. */
export function invitationMailsText(counts: Record<string, number>): string {
  const parts: string[] = [];
  if (counts.sent) parts.push(plural(counts.sent, 'correo enviado', 'correos enviados'));
  if (counts.outbox) parts.push(`${plural(counts.outbox, 'correo', 'correos')} en la bandeja de Correo (no hay servidor de correo configurado)`);
  if (counts.failed) parts.push(`${plural(counts.failed, 'correo no se pudo enviar', 'correos no se pudieron enviar')} (el motivo está en Correo)`);
  return parts.length ? `${parts.join('; ')}.` : 'Todavía no se envía ningún correo.';
}

export const invitationMailsJob = defineJobKind<InvitationMailParams, Input>({
  kind: INVITATION_MAILS_JOB,
  label: 'Invitaciones por correo',
  paramsSchema: inputSchema,
  /**
   * Submitted in a transaction (submitJobInTransaction): with the issue of links, which has just
   * queued the e-mails of this job, or with `retry`, which queues them here.
   */
  async plan(input, user, { jobId, session }) {
    if (user.role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'only admins send invitations', undefined, { code: 'forbidden' });
    if (input.retry) {
      if (!session) throw new Error('an invitation-mails retry is submitted in a transaction');
      const queued = await requeueUndeliveredInvitations(input.edition, jobId, session);
      if (queued === 0) throw new HttpProblem(409, 'Conflict', 'no invitation e-mail of this edition is waiting to be sent again', undefined, { code: 'nothing_to_send', message: 'No hay invitaciones por reenviar: todas salieron, o sus ligas ya no son válidas.' });
    }
    const mails = await MailModel.find({ job: new Types.ObjectId(jobId), kind: 'invitation', edition: input.edition, status: 'queued' }, { _id: 1 })
      .sort({ _id: 1 })
      .session(session ?? null)
      .lean();
    if (mails.length === 0) throw new HttpProblem(409, 'Conflict', 'no invitation e-mails are queued for this job', undefined, { code: 'nothing_to_send', message: 'No hay invitaciones por enviar.' });
    const parts = [];
    for (let i = 0; i < mails.length; i += PART_SIZE) {
      const ids = mails.slice(i, i + PART_SIZE).map((m) => String(m._id));
      parts.push({ total: ids.length, input: { mails: ids } });
    }
    const title = `${input.retry ? 'Reenvío de invitaciones' : 'Invitaciones'} por correo de ${input.edition} (${plural(mails.length, 'correo', 'correos')})`;
    return { title, params: { edition: input.edition, mails: mails.length }, parts };
  },
  async runPart(ctx) {
    const { mails } = ctx.part.input as { mails: string[] };
    return deliverQueuedMails(mails, { job: ctx.job.id, signal: ctx.signal, progress: (done) => ctx.progress(done) });
  },
  summarize(outputs) {
    const counts: Record<string, number> = { sent: 0, failed: 0, outbox: 0 };
    for (const output of outputs) for (const [status, n] of Object.entries((output ?? {}) as Record<string, number>)) counts[status] = (counts[status] ?? 0) + n;
    return { counts, text: invitationMailsText(counts) };
  },
  // Four e-mails at a time per worker, as the request used to send them.
  partsAtOnce: () => 4,
});
