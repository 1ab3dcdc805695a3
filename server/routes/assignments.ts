/**
 * Assignments of evaluators to institutions (admins): the page /admin/ediciones/:edition/asignaciones
 * (one by one from the filtered list, by entity, or by a CSV file) and the JSON API under
 * /api/v1/editions/:edition/assignments.
 */
import { Router, type Request, type Response } from 'express';
import type { JSONSchemaType } from 'ajv';
import { currentUser, requireUser } from '../auth/access.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { pager, parseListQuery, streamCsv } from '../http/lists.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { findEdition } from '../services/results.js';
import { QUEUE_SPEC, reviewQueuePage, type QueueEdition } from '../services/queueList.js';
import {
  ASSIGNMENT_SORTS,
  ASSIGNMENT_SPEC,
  assign,
  assignFromCsv,
  assignmentCounts,
  assignmentRows,
  evaluatorAccounts,
  listAssignments,
  unassign,
  type AssignmentActor,
  type AssignmentResult,
  type AssignmentTarget,
} from '../services/assignments.js';
import { recordAssignments } from '../services/assignmentAudit.js';
import { listQueryParameters } from './queue.js';
import { problem, type ApiRegistry } from '../http/api.js';
import { pageSchema } from '../http/apiSchemas.js';

const targetSchema: JSONSchemaType<AssignmentTarget> = {
  type: 'object',
  properties: {
    evaluatorId: { type: 'string', maxLength: 24, description: 'the evaluator account id' },
    institutionIds: { type: 'array', items: { type: 'string', maxLength: 24 }, minItems: 1, maxItems: 5000, nullable: true },
    entity: { type: 'string', maxLength: 100, nullable: true, description: 'every institution of this entity (catalogue name, e.g. Jalisco)' },
  },
  required: ['evaluatorId'],
  additionalProperties: false,
};
const checkTarget = validator(targetSchema, 'body');

