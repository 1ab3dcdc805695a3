/**
 * Issuing invitation links that go out by e-mail: in one transaction the links are issued, each
 * institution's e-mail (with its link) is written as queued, and the job that sends them is stored;
 * the job is queued once that has committed. The request never waits for the SMTP server.
 */
import mongoose, { Types } from 'mongoose';
import type { Logger } from 'pino';
import { userActor, type UserPrincipal } from '../auth/access.js';
import { issueInvitations, type IssuedInvitation } from '../services/invitations.js';
import { queueJob, submitJobInTransaction } from '../jobs/service.js';
import { INVITATION_MAILS_JOB } from '../jobs/invitationMails.js';
import type { JobDoc } from '../jobs/model.js';
import { queueInvitationMails, type QueuedInvitationMail } from './send.js';
import { findEdition } from '../services/results.js';

export interface InvitationsByMail {
  issued: IssuedInvitation[];
  /** In the order of `issued`: queued, or no-contact (no e-mail written). */
  mails: QueuedInvitationMail[];
  /** The job that sends the queued e-mails; absent when none was queued. */
  job?: JobDoc;
}

export async function issueInvitationsByMail(
  editionId: string,
  options: { baseUrl: string; expiresInDays: number; institutionIds?: string[]; user: UserPrincipal; logger?: Logger },
): Promise<InvitationsByMail> {
  const { user } = options;
  let mails: QueuedInvitationMail[] = [];
  let job: JobDoc | undefined;
  const issued = await issueInvitations(editionId, {
    baseUrl: options.baseUrl,
    expiresInDays: options.expiresInDays,
    actor: userActor(user),
    institutionIds: options.institutionIds,
    inTransaction: async (issued, session) => {
      const jobId = new Types.ObjectId();
      mails = await queueInvitationMails(editionId, issued, { job: jobId, requestedBy: `${user.name} <${user.email}>`, fallbackHelpEmail: user.email, session });
      job = mails.some((m) => m.status === 'queued') ? await submitJobInTransaction(INVITATION_MAILS_JOB, { edition: editionId }, user, session, jobId) : undefined;
    },
  });
  if (job) {
    // The links, e-mails and job are committed: the answer (each link shown once) must not be lost
    // to a failed queue write; the maintenance pass of any running worker queues the job within a minute.
    await queueJob(job).catch((error: unknown) => options.logger?.warn({ err: error, job: String(job!._id) }, 'could not queue the invitation e-mails job; the maintenance pass will'));
  }
  return { issued, mails, job };
}

/**
 * Sends again an edition's invitation e-mails that did not go out (failed, or left queued by a job
 * that ended; their links still valid): one transaction queues them for a new job and stores it
 * (409 nothing_to_send when there are none); the job is queued once that has committed.
 */
export async function retryInvitationMails(editionId: string, options: { user: UserPrincipal; logger?: Logger }): Promise<JobDoc> {
  await findEdition(editionId);
  let job: JobDoc | undefined;
  await mongoose.connection.transaction(async (session) => {
    job = await submitJobInTransaction(INVITATION_MAILS_JOB, { edition: editionId, retry: true }, options.user, session);
  });
  await queueJob(job!).catch((error: unknown) => options.logger?.warn({ err: error, job: String(job!._id) }, 'could not queue the invitation e-mails job; the maintenance pass will'));
  return job!;
}
