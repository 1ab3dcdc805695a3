/** Researchers' API: the open data package, what-if under a methodology variant, coherence. */
import type { JSONSchemaType } from 'ajv';
import { WHAT_IF_GROUPINGS, type WhatIfGrouping } from '../../scoring/analysis/whatif.js';
import type { ApiRegistry } from '../http/api.js';
import { requestLimit } from '../http/requestLimits.js';
import { validateQuery } from '../http/validate.js';
import { editionDataPackage } from '../services/dataPackage.js';
import { coherenceForEdition, whatIfForEdition } from '../services/research.js';
import { currentUser, requireUser } from '../auth/access.js';
import { JOB_VIEW_SCHEMA, jobView, submitJob } from '../jobs/service.js';

/**
 * What-if recomputes a whole edition per request: MGA_WHAT_IF_PER_MINUTE requests per minute and
 * address (default 30), counted in MongoDB so the limit holds across every web process.
 */
const whatIfLimiter = requestLimit({
  name: 'what-if',
  points: () => Number(process.env.MGA_WHAT_IF_PER_MINUTE) || 30,
  windowSeconds: 60,
  detail: 'too many what-if requests from this address; wait a minute',
  code: 'too-many-what-if-requests',
  message: 'Hubo demasiadas consultas de «¿Y si…?» desde esta conexión. Espere un minuto e intente de nuevo.',
});

interface WhatIfQuery {
  by: WhatIfGrouping;
}
const whatIfQuery: JSONSchemaType<WhatIfQuery> = {
  type: 'object',
  properties: { by: { type: 'string', enum: [...WHAT_IF_GROUPINGS], default: 'entity', description: 'What is ranked' } },
  required: ['by'],
  additionalProperties: false,
};
interface NoQuery {}
const noQuery: JSONSchemaType<NoQuery> = { type: 'object', properties: {}, required: [], additionalProperties: false };

const nullableNumber = { type: ['number', 'null'] };
const methodologyStampSchema = {
  type: 'object',
  required: ['id', 'version', 'hash'],
  properties: {
    id: { type: 'string' },
    version: { type: 'string' },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    derivedFrom: { type: 'object', required: ['id', 'version', 'hash'], properties: { id: { type: 'string' }, version: { type: 'string' }, hash: { type: 'string' } } },
  },
};
const parametersSchema = {
  type: 'object',
  required: ['analysis', 'methodology', 'variant', 'by', 'date'],
  properties: { analysis: { type: 'string' }, methodology: methodologyStampSchema, variant: { type: ['object', 'null'] }, by: { type: 'string' }, date: { type: 'string', format: 'date-time' } },
};
const whatIfSchema = {
  type: 'object',
  required: ['edition', 'parameters', 'official', 'target', 'changed', 'dropped', 'skippedEquivalences', 'zeroRule', 'groups'],
  properties: {
    edition: { type: 'string' },
    parameters: parametersSchema,
    official: methodologyStampSchema,
    target: { type: 'string' },
    changed: { type: 'array', items: { type: 'string' } },
    dropped: { type: 'array', items: { type: 'string' } },
    skippedEquivalences: { type: 'array', items: { type: 'object', required: ['path', 'node', 'reason'], properties: { path: { type: 'string' }, node: { type: 'string' }, reason: { type: 'string' } } } },
    zeroRule: { type: 'array', items: { type: 'object', required: ['node', 'institutions'], properties: { node: { type: 'string' }, institutions: { type: 'integer' } } } },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['group', 'n', 'official', 'variant', 'rankChange', 'values'],
        properties: {
          group: { type: 'string' },
          n: { type: 'integer' },
          official: { type: 'object', required: ['value', 'rank'], properties: { value: nullableNumber, rank: { type: ['integer', 'null'] } } },
          variant: { type: 'object', required: ['value', 'rank'], properties: { value: nullableNumber, rank: { type: ['integer', 'null'] } } },
          rankChange: { type: ['integer', 'null'], description: 'official rank − variant rank: positive moves up' },
          values: { type: 'object', additionalProperties: nullableNumber },
        },
      },
    },
  },
};
const labelSchema = { type: 'object', required: ['es', 'en'], properties: { es: { type: 'string' }, en: { type: 'string' } } };
const matrixSchema = { type: 'array', items: { type: 'array', items: nullableNumber } };
const coherenceSchema = {
  type: 'object',
  required: ['edition', 'parameters', 'nodes', 'pearson', 'spearman', 'alpha', 'pca', 'flags'],
  properties: {
    edition: { type: 'string' },
    parameters: parametersSchema,
    nodes: { type: 'array', items: { type: 'object', required: ['id', 'label', 'n'], properties: { id: { type: 'string' }, label: labelSchema, n: { type: 'integer' } } } },
    pearson: matrixSchema,
    spearman: matrixSchema,
    alpha: { type: 'array', items: { type: 'object', required: ['node', 'components', 'alpha', 'n'], properties: { node: { type: 'string' }, components: { type: 'array', items: { type: 'string' } }, alpha: nullableNumber, n: { type: 'integer' } } } },
    pca: {
      type: ['object', 'null'],
      properties: { nodes: { type: 'array', items: { type: 'string' } }, n: { type: 'integer' }, explainedVariance: { type: 'array', items: { type: 'number' } }, eigenvalues: { type: 'array', items: { type: 'number' } } },
    },
    flags: { type: 'array', items: { type: 'object', required: ['kind', 'nodes', 'value', 'message'], properties: { kind: { type: 'string' }, nodes: { type: 'array', items: { type: 'string' } }, value: { type: 'number' }, message: labelSchema } } },
  },
};
const PROBLEM = { description: 'problem', schema: { $ref: '#/components/schemas/Problem' }, contentType: 'application/problem+json' };

