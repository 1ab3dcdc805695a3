/**
 * Reminders that go out by themselves: for every edition collecting answers with a deadline, on each
 * of MGA_REMINDER_DAYS (default 7 and 1) days before it, one reminders job. Workers check every few
 * minutes; a unique record per edition, deadline and day makes sure only one worker plans each, and
 * a moved deadline gets its own reminders.
 */
import type { Logger } from 'pino';
import { EditionModel } from '../models/edition.js';
import { UserModel } from '../models/user.js';
import { HttpProblem } from '../http/problem.js';
import { submitJob } from '../jobs/service.js';
import type { UserPrincipal } from '../auth/access.js';
import { ReminderScheduleModel } from './model.js';
import { mailSettings } from './settings.js';

const DAY_MS = 86_400_000;

/** The service acting on its own; the help address falls back to the oldest active admin's. */
async function servicePrincipal(): Promise<UserPrincipal> {
  const admin = await UserModel.findOne({ role: 'admin', active: true }, { email: 1 }).sort({ createdAt: 1 }).lean();
  return { kind: 'user', id: '000000000000000000000000', email: admin?.email ?? 'no-responder@localhost', name: 'El servicio (recordatorio programado)', role: 'admin', editions: [] };
}

export async function planScheduledReminders(logger: Logger, now = new Date()): Promise<string[]> {
  const days = mailSettings().reminderDays;
  if (days.length === 0) return [];
  const editions = await EditionModel.find({ status: 'collecting', deadline: { $gt: now } }, { editionId: 1, deadline: 1 }).lean();
  const planned: string[] = [];
  for (const edition of editions) {
    const deadline = (edition as { deadline?: Date | null }).deadline;
    if (!deadline) continue;
    // Of the days already reached, only the nearest one sends; the earlier ones are marked as passed.
    const due = days.filter((n) => now.getTime() >= deadline.getTime() - n * DAY_MS);
    if (due.length === 0) continue;
    const nearest = Math.min(...due);
    for (const n of due.sort((a, b) => b - a)) {
      try {
        await ReminderScheduleModel.create({ edition: edition.editionId, deadline, daysBefore: n });
      } catch (error) {
        if ((error as { code?: number }).code === 11000) continue; // already planned (maybe by another worker)
        throw error;
      }
      if (n !== nearest) continue;
      try {
        const job = await submitJob('reminders', { edition: edition.editionId, daysBefore: n, deadline: deadline.toISOString() }, await servicePrincipal());
        await ReminderScheduleModel.updateOne({ edition: edition.editionId, deadline, daysBefore: n }, { $set: { job: job._id } });
        planned.push(String(job._id));
        logger.info({ edition: edition.editionId, daysBefore: n, job: String(job._id) }, 'scheduled reminders queued');
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 409) continue; // nobody to remind
        throw error;
      }
    }
  }
  return planned;
}