const resultSchema = {
  type: 'object',
  required: ['evaluator', 'institutions', 'changed'],
  properties: {
    evaluator: { type: 'object', required: ['id', 'name', 'email'], properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
    institutions: { type: 'integer', description: 'institutions named by the request' },
    changed: { type: 'integer', description: 'pairs added (or removed) by this request' },
  },
} as const;

const listSchema = pageSchema(
  {
    type: 'object',
    required: ['institution', 'evaluator', 'at'],
    properties: {
      institution: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' } } },
      evaluator: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
      at: { type: 'string', format: 'date-time' },
    },
  },
  { edition: true },
);

const actorOf = (res: Response): AssignmentActor & { user: ReturnType<typeof currentUser> } => {
  const user = currentUser(res);
  return { id: user.id, label: `${user.name} <${user.email}>`, user };
};

const publicResult = (r: AssignmentResult) => ({ evaluator: r.evaluator, institutions: r.institutions, changed: r.changed });

interface UploadedFile {
  fieldname: string;
  originalname: string;
  buffer: Buffer;
}

function uploadedCsv(req: Request): Uint8Array {
  const file = ((req.files as UploadedFile[] | undefined) ?? []).find((f) => f.fieldname === 'archivo' || f.fieldname === 'file');
  if (file) return file.buffer;
  if (Buffer.isBuffer(req.body) && req.is('text/csv')) return req.body;
  throw new HttpProblem(400, 'Bad Request', 'attach the CSV as multipart field "archivo", or send it as text/csv', [{ field: 'archivo', reason: 'no se envió ningún archivo' }]);
}

/** A safe way back to the page with its filters (only a query string of this page). */
function backTo(editionId: string, body: unknown): string {
  const back = (body as Record<string, unknown> | undefined)?.volver;
  const search = typeof back === 'string' && /^\?[\w=&%.+-]*$/.test(back) ? back : '';
  return `/admin/ediciones/${editionId}/asignaciones${search}`;
}

const FIELD_LABELS: Record<string, string> = { evaluatorId: 'Evaluador', institutionIds: 'Sujetos obligados', entity: 'Entidad federativa', archivo: 'Archivo CSV', evaluador: 'columna evaluador', institution_id: 'columna institution_id', sujeto_obligado: 'columna sujeto_obligado', entidad: 'columna entidad' };
const pageErrors = (errors: readonly FieldError[]) =>
  errors.map((e) => ({ ...e, field: e.field.startsWith('institutionIds') ? 'institutionIds' : e.field, label: e.row ? `Fila ${e.row}, ${FIELD_LABELS[e.field] ?? e.field}` : (FIELD_LABELS[e.field.replace(/\[\d+\]$/, '')] ?? e.field) }));

async function renderAssignments(req: Request, res: Response, extra: { errors?: FieldError[]; status?: number; form?: Record<string, unknown> } = {}) {
  const editionId = String(req.params.edition);
  const edition = await findEdition(editionId);
  const query = parseListQuery(req.query as Record<string, unknown>, { ...QUEUE_SPEC, defaultSort: 'entity' });
  const [page, evaluators, counts] = await Promise.all([reviewQueuePage(edition as unknown as QueueEdition, query, {}), evaluatorAccounts(), assignmentCounts(editionId)]);
  const f = query.filters;
  const selectedEvaluator = String(extra.form?.evaluatorId ?? '');
  const search = new URLSearchParams(Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string')).toString();
  renderPage(
    req,
    res,
    'admin/assignments',
    {
      title: `Asignaciones ${editionId}`,
      edition,
      q: query.q,
      back: search ? `?${search}` : '',
      evaluators: evaluators.map((e) => ({ ...e, selected: e.id === selectedEvaluator })),
      counts,
      entities: ENTITIES.map((e) => ({ value: e.name, label: e.name, selected: e.name === f.entity, chosen: e.name === extra.form?.entity })),
      assigneeOptions: [{ value: 'none', label: 'Sin asignar', selected: f.assignee === 'none' }, ...evaluators.map((e) => ({ value: e.id, label: e.name, selected: e.id === f.assignee }))],
      pager: pager(`/admin/ediciones/${editionId}/asignaciones`, query, page.total, {}, `/evaluacion/${editionId}`),
      rows: page.items,
      errors: extra.errors ? pageErrors(extra.errors) : undefined,
    },
    { status: extra.status },
  );
}

async function formAction(req: Request, res: Response, action: () => Promise<string>) {
  try {
    flash(req, await action());
    res.redirect(303, backTo(String(req.params.edition), req.body));
  } catch (error) {
    if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
    await renderAssignments(req, res, { errors: error.errors ?? [{ field: 'evaluatorId', reason: error.detail ?? error.title }], status: error.status, form: formFields(req.body) });
  }
}

const count = (n: number, one: string, many: string) => `${new Intl.NumberFormat('es-MX').format(n)} ${n === 1 ? one : many}`;

export function assignmentsRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.get('/admin/ediciones/:edition/asignaciones', admin, (req, res) => renderAssignments(req, res));

  router.post('/admin/ediciones/:edition/asignaciones', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await findEdition(editionId);
    const fields = formFields(req.body, ['institutionIds']);
    const byEntity = fields.modo === 'entidad';
    const target: AssignmentTarget = { evaluatorId: String(fields.evaluatorId ?? ''), ...(byEntity ? { entity: String(fields.entity ?? '') } : { institutionIds: fields.institutionIds as string[] }) };
    await formAction(req, res, async () => {
      const actor = actorOf(res);
      if (!target.evaluatorId) throw new HttpProblem(400, 'Bad Request', 'choose an evaluator', [{ field: 'evaluatorId', reason: 'elija a quién asignar' }]);
      const result = await assign(editionId, checkTarget(target), actor);
      await recordAssignments(editionId, 'assign', result, actor.user);
      return `${result.evaluator.name}: ${count(result.changed, 'sujeto obligado asignado', 'sujetos obligados asignados')}${result.changed < result.institutions ? ` (${count(result.institutions - result.changed, 'ya estaba asignado', 'ya estaban asignados')})` : ''}.`;
    });
  });

  router.post('/admin/ediciones/:edition/asignaciones/quitar', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await findEdition(editionId);
    const [evaluatorId = '', institutionId = ''] = String(formFields(req.body).quitar ?? '').split(':');
    await formAction(req, res, async () => {
      const actor = actorOf(res);
      const result = await unassign(editionId, checkTarget({ evaluatorId, institutionIds: [institutionId] }), actor);
      await recordAssignments(editionId, 'unassign', result, actor.user);
      return result.changed ? `Se quitó la asignación a ${result.evaluator.name}.` : 'No había tal asignación.';
    });
  });

  router.post('/admin/ediciones/:edition/asignaciones/archivo', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await findEdition(editionId);
    await formAction(req, res, async () => {
      const actor = actorOf(res);
      const result = await assignFromCsv(editionId, uploadedCsv(req), actor);
      for (const group of result.byEvaluator) await recordAssignments(editionId, 'assign', { evaluator: group.evaluator, institutions: group.institutions.length, changed: group.institutions.length, changedInstitutions: group.institutions }, actor.user);
      return `Archivo leído: ${count(result.rows, 'fila', 'filas')}, ${count(result.changed, 'asignación nueva', 'asignaciones nuevas')}.`;
    });
  });

  return router;
}

