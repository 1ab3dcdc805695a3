/**
 * The edition's state machine and what each state allows. Every route and job asks here; no route
 * checks edition statuses by hand.
 *
 *   draft ──open──▶ collecting ──close──▶ review ──publish (preflight)──▶ published
 *                        ▲                  │  ▲                             │
 *                        └──reopen capture──┘  └────reopen publication───────┘
 *
 * Respondents save and submit only while collecting and before the deadline; review actions run
 * while collecting or in review; a published edition is read-only until an admin reopens its
 * publication with a reason. Work that depends on the state (a submission, a review action) takes
 * the edition's "work lock" inside its transaction: a conditional write on the edition document, so
 * that such work and a change of status cannot both commit on a stale status.
 */
import mongoose, { Types, type ClientSession } from 'mongoose';
import { EditionModel, EDITION_STATUSES, type EditionStatus } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { ResponseModel, type ResponseStatus } from '../models/response.js';
import { InstitutionResultModel } from '../models/result.js';
import { HttpProblem, badRequest, conflict, notFound } from '../http/problem.js';
import { record, type Actor } from './audit.js';
import { instrumentById } from './instruments.js';

export const EDITION_STATUS_LABELS: Record<EditionStatus, string> = {
  draft: 'En preparación',
  collecting: 'En captura',
  review: 'En revisión',
  published: 'Publicada',
};

/** Kinds of work whose permission depends on the edition's state. */
export type EditionWork = 'respond' | 'review' | 'sample' | 'results' | 'invite' | 'settings' | 'institutions';

const ALLOWED: Record<EditionWork, readonly EditionStatus[]> = {
  respond: ['collecting'],
  review: ['collecting', 'review'],
  sample: ['draft', 'collecting'],
  results: ['draft', 'collecting', 'review'],
  invite: ['draft', 'collecting', 'review'],
  settings: ['draft', 'collecting', 'review'],
  institutions: ['draft', 'collecting', 'review'],
};

/**
 * States in which allowed work still needs a reason (recorded in the audit trail): editing or
 * removing an institution is free while the edition is being prepared, and needs a reason once
 * the institutions may have been invited or may have answered.
 */
const NEEDS_REASON: Partial<Record<EditionWork, readonly EditionStatus[]>> = {
  institutions: ['collecting', 'review'],
};

/** Whether `work` in the edition's current state needs a reason. */
export function needsReason(edition: { status: string }, work: EditionWork): boolean {
  return (NEEDS_REASON[work] ?? []).includes(edition.status as EditionStatus);
}

const WORK_NAMES: Record<EditionWork, { en: string; es: string }> = {
  respond: { en: 'answers can be saved and submitted', es: 'se pueden guardar y enviar respuestas' },
  review: { en: 'answers can be reviewed', es: 'se pueden revisar respuestas y llenar bitácoras' },
  sample: { en: 'the sample can be imported', es: 'se puede importar la muestra' },
  results: { en: 'results can be imported', es: 'se pueden importar resultados' },
  invite: { en: 'invitations can be issued or revoked', es: 'se pueden emitir o revocar invitaciones' },
  settings: { en: 'the edition can be changed', es: 'se puede cambiar la edición' },
  institutions: { en: 'institutions can be edited or removed', es: 'se pueden editar ni quitar sujetos obligados' },
};

export interface EditionState {
  editionId: string;
  status: string;
  deadline?: Date | null;
}

const mexicoDateTime = new Intl.DateTimeFormat('es-MX', { dateStyle: 'long', timeStyle: 'short', timeZone: 'America/Mexico_City' });

export function formatDeadline(deadline: Date): string {
  return `${mexicoDateTime.format(deadline)} (hora del centro de México)`;
}

/** Why `work` is not possible now, as a 409 problem with a code and a Spanish message; undefined when it is. */
export function refusal(edition: EditionState, work: EditionWork, now = new Date()): HttpProblem | undefined {
  const status = edition.status as EditionStatus;
  const allowed = ALLOWED[work];
  const statusEs = EDITION_STATUS_LABELS[status] ?? status;
  if (!allowed.includes(status)) {
    const message =
      work === 'respond'
        ? status === 'draft'
          ? 'La captura de esta edición todavía no se abre: por ahora no se pueden guardar ni enviar respuestas.'
          : 'La captura de esta edición ya cerró: sus respuestas se pueden consultar, pero ya no se pueden cambiar ni enviar.'
        : status === 'published'
          ? `La edición está publicada y no se puede cambiar. Para corregirla, la administración debe reabrir la publicación e indicar el motivo.`
          : `La edición está «${statusEs}»: en este estado no ${WORK_NAMES[work].es}.`;
    return conflict(`edition "${edition.editionId}" is ${status}: ${WORK_NAMES[work].en} only while it is ${allowed.join(' or ')}`, {
      code: status === 'published' ? 'edition_published' : 'edition_state',
      message,
      editionStatus: status,
    });
  }
  if (work === 'respond' && edition.deadline && edition.deadline.getTime() <= now.getTime()) {
    return conflict(`the deadline of edition "${edition.editionId}" passed at ${edition.deadline.toISOString()}`, {
      code: 'deadline_passed',
      message: `El plazo para responder venció el ${formatDeadline(edition.deadline)}: sus respuestas se pueden consultar, pero ya no se pueden cambiar ni enviar.`,
      deadline: edition.deadline.toISOString(),
    });
  }
  return undefined;
}

