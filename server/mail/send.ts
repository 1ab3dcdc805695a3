/**
 * What the service e-mails, built from the database: invitations (queued with their links in the
 * request that issues them, then sent by a job) and reminders.
 */
import { randomUUID } from 'node:crypto';
import { Types, type ClientSession } from 'mongoose';
import { InstitutionModel } from '../models/institution.js';
import { EditionModel } from '../models/edition.js';
import { ResponseModel } from '../models/response.js';
import { STATUS_LABELS } from '../services/responses.js';
import { InvitationModel } from '../models/invitation.js';
import { deliver, deliveryError, sendOverSmtp, type Delivery } from './transport.js';
import { invitationMail, reminderMail } from './templates.js';
import { mailSettings } from './settings.js';
import { MailModel } from './model.js';

export type MailOutcome = Delivery['status'] | 'no-contact';

type Contact = { _id: Types.ObjectId; name: string; contactName?: string | null; contactEmail?: string | null; contactCc?: string[] | null };

const recipientsOf = (institution: Contact) => ({ to: institution.contactEmail ? [institution.contactEmail] : [], cc: institution.contactCc ?? [] });

async function editionFacts(editionId: string, session?: ClientSession) {
  const edition = await EditionModel.findOne({ editionId }).session(session ?? null).lean();
  if (!edition) throw new Error(`edition ${editionId} does not exist`);
  const deadline = edition.deadline ?? null;
  // The edition's own help contact (edited on its admin page) comes first.
  const help = { email: edition.help?.email || undefined, name: edition.help?.name || undefined, phone: edition.help?.phone || undefined };
  return { title: edition.title, deadline, status: edition.status, help };
}

export interface QueuedInvitationMail {
  institutionId: string;
  to: string[];
  status: 'queued' | 'no-contact';
  mailId?: string;
}

/**
 * Writes each institution's invitation e-mail, with its new link, as `queued` for the job `job` to
 * send (deliverQueuedMails); institutions without a contact are reported, not queued. Meant to run
 * in the transaction that issues the links, so the e-mails exist exactly when the links do; the
 * plaintext link is kept only in the e-mail.
 */
export async function queueInvitationMails(
  editionId: string,
  issued: readonly { invitationId: string; institutionId: string; link: string; expiresAt: Date }[],
  options: { job: Types.ObjectId | string; requestedBy: string; fallbackHelpEmail: string; session?: ClientSession },
): Promise<QueuedInvitationMail[]> {
  const facts = await editionFacts(editionId, options.session);
  const helpEmail = facts.help.email ?? mailSettings().helpEmail ?? options.fallbackHelpEmail;
  const institutions = new Map(
    (
      await InstitutionModel.find({ _id: { $in: issued.map((i) => new Types.ObjectId(i.institutionId)) } }, { name: 1, contactName: 1, contactEmail: 1, contactCc: 1 })
        .session(options.session ?? null)
        .lean<Contact[]>()
    ).map((i) => [String(i._id), i]),
  );
  const job = new Types.ObjectId(String(options.job));
  const docs: Record<string, unknown>[] = [];
  const results = issued.map((invitation): QueuedInvitationMail => {
    const institution = institutions.get(invitation.institutionId)!;
    const { to, cc } = recipientsOf(institution);
    if (to.length === 0) return { institutionId: invitation.institutionId, to, status: 'no-contact' };
    const mail = invitationMail({ institution: institution.name, contactName: institution.contactName ?? undefined, editionTitle: facts.title, link: invitation.link, expiresAt: invitation.expiresAt, deadline: facts.deadline, helpEmail, helpName: facts.help.name, helpPhone: facts.help.phone });
    const _id = new Types.ObjectId();
    docs.push({ _id, kind: 'invitation', to, cc, ...mail, status: 'queued', edition: editionId, institution: institution._id, invitation: new Types.ObjectId(invitation.invitationId), job, requestedBy: options.requestedBy });
    return { institutionId: invitation.institutionId, to, status: 'queued', mailId: String(_id) };
  });
  if (docs.length) await MailModel.insertMany(docs, { session: options.session ?? null });
  return results;
}

/** Why a queued e-mail ended as failed without being handed to the SMTP server (stored with it, like the server's reasons). */
export const NOT_SENT_INTERRUPTED = 'not sent again: an earlier attempt was handing it to the SMTP server when it stopped, so it may or may not have arrived';
export const NOT_SENT_LINK_GONE = 'not sent: its invitation link was revoked or had expired before the e-mail went out';

/**
 * Sends the given queued e-mails of a job (or, without SMTP_URL, moves them to the outbox) and
 * records each outcome on the e-mail. Safe to run again on the same e-mails (a part taken over after
 * its worker died): each e-mail is claimed (queued → sending) by one attempt before it is handed to
 * the SMTP server, so it is never sent twice; one that a stopped attempt had claimed without writing
 * its outcome is not sent again but marked failed (it may or may not have arrived). An invitation
 * whose link was revoked or expired meanwhile is not sent. Returns how the e-mails stand, by status.
 */