export function registerAssignmentsApi(api: ApiRegistry): void {
  const admin = requireUser('admin');

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/assignments',
      summary: 'Assignments of evaluators to institutions, one page at a time (format=csv: the whole filtered list)',
      tag: 'admin',
      access: 'admin',
      query: listQueryParameters({ evaluator: { type: 'string', description: 'an evaluator account id' }, entity: { type: 'string' }, sort: { type: 'string', enum: [...ASSIGNMENT_SORTS], default: 'entity' } }),
      responses: { 200: { description: 'a page of assignments', schema: listSchema }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const query = parseListQuery(req.query as Record<string, unknown>, ASSIGNMENT_SPEC);
      if (query.csv) {
        const rows = (async function* () {
          for await (const r of assignmentRows(editionId, query)) yield [r.institution.id, r.institution.name, r.institution.entity, r.evaluator.email, r.evaluator.name, r.at];
        })();
        return streamCsv(res, `asignaciones-${editionId}.csv`, ['institution_id', 'sujeto_obligado', 'entidad', 'evaluador', 'nombre_evaluador', 'asignado'], rows);
      }
      const page = await listAssignments(editionId, query);
      res.json({ edition: editionId, total: page.total, limit: query.limit, offset: query.offset, items: page.items });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/assignments',
      summary: 'Assign an evaluator to institutions: a list of ids, or every institution of an entity; already assigned pairs are kept',
      tag: 'admin',
      access: 'admin',
      body: targetSchema,
      responses: { 200: { description: 'assigned', schema: resultSchema }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const actor = actorOf(res);
      const result = await assign(editionId, checkTarget(req.body ?? {}), actor);
      await recordAssignments(editionId, 'assign', result, actor.user);
      res.json(publicResult(result));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/assignments/remove',
      summary: 'Remove an evaluator\'s assignments: a list of ids, or every institution of an entity',
      tag: 'admin',
      access: 'admin',
      body: targetSchema,
      responses: { 200: { description: 'removed', schema: resultSchema }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const actor = actorOf(res);
      const result = await unassign(editionId, checkTarget(req.body ?? {}), actor);
      await recordAssignments(editionId, 'unassign', result, actor.user);
      res.json(publicResult(result));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/assignments/import',
      summary: 'Assignments from a CSV file (evaluador = account e-mail, and institution_id or sujeto_obligado + entidad); all or nothing',
      tag: 'admin',
      access: 'admin',
      bodyTypes: ['multipart/form-data', 'text/csv'],
      responses: {
        200: { description: 'assigned', schema: { type: 'object', required: ['rows', 'changed'], properties: { rows: { type: 'integer' }, changed: { type: 'integer' } } } },
        404: problem('unknown edition'),
      },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const actor = actorOf(res);
      const result = await assignFromCsv(editionId, uploadedCsv(req), actor);
      for (const group of result.byEvaluator) await recordAssignments(editionId, 'assign', { evaluator: group.evaluator, institutions: group.institutions.length, changed: group.institutions.length, changedInstitutions: group.institutions }, actor.user);
      res.json({ rows: result.rows, changed: result.changed });
    },
  );
}
