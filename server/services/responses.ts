/**
 * Answers of an edition's questionnaires: drafts that keep every valid answer, submission with a
 * receipt, review (return with per-item comments, approval, reopening), the evaluators' citizen
 * logs. Every change goes through `transition` (responseStore.ts: status and revision in the filter)
 * and is recorded in the audit trail; submissions and review actions also take the edition's work
 * lock (editionLifecycle.ts), so none of them commits on a stale edition status.
 */
import mongoose, { type ClientSession } from 'mongoose';
import type { ResponseStatus } from '../models/response.js';
import { CounterModel } from '../models/counter.js';
import { HttpProblem, badRequest, type FieldError } from '../http/problem.js';
import { instrumentById as instrumentOf, itemLabels, type Instrument } from './instruments.js';
import { findEdition } from './results.js';
import { notFound } from '../http/problem.js';
import { assertAllows, lockForWork, type EditionWork } from './editionLifecycle.js';
import { record, type Actor, type ItemChange } from './audit.js';
import { recomputeScore } from './questionnaireScores.js';
import { ResponseModel } from '../models/response.js';
import { loadEdition } from './editionLifecycle.js';
import {
  cachedInstitution,
  checkInstrument,
  keyFilter,
  loadResponse,
  revisionOf,
  staleConflict,
  stateConflict,
  transition,
  type Answers,
  type LoadedResponse,
} from './responseStore.js';
import { EVIDENCE_SUFFIX, ROW_KEY, progress, validateAnswers, type AnswerError } from '../../questionnaires/engine.js';
import { applyLogFiles, postedRowKeys, withRowKeys, withoutRowKeys, type LogFileChanges, type LogFilesOutcome } from './logEvidence.js';
import { discardDetached } from '../files/evidence.js';

export { STATUS_LABELS, loadResponse, type Answers, type LoadedResponse } from './responseStore.js';
export { recomputeScore, scoreWithExplanation } from './questionnaireScores.js';
export type { Actor } from './audit.js';

/**
 * An edition's instruments never change once it exists, so they are kept for a few seconds: a
 * background save then reads the edition once (in loadResponse, which also checks that the
 * instrument is still the edition's, so a stale entry can never be used for a write).
 */
const instrumentCache = new Map<string, { at: number; ids: string[] }>();
const INSTRUMENT_CACHE_MS = 10_000;

/** The edition's instrument for an audience ("institution" answers itself; "evaluator" fills the citizen logs). */
export async function editionInstrument(editionId: string, audience: Instrument['audience']): Promise<Instrument> {
  let cached = instrumentCache.get(editionId);
  if (!cached || Date.now() - cached.at > INSTRUMENT_CACHE_MS) {
    const edition = await findEdition(editionId);
    cached = { at: Date.now(), ids: edition.instruments.map((i) => i.id) };
    instrumentCache.set(editionId, cached);
  }
  const instrument = cached.ids.map((id) => instrumentOf(id)).find((i) => i.audience === audience);
  if (!instrument) throw notFound(`edition "${editionId}" has no ${audience} questionnaire`);
  return instrument;
}


function answerErrors(errors: readonly AnswerError[]): FieldError[] {
  return errors.map((e) => ({ field: e.item, reason: e.reason }));
}

/** Items whose value differs between two answer sets (deep, by JSON). */
export function changedItems(before: Answers, after: Answers): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)).sort();
}

/** Question texts for audit entries: "aiUnit" → its label, "tpUrl:evidence" → "… (evidencia)". */
function labelOf(instrument: Instrument, item: string): string | undefined {
  const labels = itemLabels(instrument);
  const base = item.endsWith(EVIDENCE_SUFFIX) ? item.slice(0, -EVIDENCE_SUFFIX.length) : item;
  const label = labels[base]?.label;
  return label && base !== item ? `${label} (evidencia)` : label;
}