export function allows(edition: EditionState, work: EditionWork, now = new Date()): boolean {
  return refusal(edition, work, now) === undefined;
}

/** Throws the refusal (409, Spanish message for pages) when `work` is not possible now. */
export function assertAllows(edition: EditionState, work: EditionWork, now = new Date()): void {
  const problem = refusal(edition, work, now);
  if (problem) throw problem;
}

/** Published editions are the public ones (results pages, public API, reports). */
export function isPublic(edition: { status: string }): boolean {
  return edition.status === 'published';
}

/** The filter of public editions, for listing them. */
export const PUBLIC_EDITIONS = { status: 'published' } as const;

export async function loadEdition(editionId: string, session?: ClientSession) {
  const edition = await EditionModel.findOne({ editionId: String(editionId) }).session(session ?? null).lean();
  if (!edition) throw notFound(`edition "${editionId}" does not exist`);
  return edition;
}

/**
 * Inside a transaction: checks that `work` is allowed and writes the edition's work version, so a
 * concurrent change of status conflicts with this transaction (one of them is retried and sees the
 * other's result). Returns the edition.
 */
export async function lockForWork(editionId: string, work: EditionWork, session: ClientSession, now = new Date()) {
  const filter: Record<string, unknown> = { editionId, status: { $in: ALLOWED[work] } };
  if (work === 'respond') filter.$or = [{ deadline: null }, { deadline: { $gt: now } }];
  const edition = await EditionModel.findOneAndUpdate(filter, { $inc: { workVersion: 1 } }, { session, returnDocument: 'after', timestamps: false }).lean();
  if (edition) return edition;
  const current = await loadEdition(editionId, session);
  throw refusal(current, work, now) ?? conflict(`edition "${editionId}" changed; try again`, { code: 'edition_state' });
}

// ---- the state machine ----

export interface Transition {
  from: EditionStatus;
  to: EditionStatus;
  /** The button people press. */
  label: string;
  /** A sentence on what it does. */
  help: string;
  needsReason: boolean;
  /** Publishing runs the preflight. */
  preflight?: boolean;
}

export const TRANSITIONS: readonly Transition[] = [
  { from: 'draft', to: 'collecting', label: 'Abrir la captura', help: 'Los sujetos obligados podrán guardar y enviar sus respuestas.', needsReason: false },
  { from: 'collecting', to: 'review', label: 'Cerrar la captura y pasar a revisión', help: 'Nadie podrá guardar ni enviar respuestas; la evaluación termina de revisar.', needsReason: false },
  { from: 'review', to: 'collecting', label: 'Reabrir la captura', help: 'Los sujetos obligados podrán volver a guardar y enviar respuestas.', needsReason: true },
  { from: 'review', to: 'published', label: 'Publicar resultados', help: 'Los resultados aparecen en las páginas públicas; la edición ya no se puede cambiar.', needsReason: false, preflight: true },
  { from: 'published', to: 'review', label: 'Reabrir publicación', help: 'Los resultados salen de las páginas públicas hasta que se publique de nuevo.', needsReason: true },
];

export function transitionsFrom(status: string): readonly Transition[] {
  return TRANSITIONS.filter((t) => t.from === status);
}

export interface PreflightInstitution {
  id: string;
  name: string;
  entity: string;
  status: ResponseStatus | 'none';
  statusLabel: string;
}

export interface PreflightBlocker {
  code: 'no_institutions' | 'pending_review' | 'not_approved';
  /** Spanish, for the page: a short heading and the sentence that says what to do. */
  heading: string;
  message: string;
  detail: string;
  institutions: PreflightInstitution[];
}

export interface Preflight {
  edition: string;
  status: EditionStatus;
  ready: boolean;
  counts: { institutions: number; approved: number; imported: number; excluded: number; withoutScore: number };
  blockers: PreflightBlocker[];
  /** Institutions with a decision to publish without their answers, for the page. */
  decisions: (PreflightInstitution & { decision: string; decisionLabel: string; reason: string })[];
}

