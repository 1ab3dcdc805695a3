/**
 * Jobs: their state and result in the JSON API (signed-in users; each sees the jobs they submitted,
 * admins every job), and the admin page of background work with a progress bar per job.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import type { JSONSchemaType } from 'ajv';
import { currentUser, requireUser } from '../auth/access.js';
import { csrf } from '../auth/session.js';
import type { ApiRegistry } from '../http/api.js';
import { flash, renderPage } from '../http/render.js';
import { HttpProblem } from '../http/problem.js';
import { formFields, validateQuery } from '../http/validate.js';
import { EditionModel } from '../models/edition.js';
import { CARDS_JOB } from '../jobs/cards.js';
import { cancelJob, JOB_VIEW_SCHEMA, jobForUser, jobView, listJobs, openJobResult, submitJob, type JobView } from '../jobs/service.js';

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, schema: PROBLEM, contentType: 'application/problem+json' });

interface ListQuery {
  status?: 'open' | 'all';
}
const listQuery: JSONSchemaType<ListQuery> = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['open', 'all'], nullable: true, description: 'open: only queued and running jobs; default all' } },
  required: [],
  additionalProperties: false,
};
interface NoQuery {}
const noQuery: JSONSchemaType<NoQuery> = { type: 'object', properties: {}, required: [], additionalProperties: false };

/** Streams a job's result; the body is never held in memory. */
async function sendResult(res: Response, userId: ReturnType<typeof currentUser>, id: string): Promise<void> {
  const file = await openJobResult(userId, id);
  res.attachment(file.fileName);
  res.type(file.contentType);
  res.setHeader('Content-Length', String(file.length));
  res.setHeader('Cache-Control', 'private, no-store');
  await pipeline(file.stream, res);
}

