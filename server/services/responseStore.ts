/**
 * Responses in MongoDB: loading one with its institution and edition, and `transition`, the one
 * conditional update through which every change of a response goes (status and revision in the
 * filter, revision incremented). A write that finds the response in another status or at another
 * revision changes nothing and becomes a 409 problem with the current state.
 */
import { Types, type ClientSession, type UpdateQuery } from 'mongoose';
import { ResponseModel, type ResponseStatus } from '../models/response.js';
import { InstitutionModel } from '../models/institution.js';
import { HttpProblem, conflict, notFound } from '../http/problem.js';
import { loadEdition } from './editionLifecycle.js';
import type { Instrument } from './instruments.js';
import { progress } from '../../questionnaires/engine.js';

export type Answers = Record<string, unknown>;

export const STATUS_LABELS: Record<ResponseStatus | 'none', string> = {
  none: 'Sin iniciar',
  draft: 'En captura',
  submitted: 'Enviado, por revisar',
  returned: 'Devuelto con comentarios',
  approved: 'Aprobado',
};

export interface ResponseKey {
  edition: string;
  institution: Types.ObjectId;
  questionnaire: string;
}

export const keyFilter = (key: ResponseKey) => ({ edition: key.edition, institution: key.institution, 'questionnaire.id': key.questionnaire });

export async function institutionOf(editionId: string, institutionId: string, session?: ClientSession) {
  if (!Types.ObjectId.isValid(institutionId)) throw notFound('no such institution');
  const institution = await InstitutionModel.findOne({ _id: institutionId, scope: editionId }, { name: 1, entity: 1, type: 1, level: 1, publication: 1 })
    .session(session ?? null)
    .lean();
  if (!institution) throw notFound(`institution "${institutionId}" is not part of edition "${editionId}"`);
  return institution;
}

/**
 * Institutions as background saves see them (name, type, level), kept for a few seconds: a save
 * then validates without reading the institution. Submissions and review actions read it fresh.
 */
const institutionCache = new Map<string, { at: number; institution: Awaited<ReturnType<typeof institutionOf>> }>();
const INSTITUTION_CACHE_MS = 10_000;

export async function cachedInstitution(editionId: string, institutionId: string) {
  const key = `${editionId}|${institutionId}`;
  const hit = institutionCache.get(key);
  if (hit && Date.now() - hit.at < INSTITUTION_CACHE_MS) return hit.institution;
  const institution = await institutionOf(editionId, institutionId);
  institutionCache.set(key, { at: Date.now(), institution });
  if (institutionCache.size > 50_000) institutionCache.delete(institutionCache.keys().next().value!);
  return institution;
}

/** The edition holds this instrument (an instrument cached by id must still be the edition's). */
export function checkInstrument(edition: { editionId: string; instruments?: { id: string; hash: string }[] | null }, instrument: Instrument): void {
  if (!(edition.instruments ?? []).some((i) => i.id === instrument.id && i.hash === instrument.hash)) {
    throw conflict(`questionnaire "${instrument.id}" is not (or no longer) part of edition "${edition.editionId}"; reload`, { code: 'edition_changed', message: 'La edición cambió; vuelva a cargar la página.' });
  }
}

export type StoredResponse = NonNullable<Awaited<ReturnType<typeof findResponse>>>;

export function findResponse(key: ResponseKey, session?: ClientSession) {
  return ResponseModel.findOne(keyFilter(key)).session(session ?? null).lean();
}

export const revisionOf = (response: { revision?: number | null } | null | undefined): number => response?.revision ?? 0;

