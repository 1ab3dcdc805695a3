/**
 * Evaluators (and admins) run an edition's review: the queue and progress dashboard, each
 * institution's answers to approve or return with per-item comments, the citizen-perspective logs
 * they fill themselves, the audit trail and the resulting score with its explanation. Viewers
 * (commissioners) see the same pages read-only. Pages under /evaluacion, JSON under /api/v1.
 */
import { Router, type Request, type Response } from 'express';
import { EditionModel } from '../models/edition.js';
import { currentUser, editionForUser, requireUser, userActor, type UserPrincipal } from '../auth/access.js';
import type { JSONSchemaType } from 'ajv';
import { HttpProblem, notFound, type FieldError } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { answersFromForm, errorsByPath, labelledErrors, questionnaireView, type FormAnswers } from '../http/questionnaireForm.js';
import {
  STATUS_LABELS,
  approveResponse,
  editionInstrument,
  loadResponse,
  reopenResponse,
  returnResponse,
  saveCitizenLogs,
  scoreWithExplanation,
  type Actor,
  type ReviewComment,
} from '../services/responses.js';
import { allows, refusal } from '../services/editionLifecycle.js';
import { auditEntries } from '../services/auditView.js';
import { problem } from '../http/apiSchemas.js';
import { explanationView, institutionExplanation } from '../services/explanations.js';
import { scoreExplanationSchema } from '../http/explanationSchema.js';
import { progress } from '../../questionnaires/engine.js';
import type { ApiRegistry } from '../http/api.js';
import { evidenceByItem, evidenceItems, evidenceSettings, listEvidence } from '../files/evidence.js';
import { mayDownloadEvidence } from './evidence.js';
import { answers as answersSchema, institutionRef, progress as progressSchema, responseStatus, sha256, storedScore } from '../http/schemas.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

function institutionParam(req: Request): string {
  const id = String(req.params.id);
  if (!OBJECT_ID.test(id)) throw notFound(`institution "${id}" does not exist`);
  return id;
}

const canWrite = (user: UserPrincipal, editionId: string) => user.role === 'admin' || (user.role === 'evaluator' && user.editions.includes(editionId));
const actorOf = userActor;

async function writableEdition(res: Response, editionId: string) {
  const user = currentUser(res);
  const edition = await editionForUser(user, editionId, 'write');
  return { user, edition };
}

/** Everything the review page and its API show about one institution. */
async function reviewData(editionId: string, institutionId: string) {
  const own = await editionInstrument(editionId, 'institution');
  const logs = await editionInstrument(editionId, 'evaluator').catch((error: unknown) => {
    if (error instanceof HttpProblem && error.status === 404) return undefined;
    throw error;
  });
  const answers = await loadResponse(editionId, institutionId, own);
  const logResponse = logs ? await loadResponse(editionId, institutionId, logs) : undefined;
  const [audit, scored] = await Promise.all([auditEntries({ edition: editionId, institution: answers.institution._id }), scoreWithExplanation(editionId, institutionId)]);
  return { own, logs, answers, logResponse, audit: audit.rows, scored };
}

/** Comments posted as "comment[<item path>]" fields; empty ones are not comments. */
function commentsFromForm(body: unknown): ReviewComment[] {
  return Object.entries((body ?? {}) as Record<string, unknown>).flatMap(([key, value]) => {
    const item = /^comment\[(.{1,200})\]$/.exec(key)?.[1];
    if (!item || typeof value !== 'string' || !value.trim()) return [];
    return [{ item, comment: value.slice(0, 1000) }];
  });
}

const baseRevisionProperty = { type: 'integer', minimum: 0, nullable: true, description: 'the revision the evaluator looked at; a stale one gets 409' } as const;

