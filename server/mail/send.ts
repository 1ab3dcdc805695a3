/** What the service e-mails, built from the database: invitations (with their links) and reminders. */
import { Types } from 'mongoose';
import { InstitutionModel } from '../models/institution.js';
import { EditionModel } from '../models/edition.js';
import { ResponseModel } from '../models/response.js';
import { STATUS_LABELS } from '../services/responses.js';
import { deliver, type Delivery } from './transport.js';
import { invitationMail, reminderMail } from './templates.js';
import { mailSettings } from './settings.js';
import { MailModel } from './model.js';

export type MailOutcome = Delivery['status'] | 'no-contact';

export interface InstitutionMailResult {
  institutionId: string;
  to: string[];
  status: MailOutcome;
  mailId?: string;
  error?: string;
}

type Contact = { _id: Types.ObjectId; name: string; contactName?: string | null; contactEmail?: string | null; contactCc?: string[] | null };

const recipientsOf = (institution: Contact) => ({ to: institution.contactEmail ? [institution.contactEmail] : [], cc: institution.contactCc ?? [] });

async function editionFacts(editionId: string) {
  const edition = await EditionModel.findOne({ editionId }).lean();
  if (!edition) throw new Error(`edition ${editionId} does not exist`);
  const deadline = edition.deadline ?? null;
  // The edition's own help contact (edited on its admin page) comes first.
  const help = { email: edition.help?.email || undefined, name: edition.help?.name || undefined, phone: edition.help?.phone || undefined };
  return { title: edition.title, deadline, status: edition.status, help };
}

/** Runs `work` over `items` with at most `limit` at once, in order of results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

/** E-mails each institution its new invitation link; institutions without a contact are reported, not failed. */
export async function sendInvitationMails(
  editionId: string,
  issued: readonly { institutionId: string; link: string; expiresAt: Date }[],
  options: { requestedBy: string; fallbackHelpEmail: string },
): Promise<InstitutionMailResult[]> {
  const facts = await editionFacts(editionId);
  const helpEmail = facts.help.email ?? mailSettings().helpEmail ?? options.fallbackHelpEmail;
  const institutions = new Map(
    (await InstitutionModel.find({ _id: { $in: issued.map((i) => new Types.ObjectId(i.institutionId)) } }, { name: 1, contactName: 1, contactEmail: 1, contactCc: 1 }).lean<Contact[]>()).map((i) => [String(i._id), i]),
  );
  return mapLimited(issued, 4, async (invitation) => {
    const institution = institutions.get(invitation.institutionId)!;
    const { to, cc } = recipientsOf(institution);
    if (to.length === 0) return { institutionId: invitation.institutionId, to, status: 'no-contact' as const };
    const mail = invitationMail({ institution: institution.name, contactName: institution.contactName ?? undefined, editionTitle: facts.title, link: invitation.link, expiresAt: invitation.expiresAt, deadline: facts.deadline, helpEmail, helpName: facts.help.name, helpPhone: facts.help.phone });
    const delivery = await deliver({ kind: 'invitation', to, cc, ...mail, edition: editionId, institution: institution._id, requestedBy: options.requestedBy });
    return { institutionId: invitation.institutionId, to, status: delivery.status, mailId: delivery.id, ...(delivery.error && { error: delivery.error }) };
  });
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
