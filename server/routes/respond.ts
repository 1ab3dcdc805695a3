/**
 * The respondent of an institution, through its personal invitation link (no password): the
 * questionnaire with its progress, drafts (also saved in the background by the page script), field
 * errors, submission, and a read-only view after submitting until the evaluators return it.
 * The same actions in the JSON API, authenticated by the invitation token as a bearer token.
 */
import { Router, type Request, type Response } from 'express';
import { InvitationModel } from '../models/invitation.js';
import { activeInvitation, currentRespondent, principalOf, requireRespondent, type RespondentPrincipal } from '../auth/access.js';
import type { JSONSchemaType } from 'ajv';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { startSession } from '../auth/session.js';
import { flash, renderPage } from '../http/render.js';
import { answersFromForm, errorsByPath, labelledErrors, questionnaireView, type FormAnswers } from '../http/questionnaireForm.js';
import { editionInstrument, loadResponse, saveAnswers, STATUS_LABELS, type Actor } from '../services/responses.js';
import { progress } from '../../questionnaires/engine.js';
import { problem, type ApiRegistry } from '../http/api.js';
import { answers as answersSchema, institutionRef, label, progress as progressSchema, responseStatus, sha256 } from '../http/schemas.js';

const EDITABLE = ['draft', 'returned'] as const;

async function respondentContext(principal: RespondentPrincipal) {
  const instrument = await editionInstrument(principal.edition, 'institution');
  const current = await loadResponse(principal.edition, principal.institution, instrument);
  const actor: Actor = { kind: 'respondent', id: principal.invitationId, label: `Sujeto obligado: ${current.institution.name}` };
  return { instrument, current, actor };
}

function commentsOf(current: Awaited<ReturnType<typeof loadResponse>>): Record<string, string> {
  if (current.status !== 'returned') return {};
  return Object.fromEntries((current.response?.comments ?? []).map((c) => [c.item, c.comment]));
}

async function renderQuestionnaire(req: Request, res: Response, override?: { answers: FormAnswers; errors: FieldError[]; reason: string; status: number }) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const editable = (EDITABLE as readonly string[]).includes(current.status);
  const answers = override?.answers ?? current.answers;
  const errors = override?.errors ?? [];
  const sections = questionnaireView(instrument.definition, answers, { institution: current.context.institution, errors: errorsByPath(errors), comments: commentsOf(current), newRows: editable });
  renderPage(
    req,
    res,
    'respond/questionnaire',
    {
      title: instrument.title,
      instrument: { id: instrument.id, title: instrument.title, hash: instrument.hash },
      edition: principal.edition,
      institution: current.institution,
      status: current.status,
      statusLabel: STATUS_LABELS[current.status],
      progress: progress(instrument.definition, answers, current.context),
      editable,
      needsReason: Boolean(current.response?.firstSubmittedAt),
      reason: override?.reason ?? '',
      sections,
      errors: labelledErrors(instrument.definition, errors),
      savedAt: current.response?.updatedAt,
      draftKey: `mga-borrador-${principal.invitationId}`,
      serverVersion: current.response?.updatedAt ? new Date(current.response.updatedAt).getTime() : 0,
      scripts: editable ? ['/static/questionnaire.js'] : [],
    },
    { status: override?.status },
  );
}

function reasonOf(body: unknown): string {
  const reason = (body as Record<string, unknown> | undefined)?.reason;
  return typeof reason === 'string' ? reason : '';
}

export function respondRouter(): Router {
  const router = Router();

  router.get('/responder/:token', async (req, res) => {
    const invitation = await activeInvitation(String(req.params.token));
    if (!invitation) {
      return renderPage(req, res, 'respond/invalid', { title: 'Liga no válida' }, { status: 404 });
    }
    await InvitationModel.updateOne({ _id: invitation._id }, { $set: { lastUsedAt: new Date() } });
    await startSession(req, { invitationId: String(invitation._id) });
    res.redirect(303, '/responder');
  });

  router.get('/responder', async (req, res) => {
    if (principalOf(res)?.kind !== 'respondent') return renderPage(req, res, 'respond/invalid', { title: 'Abra su liga de invitación' }, { status: 401 });
    await renderQuestionnaire(req, res);
  });

  router.post('/responder', requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, actor } = await respondentContext(principal);
    const submit = (req.body as Record<string, unknown>).action === 'submit';
    const answers = answersFromForm(instrument.definition, req.body);
    const reason = reasonOf(req.body);
    try {
      await saveAnswers(principal.edition, principal.institution, instrument, answers, {
        actor,
        reason,
        editableIn: EDITABLE,
        mode: submit ? 'submit' : 'draft',
        nextStatus: submit ? 'submitted' : undefined,
      });
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 400) return renderQuestionnaire(req, res, { answers, errors: error.errors ?? [{ field: '', reason: error.detail ?? error.title }], reason, status: 400 });
      if (error instanceof HttpProblem && error.status === 409) {
        flash(req, 'Sus respuestas ya fueron enviadas: no se pueden cambiar hasta que la evaluación las devuelva.');
        return res.redirect(303, '/responder');
      }
      throw error;
    }
    flash(req, submit ? 'Cuestionario enviado. El equipo evaluador lo revisará.' : 'Borrador guardado.');
    res.redirect(303, '/responder');
  });

  /** The page script's background save: the same form, answered in JSON. */
  router.post('/responder/borrador', requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, actor } = await respondentContext(principal);
    const answers = answersFromForm(instrument.definition, req.body);
    const saved = await saveAnswers(principal.edition, principal.institution, instrument, answers, { actor, reason: reasonOf(req.body), editableIn: EDITABLE, mode: 'draft' });
    const current = await loadResponse(principal.edition, principal.institution, instrument);
    res.json({ status: saved.status, changed: saved.changed.length, progress: current.progress, savedAt: current.response?.updatedAt });
  });

  return router;
}