function itemChanges(instrument: Instrument, before: Answers, after: Answers, items: readonly string[], reasons?: ReadonlyMap<string, string>): ItemChange[] {
  return items.map((item) => ({ item, label: labelOf(instrument, item), oldValue: before[item] ?? null, newValue: after[item] ?? null, reason: reasons?.get(item) }));
}

/** Top-level items with an answer (evidence links count with their item). */
export function answeredCount(answers: Answers): number {
  return Object.keys(answers).filter((k) => !k.endsWith(EVIDENCE_SUFFIX)).length;
}

/** The stored answers with the keys of `scope` (and any posted key) taken from the posted ones. */
export function withinScope(stored: Answers, input: unknown, scope: readonly string[]): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const kept: Answers = {};
  const inScope = new Set(scope);
  for (const [key, value] of Object.entries(stored)) if (!inScope.has(key) && !inScope.has(baseItem(key))) kept[key] = value;
  return { ...kept, ...(input as Answers) };
}

/**
 * The stored answers after a partial save: every valid answer as posted, and for each invalid one
 * the value stored before (an invalid value never erases a good one). Errors inside group rows keep
 * the stored cell of the same row.
 */
function mergeKeepingInvalid(valid: Answers, stored: Answers, errors: readonly AnswerError[], rowOrigins: ReadonlyMap<string, readonly number[]>): Answers {
  const merged: Answers = { ...valid };
  for (const error of errors) {
    const match = /^([A-Za-z0-9_]+(?::evidence)?)(?:\[(\d+)\](?:\.([A-Za-z0-9_]+(?::evidence)?))?)?$/.exec(error.item);
    if (!match) continue;
    const [, top, index, child] = match as unknown as [string, string, string | undefined, string | undefined];
    if (index === undefined) {
      if (Object.hasOwn(stored, top)) merged[top] = stored[top];
      else delete merged[top];
      continue;
    }
    const storedRows = Array.isArray(stored[top]) ? (stored[top] as Record<string, unknown>[]) : [];
    const origins = rowOrigins.get(top) ?? [];
    const rows = Array.isArray(merged[top]) ? [...(merged[top] as Record<string, unknown>[])] : [];
    const at = origins.indexOf(Number(index));
    // A row with a key (ROW_KEY) is the stored row of the same key; otherwise the one at its position.
    const key = at >= 0 ? rows[at]?.[ROW_KEY] : undefined;
    const storedRow = (key !== undefined && storedRows.find((row) => row[ROW_KEY] === key)) || storedRows[Number(index)];
    if (!storedRow) continue;
    if (child === undefined) {
      // The whole row was not a row: keep the stored one in its place.
      if (at < 0) rows.splice(Math.min(Number(index), rows.length), 0, storedRow);
    } else if (Object.hasOwn(storedRow, child)) {
      if (at >= 0) rows[at] = { ...rows[at], [child]: storedRow[child] };
      else rows.splice(Math.min(Number(index), rows.length), 0, { [child]: storedRow[child] });
    }
    merged[top] = rows;
  }
  return merged;
}

export interface SaveOptions {
  /** Who saves; a function of the institution's name when the caller has not loaded it. */
  actor: Actor | ((institutionName: string) => Actor);
  /** Required when answers change after their first submission: it goes into the audit trail. */
  reason?: string;
  /** Item id → why that answer changes (after the first submission); items without one take `reason`. */
  reasons?: Readonly<Record<string, string>>;
  /**
   * The answer keys this save covers (one section of the questionnaire): stored answers outside them
   * are kept as they are, and the posted answers replace those inside (absent ones are cleared).
   * Undefined: the input is the whole set of answers.
   */
  scope?: readonly string[];
  /** The revision the caller's answers were based on; stale → 409, nothing stored. */
  baseRevision?: number;
  /** Statuses in which this actor may change the answers. */
  editableIn: readonly ResponseStatus[];
  /** All or nothing (the JSON API): any invalid answer rejects the whole save. Otherwise the valid ones are stored. */
  allOrNothing?: boolean;
  /** The response as the caller just loaded it (saves a second read); a retry reads it again. */
  preloaded?: LoadedResponse;
  /** A check of the caller's credentials still in flight (a respondent's invitation): awaited with the first reads, before any write. */
  verified?: Promise<void>;
  /** The edition, read already with the session (auth/savePrefetch.ts); undefined inside: the fast path reads it. */
  edition?: Promise<Awaited<ReturnType<typeof loadEdition>> | undefined>;
}

