/**
 * The audit trail of an edition as a list: the page /evaluacion/:edition/auditoria and
 * GET /api/v1/editions/:edition/audit (a page at a time, filtered by institution, action and role,
 * oldest or newest first) and audit.csv (the filtered trail, streamed). Evaluators read the entries
 * of the edition itself and of the institutions assigned to them.
 */
import { Router, type Request, type Response } from 'express';
import { Types } from 'mongoose';
import { currentUser, editionForUser, requireUser, type UserPrincipal } from '../auth/access.js';
import { renderPage } from '../http/render.js';
import { pager, parseListQuery, streamCsv, type ListQuery, type ListSpec } from '../http/lists.js';
import { AUDIT_ACTIONS, ACTOR_ROLES, type ActorRole, type AuditAction } from '../models/audit.js';
import { AssignmentModel } from '../models/assignment.js';
import { ACTION_LABELS, ROLE_LABELS } from '../services/audit.js';
import { AUDIT_CSV_HEADER, auditCsvRows, auditEntries, type AuditQuery } from '../services/auditView.js';
import { listQueryParameters } from './queue.js';
import { problem, type ApiRegistry } from '../http/api.js';

const AUDIT_SORTS = ['at', '-at'] as const;
type AuditSort = (typeof AUDIT_SORTS)[number];

const AUDIT_SPEC: ListSpec<AuditSort> = {
  filters: {
    institution: { pattern: /^[0-9a-f]{24}$/, describe: 'an institution id' },
    action: { values: AUDIT_ACTIONS },
    role: { values: ACTOR_ROLES },
  },
  sorts: AUDIT_SORTS,
  defaultSort: 'at',
};

/** The entries this user may read, as a query of the trail. */
async function auditQueryFor(user: UserPrincipal, editionId: string, query: ListQuery<AuditSort>): Promise<Omit<AuditQuery, 'limit' | 'offset'>> {
  const within = user.role === 'evaluator' ? (await AssignmentModel.find({ edition: editionId, evaluator: user.id }, { institution: 1 }).lean()).map((a) => a.institution as Types.ObjectId) : undefined;
  return {
    edition: editionId,
    ...(query.filters.institution && { institution: query.filters.institution }),
    ...(within && { within }),
    ...(query.filters.action && { action: query.filters.action as AuditAction }),
    ...(query.filters.role && { role: query.filters.role as ActorRole }),
    newestFirst: query.sort === '-at',
  };
}

async function auditRequest(req: Request, res: Response) {
  const user = currentUser(res);
  const edition = await editionForUser(user, String(req.params.edition), 'assigned');
  const query = parseListQuery(req.query as Record<string, unknown>, AUDIT_SPEC);
  return { user, edition, query, audit: await auditQueryFor(user, edition.editionId, query) };
}

const sendCsv = (res: Response, editionId: string, audit: Omit<AuditQuery, 'limit' | 'offset'>) => streamCsv(res, `bitacora-${editionId}.csv`, AUDIT_CSV_HEADER, auditCsvRows(audit));

export function auditRouter(): Router {
  const router = Router();
  router.get('/evaluacion/:edition/auditoria', requireUser(), async (req, res) => {
    const { edition, query, audit } = await auditRequest(req, res);
    if (query.csv) return sendCsv(res, edition.editionId, audit);
    const { rows, total } = await auditEntries({ ...audit, limit: query.limit, offset: query.offset });
    const option = (value: string, label: string, selected: string | undefined) => ({ value, label, selected: value === selected });
    renderPage(req, res, 'review/audit', {
      title: `Bitácora de cambios ${edition.editionId}`,
      edition,
      rows,
      total,
      filters: {
        action: AUDIT_ACTIONS.map((a) => option(a, ACTION_LABELS[a], query.filters.action)),
        role: ACTOR_ROLES.map((r) => option(r, ROLE_LABELS[r], query.filters.role)),
      },
      sorts: [option('at', 'Del más antiguo al más reciente', query.sort), option('-at', 'Del más reciente al más antiguo', query.sort)],
      institution: query.filters.institution,
      pager: pager(`/evaluacion/${edition.editionId}/auditoria`, query, total),
    });
  });
  return router;
}

const auditParameters = listQueryParameters({
  institution: { type: 'string', pattern: '^[0-9a-f]{24}$' },
  action: { type: 'string', enum: [...AUDIT_ACTIONS] },
  role: { type: 'string', enum: [...ACTOR_ROLES] },
  sort: { type: 'string', enum: [...AUDIT_SORTS], default: 'at', description: 'at: oldest first; -at: newest first' },
});

export function registerAuditApi(api: ApiRegistry): void {
  const auditReaders = 'admins and viewers of the edition; evaluators (the edition\'s own entries and those of their assigned institutions)';
  api.add(
    {
      method: 'get',
      path: '/editions/:edition/audit',
      summary: 'The audit trail of an edition (or of one institution), a page at a time: who, role, when, what, old, new, reason; items named by their question text',
      tag: 'review',
      access: auditReaders,
      query: auditParameters,
      responses: {
        200: {
          description: 'a page of entries',
          schema: { type: 'object', required: ['total', 'limit', 'offset', 'entries'], properties: { total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' }, entries: { type: 'array', items: { type: 'object' } } } },
        },
        404: problem('unknown edition, or not one of the caller\'s'),
      },
    },
    requireUser(),
    async (req, res) => {
      const { edition, query, audit } = await auditRequest(req, res);
      if (query.csv) return sendCsv(res, edition.editionId, audit);
      const { total, rows } = await auditEntries({ ...audit, limit: query.limit, offset: query.offset });
      res.json({ total, limit: query.limit, offset: query.offset, entries: rows.map(({ oldText: _o, newText: _n, ...row }) => row) });
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/audit.csv',
      summary: 'The audit trail of an edition as CSV, with the same filters (UTF-8 with BOM; text that could start a formula is escaped; streamed)',
      tag: 'review',
      access: auditReaders,
      query: auditParameters,
      responses: { 200: { description: 'the CSV file', contentType: 'text/csv', schema: { type: 'string' } } },
    },
    requireUser(),
    async (req, res) => {
      const { edition, audit } = await auditRequest(req, res);
      await sendCsv(res, edition.editionId, audit);
    },
  );
}
