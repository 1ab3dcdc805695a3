/**
 * Reminder e-mails to the institutions of an edition that have not handed their answers in: sent by
 * an admin (POST /api/v1/editions/{edition}/reminders, or /admin/correo) or by the schedule
 * N days before the deadline (server/mail/schedule.ts). Parts of 50 institutions; a part run again
 * after a takeover skips the institutions already written to by this job.
 */
import type { JSONSchemaType } from 'ajv';
import { HttpProblem } from '../http/problem.js';
import { EditionModel } from '../models/edition.js';
import { editionInstrument } from '../services/responses.js';
import { refusal } from '../services/editionLifecycle.js';
import { pendingInstitutions, sendReminders } from '../mail/send.js';
import { mailSettings } from '../mail/settings.js';
import { defineJobKind } from './kind.js';

interface Input {
  edition: string;
  /** Set by the schedule: the reminder N days before the deadline. */
  daysBefore?: number;
  /** Set by the schedule: the deadline (ISO 8601) the reminder was planned for. */
  deadline?: string;
}

export interface ReminderParams {
  edition: string;
  questionnaire: string;
  helpEmail: string;
  requestedBy: string;
  daysBefore?: number;
  deadline?: string;
}

const PART_SIZE = 50;

const inputSchema: JSONSchemaType<Input> = {
  type: 'object',
  properties: {
    edition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
    daysBefore: { type: 'integer', minimum: 0, maximum: 365, nullable: true },
    deadline: { type: 'string', maxLength: 40, nullable: true },
  },
  required: ['edition'],
  additionalProperties: false,
};

export const remindersJob = defineJobKind<ReminderParams, Input>({
  kind: 'reminders',
  label: 'Recordatorios por correo',
  paramsSchema: inputSchema,
  async plan(input, user) {
    if (user.role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'only admins send reminders', undefined, { code: 'forbidden' });
    const edition = await EditionModel.findOne({ editionId: input.edition }).lean();
    if (!edition) throw new HttpProblem(404, 'Not Found', `edition "${input.edition}" does not exist`, undefined, { code: 'edition_not_found' });
    // Reminders make sense while respondents can still answer (the edition lifecycle decides).
    if (refusal(edition, 'respond')) {
      throw new HttpProblem(409, 'Conflict', `edition "${input.edition}" is not collecting answers now`, undefined, { code: 'edition_state', message: 'La edición no está recibiendo respuestas: no hay a quién recordar.' });
    }
    const instrument = await editionInstrument(input.edition, 'institution');
    const pending = await pendingInstitutions(input.edition, instrument.id);
    if (pending.length === 0) throw new HttpProblem(409, 'Conflict', 'every institution has handed its answers in', undefined, { code: 'nothing_to_remind', message: 'Todos los sujetos obligados ya enviaron sus respuestas.' });
    const parts = [];
    for (let i = 0; i < pending.length; i += PART_SIZE) {
      const ids = pending.slice(i, i + PART_SIZE).map((p) => p.id);
      parts.push({ total: ids.length, input: { institutions: ids } });
    }
    return {
      title: input.daysBefore !== undefined ? `Recordatorios de ${input.edition} (${input.daysBefore} días antes de la fecha límite)` : `Recordatorios de ${input.edition}`,
      params: {
        edition: input.edition,
        questionnaire: instrument.id,
        helpEmail: mailSettings().helpEmail ?? user.email,
        requestedBy: `${user.name} <${user.email}>`,
        ...(input.daysBefore !== undefined && { daysBefore: input.daysBefore }),
        ...(input.deadline !== undefined && { deadline: input.deadline }),
      },
      parts,
    };
  },
  async runPart(ctx) {
    const { institutions } = ctx.part.input as { institutions: string[] };
    // Checked when the part runs, not only when planned: a reminder planned for a deadline that has
    // since moved (or been removed), or for an edition no longer collecting, sends nothing.
    const edition = await EditionModel.findOne({ editionId: ctx.job.params.edition }, { editionId: 1, status: 1, deadline: 1 }).lean();
    const planned = ctx.job.params.deadline;
    if (!edition || refusal(edition, 'respond') || (planned !== undefined && edition.deadline?.toISOString() !== planned)) {
      ctx.progress(institutions.length);
      return { sent: 0, failed: 0, outbox: 0, 'no-contact': 0, skipped: institutions.length };
    }
    return sendReminders(ctx.job.params.edition, ctx.job.params.questionnaire, institutions, {
      job: ctx.job.id,
      requestedBy: ctx.job.params.requestedBy,
      helpEmail: ctx.job.params.helpEmail,
      signal: ctx.signal,
      progress: (done) => ctx.progress(done),
    });
  },
  partsAtOnce: () => 1,
});
