/**
 * Report downloads under /api/v1/reports (public for published editions): the national comparative
 * PDF, the edition workbook (XLSX), an entity's PDF and an institution's report card (PDF).
 */
import type { JSONSchemaType } from 'ajv';
import type { Response } from 'express';
import { download, problem, type ApiRegistry } from '../http/api.js';
import { currentUser, requireUser } from '../auth/access.js';
import { CARDS_JOB } from '../jobs/cards.js';
import { JOB_VIEW_SCHEMA, jobView, submitJob } from '../jobs/service.js';
import { notFound } from '../http/problem.js';
import { validateQuery } from '../http/validate.js';
import {
  editionWorkbook,
  entityReportPdf,
  institutionReportPdf,
  latestPublishedEditionId,
  nationalReportPdf,
  type ReportFile,
} from '../services/reports.js';

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

function send(res: Response, file: ReportFile): void {
  res.attachment(file.fileName);
  res.type(file.contentType);
  // Generated on request from public data: fine to keep briefly, never to serve stale after an import.
  res.setHeader('Cache-Control', 'public, max-age=60');
  res.send(file.body);
}

const PDF_RESPONSES = { 200: download('PDF, as an attachment named after the edition', 'application/pdf'), 404: problem('unknown or unpublished edition, entity or institution') };
const XLSX_RESPONSES = { 200: download('XLSX workbook, as an attachment named after the edition', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), 404: problem('unknown or unpublished edition') };

const PROBLEM = { description: 'problem details', schema: { $ref: '#/components/schemas/Problem' }, contentType: 'application/problem+json' };

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
    async (_req, res) => {
      const { editionId, options } = await national(res.locals.query as NationalQuery);
      send(res, await nationalReportPdf(editionId, options));
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
      send(res, await entityReportPdf(String(req.params.edition), String(req.params.entity)));
    },
  );

  api.add(
    { method: 'get', path: '/reports/editions/:edition/institutions/:id.pdf', summary: 'Institution report card (PDF): index against national, entity and type means, ranks, explanation, improvements', tag: 'reports', public: true, query: noQuery, responses: PDF_RESPONSES },
    validateQuery(noQuery),
    async (req, res) => {
      const id = String(req.params.id);
      // Only ids here: names belong to the command line, where a person types them.
      if (!/^[0-9a-f]{24}$/i.test(id)) throw notFound(`institution "${id}" does not exist`);
      send(res, await institutionReportPdf(String(req.params.edition), id));
    },
  );
}