export function registerJobsApi(api: ApiRegistry): void {
  const signedIn = requireUser();
  api.add(
    {
      method: 'get',
      path: '/jobs',
      summary: 'Recent jobs the caller may see (newest first, at most 50)',
      tag: 'jobs',
      access: 'signed-in users: their own jobs; admins: every job',
      query: listQuery,
      responses: { 200: { description: 'the jobs', schema: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', items: JOB_VIEW_SCHEMA } } } } },
    },
    signedIn,
    validateQuery(listQuery),
    async (_req, res) => {
      const { status } = res.locals.query as ListQuery;
      res.json({ jobs: (await listJobs(currentUser(res), { open: status === 'open' })).map(jobView) });
    },
  );

  api.add(
    {
      method: 'get',
      path: '/jobs/:id',
      summary: 'A job: status (queued, running, done, failed, cancelled), units done of the total, error',
      tag: 'jobs',
      access: 'signed-in users: their own jobs; admins: every job',
      query: noQuery,
      responses: { 200: { description: 'the job', schema: JOB_VIEW_SCHEMA }, 404: problem('no such job, or not yours') },
    },
    signedIn,
    validateQuery(noQuery),
    async (req, res) => {
      res.setHeader('Cache-Control', 'private, no-store');
      res.json(jobView(await jobForUser(currentUser(res), String(req.params.id))));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/jobs/:id/cancel',
      summary: 'Cancels a queued or running job: it is cancelled at once, its workers stop within a second or two, its files are deleted',
      tag: 'jobs',
      access: 'signed-in users: their own jobs; admins: every job',
      query: noQuery,
      responses: {
        200: { description: 'the job, now cancelled', schema: JOB_VIEW_SCHEMA },
        403: problem('the caller may see the job but did not submit it'),
        404: problem('no such job, or not yours'),
        409: problem('the job already ended (done, failed or cancelled)'),
      },
    },
    signedIn,
    validateQuery(noQuery),
    async (req, res) => {
      res.setHeader('Cache-Control', 'private, no-store');
      res.json(jobView(await cancelJob(currentUser(res), String(req.params.id))));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/jobs/:id/result',
      summary: "A finished job's result file (e.g. the zip of an edition's report cards), streamed",
      tag: 'jobs',
      access: 'signed-in users: their own jobs; admins: every job',
      query: noQuery,
      responses: {
        200: {
          description: 'the file, as an attachment: a zip (report cards) or JSON (analyses, with their parameters)',
          content: { 'application/zip': { type: 'string', format: 'binary' }, 'application/json': { type: 'object', description: 'the analysis result; its parameters say what was run' } },
        },
        404: problem('no such job, or it has no result file'),
        409: problem('the job is not done yet, or it failed'),
      },
    },
    signedIn,
    validateQuery(noQuery),
    async (req, res) => {
      await sendResult(res, currentUser(res), String(req.params.id));
    },
  );
}

// ───────────────────────────── admin page ─────────────────────────────

const STATUS_LABELS: Record<JobView['status'], string> = { queued: 'En cola', running: 'En curso', done: 'Terminado', failed: 'Falló', cancelled: 'Cancelado' };
/** Failures a person can act on, by code; anything else gets the generic sentence. */
const ERROR_LABELS: Record<string, string> = {
  'edition-changed': 'Los resultados de la edición cambiaron mientras se generaban las fichas; vuelva a generarlas.',
  'edition-gone': 'La edición ya no existe o no tiene resultados.',
  import_rejected: 'El archivo tiene errores (fila, columna y motivo en el detalle del trabajo): no se importó nada. Corríjalo y vuelva a importarlo.',
  import_too_large: 'El archivo pasa de un límite de importación: no se importó nada.',
  'import-too-large': 'El archivo pasa del tamaño máximo permitido: no se importó nada.',
  edition_state: 'La edición ya no está en un estado que permita importar la muestra: no se importó nada.',
  edition_published: 'La edición está publicada: no se importó nada.',
};
const dateFormat = new Intl.DateTimeFormat('es-MX', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'America/Mexico_City' });

function size(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toLocaleString('es-MX', { maximumFractionDigits: 1 })} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

function jobRow(job: JobView) {
  return {
    ...job,
    statusLabel: STATUS_LABELS[job.status],
    pct: job.total > 0 ? Math.floor((100 * job.done) / job.total) : 0,
    created: dateFormat.format(new Date(job.createdAt)),
    finished: job.finishedAt ? dateFormat.format(new Date(job.finishedAt)) : undefined,
    errorText: job.status === 'failed' ? (ERROR_LABELS[job.errorCode ?? ''] ?? 'No se pudo terminar; el detalle técnico quedó en el registro del servidor.') : undefined,
    resultSize: job.result ? size(job.result.length) : undefined,
    cancellable: job.status === 'queued' || job.status === 'running',
  };
}

export function jobsRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  /** The jobs of the last days with a progress bar each; `?parcial=1` is only the table (the page's script refreshes it). */
  const page = async (req: Parameters<typeof renderPage>[0], res: Response, extra: { errors?: { field: string; reason: string }[]; status?: number } = {}) => {
    const jobs = (await listJobs(currentUser(res))).map((job) => jobRow(jobView(job)));
    const open = jobs.some((j) => j.status === 'queued' || j.status === 'running');
    res.setHeader('Cache-Control', 'private, no-store');
    // The fragment replaces the table in place, so its cancel buttons need the session's CSRF token too.
    if (req.query.parcial === '1') return res.render('admin/jobsFragment', { layout: false, jobs, open, csrfToken: csrf.generateToken(req) });
    const editions = await EditionModel.find({}, { editionId: 1, year: 1, title: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'admin/jobs', { title: 'Trabajos en segundo plano', jobs, open, editions, scripts: ['/static/jobs.js'], ...(extra.errors && { errors: extra.errors }) }, { status: extra.status ?? 200 });
  };
  router.get('/admin/trabajos', admin, (req, res) => page(req, res));

  /** Starts the job of every report card of an edition (the zip appears in the table when done). */
  router.post('/admin/trabajos/fichas', admin, async (req, res) => {
    const { edition } = formFields(req.body) as { edition?: string };
    try {
      const job = await submitJob(CARDS_JOB, { edition }, currentUser(res));
      flash(req, `Se están generando las fichas: ${job.title}.`);
      res.redirect(303, '/admin/trabajos');
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      const reason = error.status === 404 ? 'La edición no existe o todavía no tiene resultados.' : 'Elija una edición.';
      await page(req, res, { errors: [{ field: 'edition', reason }], status: error.status });
    }
  });

  /** Cancels a queued or running job (the table shows it as cancelled). */
  router.post('/admin/trabajos/:id/cancelar', admin, async (req, res) => {
    try {
      const job = await cancelJob(currentUser(res), String(req.params.id));
      flash(req, `Se canceló el trabajo: ${job.title}.`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status !== 409) throw error;
      flash(req, 'Ese trabajo ya había terminado; no hubo nada que cancelar.');
    }
    res.redirect(303, '/admin/trabajos');
  });

  /** The result file for a person (same access as the API). */
  router.get('/admin/trabajos/:id/resultado', admin, async (req, res) => {
    await sendResult(res, currentUser(res), String(req.params.id));
  });

  return router;
}
