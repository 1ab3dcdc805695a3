/**
 * Answers of an edition's questionnaires: drafts, submission, review (return with per-item comments,
 * approval), the evaluators' citizen-perspective logs, the audit trail of changes after a first
 * submission, and the score computed from approved answers.
 */
import mongoose, { Types } from 'mongoose';
import { ResponseModel, AuditEntryModel, type ResponseStatus } from '../models/response.js';
import { InstitutionModel } from '../models/institution.js';
import { ScoreModel } from '../models/result.js';
import { HttpProblem, badRequest, notFound, type FieldError } from '../http/problem.js';
import { instrumentById, itemLabels, type Instrument } from './instruments.js';
import { findEdition, removeQuestionnaireScore, storeInstitutionScore } from './results.js';
import { variablesFromAnswers } from '../../questionnaires/answers.js';
import { progress, validateAnswers } from '../../questionnaires/engine.js';

export interface Actor {
  kind: 'respondent' | 'user';
  id: string;
  label: string;
}

export type Answers = Record<string, unknown>;

export const STATUS_LABELS: Record<ResponseStatus | 'none', string> = {
  none: 'Sin iniciar',
  draft: 'En captura',
  submitted: 'Enviado, por revisar',
  returned: 'Devuelto con comentarios',
  approved: 'Aprobado',
};

async function institutionOf(editionId: string, institutionId: string) {
  if (!Types.ObjectId.isValid(institutionId)) throw notFound('no such institution');
  const institution = await InstitutionModel.findOne({ _id: institutionId, scope: editionId }).lean();
  if (!institution) throw notFound(`institution "${institutionId}" is not part of edition "${editionId}"`);
  return institution;
}

/** The edition's instrument for an audience ("institution" answers itself; "evaluator" fills the citizen logs). */
export async function editionInstrument(editionId: string, audience: Instrument['audience']): Promise<Instrument> {
  const edition = await findEdition(editionId);
  const instrument = edition.instruments.map((i) => instrumentById(i.id)).find((i) => i.audience === audience);
  if (!instrument) throw notFound(`edition "${editionId}" has no ${audience} questionnaire`);
  return instrument;
}

export async function loadResponse(editionId: string, institutionId: string, instrument: Instrument) {
  const institution = await institutionOf(editionId, institutionId);
  const response = await ResponseModel.findOne({ edition: editionId, institution: institution._id, 'questionnaire.id': instrument.id }).lean();
  const answers = (response?.answers ?? {}) as Answers;
  const context = { institution: { type: institution.type, level: institution.level } };
  return {
    institution,
    response,
    status: (response?.status ?? 'draft') as ResponseStatus,
    answers,
    context,
    progress: progress(instrument.definition, answers, context),
  };
}

function answerErrors(errors: readonly { item: string; reason: string }[]): FieldError[] {
  return errors.map((e) => ({ field: e.item, reason: e.reason }));
}

/** Items whose value differs between two answer sets (deep, by JSON). */
function changedItems(before: Answers, after: Answers): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)).sort();
}

export interface SaveOptions {
  actor: Actor;
  /** Required once the answers were first submitted: it goes into the audit trail. */
  reason?: string;
  /** Statuses in which this actor may change the answers. */
  editableIn: readonly ResponseStatus[];
  mode: 'draft' | 'submit';
  /** Status after a successful save. */
  nextStatus?: ResponseStatus;
}

/**
 * Validates and stores answers; nothing is written when any item is invalid. After a first
 * submission each changed item gets an append-only audit entry with the reason, in the same transaction.
 */