const RESPONSE_LABELS: Record<ResponseStatus | 'none', string> = {
  none: 'Sin iniciar',
  draft: 'En captura',
  submitted: 'Enviado, por revisar',
  returned: 'Devuelto con comentarios',
  approved: 'Aprobado',
};

export const DECISION_LABELS = { excluded: 'Excluido de los resultados', withoutScore: 'Se publica sin calificación' } as const;

/**
 * What blocks publishing: every institution must be approved, have imported results, be excluded
 * with a reason, or be published explicitly without a score; no submission may wait for review.
 */
export async function preflight(editionId: string, session?: ClientSession): Promise<Preflight> {
  const edition = await loadEdition(editionId, session);
  const own = (edition.instruments ?? []).map((i) => instrumentById(i.id)).find((i) => i.audience === 'institution');
  const [institutions, responses, imported] = await Promise.all([
    InstitutionModel.find({ scope: editionId }, { name: 1, entity: 1, publication: 1, entityCode: 1, normalizedName: 1 })
      .sort({ entityCode: 1, normalizedName: 1 })
      .session(session ?? null)
      .lean(),
    own
      ? ResponseModel.find({ edition: editionId, 'questionnaire.id': own.id }, { institution: 1, status: 1 }).session(session ?? null).lean()
      : Promise.resolve([]),
    InstitutionResultModel.find({ edition: editionId, 'source.kind': 'import' }, { institution: 1 }).session(session ?? null).lean(),
  ]);
  const statusOf = new Map(responses.map((r) => [String(r.institution), r.status as ResponseStatus]));
  const importedIds = new Set(imported.map((r) => String(r.institution)));
  const view = (i: (typeof institutions)[number]): PreflightInstitution => {
    const status = statusOf.get(String(i._id)) ?? 'none';
    return { id: String(i._id), name: i.name, entity: i.entity, status, statusLabel: RESPONSE_LABELS[status] };
  };
  const pending: PreflightInstitution[] = [];
  const notApproved: PreflightInstitution[] = [];
  const decisions: Preflight['decisions'] = [];
  const counts = { institutions: institutions.length, approved: 0, imported: 0, excluded: 0, withoutScore: 0 };
  for (const institution of institutions) {
    const v = view(institution);
    if (v.status === 'submitted') pending.push(v);
    const decision = institution.publication?.decision as keyof typeof DECISION_LABELS | undefined;
    if (decision) {
      counts[decision] += 1;
      decisions.push({ ...v, decision, decisionLabel: DECISION_LABELS[decision], reason: institution.publication?.reason ?? '' });
    } else if (v.status === 'approved') counts.approved += 1;
    else if (importedIds.has(v.id)) counts.imported += 1;
    else if (v.status !== 'submitted') notApproved.push(v);
  }
  const blockers: PreflightBlocker[] = [];
  if (institutions.length === 0) {
    blockers.push({ code: 'no_institutions', heading: 'Sin sujetos obligados', message: 'La edición no tiene sujetos obligados: importe la muestra primero.', detail: 'the edition has no institutions', institutions: [] });
  }
  if (pending.length) {
    blockers.push({
      code: 'pending_review',
      heading: 'Envíos que esperan revisión',
      message: pending.length === 1 ? 'Un envío espera revisión: apruébelo o devuélvalo.' : `${pending.length} envíos esperan revisión: apruébelos o devuélvalos.`,
      detail: `${pending.length} submission(s) wait for review`,
      institutions: pending,
    });
  }
  if (notApproved.length) {
    blockers.push({
      code: 'not_approved',
      heading: 'Sujetos obligados sin respuestas aprobadas',
      message:
        notApproved.length === 1
          ? 'Un sujeto obligado no tiene respuestas aprobadas: apruébelas, o exclúyalo de los resultados o publíquelo sin calificación, con el motivo.'
          : `${notApproved.length} sujetos obligados no tienen respuestas aprobadas: apruebe sus respuestas, o exclúyalos de los resultados o publíquelos sin calificación, con el motivo.`,
      detail: `${notApproved.length} institution(s) are neither approved, excluded nor published without a score`,
      institutions: notApproved,
    });
  }
  return { edition: editionId, status: edition.status as EditionStatus, ready: blockers.length === 0, counts, blockers, decisions };
}

