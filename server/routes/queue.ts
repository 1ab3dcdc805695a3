/**
 * The review queue and progress dashboard of an edition, page (/evaluacion/:edition) and API
 * (GET /api/v1/editions/:edition/review): searched, filtered, sorted and paged on the server, with
 * the whole filtered list as CSV (`format=csv`).
 */
import { Router, type Request, type Response } from 'express';
import { currentUser, editionForUser, requireUser, type UserPrincipal } from '../auth/access.js';
import { renderPage } from '../http/render.js';
import { pager, parseListQuery, streamCsv, type ListQuery } from '../http/lists.js';
import { ENTITIES, LEVELS } from '../../scoring/catalogue.js';
import { institutionTypeNames } from '../models/institutionType.js';
import { UserModel } from '../models/user.js';
import {
  QUEUE_CSV_HEADER,
  QUEUE_SORTS,
  QUEUE_SORT_LABELS,
  QUEUE_SPEC,
  QUEUE_STATUSES,
  queueCsvRow,
  queueDashboard,
  reviewQueuePage,
  reviewQueueRows,
  type QueueEdition,
  type QueueScope,
  type QueueSort,
} from '../services/queueList.js';
import { STATUS_LABELS } from '../services/responses.js';
import { problem, type ApiRegistry } from '../http/api.js';

/** What the user's queue holds: everything for admins and viewers; for evaluators, their institutions. */
export function queueScope(user: UserPrincipal): QueueScope {
  return { me: user.id, ...(user.role === 'evaluator' ? { onlyAssignedTo: user.id } : {}) };
}

async function queueRequest(req: Request, res: Response) {
  const user = currentUser(res);
  const edition = await editionForUser(user, String(req.params.edition), 'read');
  const query = parseListQuery(req.query as Record<string, unknown>, QUEUE_SPEC);
  return { user, edition, query, scope: queueScope(user), queueEdition: edition as unknown as QueueEdition };
}

function sendCsv(res: Response, edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope) {
  const rows = (async function* () {
    for await (const row of reviewQueueRows(edition, query, scope)) yield queueCsvRow(row);
  })();
  return streamCsv(res, `cola-${edition.editionId}.csv`, QUEUE_CSV_HEADER, rows);
}

const option = (value: string, label: string, selected: string | undefined) => ({ value, label, selected: value === selected });

export function queueRouter(): Router {
  const router = Router();
  router.get('/evaluacion/:edition', requireUser(), async (req, res) => {
    const { user, edition, query, scope, queueEdition } = await queueRequest(req, res);
    if (query.csv) return sendCsv(res, queueEdition, query, scope);
    const [page, dashboard, types, evaluators] = await Promise.all([
      reviewQueuePage(queueEdition, query, scope),
      queueDashboard(queueEdition, scope),
      institutionTypeNames(),
      UserModel.find({ role: 'evaluator', editions: edition.editionId }, { name: 1 }).sort({ name: 1 }).limit(500).lean(),
    ]);
    const f = query.filters;
    renderPage(req, res, 'review/edition', {
      title: `Evaluación ${edition.editionId}`,
      edition,
      dashboard,
      q: query.q,
      filters: {
        status: QUEUE_STATUSES.map((s) => option(s, STATUS_LABELS[s], f.status)),
        entity: ENTITIES.map((e) => option(e.name, e.name, f.entity)),
        type: types.sort((a, b) => a.localeCompare(b, 'es')).map((t) => option(t, t, f.type)),
        level: LEVELS.map((l) => option(l, l, f.level)),
        assignee: [option('me', 'Asignados a mí', f.assignee), option('none', 'Sin asignar', f.assignee), ...evaluators.filter((e) => String(e._id) !== user.id).map((e) => option(String(e._id), e.name, f.assignee))],
        overdue: [option('true', 'Sólo vencidos', f.overdue), option('false', 'Sin vencer', f.overdue)],
      },
      sorts: QUEUE_SORTS.map((s) => option(s, QUEUE_SORT_LABELS[s], query.sort)),
      deadline: (edition as { deadline?: Date | null }).deadline ?? undefined,
      pager: pager(`/evaluacion/${edition.editionId}`, query, page.total),
      rows: page.items,
    });
  });
  return router;
}