const actorFor = (actor: SaveOptions['actor'], institutionName: string): Actor => (typeof actor === 'function' ? actor(institutionName) : actor);

/**
 * The common background save, in two round trips after the session: the edition (its state and
 * instrument) read together with the caller's check, then one conditional update that applies
 * only if the response is still an editable draft at the page's revision and was never submitted
 * (nothing to audit). It needs the page's revision and valid answers only; anything else (invalid
 * answers to merge with the stored ones, a stale or submitted response, changes to audit) returns
 * undefined and takes the full path, which reads the response and explains a refusal.
 */
async function fastDraft(editionId: string, institutionId: string, instrument: Instrument, input: unknown, options: SaveOptions): Promise<SaveResult | undefined> {
  const base = options.baseRevision;
  if (base === undefined || options.allOrNothing || options.preloaded || options.scope) return undefined;
  const editionRead = options.edition ? options.edition.then((e) => e ?? loadEdition(editionId)) : loadEdition(editionId);
  const [edition, institution] = await Promise.all([editionRead, cachedInstitution(editionId, institutionId), options.verified]);
  checkInstrument(edition, instrument);
  assertAllows(edition, 'respond');
  const context = { institution: { type: institution.type, level: institution.level } };
  const checked = validateAnswers(instrument.definition, input, { ...context, mode: 'draft' });
  if (checked.errors.length) return undefined;
  const answers = checked.answers as Answers;
  const key = { edition: editionId, institution: institution._id, questionnaire: instrument.id };
  const now = new Date();
  let before: { answers?: unknown; revision?: number | null; status?: string } | null;
  try {
    const filter = { ...keyFilter(key), status: { $in: options.editableIn }, revision: base === 0 ? { $in: [0, null] } : base, firstSubmittedAt: null };
    const change = { $set: { answers, questionnaire: { id: instrument.id, hash: instrument.hash }, updatedAt: now }, $inc: { revision: 1 } };
    before =
      base === 0
        ? // The first save may create the response: through mongoose, which adds the schema's defaults.
          await ResponseModel.findOneAndUpdate(filter, { ...change, $setOnInsert: { status: 'draft', createdAt: now } }, { upsert: true, returnDocument: 'before', timestamps: false }).lean()
        : // Every later one updates an existing document with values that need no casting (answers are
          // Mixed, the institution already an ObjectId): the driver's call, without mongoose's casting
          // and cloning (~0.3 ms of a save's CPU, measured by bench:autosave).
          ((await ResponseModel.collection.findOneAndUpdate(filter, change, { returnDocument: 'before', projection: { answers: 1, status: 1 } })) as typeof before);
  } catch (error) {
    if ((error as { code?: number }).code === 11000) return undefined;
    throw error;
  }
  if (!before && base !== 0) return undefined;
  const previous = (before?.answers ?? {}) as Answers;
  return {
    status: ((before?.status as ResponseStatus | undefined) ?? 'draft'),
    revision: base + 1,
    answers,
    changed: changedItems(previous, answers),
    audited: false,
    rejected: [],
    progress: progress(instrument.definition, answers, context),
    updatedAt: now,
  };
}

export interface SaveResult {
  status: ResponseStatus;
  revision: number;
  /** The answers now stored. */
  answers: Answers;
  changed: string[];
  audited: boolean;
  /** Answers that were not stored, with why (empty when everything was stored). */
  rejected: FieldError[];
  progress: ReturnType<typeof progress>;
  updatedAt?: Date;
}