export function registerResearchApi(api: ApiRegistry): void {
  api.add(
    {
      method: 'get',
      path: '/editions/:edition/datapackage.zip',
      summary: 'Open data package of a published edition (Frictionless Data Package: CSVs with table schemas, methodology, codebook in Spanish and English)',
      tag: 'research',
      public: true,
      query: noQuery,
      responses: { 200: { description: 'zip archive, as an attachment', schema: { type: 'string', format: 'binary' }, contentType: 'application/zip' }, 404: PROBLEM },
    },
    validateQuery(noQuery),
    async (req, res) => {
      const file = await editionDataPackage(String(req.params.edition));
      res.attachment(file.fileName);
      res.type('application/zip');
      res.setHeader('Cache-Control', 'public, max-age=60');
      res.send(file.body);
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/what-if',
      summary: 'Results under a methodology variant (weights, aggregation rules, components left out), by group, with ranks and rank changes against the official methodology; nothing is stored; rate-limited',
      tag: 'research',
      public: true,
      query: whatIfQuery,
      body: { type: 'object', description: 'A variant: {"GA": {"T": 0.7, "P": 0.3}}, "aggregation", "drop" (questionnaires/README.md)' },
      responses: { 200: { description: 'the what-if result with its parameters', schema: whatIfSchema }, 404: PROBLEM, 422: PROBLEM, 429: PROBLEM },
    },
    whatIfLimiter,
    validateQuery(whatIfQuery),
    async (req, res) => {
      const { by } = res.locals.query as WhatIfQuery;
      res.json(await whatIfForEdition(String(req.params.edition), req.body ?? {}, by));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/analyses/uncertainty',
      summary:
        'Start an uncertainty analysis of a published edition as a job (Monte Carlo over weights ±R, optional rules and a left-out component; rank intervals by entity, type, level or institution); the result is JSON with its parameters',
      tag: 'research',
      access: 'any signed-in user',
      body: {
        type: 'object',
        properties: {
          by: { type: 'string', enum: ['entity', 'type', 'level', 'institution'] },
          runs: { type: 'integer', minimum: 1, maximum: 1000000 },
          seed: { type: 'integer', minimum: 0 },
          weightsRange: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
          aggregations: { type: 'array', items: { type: 'string', enum: ['arithmetic', 'geometric', 'harmonic'] } },
          leaveOneOut: { type: 'boolean' },
          variant: { type: 'object' },
        },
      },
      responses: { 202: { description: 'the job; follow Location for progress and GET /jobs/{id}/result for the JSON', schema: JOB_VIEW_SCHEMA }, 404: PROBLEM, 422: PROBLEM },
    },
    requireUser(),
    async (req, res) => {
      const job = await submitJob('uncertainty', { ...(req.body ?? {}), edition: String(req.params.edition) }, currentUser(res));
      res.status(202).location(`/api/v1/jobs/${String(job._id)}`).json(jobView(job));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/coherence',
      summary: 'Coherence of a published edition: Pearson and Spearman correlations, Cronbach alpha, PCA of the sub-indices, plain-language flags',
      tag: 'research',
      public: true,
      query: noQuery,
      responses: { 200: { description: 'the coherence result with its parameters', schema: coherenceSchema }, 404: PROBLEM },
    },
    validateQuery(noQuery),
    async (req, res) => {
      res.json(await coherenceForEdition(String(req.params.edition)));
    },
  );
}