function questionnairePayload(ctx: Awaited<ReturnType<typeof respondentContext>>, principal: RespondentPrincipal) {
  const { instrument, current } = ctx;
  return {
    edition: principal.edition,
    institution: { id: String(current.institution._id), name: current.institution.name, entity: current.institution.entity, type: current.institution.type, level: current.institution.level },
    questionnaire: { id: instrument.id, hash: instrument.hash, definition: instrument.definition },
    status: current.status,
    answers: current.answers,
    progress: current.progress,
    comments: current.status === 'returned' ? (current.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment })) : [],
    updatedAt: current.response?.updatedAt ?? null,
  };
}

interface AnswersBody {
  answers: Record<string, unknown>;
  reason?: string;
}

/** The engine checks the answers item by item; the schema only the envelope. */
const answersBody = {
  type: 'object',
  properties: { answers: { type: 'object', description: 'item id → value; group id → rows; "<item>:evidence" → URL' }, reason: { type: 'string', maxLength: 1000, nullable: true } },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<AnswersBody>;
const checkAnswersBody = validator(answersBody, 'body');

const QUESTIONNAIRE_SCHEMA = {
  type: 'object',
  required: ['edition', 'institution', 'questionnaire', 'status', 'answers', 'progress', 'comments'],
  properties: {
    edition: { type: 'string' },
    institution: institutionRef,
    questionnaire: {
      type: 'object',
      required: ['id', 'hash', 'definition'],
      properties: { id: { type: 'string' }, hash: sha256, definition: { type: 'object', required: ['id', 'title', 'sections'], properties: { id: { type: 'string' }, title: label, sections: { type: 'array' } }, description: 'the questionnaire definition (questionnaires/README.md)' } },
    },
    status: responseStatus,
    answers: answersSchema,
    progress: progressSchema,
    comments: { type: 'array', items: { type: 'object', required: ['item', 'comment'], properties: { item: { type: 'string' }, comment: { type: 'string' } } }, description: 'the evaluators\' comments while the answers are returned' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const RESPONDENT_RESPONSES = {
  200: { description: 'the questionnaire with the answers as saved', schema: QUESTIONNAIRE_SCHEMA },
  400: problem('answers that do not fit the questionnaire (each error names its item and reason); nothing saved'),
  409: problem('the answers cannot be changed now (submitted or approved)'),
};

export function registerRespondentApi(api: ApiRegistry): void {
  const access = 'the respondent of the institution (invitation token as bearer, or the session opened by the link)';
  api.add({ method: 'get', path: '/respondent/questionnaire', summary: 'The questionnaire of the invited institution, its answers, status, progress and review comments', tag: 'respondent', access, responses: { 200: RESPONDENT_RESPONSES[200] } }, requireRespondent, async (_req, res) => {
    const principal = currentRespondent(res);
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });

  api.add({ method: 'put', path: '/respondent/answers', summary: 'Save the answers as a draft (types and ranges checked; all or nothing)', tag: 'respondent', access, body: answersBody, responses: RESPONDENT_RESPONSES }, requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const { answers, reason = '' } = checkAnswersBody(req.body);
    await saveAnswers(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, editableIn: EDITABLE, mode: 'draft' });
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });

  api.add({ method: 'post', path: '/respondent/submit', summary: 'Submit the answers (every required item must be answered); read-only until returned', tag: 'respondent', access, body: answersBody, responses: RESPONDENT_RESPONSES }, requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const { answers, reason = '' } = checkAnswersBody(req.body);
    await saveAnswers(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, editableIn: EDITABLE, mode: 'submit', nextStatus: 'submitted' });
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });
}