const returnBody: JSONSchemaType<{ comments: ReviewComment[]; baseRevision?: number }> = {
  type: 'object',
  properties: {
    baseRevision: baseRevisionProperty,
    comments: {
      type: 'array',
      maxItems: 500,
      items: { type: 'object', properties: { item: { type: 'string', maxLength: 200 }, comment: { type: 'string', maxLength: 1000 } }, required: ['item', 'comment'], additionalProperties: false },
    },
  },
  required: ['comments'],
  additionalProperties: false,
};
const checkReturnBody = validator(returnBody, 'body');

const reviewActionBody: JSONSchemaType<{ baseRevision?: number }> = { type: 'object', properties: { baseRevision: baseRevisionProperty }, required: [], additionalProperties: false };
const checkReviewActionBody = validator(reviewActionBody, 'body');

const reopenBody: JSONSchemaType<{ reason: string; baseRevision?: number }> = {
  type: 'object',
  properties: { reason: { type: 'string', minLength: 3, maxLength: 1000 }, baseRevision: baseRevisionProperty },
  required: ['reason'],
  additionalProperties: false,
};
const checkReopenBody = validator(reopenBody, 'body');

interface CitizenLogsBody {
  answers: Record<string, unknown>;
  complete?: boolean;
  reason?: string;
  baseRevision?: number;
}
const citizenLogsBody = {
  type: 'object',
  properties: { answers: { type: 'object' }, complete: { type: 'boolean', nullable: true }, reason: { type: 'string', maxLength: 1000, nullable: true }, baseRevision: baseRevisionProperty },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<CitizenLogsBody>;
const checkCitizenLogsBody = validator(citizenLogsBody, 'body');

/** The score block of the review page: its stamp and its explanation in words (services/explanations.ts). */
async function scoreView(editionId: string, institutionId: string, scored: Awaited<ReturnType<typeof scoreWithExplanation>>) {
  const explanation = scored.score ? await institutionExplanation(editionId, institutionId, scored.score) : null;
  return { editionId, hash: scored.score?.methodology?.hash, computedAt: scored.score?.computedAt, explanation: explanation && explanationView(explanation) };
}

interface ReviewOverride {
  logAnswers?: FormAnswers;
  logErrors?: FieldError[];
  reason?: string;
  status: number;
  /** A refused review action, said plainly at the top of the page. */
  actionError?: string;
  errorsHeading?: string;
}

async function renderReview(req: Request, res: Response, override?: ReviewOverride) {
  const user = currentUser(res);
  const editionId = String(req.params.edition);
  const edition = await editionForUser(user, editionId, 'read');
  const institutionId = institutionParam(req);
  const data = await reviewData(editionId, institutionId);
  const open = allows(edition, 'review');
  const writable = canWrite(user, editionId) && open;
  const institution = data.answers.context.institution;
  const comments = Object.fromEntries((data.answers.response?.comments ?? []).map((c) => [c.item, c.comment]));
  const reviewing = writable && data.answers.status === 'submitted';
  const files = {
    accepts: new Set(evidenceItems(data.own.definition).keys()),
    byItem: evidenceByItem(await listEvidence(editionId, institutionId)),
    editable: false,
    maxPerItem: evidenceSettings().maxFilesPerItem,
    ...(mayDownloadEvidence(user, editionId) && { downloadBase: `/api/v1/editions/${encodeURIComponent(editionId)}/institutions/${institutionId}/evidence/` }),
  };
  const answerSections = questionnaireView(data.own.definition, data.answers.answers, { institution, comments, files });
  const logAnswers = override?.logAnswers ?? data.logResponse?.answers ?? {};
  const logErrors = override?.logErrors ?? [];
  const logSections = data.logs ? questionnaireView(data.logs.definition, logAnswers, { institution, errors: errorsByPath(logErrors), newRows: writable }) : [];
  renderPage(
    req,
    res,
    'review/institution',
    {
      title: `Revisión: ${data.answers.institution.name}`,
      edition,
      institution: { ...data.answers.institution, id: institutionId },
      writable,
      closed: canWrite(user, editionId) && !open ? refusal(edition, 'review')?.pageMessage : undefined,
      reviewing,
      reopenable: writable && data.answers.status === 'approved',
      actionError: override?.actionError,
      answers: {
        status: data.answers.status,
        label: STATUS_LABELS[data.answers.status],
        revision: data.answers.revision,
        progress: data.answers.progress,
        sections: answerSections,
        submittedAt: data.answers.response?.submittedAt,
        reopenReason: data.answers.response?.reopenReason,
      },
      logs: data.logs && {
        status: data.logResponse!.status,
        revision: data.logResponse!.revision,
        complete: data.logResponse!.status === 'approved',
        needsReason: Boolean(data.logResponse!.response?.firstSubmittedAt),
        sections: logSections,
        progress: progress(data.logs.definition, logAnswers, data.logResponse!.context),
        reason: override?.reason ?? '',
      },
      errors: labelledErrors(data.logs?.definition ?? data.own.definition, logErrors),
      errorsHeading: override?.errorsHeading,
      audit: data.audit,
      score: await scoreView(editionId, institutionId, data.scored),
    },
    { status: override?.status },
  );
}

function formField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function formRevision(body: unknown): number | undefined {
  const text = formField(body, 'baseRevision');
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

const CONFIRM_MESSAGES = {
  devolver: 'Marque la casilla para confirmar que quiere devolver las respuestas.',
  aprobar: 'Marque la casilla para confirmar que quiere aprobar las respuestas.',
  reabrir: 'Marque la casilla para confirmar que quiere reabrir la aprobación.',
};

/**
 * A review action posted from the page: needs its confirmation checkbox; a refusal (someone else
 * acted first, the edition closed, a missing reason) is shown on the review page with its reason.
 */
async function reviewFormAction(req: Request, res: Response, kind: keyof typeof CONFIRM_MESSAGES, action: () => Promise<string>) {
  if (formField(req.body, 'confirmar') !== 'si') return renderReview(req, res, { status: 400, actionError: CONFIRM_MESSAGES[kind] });
  try {
    flash(req, await action());
    res.redirect(303, `/evaluacion/${String(req.params.edition)}/sujetos/${String(req.params.id)}`);
  } catch (error) {
    if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
    const message =
      error.code === 'stale_revision' || error.code === 'response_state'
        ? `No se hizo el cambio: otra persona actuó antes. ${STATE_NOW(error)}`
        : error.errors?.length
          ? error.errors.map((e) => e.reason).join('; ')
          : (error.pageMessage ?? error.title);
    return renderReview(req, res, { status: error.status, actionError: message });
  }
}

const STATE_NOW = (error: HttpProblem) => {
  const status = error.extras.responseStatus as keyof typeof STATUS_LABELS | undefined;
  return status && status in STATUS_LABELS ? `Ahora las respuestas están «${STATUS_LABELS[status]}».` : '';
};

async function saveLogs(editionId: string, institutionId: string, user: UserPrincipal, answers: unknown, options: { complete: boolean; reason: string; baseRevision?: number; allOrNothing: boolean }) {
  const logs = await editionInstrument(editionId, 'evaluator');
  return saveCitizenLogs(editionId, institutionId, logs, answers, { actor: actorOf(user), ...options });
}

export function reviewRouter(): Router {
  const router = Router();
  const signedIn = requireUser();

  router.get('/evaluacion', signedIn, async (req, res) => {
    const user = currentUser(res);
    const filter = user.role === 'admin' ? {} : { editionId: { $in: user.editions } };
    const editions = await EditionModel.find(filter, { editionId: 1, year: 1, title: 1, status: 1, instruments: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'review/index', { title: 'Evaluación', editions: editions.filter((e) => (e.instruments ?? []).length > 0) });
  });

  router.get('/evaluacion/:edition/sujetos/:id', signedIn, (req, res) => renderReview(req, res));

  router.post('/evaluacion/:edition/sujetos/:id/devolver', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    const comments = commentsFromForm(req.body);
    if (comments.length === 0) {
      return renderReview(req, res, { status: 400, actionError: 'Para devolver las respuestas escriba al menos un comentario junto a la respuesta que debe corregirse.' });
    }
    await reviewFormAction(req, res, 'devolver', async () => {
      await returnResponse(edition.editionId, institutionId, own, comments, { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Respuestas devueltas al sujeto obligado con sus comentarios.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/aprobar', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    await reviewFormAction(req, res, 'aprobar', async () => {
      await approveResponse(edition.editionId, institutionId, own, { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Respuestas aprobadas; la calificación se recalculó.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/reabrir', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    await reviewFormAction(req, res, 'reabrir', async () => {
      await reopenResponse(edition.editionId, institutionId, own, formField(req.body, 'reason'), { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Aprobación reabierta: las respuestas volvieron al sujeto obligado y su calificación se retiró de los resultados hasta que se aprueben de nuevo.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/bitacora', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const logs = await editionInstrument(edition.editionId, 'evaluator');
    const answers = answersFromForm(logs.definition, req.body);
    const reason = formField(req.body, 'reason');
    const complete = formField(req.body, 'action') === 'complete';
    let saved: Awaited<ReturnType<typeof saveLogs>>;
    try {
      saved = await saveLogs(edition.editionId, institutionId, user, answers, { complete, reason, baseRevision: formRevision(req.body), allOrNothing: false });
    } catch (error) {
      if (error instanceof HttpProblem && (error.status === 400 || error.status === 409)) {
        const stale = error.code === 'stale_revision' || error.code === 'response_state';
        return renderReview(req, res, {
          logAnswers: answers,
          logErrors: error.errors ?? [],
          reason,
          status: error.status,
          actionError: stale ? 'No se guardó la bitácora: otra persona la cambió desde que abrió esta página. Revise la versión guardada abajo y vuelva a capturar sus cambios.' : error.errors?.length ? undefined : error.pageMessage,
          errorsHeading: 'No se guardó nada:',
        });
      }
      throw error;
    }
    if (saved.rejected.length) {
      const kept = saved.rejected.length === 1 ? '1 respuesta no se guardó' : `${saved.rejected.length} respuestas no se guardaron`;
      return renderReview(req, res, { logAnswers: answers, logErrors: saved.rejected, reason, status: 400, errorsHeading: `Se guardó la bitácora; ${kept}:` });
    }
    flash(req, complete ? 'Bitácora ciudadana completa; la calificación se recalculó.' : 'Bitácora guardada como borrador.');
    res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}#bitacora`);
  });

  return router;
}

const NOT_YOURS = problem('unknown edition, or not assigned to the caller');
const NOT_FOUND = problem('unknown edition or institution, or the edition is not assigned to the caller');
const count = { type: 'integer', minimum: 0 };
const statusCounts = { type: 'array', items: { type: 'object', required: ['status', 'count'], properties: { status: responseStatus, label: { type: 'string' }, count } } };
const QUEUE_SCHEMA = {
  type: 'object',
  required: ['edition', 'dashboard', 'institutions'],
  properties: {
    edition: { type: 'string' },
    dashboard: {
      type: 'object',
      required: ['total', 'statuses', 'entities'],
      properties: {
        total: count,
        statuses: statusCounts,
        logsComplete: count,
        scored: count,
        entities: { type: 'array', items: { type: 'object', required: ['entity', 'total', 'counts'], properties: { entity: { type: 'string' }, total: count, counts: statusCounts, logsComplete: count, scored: count } } },
      },
    },
    institutions: {
      type: 'array',
      description: 'the review queue: submitted answers first',
      items: { ...institutionRef, required: ['id', 'name', 'entity', 'answers', 'logs'], properties: { ...institutionRef.properties, answers: responseStatus, answersLabel: { type: 'string' }, submittedAt: { type: ['string', 'null'], format: 'date-time' }, logs: responseStatus, logsLabel: { type: 'string' } } },
    },
  },
};
const questionnaireRef = { type: 'object', required: ['id', 'hash'], properties: { id: { type: 'string' }, hash: sha256 } };
const scoreOrNull = { anyOf: [storedScore, { type: 'null' }], description: 'the score as recomputed; null while it cannot be computed' };
const reviewSchema = {
  type: 'object',
  required: ['edition', 'institution', 'answers', 'audit', 'score', 'explanation'],
  properties: {
    edition: { type: 'string' },
    institution: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' } } },
    answers: { type: 'object', required: ['questionnaire', 'status', 'answers'], properties: { questionnaire: questionnaireRef, status: { type: 'string' }, answers: { type: 'object' }, progress: { type: 'object' }, comments: { type: 'array', items: { type: 'object' } } } },
    logs: { type: 'object', properties: { questionnaire: questionnaireRef, status: { type: 'string' }, answers: { type: 'object' }, progress: { type: 'object' } } },
    audit: { type: 'array', items: { type: 'object' } },
    score: {
      type: 'object',
      nullable: true,
      description: 'The stored score (engine notation) and its explanation in words, or null before anything is approved.',
      required: ['methodology', 'nodes', 'explanation'],
      properties: { methodology: { type: 'object' }, nodes: { type: 'object' }, undetermined: { type: 'array', items: { type: 'string' } }, computedAt: { type: 'string', format: 'date-time' }, explanation: { ...scoreExplanationSchema, nullable: true } },
    },
    explanation: { type: 'object', nullable: true, description: 'The variables from the approved answers, item by item, with ids (questionnaires/answers.ts).' },
  },
} as const;

export function registerReviewApi(api: ApiRegistry): void {
  const signedIn = requireUser();
  const readers = 'admins; evaluators and viewers assigned to the edition (viewers read-only)';
  const writers = 'admins; evaluators assigned to the edition';

  api.add({ method: 'get', path: '/editions/:edition/institutions/:id/review', summary: 'An institution\'s answers, comments, citizen logs, audit trail and score with its explanation', tag: 'review', access: readers, responses: { 200: { description: 'the review of one institution', schema: reviewSchema }, 404: NOT_FOUND } }, signedIn, async (req, res) => {
    const edition = await editionForUser(currentUser(res), String(req.params.edition), 'read');
    const data = await reviewData(edition.editionId, institutionParam(req));
    res.json({
      edition: edition.editionId,
      institution: { id: String(data.answers.institution._id), name: data.answers.institution.name, entity: data.answers.institution.entity, type: data.answers.institution.type, level: data.answers.institution.level },
      answers: { questionnaire: { id: data.own.id, hash: data.own.hash }, status: data.answers.status, revision: data.answers.revision, reopenReason: data.answers.response?.reopenReason ?? null, answers: data.answers.answers, progress: data.answers.progress, comments: (data.answers.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment, by: c.by, at: c.at })) },
      logs: data.logs && { questionnaire: { id: data.logs.id, hash: data.logs.hash }, status: data.logResponse!.status, revision: data.logResponse!.revision, answers: data.logResponse!.answers, progress: data.logResponse!.progress },
      audit: data.audit.map((e) => ({ action: e.action, item: e.item, itemLabel: e.itemLabel, oldValue: e.oldValue, newValue: e.newValue, reason: e.reason, actor: e.actor, at: e.at, questionnaire: e.questionnaire })),
      score: data.scored.score
        ? {
            methodology: data.scored.score.methodology,
            nodes: data.scored.score.nodes,
            undetermined: data.scored.score.undetermined,
            computedAt: data.scored.score.computedAt,
            explanation: await institutionExplanation(edition.editionId, institutionParam(req), data.scored.score),
          }
        : null,
      explanation: data.scored.variables ?? null,
    });
  });

  const conflict409 = problem('someone acted first (code stale_revision or response_state, with responseStatus and currentRevision), or the edition is not open for review (edition_state, edition_published)');

  api.add(
    { method: 'post', path: '/editions/:edition/institutions/:id/return', summary: 'Return submitted answers to the institution with per-item comments', tag: 'review', access: writers, body: returnBody, responses: { 200: { description: 'returned', schema: reviewActionSchema }, 409: conflict409 } },
    signedIn,
    async (req, res) => {
      const { user, edition } = await writableEdition(res, String(req.params.edition));
      const institutionId = institutionParam(req);
      const own = await editionInstrument(edition.editionId, 'institution');
      const { comments, baseRevision } = checkReturnBody(req.body);
      const result = await returnResponse(edition.editionId, institutionId, own, comments, { actor: actorOf(user), baseRevision: baseRevision ?? undefined });
      res.json({ status: result.status, revision: result.revision });
    },
  );

  api.add(
    { method: 'post', path: '/editions/:edition/institutions/:id/approve', summary: 'Approve submitted answers; the score is recomputed. Of two racing review actions one succeeds, the other gets 409.', tag: 'review', access: writers, body: reviewActionBody, responses: { 200: { description: 'approved', schema: reviewActionSchema }, 409: conflict409 } },
    signedIn,
    async (req, res) => {
      const { user, edition } = await writableEdition(res, String(req.params.edition));
      const institutionId = institutionParam(req);
      const { baseRevision } = checkReviewActionBody(req.body ?? {});
      const result = await approveResponse(edition.editionId, institutionId, await editionInstrument(edition.editionId, 'institution'), { actor: actorOf(user), baseRevision: baseRevision ?? undefined });
      res.json({ status: result.status, revision: result.revision, score: result.score ?? null });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/institutions/:id/reopen',
      summary: 'Reopen approved answers with a reason: they go back to the institution as returned and the score leaves the results until approved again',
      tag: 'review',
      access: writers,
      body: reopenBody,
      responses: { 200: { description: 'reopened', schema: reviewActionSchema }, 409: conflict409 },
    },
    signedIn,
    async (req, res) => {
      const { user, edition } = await writableEdition(res, String(req.params.edition));
      const institutionId = institutionParam(req);
      const { reason, baseRevision } = checkReopenBody(req.body ?? {});
      const result = await reopenResponse(edition.editionId, institutionId, await editionInstrument(edition.editionId, 'institution'), reason, { actor: actorOf(user), baseRevision: baseRevision ?? undefined });
      res.json({ status: result.status, revision: result.revision });
    },
  );

  api.add(
    {
      method: 'put',
      path: '/editions/:edition/institutions/:id/citizen-logs',
      summary: 'Save the citizen-perspective logs (all or nothing); complete=true validates them and counts them in the score',
      tag: 'review',
      access: writers,
      body: citizenLogsBody,
      responses: { 200: { description: 'saved', schema: { type: 'object', required: ['status', 'revision'], properties: { status: { type: 'string' }, revision: { type: 'integer' }, changed: { type: 'array', items: { type: 'string' } }, audited: { type: 'boolean' }, score: {} } } }, 409: conflict409 },
    },
    signedIn,
    async (req, res) => {
      const { user, edition } = await writableEdition(res, String(req.params.edition));
      const institutionId = institutionParam(req);
      const body = checkCitizenLogsBody(req.body);
      const saved = await saveLogs(edition.editionId, institutionId, user, body.answers, { complete: body.complete === true, reason: body.reason ?? '', baseRevision: body.baseRevision ?? undefined, allOrNothing: true });
      res.json({ status: saved.status, revision: saved.revision, changed: saved.changed, audited: saved.audited, score: saved.score ?? null });
    },
  );
}

const reviewActionSchema = { type: 'object', required: ['status', 'revision'], properties: { status: { type: 'string' }, revision: { type: 'integer' }, score: {} } };
