/**
 * Evaluators (and admins) run an edition's review: the queue and progress dashboard, each
 * institution's answers to approve or return with per-item comments, the citizen-perspective logs
 * they fill themselves, the audit trail and the resulting score with its explanation. Viewers
 * (commissioners) see the same pages read-only. Pages under /evaluacion, JSON under /api/v1.
 */
import { Router, type Request, type Response } from 'express';
import { EditionModel } from '../models/edition.js';
import { currentUser, editionForUser, requireUser, type UserPrincipal } from '../auth/access.js';
import type { JSONSchemaType } from 'ajv';
import { HttpProblem, badRequest, notFound, type FieldError } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { answersFromForm, errorsByPath, labelledErrors, questionnaireView, type FormAnswers } from '../http/questionnaireForm.js';
import {
  STATUS_LABELS,
  approveResponse,
  auditTrail,
  editionInstrument,
  loadResponse,
  progressDashboard,
  recomputeScore,
  returnResponse,
  reviewQueue,
  saveAnswers,
  scoreWithExplanation,
  type Actor,
  type ReviewComment,
} from '../services/responses.js';
import { explanationView, institutionExplanation } from '../services/explanations.js';
import { scoreExplanationSchema } from '../http/explanationSchema.js';
import { progress } from '../../questionnaires/engine.js';
import type { ApiRegistry } from '../http/api.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

function institutionParam(req: Request): string {
  const id = String(req.params.id);
  if (!OBJECT_ID.test(id)) throw notFound(`institution "${id}" does not exist`);
  return id;
}

const canWrite = (user: UserPrincipal, editionId: string) => user.role === 'admin' || (user.role === 'evaluator' && user.editions.includes(editionId));
const actorOf = (user: UserPrincipal): Actor => ({ kind: 'user', id: user.id, label: `${user.name} <${user.email}>` });

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
  const [audit, scored] = await Promise.all([auditTrail(editionId, institutionId), scoreWithExplanation(editionId, institutionId)]);
  return { own, logs, answers, logResponse, audit, scored };
}

/** Comments posted as "comment[<item path>]" fields; empty ones are not comments. */
function commentsFromForm(body: unknown): ReviewComment[] {
  return Object.entries((body ?? {}) as Record<string, unknown>).flatMap(([key, value]) => {
    const item = /^comment\[(.{1,200})\]$/.exec(key)?.[1];
    if (!item || typeof value !== 'string' || !value.trim()) return [];
    return [{ item, comment: value.slice(0, 1000) }];
  });
}

const returnBody: JSONSchemaType<{ comments: ReviewComment[] }> = {
  type: 'object',
  properties: {
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

interface CitizenLogsBody {
  answers: Record<string, unknown>;
  complete?: boolean;
  reason?: string;
}
const citizenLogsBody = {
  type: 'object',
  properties: { answers: { type: 'object' }, complete: { type: 'boolean', nullable: true }, reason: { type: 'string', maxLength: 1000, nullable: true } },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<CitizenLogsBody>;
const checkCitizenLogsBody = validator(citizenLogsBody, 'body');

/** The score block of the review page: its stamp and its explanation in words (services/explanations.ts). */
async function scoreView(editionId: string, institutionId: string, scored: Awaited<ReturnType<typeof scoreWithExplanation>>) {
  const explanation = scored.score ? await institutionExplanation(editionId, institutionId, scored.score) : null;
  return { editionId, hash: scored.score?.methodology?.hash, computedAt: scored.score?.computedAt, explanation: explanation && explanationView(explanation) };
}

async function renderReview(req: Request, res: Response, override?: { logAnswers: FormAnswers; logErrors: FieldError[]; reason: string; status: number }) {
  const user = currentUser(res);
  const editionId = String(req.params.edition);
  const edition = await editionForUser(user, editionId, 'read');
  const institutionId = institutionParam(req);
  const data = await reviewData(editionId, institutionId);
  const writable = canWrite(user, editionId);
  const institution = data.answers.context.institution;
  const comments = Object.fromEntries((data.answers.response?.comments ?? []).map((c) => [c.item, c.comment]));
  const answerSections = questionnaireView(data.own.definition, data.answers.answers, { institution, comments });
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
      reviewing: writable && data.answers.status === 'submitted',
      answers: { status: data.answers.status, label: STATUS_LABELS[data.answers.status], progress: data.answers.progress, sections: answerSections, submittedAt: data.answers.response?.submittedAt },
      logs: data.logs && {
        status: data.logResponse!.status,
        complete: data.logResponse!.status === 'approved',
        needsReason: Boolean(data.logResponse!.response?.firstSubmittedAt),
        sections: logSections,
        progress: progress(data.logs.definition, logAnswers, data.logResponse!.context),
        reason: override?.reason ?? '',
      },
      errors: labelledErrors(data.logs?.definition ?? data.own.definition, logErrors),
      audit: data.audit.map((entry) => ({ ...entry, oldText: JSON.stringify(entry.oldValue), newText: JSON.stringify(entry.newValue) })),
      score: await scoreView(editionId, institutionId, data.scored),
    },
    { status: override?.status },
  );
}

async function saveLogs(editionId: string, institutionId: string, user: UserPrincipal, answers: unknown, options: { complete: boolean; reason: string }) {
  const logs = await editionInstrument(editionId, 'evaluator');
  const saved = await saveAnswers(editionId, institutionId, logs, answers, {
    actor: actorOf(user),
    reason: options.reason,
    editableIn: ['draft', 'approved'],
    mode: options.complete ? 'submit' : 'draft',
    nextStatus: options.complete ? 'approved' : 'draft',
  });
  const recomputed = await recomputeScore(editionId, institutionId);
  return { ...saved, score: recomputed?.score };
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
      flash(req, 'Para devolver las respuestas escriba al menos un comentario junto a la respuesta que debe corregirse.');
      return res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}`);
    }
    await returnResponse(edition.editionId, institutionId, own, comments, actorOf(user));
    flash(req, 'Respuestas devueltas al sujeto obligado con sus comentarios.');
    res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}`);
  });

  router.post('/evaluacion/:edition/sujetos/:id/aprobar', signedIn, async (req, res) => {
    const { edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    await approveResponse(edition.editionId, institutionId, await editionInstrument(edition.editionId, 'institution'));
    flash(req, 'Respuestas aprobadas; la calificación se recalculó.');
    res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}`);
  });

  router.post('/evaluacion/:edition/sujetos/:id/bitacora', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const logs = await editionInstrument(edition.editionId, 'evaluator');
    const answers = answersFromForm(logs.definition, req.body);
    const body = req.body as Record<string, unknown>;
    const reason = typeof body.reason === 'string' ? body.reason : '';
    const complete = body.action === 'complete';
    try {
      await saveLogs(edition.editionId, institutionId, user, answers, { complete, reason });
    } catch (error) {
      if (error instanceof HttpProblem && (error.status === 400 || error.status === 409)) {
        return renderReview(req, res, { logAnswers: answers, logErrors: error.errors ?? [{ field: '', reason: error.detail ?? error.title }], reason, status: error.status });
      }
      throw error;
    }
    flash(req, complete ? 'Bitácora ciudadana completa; la calificación se recalculó.' : 'Bitácora guardada como borrador.');
    res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}#bitacora`);
  });

  return router;
}

