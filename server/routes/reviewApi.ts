/**
 * The review's JSON API (/api/v1): an institution's review, return, approve, reopen and the citizen
 * logs. The pages are in review.ts, whose helpers this shares.
 */
import type { JSONSchemaType } from 'ajv';
import { currentUser, editionForUser, requireUser } from '../auth/access.js';
import { validator } from '../http/validate.js';
import { problem } from '../http/apiSchemas.js';
import type { ApiRegistry } from '../http/api.js';
import { scoreExplanationSchema } from '../http/explanationSchema.js';
import { sha256 } from '../http/schemas.js';
import { approveResponse, editionInstrument, reopenResponse, returnResponse, type ReviewComment } from '../services/responses.js';
import { institutionExplanation } from '../services/explanations.js';
import { actorOf, institutionParam, reviewData, saveLogs, writableEdition } from './review.js';

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
  properties: {
    answers: {
      type: 'object',
      description:
        'The whole logs, as GET .../review gives them under logs.answers. Each row of a group carries its key "_key": send it back to keep the row (and its evidence files); ' +
        'a row without one is a new row and gets a key; a stored row whose key is not sent is removed, and its evidence files with it.',
    },
    complete: { type: 'boolean', nullable: true },
    reason: { type: 'string', maxLength: 1000, nullable: true },
    baseRevision: baseRevisionProperty,
  },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<CitizenLogsBody>;
const checkCitizenLogsBody = validator(citizenLogsBody, 'body');

const NOT_FOUND = problem('unknown edition or institution, or the edition is not assigned to the caller');
const changesSchema = {
  type: 'object',
  description: 'What the respondent changed since the answers were last returned (or the approval reopened), per question, with the reasons given; since is null when they never were',
  required: ['since', 'items'],
  properties: {
    since: { type: ['string', 'null'], format: 'date-time' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['item', 'before', 'after', 'reasons'],
        properties: {
          item: { type: 'string' },
          label: { type: 'string' },
          before: { type: 'string', description: 'the answer (and evidence link) when returned, in words' },
          after: { type: 'string', description: 'the answer now, in words' },
          reasons: { type: 'array', items: { type: 'object', required: ['text', 'at'], properties: { text: { type: 'string' }, at: { type: 'string', format: 'date-time' }, by: { type: 'string' } } } },
        },
      },
    },
  },
};
const questionnaireRef = { type: 'object', required: ['id', 'hash'], properties: { id: { type: 'string' }, hash: sha256 } };
const reviewSchema = {
  type: 'object',
  required: ['edition', 'institution', 'answers', 'audit', 'score', 'explanation'],
  properties: {
    edition: { type: 'string' },
    institution: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' } } },
    answers: {
      type: 'object',
      required: ['questionnaire', 'status', 'answers', 'changesSinceReturn'],
      properties: { questionnaire: questionnaireRef, status: { type: 'string' }, answers: { type: 'object' }, progress: { type: 'object' }, comments: { type: 'array', items: { type: 'object' } }, changesSinceReturn: changesSchema },
    },
    logs: { type: 'object', properties: { questionnaire: questionnaireRef, status: { type: 'string' }, answers: { type: 'object', description: 'the citizen logs; each row of a group has its stable key "_key" (evidence files of a row name it as "row")' }, progress: { type: 'object' } } },
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
      answers: { questionnaire: { id: data.own.id, hash: data.own.hash }, status: data.answers.status, revision: data.answers.revision, reopenReason: data.answers.response?.reopenReason ?? null, answers: data.answers.answers, progress: data.answers.progress, comments: (data.answers.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment, by: c.by, at: c.at })), changesSinceReturn: { since: data.changes.since, items: data.changes.changes } },
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
      summary: 'Save the citizen-perspective logs (all or nothing); complete=true validates them and counts them in the score. Rows keep their identity by "_key"; removing a row removes its evidence files',
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