export async function deliverQueuedMails(
  mailIds: readonly string[],
  options: { job: string; signal?: AbortSignal; progress?: (done: number) => void },
): Promise<Record<string, number>> {
  const ids = mailIds.map((id) => new Types.ObjectId(id));
  const job = new Types.ObjectId(options.job);
  const attempt = randomUUID();
  // Claimed by an earlier attempt that never wrote the outcome. Should that attempt still be alive
  // (its lease lapsed), the outcome it writes against its own claim replaces this one.
  await MailModel.updateMany({ _id: { $in: ids }, job, status: 'sending' }, { $set: { status: 'failed', error: NOT_SENT_INTERRUPTED } });
  const queued = await MailModel.find({ _id: { $in: ids }, job, status: 'queued' }, { invitation: 1 }).lean();
  const links = queued.flatMap((m) => (m.invitation ? [m.invitation] : []));
  if (links.length) {
    const live = new Set((await InvitationModel.find({ _id: { $in: links }, revokedAt: null, expiresAt: { $gt: new Date() } }, { _id: 1 }).lean()).map((i) => String(i._id)));
    const gone = queued.filter((m) => m.invitation && !live.has(String(m.invitation))).map((m) => m._id);
    if (gone.length) await MailModel.updateMany({ _id: { $in: gone }, status: 'queued' }, { $set: { status: 'failed', error: NOT_SENT_LINK_GONE } });
  }
  const smtpUrl = mailSettings().smtpUrl;
  if (!smtpUrl) {
    options.signal?.throwIfAborted();
    await MailModel.updateMany({ _id: { $in: ids }, job, status: 'queued' }, { $set: { status: 'outbox' } });
    options.progress?.(ids.length);
  } else {
    let done = 0;
    for (const id of ids) {
      options.signal?.throwIfAborted();
      const claimed = await MailModel.findOneAndUpdate({ _id: id, job, status: 'queued' }, { $set: { status: 'sending', sendingBy: attempt, sendingAt: new Date() } }, { returnDocument: 'after' }).lean();
      if (claimed) {
        // Once the e-mail is handed to the server, its outcome is written even if the job is stopping.
        try {
          const messageId = await sendOverSmtp(smtpUrl, { to: claimed.to, cc: claimed.cc ?? [], subject: claimed.subject, text: claimed.text ?? '', html: claimed.html ?? '' });
          await MailModel.updateOne({ _id: id, sendingBy: attempt }, { $set: { status: 'sent', messageId }, $unset: { error: 1 } });
        } catch (error) {
          await MailModel.updateOne({ _id: id, sendingBy: attempt }, { $set: { status: 'failed', error: deliveryError(error) } });
        }
      }
      options.progress?.(++done);
    }
  }
  const counts: Record<string, number> = { sent: 0, failed: 0, outbox: 0 };
  for (const mail of await MailModel.find({ _id: { $in: ids } }, { status: 1 }).lean()) counts[mail.status] = (counts[mail.status] ?? 0) + 1;
  return counts;
}

/** Institutions of an edition whose own answers are not handed in yet (no answers, a draft, or returned). */
export async function pendingInstitutions(editionId: string, questionnaireId: string) {
  const handedIn = await ResponseModel.find({ edition: editionId, 'questionnaire.id': questionnaireId, status: { $in: ['submitted', 'approved'] } }, { institution: 1 }).lean();
  const statuses = new Map((await ResponseModel.find({ edition: editionId, 'questionnaire.id': questionnaireId }, { institution: 1, status: 1 }).lean()).map((r) => [String(r.institution), r.status]));
  const institutions = await InstitutionModel.find({ scope: editionId, _id: { $nin: handedIn.map((r) => r.institution) } }, { name: 1 }).sort({ _id: 1 }).lean();
  return institutions.map((i) => ({ id: String(i._id), status: (statuses.get(String(i._id)) ?? 'none') as keyof typeof STATUS_LABELS }));
}

/**
 * Sends the reminder to each given institution that has still not handed its answers in, once per
 * job: a part run again after a takeover skips the institutions its first run already wrote to.
 */
export async function sendReminders(
  editionId: string,
  questionnaireId: string,
  institutionIds: readonly string[],
  options: { job: string; requestedBy: string; helpEmail: string; signal?: AbortSignal; progress?: (done: number) => void },
): Promise<Record<MailOutcome | 'skipped', number>> {
  const counts: Record<MailOutcome | 'skipped', number> = { sent: 0, failed: 0, outbox: 0, 'no-contact': 0, skipped: 0 };
  const facts = await editionFacts(editionId);
  const ids = institutionIds.map((id) => new Types.ObjectId(id));
  const institutions = await InstitutionModel.find({ _id: { $in: ids }, scope: editionId }, { name: 1, contactName: 1, contactEmail: 1, contactCc: 1 }).sort({ _id: 1 }).lean<Contact[]>();
  const responses = new Map((await ResponseModel.find({ edition: editionId, 'questionnaire.id': questionnaireId, institution: { $in: ids } }, { institution: 1, status: 1 }).lean()).map((r) => [String(r.institution), r.status]));
  const already = new Set((await MailModel.find({ job: new Types.ObjectId(options.job), institution: { $in: ids } }, { institution: 1 }).lean()).map((m) => String(m.institution)));
  let done = 0;
  for (const institution of institutions) {
    options.signal?.throwIfAborted();
    const status = responses.get(String(institution._id));
    const { to, cc } = recipientsOf(institution);
    if (status === 'submitted' || status === 'approved' || already.has(String(institution._id))) counts.skipped++;
    else if (to.length === 0) counts['no-contact']++;
    else {
      const mail = reminderMail({ institution: institution.name, contactName: institution.contactName ?? undefined, editionTitle: facts.title, statusText: STATUS_LABELS[status ?? 'none'], deadline: facts.deadline, helpEmail: facts.help.email ?? options.helpEmail, helpName: facts.help.name, helpPhone: facts.help.phone });
      const delivery = await deliver({ kind: 'reminder', to, cc, ...mail, edition: editionId, institution: institution._id, job: options.job, requestedBy: options.requestedBy });
      counts[delivery.status]++;
    }
    options.progress?.(++done);
  }
  return counts;
}
