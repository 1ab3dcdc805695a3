/**
 * Report downloads under /api/v1/reports (public for published editions): the national comparative
 * PDF, the edition workbook (XLSX), an entity's PDF and an institution's report card (PDF). PDFs
 * come from the cache when their data has not changed (ETag, 304); new ones are printed through the
 * bounded page pool, and when its queue is full the answer is 503 with Retry-After (a Spanish page
 * for a browser) instead of a request that waits without end.
 */
import { pipeline } from 'node:stream/promises';
import type { JSONSchemaType } from 'ajv';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { RenderBusyError } from '../../reports/pages.js';
import { findCached, renderOnce } from '../services/reportCache.js';
import { prepareEntityPdf, prepareInstitutionPdf, prepareNationalPdf, type PreparedPdf } from '../services/reportDownloads.js';
import { download, problem, type ApiRegistry } from '../http/api.js';
import { currentUser, requireUser } from '../auth/access.js';
import { CARDS_JOB } from '../jobs/cards.js';
import { JOB_VIEW_SCHEMA, jobView, submitJob } from '../jobs/service.js';
import { HttpProblem, notFound } from '../http/problem.js';
import { validateQuery } from '../http/validate.js';
import { editionWorkbook, latestPublishedEditionId, CONTENT_TYPES, type ReportFile } from '../services/reports.js';

const EDITION_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';
const COMPARE_PATTERN = '^(\\d{4}(,\\d{4})*)?$';

interface NationalQuery {
  edition?: string;
  compare?: string;
}
const nationalQuery: JSONSchemaType<NationalQuery> = {
  type: 'object',
  properties: {
    edition: { type: 'string', pattern: EDITION_PATTERN, nullable: true, description: 'Edition id, e.g. mga-2017; default the latest published edition' },
    compare: { type: 'string', pattern: COMPARE_PATTERN, nullable: true, description: 'Editions to compare with, as years with published national figures, e.g. 2019,2021; default all; empty for none' },
  },
  required: [],
  additionalProperties: false,
};

interface CompareQuery {
  compare?: string;
}
const compareQuery: JSONSchemaType<CompareQuery> = {
  type: 'object',
  properties: { compare: nationalQuery.properties!.compare },
  required: [],
  additionalProperties: false,
};

interface NoQuery {}
const noQuery: JSONSchemaType<NoQuery> = { type: 'object', properties: {}, required: [], additionalProperties: false };

/**
 * A PDF download: 304 when the client has this very PDF (If-None-Match), the cached file when there
 * is one, otherwise a print (shared with concurrent requests for the same PDF) that is then cached.
 */
async function sendPdf(req: Request, res: Response, prepare: () => Promise<PreparedPdf>): Promise<void> {
  const prepared = await prepare();
  res.setHeader('ETag', `"${prepared.key}"`);
  // Public data: caches may keep it briefly, and revalidate with the ETag afterwards.
  res.setHeader('Cache-Control', 'public, max-age=60');
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.attachment(prepared.fileName);
  res.type(CONTENT_TYPES.pdf);
  const cached = await findCached(prepared.key);
  if (cached) {
    res.setHeader('X-Cache', 'hit');
    res.setHeader('Content-Length', String(cached.length));
    if (req.method === 'HEAD') return void res.end();
    await pipeline(cached.stream(), res);
    return;
  }
  let body: Buffer;
  try {
    body = await renderOnce(prepared.key, prepared.slot, { edition: prepared.edition, report: prepared.report, generation: prepared.generation }, prepared.render, req.log as Logger | undefined);
  } catch (error) {
    if (error instanceof RenderBusyError) return busy(req, res, error);
    throw error;
  }
  res.setHeader('X-Cache', 'miss');
  res.send(body);
}

/** 503 with Retry-After: problem+json for programs, a Spanish page for a person's browser. */
function busy(req: Request, res: Response, error: RenderBusyError): void {
  res.removeHeader('Content-Disposition');
  res.removeHeader('ETag');
  res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.setHeader('Cache-Control', 'no-store');
  if (/text\/html/.test(req.headers.accept ?? '')) {
    res.status(503).type('html').render('error', {
      title: 'Servicio ocupado',
      heading: 'Estamos generando muchos reportes en este momento',
      detail: `Vuelva a intentarlo en ${error.retryAfterSeconds} ${error.retryAfterSeconds === 1 ? 'segundo' : 'segundos'}; su descarga empezará entonces.`,
    });
    return;
  }
  throw new HttpProblem(503, 'Service Unavailable', `${error.message}; retry after the Retry-After header's seconds`, undefined, { code: 'pdf_busy', retryAfterSeconds: error.retryAfterSeconds });
}