function checkReason(reason: string | undefined, needed: boolean): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (needed && !text) throw badRequest('say why the answers change after their submission', [{ field: 'reason', reason: 'indique el motivo: las respuestas ya se habían enviado' }]);
  if (text.length > 1000) throw badRequest('the reason is too long', [{ field: 'reason', reason: 'a lo más 1000 caracteres' }]);
  return text;
}

/** The item a stored answer key belongs to ("tpUrl:evidence" → "tpUrl"). */
const baseItem = (key: string) => (key.endsWith(EVIDENCE_SUFFIX) ? key.slice(0, -EVIDENCE_SUFFIX.length) : key);

/** The form and error name of an item's own reason: "tpUrl:motivo". */
export const ITEM_REASON_SUFFIX = ':motivo';

/**
 * Why each changed item changes, once the answers had been submitted: the item's own reason
 * (`reasons[item]`) or else the change's general one. A caller that sends no per-item reasons at all
 * (`reasons` undefined, as API clients did before them) is told about the general field; otherwise
 * the 400 names each changed item still lacking a reason ("<item>:motivo").
 * Nothing is needed (and an empty map returned) while the answers were never submitted.
 */
export function changeReasons(options: { reason?: string; reasons?: Readonly<Record<string, string>> }, needed: boolean, changed: readonly string[]): { general: string; byItem: Map<string, string> } {
  const perItem = Object.entries(options.reasons ?? {}).map(([item, text]) => [item, typeof text === 'string' ? text.trim() : ''] as const);
  const tooLong = perItem.filter(([, text]) => text.length > 1000);
  if (tooLong.length) throw badRequest('a reason is too long', tooLong.map(([item]) => ({ field: item + ITEM_REASON_SUFFIX, reason: 'a lo más 1000 caracteres' })));
  const own = new Map(perItem.filter(([, text]) => text));
  // Callers that know nothing of per-item reasons (reasons undefined) get the error on the general one.
  const general = checkReason(options.reason, needed && own.size === 0 && options.reasons === undefined);
  const byItem = new Map<string, string>();
  if (!needed) return { general, byItem };
  const missing = new Set<string>();
  for (const key of changed) {
    const text = own.get(key) ?? own.get(baseItem(key)) ?? general;
    if (text) byItem.set(key, text);
    else missing.add(baseItem(key));
  }
  if (missing.size) {
    throw badRequest(
      'say why each answer changes after the submission (reasons, or reason for all)',
      [...missing].map((item) => ({ field: item + ITEM_REASON_SUFFIX, reason: 'diga por qué cambia esta respuesta' })),
    );
  }
  return { general, byItem };
}

function checkBase(current: LoadedResponse, baseRevision: number | undefined): void {
  if (baseRevision !== undefined && baseRevision !== current.revision) throw staleConflict(current.response, baseRevision);
}

const MAX_OPTIMISTIC_ATTEMPTS = 5;

/**
 * Retries a change computed from a read when another write came in between and the caller did
 * not pin a revision (last writer wins only for callers that do not send one).
 */
