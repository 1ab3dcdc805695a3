/**
 * An edition's details as admins edit them: title, year, respondents' deadline and the help contact
 * named in the invitation and reminder e-mails. Allowed while the edition lifecycle allows
 * "settings" (not once published); each change is audited (the deadline as its own entry, so the
 * audit trail keeps showing deadline changes as before). Edits may carry the revision the editor saw
 * (`baseRevision`, the page always sends it): a stale one gets 409 `stale_revision` and nothing is
 * written.
 *
 * The deadline feeds, at the moment they run: the respondents' gate (editionLifecycle), the overdue
 * flags of the queues, the reminders planned by the schedule (server/mail/schedule.ts: one set per
 * deadline, so a moved deadline gets its own reminders) and the reminders jobs (a scheduled job
 * planned for an earlier deadline sends nothing: server/jobs/reminders.ts).
 */
import mongoose from 'mongoose';
import { EditionModel } from '../models/edition.js';
import { HttpProblem, conflict, type FieldError } from '../http/problem.js';
import { assertAllows, loadEdition } from './editionLifecycle.js';
import { record, type Actor } from './audit.js';

export interface HelpContact {
  name: string | null;
  email: string | null;
  phone: string | null;
}

export interface EditionDetails {
  editionId: string;
  title: string;
  year: number;
  status: string;
  deadline: Date | null;
  help: HelpContact;
  revision: number;
}

export interface DetailsChange {
  title?: string;
  year?: number;
  /** null removes it. */
  deadline?: Date | null;
  /** Each part: null or "" clears it. */
  help?: { name?: string | null; email?: string | null; phone?: string | null } | null;
}

export const DETAIL_FIELD_LABELS: Record<string, string> = {
  title: 'Título de la edición',
  year: 'Año',
  deadline: 'Fecha límite para responder',
  'help.name': 'Nombre de quien atiende dudas',
  'help.email': 'Correo para dudas',
  'help.phone': 'Teléfono para dudas',
  reason: 'Motivo del cambio',
};

type EditionLike = { editionId: string; title: string; year: number; status: string; deadline?: Date | null; help?: { name?: string | null; email?: string | null; phone?: string | null } | null; settingsRevision?: number | null };

export function editionDetails(edition: EditionLike): EditionDetails {
  return {
    editionId: edition.editionId,
    title: edition.title,
    year: edition.year,
    status: edition.status,
    deadline: edition.deadline ?? null,
    help: { name: edition.help?.name || null, email: edition.help?.email || null, phone: edition.help?.phone || null },
    revision: edition.settingsRevision ?? 0,
  };
}

const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
const PHONE = /^[0-9+()\-.\s]{7,40}(\s*(ext\.?|extensión)\s*[0-9]{1,6})?$/i;

function fieldError(field: string, value: unknown, reason: string, code: string, message: string): FieldError {
  return { field, value, reason, code, message };
}