const queueRowSchema = {
  type: 'object',
  required: ['id', 'name', 'entity', 'type', 'level', 'answers', 'answersLabel', 'logs', 'logsLabel', 'overdue', 'assignees'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    entity: { type: 'string' },
    type: { type: 'string' },
    level: { type: 'string' },
    answers: { type: 'string', enum: [...QUEUE_STATUSES] },
    answersLabel: { type: 'string' },
    submittedAt: { type: 'string', format: 'date-time' },
    logs: { type: 'string', enum: [...QUEUE_STATUSES] },
    logsLabel: { type: 'string' },
    GA: { type: 'number' },
    overdue: { type: 'boolean' },
    assignees: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } },
  },
} as const;

const countsSchema = { type: 'array', items: { type: 'object', required: ['status', 'count'], properties: { status: { type: 'string' }, label: { type: 'string' }, count: { type: 'integer' } } } } as const;

export const queueResponseSchema = {
  type: 'object',
  required: ['edition', 'total', 'limit', 'offset', 'items', 'dashboard'],
  properties: {
    edition: { type: 'string' },
    total: { type: 'integer', description: 'institutions matching the filters (all pages)' },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
    items: { type: 'array', items: queueRowSchema },
    dashboard: {
      type: 'object',
      description: 'counts over every institution the caller may see, whatever the filters',
      required: ['total', 'statuses', 'logsComplete', 'scored', 'overdue', 'entities'],
      properties: {
        total: { type: 'integer' },
        statuses: countsSchema,
        logsComplete: { type: 'integer' },
        scored: { type: 'integer' },
        overdue: { type: 'integer' },
        entities: { type: 'array', items: { type: 'object', required: ['entity', 'total', 'counts'], properties: { entity: { type: 'string' }, total: { type: 'integer' }, counts: countsSchema, logsComplete: { type: 'integer' }, scored: { type: 'integer' } } } },
      },
    },
  },
} as const;

export const listQueryParameters = (filters: Record<string, object>) => ({
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200, description: 'part of the name (accents and case ignored)' },
    ...filters,
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    format: { type: 'string', enum: ['json', 'csv'], description: 'csv: the whole filtered list, streamed' },
  },
});

export function registerQueueApi(api: ApiRegistry): void {
  api.add(
    {
      method: 'get',
      path: '/editions/:edition/review',
      summary: 'Review queue: one page of institutions with the state of their answers and logs, the filtered total and the progress dashboard; format=csv streams the whole filtered list',
      tag: 'review',
      access: 'admins; evaluators (their assigned institutions) and viewers of the edition',
      query: listQueryParameters({
        status: { type: 'string', enum: [...QUEUE_STATUSES] },
        entity: { type: 'string', description: 'entity name as in the catalogue, e.g. Jalisco' },
        type: { type: 'string' },
        level: { type: 'string', enum: [...LEVELS] },
        assignee: { type: 'string', description: 'an evaluator account id, "me" or "none"' },
        overdue: { type: 'string', enum: ['true', 'false'] },
        sort: { type: 'string', enum: [...QUEUE_SORTS], default: 'queue' },
      }),
      responses: {
        200: { description: 'a page of the queue (with format=csv: the whole filtered list as text/csv)', schema: queueResponseSchema },
        404: problem('unknown edition, or not one the caller may see'),
      },
    },
    requireUser(),
    async (req, res) => {
      const { edition, query, scope, queueEdition } = await queueRequest(req, res);
      if (query.csv) return sendCsv(res, queueEdition, query, scope);
      const [page, dashboard] = await Promise.all([reviewQueuePage(queueEdition, query, scope), queueDashboard(queueEdition, scope)]);
      res.json({ edition: edition.editionId, total: page.total, limit: query.limit, offset: query.offset, items: page.items, dashboard });
    },
  );
}