async function optimistic<T>(baseRevision: number | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const stale = error instanceof HttpProblem && error.code === 'stale_revision';
      if (!stale || baseRevision !== undefined || i >= MAX_OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}

/**
 * Saves a draft of a respondent's answers (types and ranges checked). Valid answers are stored and
 * invalid ones reported in `rejected` (with `allOrNothing`, any invalid answer is a 400 and nothing is
 * stored). No write when nothing changes. After a first submission, changes need a reason and each
 * changed item is recorded in the audit trail in the same transaction.
 */
export async function saveDraft(editionId: string, institutionId: string, instrument: Instrument, input: unknown, options: SaveOptions): Promise<SaveResult> {
  const fast = await fastDraft(editionId, institutionId, instrument, input, options);
  if (fast) return fast;
  let preloaded = options.preloaded;
  return optimistic(options.baseRevision, async () => {
    const [current] = await Promise.all([preloaded ?? loadResponse(editionId, institutionId, instrument), options.verified]);
    preloaded = undefined;
    assertAllows(current.edition, 'respond');
    if (!options.editableIn.includes(current.status)) throw stateConflict(current.response, options.editableIn);
    checkBase(current, options.baseRevision);
    const checked = validateAnswers(instrument.definition, options.scope ? withinScope(current.answers, input, options.scope) : input, { ...current.context, mode: 'draft' });
    const rejected = answerErrors(checked.errors);
    if (rejected.length && options.allOrNothing) throw badRequest('some answers are invalid; nothing was stored', rejected);
    const answers = rejected.length ? mergeKeepingInvalid(checked.answers as Answers, current.answers, checked.errors, checked.rowOrigins) : (checked.answers as Answers);
    const changed = changedItems(current.answers, answers);
    const result = (revision: number, stored: Answers, updatedAt?: Date, audited = false): SaveResult => ({
      status: current.status,
      revision,
      answers: stored,
      changed,
      audited,
      rejected,
      progress: progress(instrument.definition, stored, current.context),
      updatedAt,
    });
    if (changed.length === 0) return result(current.revision, current.answers, current.response?.updatedAt ?? undefined);

    const audited = Boolean(current.response?.firstSubmittedAt);
    const { general: reason, byItem } = changeReasons(options, audited, changed);
    const update = { $set: { answers, status: current.status, questionnaire: { id: instrument.id, hash: instrument.hash } } };
    const expect = { statuses: options.editableIn, revision: current.revision };
    if (!audited) {
      // The common case: one conditional update, no transaction.
      const doc = await transition(current.key, expect, update, { upsert: true });
      return result(revisionOf(doc), answers, doc.updatedAt);
    }
    let doc: Awaited<ReturnType<typeof transition>> | undefined;
    await mongoose.connection.transaction(async (session) => {
      doc = await transition(current.key, expect, update, { session });
      await record(
        { action: 'answers.change', actor: actorFor(options.actor, current.institution.name), edition: editionId, institution: current.institution._id, questionnaire: instrument.id, reason, items: itemChanges(instrument, current.answers, answers, changed, byItem) },
        session,
      );
    });
    return result(revisionOf(doc), answers, doc!.updatedAt, true);
  });
}

/** The next folio of an edition: "PILOTO-2026-00012", unique in the edition. */
async function nextFolio(editionId: string, session: ClientSession): Promise<string> {
  const counter = await CounterModel.findOneAndUpdate({ _id: `folio:${editionId}` }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', session }).lean();
  return `${editionId.toUpperCase()}-${String(counter!.seq).padStart(5, '0')}`;
}

export interface Receipt {
  folio: string;
  at: Date;
  revision: number;
}

export interface SubmitResult {
  status: ResponseStatus;
  revision: number;
  receipt: Receipt;
  changed: string[];
}

/**
 * Submits the answers (`input`, or the stored draft when undefined): every required item must be
 * answered. One transaction: the edition's work lock (collecting, before the deadline), the
 * conditional update, a folio, and the audit entries.
 */
export async function submitAnswers(
  editionId: string,
  institutionId: string,
  instrument: Instrument,
  input: unknown,
  options: { actor: Actor; reason?: string; reasons?: Readonly<Record<string, string>>; baseRevision?: number; editableIn: readonly ResponseStatus[] },
): Promise<SubmitResult> {
  return optimistic(options.baseRevision, async () => {
    let result: SubmitResult | undefined;
    await mongoose.connection.transaction(async (session) => {
      await lockForWork(editionId, 'respond', session);
      const current = await loadResponse(editionId, institutionId, instrument, session);
      if (!options.editableIn.includes(current.status)) throw stateConflict(current.response, options.editableIn);
      checkBase(current, options.baseRevision);
      const checked = validateAnswers(instrument.definition, input === undefined ? current.answers : input, { ...current.context, mode: 'submit' });
      if (!checked.ok) throw badRequest('the answers cannot be submitted yet', answerErrors(checked.errors));
      const answers = checked.answers as Answers;
      const changed = changedItems(current.answers, answers);
      const audited = Boolean(current.response?.firstSubmittedAt) && changed.length > 0;
      const { general: reason, byItem } = changeReasons(options, audited, changed);
      const now = new Date();
      const folio = await nextFolio(editionId, session);
      const receipt = { folio, at: now, revision: current.revision + 1 };
      const doc = await transition(
        current.key,
        { statuses: options.editableIn, revision: current.revision },
        {
          $set: {
            answers,
            status: 'submitted',
            submittedAt: now,
            questionnaire: { id: instrument.id, hash: instrument.hash },
            ...(current.response?.firstSubmittedAt ? {} : { firstSubmittedAt: now }),
          },
          $unset: { reopenReason: 1 },
          $push: { receipts: receipt },
        },
        { session, upsert: true },
      );
      if (audited) {
        await record({ action: 'answers.change', actor: options.actor, edition: editionId, institution: current.institution._id, questionnaire: instrument.id, reason, items: itemChanges(instrument, current.answers, answers, changed, byItem), at: now }, session);
      }
      await record(
        { action: 'answers.submit', actor: options.actor, edition: editionId, institution: current.institution._id, questionnaire: instrument.id, summary: `Folio ${folio}`, oldValue: current.status, newValue: 'submitted', at: now },
        session,
      );
      result = { status: 'submitted', revision: revisionOf(doc), receipt, changed };
    });
    return result!;
  });
}

export interface ReviewComment {
  item: string;
  comment: string;
}

interface ReviewOptions {
  actor: Actor;
  /** The revision the evaluator looked at; stale → 409. */
  baseRevision?: number;
}

/** Runs a review action in one transaction with the edition's work lock (collecting or review). */
async function reviewAction<T>(editionId: string, institutionId: string, instrument: Instrument, work: (current: LoadedResponse, session: ClientSession) => Promise<T>): Promise<T> {
  let result: T;
  await mongoose.connection.transaction(async (session) => {
    await lockForWork(editionId, 'review' satisfies EditionWork, session);
    const current = await loadResponse(editionId, institutionId, instrument, session);
    result = await work(current, session);
  });
  return result!;
}

/** Returns submitted answers to the institution with at least one per-item comment. */
export async function returnResponse(editionId: string, institutionId: string, instrument: Instrument, comments: ReviewComment[], options: ReviewOptions) {
  const itemIds = new Set(Object.entries(itemLabels(instrument)).filter(([, item]) => !item.child).map(([id]) => id));
  const errors: FieldError[] = [];
  comments.forEach((c, i) => {
    if (!itemIds.has(c.item)) errors.push({ field: `comments[${i}].item`, value: c.item, reason: 'unknown item' });
    if (!c.comment.trim()) errors.push({ field: `comments[${i}].comment`, reason: 'the comment is empty' });
  });
  if (comments.length === 0) errors.push({ field: 'comments', reason: 'return the answers with at least one comment' });
  if (errors.length) throw badRequest('invalid review comments', errors);
  return reviewAction(editionId, institutionId, instrument, async (current, session) => {
    checkBase(current, options.baseRevision);
    const now = new Date();
    const stored = comments.map((c) => ({ item: c.item, comment: c.comment.trim(), by: options.actor.label, at: now }));
    const doc = await transition(current.key, { statuses: ['submitted'], revision: current.revision }, { $set: { status: 'returned', reviewedAt: now, comments: stored } }, { session });
    await record(
      {
        action: 'answers.return',
        actor: options.actor,
        edition: editionId,
        institution: current.institution._id,
        questionnaire: instrument.id,
        items: stored.map((c) => ({ item: c.item, label: labelOf(instrument, c.item), oldValue: null, newValue: c.comment })),
        at: now,
      },
      session,
    );
    return { status: 'returned' as const, revision: revisionOf(doc) };
  });
}

/** Approves submitted answers and recomputes the institution's score, in one transaction: of two approvals one wins. */
export async function approveResponse(editionId: string, institutionId: string, instrument: Instrument, options: ReviewOptions) {
  return reviewAction(editionId, institutionId, instrument, async (current, session) => {
    checkBase(current, options.baseRevision);
    const now = new Date();
    const doc = await transition(
      current.key,
      { statuses: ['submitted'], revision: current.revision },
      { $set: { status: 'approved', reviewedAt: now, comments: [] }, $unset: { reopenReason: 1 } },
      { session },
    );
    await record({ action: 'answers.approve', actor: options.actor, edition: editionId, institution: current.institution._id, questionnaire: instrument.id, oldValue: 'submitted', newValue: 'approved', at: now }, session);
    const scored = await recomputeScore(editionId, institutionId, session);
    return { status: 'approved' as const, revision: revisionOf(doc), score: scored?.score };
  });
}

/**
 * Reopens approved answers (with a reason): they go back to the institution as returned, and the
 * score is withdrawn from the edition's results until they are approved again.
 */
export async function reopenResponse(editionId: string, institutionId: string, instrument: Instrument, reason: string, options: ReviewOptions) {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text.length < 3) throw badRequest('say why the approval is reopened (reason)', [{ field: 'reason', reason: 'indique el motivo para reabrir la aprobación' }]);
  if (text.length > 1000) throw badRequest('the reason is too long', [{ field: 'reason', reason: 'a lo más 1000 caracteres' }]);
  return reviewAction(editionId, institutionId, instrument, async (current, session) => {
    checkBase(current, options.baseRevision);
    const now = new Date();
    const doc = await transition(
      current.key,
      { statuses: ['approved'], revision: current.revision },
      { $set: { status: 'returned', reviewedAt: now, comments: [], reopenReason: text } },
      { session },
    );
    await record({ action: 'answers.reopen', actor: options.actor, edition: editionId, institution: current.institution._id, questionnaire: instrument.id, oldValue: 'approved', newValue: 'returned', reason: text, at: now }, session);
    await recomputeScore(editionId, institutionId, session);
    return { status: 'returned' as const, revision: revisionOf(doc) };
  });
}

export interface LogsOptions {
  actor: Actor;
  /** Validate completely and count the logs in the score. */
  complete: boolean;
  reason?: string;
  baseRevision?: number;
  /** The form path stores the valid answers of a draft and reports the others; the API is all or nothing. */
  allOrNothing?: boolean;
  /** Evidence files of the rows' items to attach (received, pending) or remove, in the same transaction. */
  files?: LogFileChanges;
}

const NO_FILES: LogFilesOutcome = { attached: [], removed: [], detached: [] };

/**
 * The evaluators' citizen-perspective logs: saved as a draft or completed (then they count in the
 * score); a complete log saved as a draft is reopened. Each change is audited; after completion a
 * change needs a reason. One transaction with the edition's work lock and the score.
 *
 * Every row is stored with a stable key (ROW_KEY): rows posted with their key keep it, new rows get
 * one. A stored row whose key is no longer posted is removed, and its evidence files with it; files
 * posted with the change are attached to their rows in the same transaction (a refused file refuses
 * the whole change). Files taken out are deleted after the transaction commits.
 */
export async function saveCitizenLogs(editionId: string, institutionId: string, instrument: Instrument, input: unknown, options: LogsOptions) {
  const saved = await optimistic(options.baseRevision, () =>
    reviewAction(editionId, institutionId, instrument, async (current, session) => {
      const editable: ResponseStatus[] = ['draft', 'approved'];
      if (!editable.includes(current.status)) throw stateConflict(current.response, editable);
      checkBase(current, options.baseRevision);
      const def = instrument.definition;
      const checked = validateAnswers(def, input, { ...current.context, mode: options.complete ? 'submit' : 'draft' });
      const rejected = answerErrors(checked.errors);
      if (rejected.length && (options.complete || options.allOrNothing)) {
        throw badRequest(options.complete ? 'the logs are not complete yet' : 'some answers are invalid; nothing was stored', rejected);
      }
      const keyed = withRowKeys(def, checked.answers as Answers);
      const answers = withRowKeys(def, rejected.length ? mergeKeepingInvalid(keyed, current.answers, checked.errors, checked.rowOrigins) : keyed);
      // People (and the audit trail) see the answers; the rows' keys change nothing they read.
      const changed = changedItems(withoutRowKeys(current.answers), withoutRowKeys(answers));
      const rewritten = changedItems(current.answers, answers).length > 0;
      const nextStatus: ResponseStatus = options.complete ? 'approved' : 'draft';
      const statusChanges = nextStatus !== current.status || !current.response;
      const reason = checkReason(options.reason, Boolean(current.response?.firstSubmittedAt) && changed.length > 0);
      const fileWork = Boolean(options.files?.attach?.length || options.files?.remove?.length) || rewritten;
      const files = fileWork
        ? await applyLogFiles({ def, edition: editionId, institution: institutionId, questionnaire: instrument.id, actor: options.actor, before: current.answers, after: answers, posted: postedRowKeys(keyed, checked.rowOrigins), changes: options.files ?? {}, session })
        : NO_FILES;
      if (!rewritten && !statusChanges) {
        return { status: current.status, revision: current.revision, changed, audited: files.attached.length + files.removed.length > 0, rejected, score: undefined as unknown, answers, files };
      }
      const now = new Date();
      const doc = await transition(
        current.key,
        { statuses: editable, revision: current.revision },
        {
          $set: {
            answers,
            status: nextStatus,
            questionnaire: { id: instrument.id, hash: instrument.hash },
            ...(options.complete && { submittedAt: now, ...(current.response?.firstSubmittedAt ? {} : { firstSubmittedAt: now }) }),
          },
        },
        { session, upsert: true },
      );
      const base = { actor: options.actor, edition: editionId, institution: current.institution._id, questionnaire: instrument.id, at: now };
      if (changed.length) await record({ ...base, action: 'logs.change', reason, items: itemChanges(instrument, withoutRowKeys(current.answers), withoutRowKeys(answers), changed) }, session);
      if (nextStatus === 'approved' && current.status !== 'approved') await record({ ...base, action: 'logs.complete', oldValue: current.status, newValue: 'approved' }, session);
      if (nextStatus === 'draft' && current.status === 'approved') await record({ ...base, action: 'logs.reopen', oldValue: 'approved', newValue: 'draft', reason }, session);
      const scored = await recomputeScore(editionId, institutionId, session);
      return { status: nextStatus, revision: revisionOf(doc), changed, audited: changed.length > 0 || files.attached.length + files.removed.length > 0, rejected, score: scored?.score as unknown, answers, files };
    }),
  );
  await discardDetached(saved.files.detached);
  return saved;
}

/**
 * Attaches received files to rows of the citizen logs (by the rows' keys) or removes row files, without
 * changing the answers: one transaction with the edition's work lock, audited; deleted files go after it.
 */
export async function changeCitizenLogFiles(editionId: string, institutionId: string, instrument: Instrument, files: LogFileChanges, options: { actor: Actor }): Promise<LogFilesOutcome> {
  const outcome = await reviewAction(editionId, institutionId, instrument, async (current, session) =>
    applyLogFiles({ def: instrument.definition, edition: editionId, institution: institutionId, questionnaire: instrument.id, actor: options.actor, before: current.answers, after: current.answers, changes: files, session }),
  );
  await discardDetached(outcome.detached);
  return outcome;
}
