/**
 * Invitation e-mails that did not go out, and sending them again. An e-mail did not go out when it
 * failed (the SMTP server refused it or could not be reached, or its sending was interrupted), or
 * when it stayed queued or sending after its job ended (cancelled, stopped by an error). Those whose
 * invitation link is still valid can be sent again: they are queued anew for a new invitation-mails
 * job (jobs/invitationMails.ts, `retry`), in the transaction that stores the job. An e-mail not
 * sent because its link was revoked or expired is never sent again: a new link needs a new issue.
 */
import { Types, type ClientSession, type QueryFilter } from 'mongoose';
import { InvitationModel } from '../models/invitation.js';
import { JobModel, OPEN_STATUSES } from '../jobs/model.js';
import { MailModel, type MailDoc } from './model.js';
import { NOT_SENT_LINK_GONE } from './send.js';

interface Undelivered {
  _id: Types.ObjectId;
  edition?: string | null;
  invitation?: Types.ObjectId | null;
}

/** The jobs still queued or running: their e-mails are on their way. */
async function openJobIds(session?: ClientSession): Promise<Types.ObjectId[]> {
  return (await JobModel.find({ status: { $in: OPEN_STATUSES } }, { _id: 1 }).session(session ?? null).lean()).map((j) => j._id);
}

/** An invitation e-mail that did not go out: failed (not for a gone link), or left queued or sending by a job that ended. */
const notGoneOut = (open: Types.ObjectId[]): QueryFilter<MailDoc> => ({
  kind: 'invitation',
  $or: [{ status: 'failed', error: { $ne: NOT_SENT_LINK_GONE } }, { status: { $in: ['queued', 'sending'] }, job: { $nin: open } }],
});

/** Those of one edition (or all) whose link is still valid. */
async function undelivered(editionId: string | undefined, open: Types.ObjectId[], session?: ClientSession): Promise<Undelivered[]> {
  const mails = await MailModel.find({ ...notGoneOut(open), ...(editionId !== undefined && { edition: editionId }) }, { edition: 1, invitation: 1 })
    .session(session ?? null)
    .lean<Undelivered[]>();
  const links = mails.flatMap((m) => (m.invitation ? [m.invitation] : []));
  const live = new Set(
    (await InvitationModel.find({ _id: { $in: links }, revokedAt: null, expiresAt: { $gt: new Date() } }, { _id: 1 }).session(session ?? null).lean()).map((i) => String(i._id)),
  );
  return mails.filter((m) => m.invitation && live.has(String(m.invitation)));
}

/** How many invitation e-mails could be sent again, by edition (editions with none are left out). */
export async function undeliveredInvitationCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const mail of await undelivered(undefined, await openJobIds())) counts.set(mail.edition ?? '', (counts.get(mail.edition ?? '') ?? 0) + 1);
  return counts;
}

/**
 * Queues an edition's undelivered invitation e-mails again, for job `jobId` (inside the transaction
 * that stores it). Each e-mail is taken only from the state it was found in, so two retries at once
 * never queue one e-mail twice. Returns how many were queued.
 */
export async function requeueUndeliveredInvitations(editionId: string, jobId: string, session: ClientSession): Promise<number> {
  const open = await openJobIds(session);
  const mails = await undelivered(editionId, open, session);
  if (mails.length === 0) return 0;
  const result = await MailModel.updateMany(
    { _id: { $in: mails.map((m) => m._id) }, ...notGoneOut(open) },
    { $set: { status: 'queued', job: new Types.ObjectId(jobId) }, $unset: { error: 1, sendingBy: 1, sendingAt: 1, messageId: 1 } },
    { session },
  );
  return result.modifiedCount;
}