const questionnaireRef = { type: 'object', required: ['id', 'hash'], properties: { id: { type: 'string' }, hash: { type: 'string' } } } as const;
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

  api.add({ method: 'get', path: '/editions/:edition/institutions/:id/review', summary: 'An institution\'s answers, comments, citizen logs, audit trail and score with its explanation', tag: 'review', access: readers, responses: { 200: { description: 'the review of one institution', schema: reviewSchema }, 404: 'unknown edition or institution' } }, signedIn, async (req, res) => {
    const edition = await editionForUser(currentUser(res), String(req.params.edition), 'read');
    const data = await reviewData(edition.editionId, institutionParam(req));
    res.json({
      edition: edition.editionId,
      institution: { id: String(data.answers.institution._id), name: data.answers.institution.name, entity: data.answers.institution.entity, type: data.answers.institution.type, level: data.answers.institution.level },
      answers: { questionnaire: { id: data.own.id, hash: data.own.hash }, status: data.answers.status, answers: data.answers.answers, progress: data.answers.progress, comments: (data.answers.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment, by: c.by, at: c.at })) },
      logs: data.logs && { questionnaire: { id: data.logs.id, hash: data.logs.hash }, status: data.logResponse!.status, answers: data.logResponse!.answers, progress: data.logResponse!.progress },
      audit: data.audit.map((e) => ({ item: e.item, oldValue: e.oldValue, newValue: e.newValue, reason: e.reason, actor: e.actor, at: e.at, questionnaire: e.questionnaire })),
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

  api.add({ method: 'post', path: '/editions/:edition/institutions/:id/return', summary: 'Return submitted answers to the institution with per-item comments', tag: 'review', access: writers, body: returnBody }, signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    const { comments } = checkReturnBody(req.body);
    await returnResponse(edition.editionId, institutionId, own, comments, actorOf(user));
    res.json({ status: 'returned' });
  });

  api.add({ method: 'post', path: '/editions/:edition/institutions/:id/approve', summary: 'Approve submitted answers; the score is recomputed', tag: 'review', access: writers }, signedIn, async (req, res) => {
    const { edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const result = await approveResponse(edition.editionId, institutionId, await editionInstrument(edition.editionId, 'institution'));
    res.json({ status: 'approved', score: result?.score ?? null });
  });

  api.add({ method: 'put', path: '/editions/:edition/institutions/:id/citizen-logs', summary: 'Save the citizen-perspective logs; complete=true validates them and counts them in the score', tag: 'review', access: writers, body: citizenLogsBody }, signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const body = checkCitizenLogsBody(req.body);
    const saved = await saveLogs(edition.editionId, institutionId, user, body.answers, { complete: body.complete === true, reason: body.reason ?? '' });
    res.json({ status: saved.status, changed: saved.changed, audited: saved.audited, score: saved.score ?? null });
  });
}