function send(res: Response, file: ReportFile): void {
  res.attachment(file.fileName);
  res.type(file.contentType);
  // Generated on request from public data: fine to keep briefly, never to serve stale after an import.
  res.setHeader('Cache-Control', 'public, max-age=60');
  res.send(file.body);
}

const PROBLEM = { description: 'problem details', schema: { $ref: '#/components/schemas/Problem' }, contentType: 'application/problem+json' };
const PDF_RESPONSES = {
  200: download('the PDF, as an attachment named after the edition; ETag identifies what it was made from', 'application/pdf'),
  304: 'not modified: the client has this PDF (If-None-Match)',
  404: problem('unknown or unpublished edition, entity or institution'),
  503: problem("too many PDFs are being printed: try again after the Retry-After header's seconds"),
};
const XLSX_RESPONSES = { 200: download('XLSX workbook, as an attachment named after the edition', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), 404: problem('unknown or unpublished edition') };

export function registerReportsApi(api: ApiRegistry): void {
  api.add(
    {
      method: 'post',
      path: '/editions/:edition/reports/cards',
      summary: 'Every institution report card of the edition as a zip of PDFs: starts a job (follow it at /api/v1/jobs/{id}; the zip is its result)',
      tag: 'reports',
      access: 'signed-in users who may read the edition',
      query: noQuery,
      responses: { 202: { description: 'the job, queued (Location: /api/v1/jobs/{id})', schema: JOB_VIEW_SCHEMA }, 404: { ...PROBLEM, description: 'unknown edition, not yours, or without results' } },
    },
    requireUser(),
    validateQuery(noQuery),
    async (req, res) => {
      const job = await submitJob(CARDS_JOB, { edition: String(req.params.edition) }, currentUser(res));
      res.status(202).location(`/api/v1/jobs/${job._id}`).json(jobView(job));
    },
  );

  const national = async (query: NationalQuery) => ({ editionId: query.edition ?? (await latestPublishedEditionId()), options: { ...(query.compare !== undefined && { compare: query.compare }) } });

  api.add(
    { method: 'get', path: '/reports/national.pdf', summary: 'National comparative report (PDF): index per edition, deltas, results by entity, type and level, gaps, data notes', tag: 'reports', public: true, query: nationalQuery, responses: PDF_RESPONSES },
    validateQuery(nationalQuery),
    async (req, res) => {
      const { editionId, options } = await national(res.locals.query as NationalQuery);
      await sendPdf(req, res, () => prepareNationalPdf(editionId, options.compare));
    },
  );

  api.add(
    { method: 'get', path: '/reports/national.xlsx', summary: 'The edition workbook (XLSX) of the national report: institutions, groupings, national figures, comparison', tag: 'reports', public: true, query: nationalQuery, responses: XLSX_RESPONSES },
    validateQuery(nationalQuery),
    async (_req, res) => {
      const { editionId, options } = await national(res.locals.query as NationalQuery);
      send(res, await editionWorkbook(editionId, options));
    },
  );

  api.add(
    { method: 'get', path: '/reports/editions/:edition/workbook.xlsx', summary: 'The edition workbook (XLSX)', tag: 'reports', public: true, query: compareQuery, responses: XLSX_RESPONSES },
    validateQuery(compareQuery),
    async (req, res) => {
      const query = res.locals.query as CompareQuery;
      send(res, await editionWorkbook(String(req.params.edition), { ...(query.compare !== undefined && { compare: query.compare }) }));
    },
  );

  api.add(
    { method: 'get', path: '/reports/editions/:edition/entities/:entity.pdf', summary: 'Entity report (PDF): index and sub-indices against the national mean, rank among the 33, institutions, types, gaps', tag: 'reports', public: true, query: noQuery, responses: PDF_RESPONSES },
    validateQuery(noQuery),
    async (req, res) => {
      await sendPdf(req, res, () => prepareEntityPdf(String(req.params.edition), String(req.params.entity)));
    },
  );

  api.add(
    { method: 'get', path: '/reports/editions/:edition/institutions/:id.pdf', summary: 'Institution report card (PDF): index against national, entity and type means, ranks, explanation, improvements', tag: 'reports', public: true, query: noQuery, responses: PDF_RESPONSES },
    validateQuery(noQuery),
    async (req, res) => {
      const id = String(req.params.id);
      // Only ids here: names belong to the command line, where a person types them.
      if (!/^[0-9a-f]{24}$/i.test(id)) throw notFound(`institution "${id}" does not exist`);
      await sendPdf(req, res, () => prepareInstitutionPdf(String(req.params.edition), id));
    },
  );
}