/** Changes an edition's status along the machine; publishing runs the preflight; recorded in the audit trail. */
export async function changeStatus(editionId: string, to: EditionStatus, options: { actor: Actor; reason?: string }) {
  if (!EDITION_STATUSES.includes(to)) {
    throw badRequest(`status must be one of ${EDITION_STATUSES.join(', ')}`, [{ field: 'status', value: to, reason: 'unknown status' }]);
  }
  const reason = (options.reason ?? '').trim();
  let result: { from: EditionStatus; to: EditionStatus } | undefined;
  await mongoose.connection.transaction(async (session) => {
    const edition = await loadEdition(editionId, session);
    const from = edition.status as EditionStatus;
    const transition = TRANSITIONS.find((t) => t.from === from && t.to === to);
    if (!transition) {
      const possible = transitionsFrom(from).map((t) => t.to);
      throw conflict(`edition "${editionId}" cannot go from ${from} to ${to}; from ${from} it can go to ${possible.join(', ') || 'nothing'}`, {
        code: 'invalid_transition',
        message: `La edición está «${EDITION_STATUS_LABELS[from]}» y no puede pasar a «${EDITION_STATUS_LABELS[to]}».`,
      });
    }
    if (transition.needsReason && reason.length < 3) {
      throw badRequest('say why (reason)', [{ field: 'reason', reason: 'indique el motivo del cambio' }]);
    }
    if (reason.length > 1000) throw badRequest('the reason is too long', [{ field: 'reason', reason: 'a lo más 1000 caracteres' }]);
    if (transition.preflight) {
      const check = await preflight(editionId, session);
      if (!check.ready) {
        throw conflict(`edition "${editionId}" cannot be published yet: ${check.blockers.map((b) => b.detail).join('; ')}`, {
          code: 'preflight_failed',
          message: `Todavía no se puede publicar: ${check.blockers.map((b) => b.message).join(' ')}`,
          blockers: check.blockers.map((b) => ({ code: b.code, detail: b.detail, institutions: b.institutions.map((i) => i.id) })),
        });
      }
    }
    const now = new Date();
    const updated = await EditionModel.updateOne(
      { editionId, status: from },
      { $set: { status: to, ...(to === 'published' && { publishedAt: now }) }, $inc: { workVersion: 1 } },
      { session },
    );
    if (updated.modifiedCount !== 1) throw conflict(`edition "${editionId}" changed meanwhile; try again`, { code: 'edition_state' });
    await record(
      {
        action: from === 'published' ? 'edition.publication' : 'edition.status',
        actor: options.actor,
        edition: editionId,
        summary: `${EDITION_STATUS_LABELS[from]} → ${EDITION_STATUS_LABELS[to]}`,
        oldValue: from,
        newValue: to,
        reason,
        at: now,
      },
      session,
    );
    result = { from, to };
  });
  return result!;
}

/** Sets or clears the respondents' deadline (an instant); recorded in the audit trail. */
export async function setDeadline(editionId: string, deadline: Date | null, actor: Actor) {
  await mongoose.connection.transaction(async (session) => {
    const edition = await loadEdition(editionId, session);
    assertAllows(edition, 'settings');
    const before = edition.deadline ?? null;
    await EditionModel.updateOne({ editionId, status: edition.status }, { $set: { deadline }, $inc: { workVersion: 1, settingsRevision: 1 } }, { session });
    await record({ action: 'edition.deadline', actor, edition: editionId, oldValue: before, newValue: deadline }, session);
  });
}

export type PublicationDecision = 'excluded' | 'withoutScore' | 'none';

/** An admin's decision to publish the edition without an institution's approved answers, with the reason. */
export async function setPublicationDecision(editionId: string, institutionId: string, decision: PublicationDecision, reason: string, actor: Actor) {
  if (!Types.ObjectId.isValid(institutionId)) throw notFound('no such institution');
  const text = reason.trim();
  if (decision !== 'none' && text.length < 3) throw badRequest('say why (reason)', [{ field: 'reason', reason: 'indique el motivo de la decisión' }]);
  if (text.length > 1000) throw badRequest('the reason is too long', [{ field: 'reason', reason: 'a lo más 1000 caracteres' }]);
  await mongoose.connection.transaction(async (session) => {
    const edition = await loadEdition(editionId, session);
    assertAllows(edition, 'review');
    const institution = await InstitutionModel.findOne({ _id: institutionId, scope: editionId }, { publication: 1, name: 1 }).session(session).lean();
    if (!institution) throw notFound(`institution "${institutionId}" is not part of edition "${editionId}"`);
    const update =
      decision === 'none'
        ? { $unset: { publication: 1 } }
        : { $set: { publication: { decision, reason: text, by: actor.label, at: new Date() } } };
    await InstitutionModel.updateOne({ _id: institution._id }, update, { session, runValidators: true });
    await EditionModel.updateOne({ editionId }, { $inc: { workVersion: 1, resultsVersion: 1 } }, { session });
    await record(
      {
        action: 'institution.publication',
        actor,
        edition: editionId,
        institution: institution._id,
        oldValue: institution.publication?.decision ?? null,
        newValue: decision === 'none' ? null : decision,
        summary: decision === 'none' ? 'Sin decisión: se publica con sus respuestas aprobadas' : DECISION_LABELS[decision],
        reason: text,
      },
      session,
    );
  });
}