export async function saveAnswers(editionId: string, institutionId: string, instrument: Instrument, input: unknown, options: SaveOptions) {
  const current = await loadResponse(editionId, institutionId, instrument);
  if (!options.editableIn.includes(current.status)) {
    throw new HttpProblem(409, 'Conflict', `the answers are ${current.status} and cannot be changed now`);
  }
  const checked = validateAnswers(instrument.definition, input, { ...current.context, mode: options.mode });
  if (!checked.ok) throw badRequest(options.mode === 'submit' ? 'the answers cannot be submitted yet' : 'some answers are invalid', answerErrors(checked.errors));
  const answers = checked.answers as Answers;
  const changed = changedItems(current.answers, answers);
  const audited = Boolean(current.response?.firstSubmittedAt) && changed.length > 0;
  const reason = typeof options.reason === 'string' ? options.reason.trim() : '';
  if (audited && !reason) throw badRequest('say why the answers change after their submission', [{ field: 'reason', reason: 'indique el motivo: las respuestas ya se habían enviado' }]);
  if (reason.length > 1000) throw badRequest('the reason is too long', [{ field: 'reason', reason: 'a lo más 1000 caracteres' }]);

  const now = new Date();
  const nextStatus = options.nextStatus ?? current.status;
  await mongoose.connection.transaction(async (session) => {
    await ResponseModel.updateOne(
      { edition: editionId, institution: current.institution._id, 'questionnaire.id': instrument.id },
      {
        $set: {
          answers,
          status: nextStatus,
          questionnaire: { id: instrument.id, hash: instrument.hash },
          ...(nextStatus === 'submitted' && { submittedAt: now, ...(current.response?.firstSubmittedAt ? {} : { firstSubmittedAt: now }) }),
          ...(nextStatus === 'approved' && !current.response?.firstSubmittedAt && { firstSubmittedAt: now }),
        },
      },
      { upsert: true, session },
    );
    if (audited) {
      await AuditEntryModel.insertMany(
        changed.map((item) => ({
          edition: editionId,
          institution: current.institution._id,
          questionnaire: instrument.id,
          item,
          oldValue: current.answers[item] ?? null,
          newValue: answers[item] ?? null,
          reason,
          actor: options.actor,
          at: now,
        })),
        { session },
      );
    }
  });
  return { status: nextStatus, changed, audited };
}

export interface ReviewComment {
  item: string;
  comment: string;
}

/** Returns submitted answers to the institution with at least one per-item comment. */
export async function returnResponse(editionId: string, institutionId: string, instrument: Instrument, comments: ReviewComment[], actor: Actor) {
  const current = await loadResponse(editionId, institutionId, instrument);
  if (current.status !== 'submitted') throw new HttpProblem(409, 'Conflict', `only submitted answers can be returned; these are ${current.status}`);
  const itemIds = new Set(Object.entries(itemLabels(instrument)).filter(([, item]) => !item.child).map(([id]) => id));
  const errors: FieldError[] = [];
  comments.forEach((c, i) => {
    if (!itemIds.has(c.item)) errors.push({ field: `comments[${i}].item`, value: c.item, reason: 'unknown item' });
    if (!c.comment.trim()) errors.push({ field: `comments[${i}].comment`, reason: 'the comment is empty' });
  });
  if (comments.length === 0) errors.push({ field: 'comments', reason: 'return the answers with at least one comment' });
  if (errors.length) throw badRequest('invalid review comments', errors);
  const now = new Date();
  await ResponseModel.updateOne(
    { _id: current.response!._id },
    { $set: { status: 'returned', reviewedAt: now, comments: comments.map((c) => ({ item: c.item, comment: c.comment.trim(), by: actor.label, at: now })) } },
  );
}

/** Approves submitted answers and recomputes the institution's score. */
export async function approveResponse(editionId: string, institutionId: string, instrument: Instrument) {
  const current = await loadResponse(editionId, institutionId, instrument);
  if (current.status !== 'submitted') throw new HttpProblem(409, 'Conflict', `only submitted answers can be approved; these are ${current.status}`);
  await ResponseModel.updateOne({ _id: current.response!._id }, { $set: { status: 'approved', reviewedAt: new Date(), comments: [] } });
  return recomputeScore(editionId, institutionId);
}

/**
 * The methodology variables from the institution's approved answers and approved (complete) citizen
 * logs, explained item by item; undefined when nothing is approved yet.
 */
async function approvedVariables(editionId: string, institutionId: string) {
  const edition = await findEdition(editionId);
  const institution = await institutionOf(editionId, institutionId);
  const approved = await ResponseModel.find({ edition: editionId, institution: institution._id, status: 'approved' }).lean();
  const answersById = Object.fromEntries(approved.map((r) => [r.questionnaire.id, r.answers as Answers]));
  const used = edition.instruments.map((i) => instrumentById(i.id)).filter((i) => i.id in answersById);
  const variables = used.length
    ? variablesFromAnswers(used.map((i) => i.definition), answersById, { institution: { type: institution.type, level: institution.level } })
    : undefined;
  return { institution, variables };
}

/**
 * The institution's score from its approved answers and approved (complete) citizen logs, through
 * the scoring engine; variables without approved answers stay missing, never invented.
 */
export async function recomputeScore(editionId: string, institutionId: string) {
  const { institution, variables } = await approvedVariables(editionId, institutionId);
  if (!variables) {
    // Nothing approved any more (complete logs reopened as a draft): no score may outlive its inputs.
    await removeQuestionnaireScore(editionId, institution._id);
    return undefined;
  }
  const score = await storeInstitutionScore(editionId, institution._id, variables.values, { kind: 'questionnaire' });
  return { score, variables };
}