/** Checks and normalises a change; throws 400 naming every bad field. */
function normalise(change: DetailsChange, reason: string): { set: Partial<EditionDetails>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const set: Partial<EditionDetails> = {};
  if (change.title !== undefined) {
    const title = String(change.title).trim().replace(/\s+/g, ' ');
    if (title.length < 3) errors.push(fieldError('title', change.title, 'at least 3 characters', 'min_length', 'debe tener al menos 3 caracteres'));
    else if (title.length > 200) errors.push(fieldError('title', change.title, 'at most 200 characters', 'max_length', 'debe tener como máximo 200 caracteres'));
    else set.title = title;
  }
  if (change.year !== undefined) {
    if (!Number.isInteger(change.year) || change.year < 2000 || change.year > 2100) errors.push(fieldError('year', change.year, 'a whole number from 2000 to 2100', 'range', 'escriba un año de 2000 a 2100'));
    else set.year = change.year;
  }
  if (change.deadline !== undefined) {
    if (change.deadline !== null && Number.isNaN(change.deadline.getTime())) errors.push(fieldError('deadline', null, 'not a date and time', 'format', 'escriba la fecha y la hora'));
    else set.deadline = change.deadline;
  }
  if (change.help !== undefined) {
    const help = change.help ?? {};
    const text = (v: string | null | undefined) => (v ?? '').trim();
    const name = text(help.name);
    const email = text(help.email).toLowerCase();
    const phone = text(help.phone);
    if (name.length > 200) errors.push(fieldError('help.name', help.name, 'at most 200 characters', 'max_length', 'debe tener como máximo 200 caracteres'));
    if (email && (!EMAIL.test(email) || email.length > 254)) errors.push(fieldError('help.email', help.email, 'not an e-mail address', 'pattern', 'escriba una dirección de correo válida, como dudas@institucion.gob.mx'));
    if (phone && !PHONE.test(phone)) errors.push(fieldError('help.phone', help.phone, 'digits, spaces, +, -, parentheses and an optional extension, 7 to 40 characters', 'pattern', 'escriba un teléfono con cifras, por ejemplo 55 5004 2400 ext. 1234'));
    set.help = { name: name || null, email: email || null, phone: phone || null };
  }
  if (reason.length > 1000) errors.push(fieldError('reason', undefined, 'at most 1000 characters', 'max_length', 'debe tener como máximo 1000 caracteres'));
  return { set, errors };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export interface DetailsResult {
  details: EditionDetails;
  changed: string[];
}

export async function updateEditionDetails(editionId: string, change: DetailsChange, options: { actor: Actor; reason?: string; baseRevision?: number }): Promise<DetailsResult> {
  const reason = (options.reason ?? '').trim();
  const { set, errors } = normalise(change, reason);
  if (errors.length) throw new HttpProblem(400, 'Bad Request', `invalid edition details: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`, errors, { code: 'validation_failed' });
  let result: DetailsResult | undefined;
  await mongoose.connection.transaction(async (session) => {
    const edition = await loadEdition(editionId, session);
    assertAllows(edition, 'settings');
    const before = editionDetails(edition);
    if (options.baseRevision !== undefined && options.baseRevision !== before.revision) {
      throw conflict(`the edition's details changed meanwhile: revision ${before.revision}, the edit was based on ${options.baseRevision}; nothing was written`, {
        code: 'stale_revision',
        message: 'Alguien más cambió los datos de la edición mientras usted los editaba: no se guardó nada. Abajo están los datos guardados ahora; revise y vuelva a guardar sus cambios.',
        currentRevision: before.revision,
      });
    }
    const changed = (Object.keys(set) as (keyof EditionDetails)[]).filter((k) => !same(set[k], before[k]));
    if (changed.length === 0) {
      result = { details: before, changed: [] };
      return;
    }
    const $set: Record<string, unknown> = {};
    for (const key of changed) {
      if (key === 'help') {
        const help = set.help!;
        $set.help = Object.fromEntries(Object.entries(help).filter(([, v]) => v));
      } else $set[key] = set[key];
    }
    const written = await EditionModel.updateOne(
      { editionId, status: edition.status, settingsRevision: before.revision === 0 ? { $in: [0, null] } : before.revision },
      { $set, $inc: { settingsRevision: 1, workVersion: 1, ...((changed.includes('title') || changed.includes('year')) && { resultsVersion: 1 }) } },
      { session, runValidators: true },
    );
    if (written.modifiedCount !== 1) throw conflict(`edition "${editionId}" changed meanwhile; try again`, { code: 'stale_revision', message: 'La edición cambió mientras usted la editaba: no se guardó nada; vuelva a intentarlo.' });
    const after = { ...before, ...set };
    const at = new Date();
    if (changed.includes('deadline')) {
      await record({ action: 'edition.deadline', actor: options.actor, edition: editionId, oldValue: before.deadline, newValue: after.deadline, reason, at }, session);
    }
    const others = changed.filter((k) => k !== 'deadline');
    if (others.length) {
      await record(
        {
          action: 'edition.details',
          actor: options.actor,
          edition: editionId,
          summary: `Cambió: ${others.map((k) => (k === 'help' ? 'contacto para dudas' : DETAIL_FIELD_LABELS[k]!.toLowerCase())).join(', ')}`,
          oldValue: Object.fromEntries(others.map((k) => [k, before[k]])),
          newValue: Object.fromEntries(others.map((k) => [k, after[k]])),
          reason,
          at,
        },
        session,
      );
    }
    result = { details: { ...after, revision: before.revision + 1 }, changed };
  });
  return result!;
}

/** The address respondents write to for help: the edition's, else MGA_HELP_EMAIL, else the given fallback. */
export function helpContactOf(edition: EditionLike, settingsEmail: string | undefined, fallback: string): { email: string; name?: string; phone?: string } {
  return { email: edition.help?.email || settingsEmail || fallback, ...(edition.help?.name && { name: edition.help.name }), ...(edition.help?.phone && { phone: edition.help.phone }) };
}
