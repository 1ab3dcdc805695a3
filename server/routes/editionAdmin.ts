/**
 * Running an edition through its states (admins): open and close the capture, the deadline, the
 * publish preflight with the per-institution decisions, publishing and «reabrir publicación».
 * Every rule lives in server/services/editionLifecycle.ts; these routes read input and answer.
 */
import { Router, type Request, type Response } from 'express';
import type { JSONSchemaType } from 'ajv';
import { EDITION_STATUSES, type EditionStatus } from '../models/edition.js';
import { currentUser, requireUser, userActor } from '../auth/access.js';
import { HttpProblem, badRequest } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { fromLocalDateTime } from '../http/mexicoTime.js';
import { problem } from '../http/apiSchemas.js';
import { changeStatus, EDITION_STATUS_LABELS, loadEdition, preflight, setDeadline, setPublicationDecision, TRANSITIONS, type PublicationDecision } from '../services/editionLifecycle.js';
import { editionPageData } from './admin.js';
import { EDITION_DETAILS_SCHEMA } from './editionDetails.js';
import { editionDetails, updateEditionDetails } from '../services/editionSettings.js';
import type { ApiRegistry } from '../http/api.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

function text(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The admin page of the edition again, with what was refused. */
async function renderEditionWithError(req: Request, res: Response, editionId: string, error: HttpProblem) {
  const data = await editionPageData(editionId);
  const errors = error.errors?.length ? error.errors : [{ field: 'status', reason: error.pageMessage ?? error.title }];
  renderPage(req, res, 'admin/edition', { title: `Edición ${editionId}`, ...data, stateErrors: errors }, { status: error.status });
}

async function renderPreflight(req: Request, res: Response, editionId: string, error?: HttpProblem) {
  const edition = await loadEdition(editionId);
  const check = await preflight(editionId);
  renderPage(
    req,
    res,
    'admin/preflight',
    {
      title: `Publicar ${editionId}`,
      edition,
      statusLabel: EDITION_STATUS_LABELS[edition.status as EditionStatus],
      check,
      canPublish: edition.status === 'review' && check.ready,
      inReview: edition.status === 'review',
      errors: error ? (error.errors?.length ? error.errors : [{ field: 'publicar', reason: error.pageMessage ?? error.title }]) : [],
    },
    { status: error?.status },
  );
}

const DECISIONS: Record<string, PublicationDecision> = { excluir: 'excluded', 'sin-calificacion': 'withoutScore', quitar: 'none', excluded: 'excluded', withoutScore: 'withoutScore', none: 'none' };

export function editionAdminRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.post('/admin/ediciones/:edition/estado', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await loadEdition(editionId);
    const status = text(req.body, 'status') as EditionStatus;
    if (status === 'published') return res.redirect(303, `/admin/ediciones/${editionId}/publicar`);
    const transition = TRANSITIONS.find((t) => t.to === status);
    try {
      if (transition?.needsReason && text(req.body, 'confirmar') !== 'si') {
        throw badRequest('confirm the change', [{ field: 'confirmar', reason: 'marque la casilla para confirmar el cambio' }]);
      }
      const changed = await changeStatus(editionId, status, { actor: userActor(currentUser(res)), reason: text(req.body, 'reason') });
      flash(req, `La edición pasó de «${EDITION_STATUS_LABELS[changed.from]}» a «${EDITION_STATUS_LABELS[changed.to]}».`);
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      await renderEditionWithError(req, res, editionId, error);
    }
  });

  router.post('/admin/ediciones/:edition/plazo', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await loadEdition(editionId);
    try {
      const raw = text(req.body, 'deadline');
      const deadline = text(req.body, 'action') === 'quitar' || raw === '' ? null : fromLocalDateTime(raw);
      if (deadline === undefined) throw badRequest('the deadline must be a date and time', [{ field: 'deadline', value: raw, reason: 'escriba la fecha y la hora (AAAA-MM-DD HH:MM)' }]);
      await setDeadline(editionId, deadline, userActor(currentUser(res)));
      flash(req, deadline ? 'Fecha límite guardada.' : 'La edición ya no tiene fecha límite.');
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      await renderEditionWithError(req, res, editionId, error);
    }
  });

  router.get('/admin/ediciones/:edition/publicar', admin, async (req, res) => renderPreflight(req, res, String(req.params.edition)));

  router.post('/admin/ediciones/:edition/publicar', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    try {
      if (text(req.body, 'confirmar') !== 'si') throw badRequest('confirm publishing', [{ field: 'confirmar', reason: 'marque la casilla para confirmar la publicación' }]);
      await changeStatus(editionId, 'published', { actor: userActor(currentUser(res)) });
      flash(req, 'Edición publicada: sus resultados ya aparecen en las páginas públicas.');
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      await renderPreflight(req, res, editionId, error);
    }
  });

  router.post('/admin/ediciones/:edition/sujetos/:id/publicacion', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    const institutionId = String(req.params.id);
    try {
      const decision = DECISIONS[text(req.body, 'decision')];
      if (!decision) throw badRequest('unknown decision', [{ field: 'decision', reason: 'elija excluir o publicar sin calificación' }]);
      await setPublicationDecision(editionId, institutionId, decision, text(req.body, 'reason'), userActor(currentUser(res)));
      flash(req, 'Decisión guardada.');
      res.redirect(303, `/admin/ediciones/${editionId}/publicar`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      await renderPreflight(req, res, editionId, error);
    }
  });

  return router;
}

interface EditionChange {
  status?: EditionStatus;
  reason?: string;
  deadline?: string | null;
  title?: string;
  year?: number;
  help?: { name?: string | null; email?: string | null; phone?: string | null } | null;
  baseRevision?: number;
}

const changeSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: [...EDITION_STATUSES], nullable: true, description: 'draft → collecting → review → published; review → collecting and published → review need a reason' },
    reason: { type: 'string', maxLength: 1000, nullable: true },
    deadline: { type: 'string', maxLength: 40, nullable: true, description: 'respondents save and submit until this instant; null removes it' },
    title: { type: 'string', maxLength: 200, description: 'the edition\'s title (3 to 200 characters)' },
    year: { type: 'integer' },
    help: {
      type: 'object',
      nullable: true,
      description: 'who respondents write to for help, named in the invitation and reminder e-mails; null or "" clears a part',
      properties: { name: { type: 'string', maxLength: 200, nullable: true }, email: { type: 'string', maxLength: 254, nullable: true }, phone: { type: 'string', maxLength: 60, nullable: true } },
      additionalProperties: false,
    },
    baseRevision: { type: 'integer', minimum: 0, description: 'the details\' revision the change is based on (GET /editions/{edition}/details); a stale one gets 409 stale_revision' },
  },
  required: [],
  additionalProperties: false,
} as unknown as JSONSchemaType<EditionChange>;
const checkChange = validator(changeSchema, 'body');

const decisionSchema: JSONSchemaType<{ decision: 'excluded' | 'withoutScore' | 'none'; reason: string }> = {
  type: 'object',
  properties: { decision: { type: 'string', enum: ['excluded', 'withoutScore', 'none'] }, reason: { type: 'string', maxLength: 1000, default: '' } },
  required: ['decision', 'reason'],
  additionalProperties: false,
};
const checkDecision = validator(decisionSchema, 'body');

const preflightSchema = {
  type: 'object',
  required: ['edition', 'status', 'ready', 'counts', 'blockers'],
  properties: {
    edition: { type: 'string' },
    status: { type: 'string' },
    ready: { type: 'boolean' },
    counts: { type: 'object' },
    blockers: { type: 'array', items: { type: 'object', required: ['code', 'detail', 'institutions'], properties: { code: { type: 'string' }, detail: { type: 'string' }, institutions: { type: 'array' } } } },
  },
};

export function registerEditionAdminApi(api: ApiRegistry): void {
  const admin = requireUser('admin');
  api.add(
    {
      method: 'patch',
      path: '/editions/:edition',
      summary: 'Change the status of an edition along its state machine (publishing runs the preflight) and/or its details (title, year, deadline, help contact); recorded in the audit trail',
      tag: 'admin',
      access: 'admin',
      body: changeSchema,
      responses: {
        200: { description: 'the edition\'s state and details', schema: EDITION_DETAILS_SCHEMA },
        400: problem('invalid details, each field named with a code (validation_failed), or a missing reason'),
        404: problem('unknown edition'),
        409: problem('not a transition of the state machine (code invalid_transition), the preflight failed (preflight_failed, with the blockers), a stale baseRevision (stale_revision), or the edition is published (edition_published)'),
      },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await loadEdition(editionId);
      const change = checkChange(req.body ?? {});
      const actor = userActor(currentUser(res));
      let deadline: Date | null | undefined;
      if (change.deadline !== undefined) {
        deadline = change.deadline === null ? null : new Date(change.deadline);
        if (deadline && (Number.isNaN(deadline.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(change.deadline!))) {
          throw badRequest('deadline must be an ISO 8601 date and time, e.g. 2026-05-31T23:59:00-06:00', [{ field: 'deadline', value: change.deadline, reason: 'not an ISO 8601 date-time', code: 'format', message: 'escriba la fecha y la hora' }]);
        }
      }
      if (deadline !== undefined || change.title !== undefined || change.year !== undefined || change.help !== undefined) {
        await updateEditionDetails(
          editionId,
          { ...(deadline !== undefined && { deadline }), ...(change.title !== undefined && { title: change.title }), ...(change.year !== undefined && { year: change.year }), ...(change.help !== undefined && { help: change.help }) },
          { actor, reason: change.status ? undefined : change.reason, baseRevision: change.baseRevision },
        );
      }
      if (change.status) {
        const current = await loadEdition(editionId);
        if (current.status !== change.status) await changeStatus(editionId, change.status, { actor, reason: change.reason ?? '' });
      }
      const edition = await loadEdition(editionId);
      const details = editionDetails(edition);
      res.json({ ...details, deadline: details.deadline?.toISOString() ?? null });
    },
  );

  api.add(
    { method: 'get', path: '/editions/:edition/preflight', summary: 'What blocks publishing the edition (institutions neither approved, excluded nor published without a score; submissions waiting for review)', tag: 'admin', access: 'admin', responses: { 200: { description: 'the preflight', schema: preflightSchema } } },
    admin,
    async (req, res) => {
      const check = await preflight(String(req.params.edition));
      res.json({ ...check, blockers: check.blockers.map(({ message: _es, heading: _h, ...b }) => b) });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/institutions/:id/publication',
      summary: 'Decide how an institution without approved answers is published: excluded from the results or listed without a score (with a reason); "none" removes the decision',
      tag: 'admin',
      access: 'admin',
      body: decisionSchema,
      responses: { 200: { description: 'saved', schema: { type: 'object', properties: { decision: { type: 'string' } } } } },
    },
    admin,
    async (req, res) => {
      const institutionId = String(req.params.id);
      if (!OBJECT_ID.test(institutionId)) throw new HttpProblem(404, 'Not Found', 'no such institution');
      const body = checkDecision(req.body ?? {});
      await setPublicationDecision(String(req.params.edition), institutionId, body.decision, body.reason, userActor(currentUser(res)));
      res.json({ decision: body.decision });
    },
  );
}