export async function auditTrail(editionId: string, institutionId: string) {
  const institution = await institutionOf(editionId, institutionId);
  return AuditEntryModel.find({ edition: editionId, institution: institution._id }).sort({ at: 1 }).lean();
}

export type QueueStatus = ResponseStatus | 'none';

export interface QueueRow {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
  /** The institution's own questionnaire. */
  answers: QueueStatus;
  answersLabel: string;
  submittedAt?: Date;
  /** The evaluators' citizen-perspective logs ("approved" once marked complete). */
  logs: QueueStatus;
  logsLabel: string;
  GA?: number;
}

/**
 * Every institution of the edition with the state of its answers and of its citizen logs; the
 * review queue puts submitted answers first, oldest submission first.
 */
export async function reviewQueue(editionId: string): Promise<QueueRow[]> {
  const edition = await findEdition(editionId);
  const instruments = edition.instruments.map((i) => instrumentById(i.id));
  const own = instruments.find((i) => i.audience === 'institution')?.id;
  const logs = instruments.find((i) => i.audience === 'evaluator')?.id;
  const [institutions, responses, scores] = await Promise.all([
    InstitutionModel.find({ scope: editionId }, { name: 1, entity: 1, type: 1, level: 1, entityCode: 1, normalizedName: 1 }).sort({ entityCode: 1, normalizedName: 1 }).lean(),
    ResponseModel.find({ edition: editionId }, { institution: 1, questionnaire: 1, status: 1, submittedAt: 1 }).lean(),
    ScoreModel.find({ edition: editionId }, { institution: 1, nodes: 1 }).lean(),
  ]);
  const byKey = new Map(responses.map((r) => [`${String(r.institution)}|${r.questionnaire.id}`, r]));
  const gaOf = new Map(scores.map((s) => [String(s.institution), (s.nodes as Record<string, { value: number }> | undefined)?.GA?.value]));
  const rows = institutions.map((institution): QueueRow => {
    const id = String(institution._id);
    const mine = own ? byKey.get(`${id}|${own}`) : undefined;
    const log = logs ? byKey.get(`${id}|${logs}`) : undefined;
    const answers: QueueStatus = mine?.status ?? 'none';
    const logStatus: QueueStatus = log?.status ?? 'none';
    return {
      id,
      name: institution.name,
      entity: institution.entity,
      type: institution.type,
      level: institution.level,
      answers,
      answersLabel: STATUS_LABELS[answers],
      submittedAt: mine?.submittedAt ?? undefined,
      logs: logStatus,
      logsLabel: logStatus === 'approved' ? 'Completa' : logStatus === 'none' ? 'Sin iniciar' : 'En captura',
      GA: gaOf.get(id),
    };
  });
  const order = (row: QueueRow) => (row.answers === 'submitted' ? 0 : 1);
  return rows.sort((a, b) => order(a) - order(b) || (a.submittedAt?.getTime() ?? 0) - (b.submittedAt?.getTime() ?? 0));
}

/** Counts by status of the institutions' answers, and by entity, for the progress dashboard. */
export function progressDashboard(rows: readonly QueueRow[]) {
  const statuses: QueueStatus[] = ['none', 'draft', 'submitted', 'returned', 'approved'];
  const count = (list: readonly QueueRow[], status: QueueStatus) => list.filter((r) => r.answers === status).length;
  const entities = [...new Set(rows.map((r) => r.entity))].sort((x, y) => x.localeCompare(y, 'es')).map((entity) => {
    const list = rows.filter((r) => r.entity === entity);
    return {
      entity,
      total: list.length,
      counts: statuses.map((status) => ({ status, count: count(list, status) })),
      logsComplete: list.filter((r) => r.logs === 'approved').length,
      scored: list.filter((r) => r.GA !== undefined).length,
    };
  });
  return {
    total: rows.length,
    statuses: statuses.map((status) => ({ status, label: STATUS_LABELS[status], count: count(rows, status) })),
    logsComplete: rows.filter((r) => r.logs === 'approved').length,
    scored: rows.filter((r) => r.GA !== undefined).length,
    entities,
  };
}

/** The stored score (with its methodology hash) and which approved answers produced each variable. */
export async function scoreWithExplanation(editionId: string, institutionId: string) {
  const { institution, variables } = await approvedVariables(editionId, institutionId);
  const score = await ScoreModel.findOne({ edition: editionId, institution: institution._id }).lean();
  return { score, variables };
}
