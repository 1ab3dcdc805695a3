/**
 * The respondent's JSON API (authenticated by the invitation token as a bearer token, or the
 * session its link opened): the questionnaire with its answers and state, all-or-nothing saves,
 * submission and the receipt PDF. The pages are in respond.ts.
 */
import type { JSONSchemaType } from 'ajv';
import { currentRespondent, requireRespondent, type RespondentPrincipal } from '../auth/access.js';
import { validator } from '../http/validate.js';
import { download, type ApiRegistry } from '../http/api.js';
import { PROBLEM_RESPONSE } from '../http/apiSchemas.js';
import { saveDraft, submitAnswers } from '../services/responses.js';
import { refusal } from '../services/editionLifecycle.js';
import { EDITABLE, latestReceipt, respondentContext, sendReceipt, type RespondentContext } from './respond.js';

function questionnairePayload(ctx: RespondentContext, principal: RespondentPrincipal) {
  const { instrument, current } = ctx;
  const receipt = latestReceipt(current);
  const closed = refusal(current.edition, 'respond');
  return {
    edition: principal.edition,
    editionState: { status: current.edition.status, deadline: current.edition.deadline ?? null, open: !closed, ...(closed && { code: closed.code }) },
    institution: { id: String(current.institution._id), name: current.institution.name, entity: current.institution.entity, type: current.institution.type, level: current.institution.level },
    questionnaire: { id: instrument.id, hash: instrument.hash, definition: instrument.definition },
    status: current.status,
    revision: current.revision,
    answers: current.answers,
    progress: current.progress,
    comments: current.status === 'returned' ? (current.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment })) : [],
    reopenReason: current.status === 'returned' ? (current.response?.reopenReason ?? null) : null,
    receipt: receipt ? { folio: receipt.folio, at: receipt.at, revision: receipt.revision } : null,
    updatedAt: current.response?.updatedAt ?? null,
  };
}

interface AnswersBody {
  answers: Record<string, unknown>;
  reason?: string;
  reasons?: Record<string, string>;
  baseRevision?: number;
}

/** The engine checks the answers item by item; the schema only the envelope. */
const answersBody = {
  type: 'object',
  properties: {
    answers: { type: 'object', description: 'item id → value; group id → rows; "<item>:evidence" → URL' },
    reason: { type: 'string', maxLength: 1000, nullable: true, description: 'why the answers change (needed once they were submitted): for every changed item without its own reason' },
    reasons: {
      type: 'object',
      nullable: true,
      maxProperties: 500,
      propertyNames: { pattern: '^[A-Za-z0-9_]{1,100}$' },
      additionalProperties: { type: 'string', maxLength: 1000 },
      description: 'item id → why that answer changes (after the first submission); stored with the change in the audit trail and shown to the evaluators beside the answer',
    },
    baseRevision: { type: 'integer', minimum: 0, nullable: true, description: 'the revision these answers are based on; a stale one gets 409 and nothing is stored' },
  },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<AnswersBody>;
const checkAnswersBody = validator(answersBody, 'body');

interface SubmitBody {
  answers?: Record<string, unknown>;
  reason?: string;
  reasons?: Record<string, string>;
  baseRevision?: number;
}
const submitBody = {
  ...answersBody,
  properties: { ...(answersBody as { properties: object }).properties, answers: { type: 'object', nullable: true, description: 'the answers to submit; absent: the stored draft' } },
  required: [],
} as unknown as JSONSchemaType<SubmitBody>;
const checkSubmitBody = validator(submitBody, 'body');

const questionnaireSchema = {
  type: 'object',
  required: ['edition', 'institution', 'questionnaire', 'status', 'revision', 'answers', 'progress'],
  properties: {
    edition: { type: 'string' },
    editionState: { type: 'object', properties: { status: { type: 'string' }, deadline: { type: ['string', 'null'] }, open: { type: 'boolean' }, code: { type: 'string' } } },
    institution: { type: 'object' },
    questionnaire: { type: 'object' },
    status: { type: 'string', enum: ['draft', 'submitted', 'returned', 'approved'] },
    revision: { type: 'integer', minimum: 0 },
    answers: { type: 'object' },
    progress: { type: 'object' },
    comments: { type: 'array' },
    reopenReason: { type: ['string', 'null'] },
    receipt: { type: ['object', 'null'] },
    updatedAt: { type: ['string', 'null'] },
  },
};

export function registerRespondentApi(api: ApiRegistry): void {
  const access = 'the respondent of the institution (invitation token as bearer, or the session opened by the link)';
  const stale = { ...PROBLEM_RESPONSE, description: 'stale baseRevision (code stale_revision, with currentRevision and the current answers; nothing stored), answers not editable now (response_state), or the edition closed (edition_state, deadline_passed)' };
  api.add(
    { method: 'get', path: '/respondent/questionnaire', summary: 'The questionnaire of the invited institution, its answers, revision, status, progress, review comments and receipt', tag: 'respondent', access, responses: { 200: { description: 'the questionnaire and its answers', schema: questionnaireSchema } } },
    requireRespondent,
    async (_req, res) => {
      const principal = currentRespondent(res);
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'put',
      path: '/respondent/answers',
      summary: 'Save the answers as a draft. All or nothing: any invalid answer is a 400 listing every error, and nothing is stored (the questionnaire page instead keeps every valid answer). Send baseRevision to be told (409) when the answers changed meanwhile.',
      tag: 'respondent',
      access,
      body: answersBody,
      responses: { 200: { description: 'stored; the questionnaire with its new revision', schema: questionnaireSchema }, 409: stale },
    },
    requireRespondent,
    async (req, res) => {
      const principal = currentRespondent(res);
      const ctx = await respondentContext(principal);
      const { answers, reason = '', reasons, baseRevision } = checkAnswersBody(req.body);
      await saveDraft(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, reasons: reasons ?? undefined, baseRevision: baseRevision ?? undefined, editableIn: EDITABLE, allOrNothing: true, preloaded: ctx.current });
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/respondent/submit',
      summary: 'Submit the answers (or the stored draft when none are sent): every required item must be answered; read-only until returned. The answer carries the receipt (folio, date and time).',
      tag: 'respondent',
      access,
      body: submitBody,
      responses: { 200: { description: 'submitted; the questionnaire with its receipt', schema: questionnaireSchema }, 409: stale },
    },
    requireRespondent,
    async (req, res) => {
      const principal = currentRespondent(res);
      const ctx = await respondentContext(principal);
      const { answers, reason = '', reasons, baseRevision } = checkSubmitBody(req.body ?? {});
      await submitAnswers(principal.edition, principal.institution, ctx.instrument, answers ?? undefined, { actor: ctx.actor, reason, reasons: reasons ?? undefined, baseRevision: baseRevision ?? undefined, editableIn: EDITABLE });
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/respondent/receipt.pdf',
      summary: 'The receipt of the latest submission (PDF): folio, date and time, and the submitted answers',
      tag: 'respondent',
      access,
      responses: { 200: download('the receipt, as an attachment named after its folio', 'application/pdf'), 404: { ...PROBLEM_RESPONSE, description: 'no submission yet (code no_receipt)' } },
    },
    requireRespondent,
    async (_req, res) => sendReceipt(res),
  );
}