/** A response with what pages and services need around it; edition, institution and answers are read at once. */
export async function loadResponse(editionId: string, institutionId: string, instrument: Instrument, session?: ClientSession) {
  if (!Types.ObjectId.isValid(institutionId)) throw notFound('no such institution');
  const [edition, institution, response] = await Promise.all([
    loadEdition(editionId, session),
    institutionOf(editionId, institutionId, session),
    ResponseModel.findOne({ edition: editionId, institution: institutionId, 'questionnaire.id': instrument.id }).session(session ?? null).lean(),
  ]);
  checkInstrument(edition, instrument);
  const answers = (response?.answers ?? {}) as Answers;
  const context = { institution: { type: institution.type, level: institution.level } };
  return {
    edition,
    institution,
    key: { edition: editionId, institution: institution._id, questionnaire: instrument.id } as ResponseKey,
    response,
    status: (response?.status ?? 'draft') as ResponseStatus,
    revision: revisionOf(response),
    answers,
    context,
    progress: progress(instrument.definition, answers, context),
  };
}

export type LoadedResponse = Awaited<ReturnType<typeof loadResponse>>;

const STATE_MESSAGES: Record<ResponseStatus, string> = {
  draft: 'Las respuestas están en captura: todavía no se han enviado.',
  submitted: 'Las respuestas ya fueron enviadas y esperan revisión: no se pueden cambiar hasta que la evaluación las devuelva.',
  returned: 'Las respuestas ya fueron devueltas al sujeto obligado.',
  approved: 'Las respuestas ya fueron aprobadas.',
};

/** 409: the response is not in a status that allows this. */
export function stateConflict(current: { status?: string; revision?: number | null; answers?: unknown } | null, expected: readonly ResponseStatus[]): HttpProblem {
  const status = (current?.status ?? 'draft') as ResponseStatus;
  return conflict(`the answers are ${status}; this needs them ${expected.join(' or ')}`, {
    code: 'response_state',
    message: STATE_MESSAGES[status],
    responseStatus: status,
    currentRevision: revisionOf(current),
  });
}

/** 409: the caller's revision is stale; the current revision and answers let it show the differences. */
export function staleConflict(current: { status?: string; revision?: number | null; answers?: unknown } | null, baseRevision: number): HttpProblem {
  return conflict(`the answers changed since revision ${baseRevision}; the current revision is ${revisionOf(current)}. Nothing was stored.`, {
    code: 'stale_revision',
    message: 'Las respuestas cambiaron (en otra ventana o por otra persona) desde que se abrió esta página. No se guardó nada.',
    responseStatus: current?.status ?? 'draft',
    currentRevision: revisionOf(current),
    answers: current?.answers ?? {},
  });
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number })?.code === 11000;
}

export interface Expectation {
  /** Statuses in which the change is allowed. */
  statuses: readonly ResponseStatus[];
  /** The revision the change was computed from. */
  revision: number;
}

/**
 * The conditional update of every change: applies `update` (and increments the revision) only if the
 * response is still in one of `expect.statuses` at `expect.revision`; a response that does not exist
 * yet is created when `upsert` and the expected revision is 0. Otherwise nothing is written and the
 * 409 says why (another status, or a newer revision).
 */
export async function transition(key: ResponseKey, expect: Expectation, update: UpdateQuery<unknown>, options: { session?: ClientSession; upsert?: boolean } = {}) {
  const filter = {
    ...keyFilter(key),
    status: { $in: expect.statuses },
    revision: expect.revision === 0 ? { $in: [0, null] } : expect.revision,
  };
  const { $inc, ...rest } = update as { $inc?: Record<string, number> } & Record<string, unknown>;
  try {
    const doc = await ResponseModel.findOneAndUpdate(filter, { ...rest, $inc: { ...$inc, revision: 1 } }, {
      session: options.session,
      upsert: Boolean(options.upsert) && expect.revision === 0,
      returnDocument: 'after',
    }).lean();
    if (doc) return doc;
  } catch (error) {
    // Two first writes at once: the unique key lets one insert; the other is a conflict.
    if (!isDuplicateKey(error)) throw error;
  }
  const current = await findResponse(key, options.session);
  if (!expect.statuses.includes((current?.status ?? 'draft') as ResponseStatus)) throw stateConflict(current, expect.statuses);
  throw staleConflict(current, expect.revision);
}
