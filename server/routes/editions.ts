/** Public read API of published editions: results by group and each institution's explained score. */
import { problem, type ApiRegistry } from '../http/api.js';
import { editionSummary, institutionRef, nullableNumber, stamp } from '../http/schemas.js';
import { isValidObjectId } from 'mongoose';
import type { JSONSchemaType } from 'ajv';
import { NATIONAL_METHODS, type NationalMethod } from '../../scoring/grouping.js';
import { roundHalfUp } from '../../scoring/rounding.js';
import { normalizeEntity, foldName, UnknownNameError } from '../../scoring/catalogue.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { ScoreModel } from '../models/result.js';
import { badRequest, notFound } from '../http/problem.js';
import { validateQuery } from '../http/validate.js';
import { editionGrouping, findEdition } from '../services/results.js';
import { methodologyById } from '../services/methodologies.js';
import { isPublic, PUBLIC_EDITIONS } from '../services/editionLifecycle.js';
import { institutionExplanation } from '../services/explanations.js';
import { scoreExplanationSchema } from '../http/explanationSchema.js';

const EDITION_PARAM = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Until accounts exist, only published editions are readable. */
async function visibleEdition(editionId: string) {
  if (!EDITION_PARAM.test(editionId)) throw notFound(`edition "${editionId}" does not exist`);
  const edition = await findEdition(editionId);
  if (!isPublic(edition)) throw notFound(`edition "${editionId}" does not exist`);
  return edition;
}

interface ResultsQuery {
  by: 'entity' | 'type' | 'level' | 'national';
  nationalMethod: NationalMethod;
  round?: number;
}
const resultsQuery: JSONSchemaType<ResultsQuery> = {
  type: 'object',
  properties: {
    by: { type: 'string', enum: ['entity', 'type', 'level', 'national'], default: 'national' },
    nationalMethod: { type: 'string', enum: [...NATIONAL_METHODS], default: 'institutions' },
    round: { type: 'integer', minimum: 0, maximum: 10, nullable: true },
  },
  required: ['by', 'nationalMethod'],
  additionalProperties: false,
};

interface InstitutionsQuery {
  q?: string;
  entity?: string;
  type?: string;
  level?: string;
  limit: number;
  offset: number;
}
const institutionsQuery: JSONSchemaType<InstitutionsQuery> = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200, nullable: true },
    entity: { type: 'string', maxLength: 100, nullable: true },
    type: { type: 'string', maxLength: 100, nullable: true },
    level: { type: 'string', maxLength: 40, nullable: true },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
  required: ['limit', 'offset'],
  additionalProperties: false,
};

const UNKNOWN_EDITION = problem('unknown or unpublished edition');
const RESULTS_SCHEMA = {
  type: 'object',
  required: ['edition', 'by', 'nationalMethod', 'methodology', 'rounding', 'nodes', 'discrepancies', 'groups'],
  properties: {
    edition: { type: 'string' },
    by: { type: 'string', enum: ['entity', 'type', 'level', 'national'] },
    nationalMethod: { type: 'string', enum: [...NATIONAL_METHODS] },
    methodology: stamp,
    rounding: { type: 'string' },
    nodes: { type: 'array', items: { type: 'string' } },
    discrepancies: { type: 'integer', minimum: 0, description: 'rows whose given values differ from the recomputation' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['group', 'n', 'values'],
        properties: { group: { type: 'string' }, n: { type: 'integer' }, values: { type: 'object', additionalProperties: nullableNumber }, entityCount: { type: 'integer' } },
      },
    },
  },
};
const INSTITUTIONS_SCHEMA = {
  type: 'object',
  required: ['total', 'offset', 'institutions'],
  properties: { total: { type: 'integer' }, offset: { type: 'integer' }, institutions: { type: 'array', items: institutionRef } },
};
const label = { type: 'object', properties: { es: { type: 'string' }, en: { type: 'string' } } } as const;
const institutionScoreSchema = {
  type: 'object',
  required: ['edition', 'institution', 'methodology', 'computedAt', 'nodes', 'undetermined', 'discrepancies', 'explanation'],
  properties: {
    edition: { type: 'string' },
    institution: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' } } },
    methodology: { type: 'object', required: ['id', 'hash'], properties: { id: { type: 'string' }, version: { type: 'string' }, hash: { type: 'string' } } },
    computedAt: { type: 'string', format: 'date-time' },
    nodes: {
      type: 'array',
      description: 'Every node with a value, as the engine explains it (ids and formulas in the methodology\'s notation).',
      items: { type: 'object', required: ['id', 'value', 'source'], properties: { id: { type: 'string' }, label, kind: { type: 'string' }, value: { type: 'number' }, source: { type: 'string', enum: ['given', 'computed'] }, formula: { type: 'object' }, otherPaths: { type: 'array', items: { type: 'object' } } } },
    },
    undetermined: { type: 'array', items: { type: 'string' } },
    discrepancies: { type: 'array', items: { type: 'object' } },
    explanation: scoreExplanationSchema,
  },
} as const;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function registerResultsApi(api: ApiRegistry): void {

  api.add({ method: 'get', path: '/editions', summary: 'Published editions', tag: 'results', public: true, responses: { 200: { description: 'the published editions, oldest first', schema: { type: 'object', required: ['editions'], properties: { editions: { type: 'array', items: editionSummary } } } } } }, async (_req, res) => {
    const editions = await EditionModel.find(PUBLIC_EDITIONS, { _id: 0, editionId: 1, year: 1, title: 1, status: 1, methodology: 1 }).sort({ year: 1 }).lean();
    res.json({ editions });
  });

  api.add({ method: 'get', path: '/editions/:edition', summary: 'One published edition', tag: 'results', public: true, responses: { 200: { description: 'the edition', schema: editionSummary }, 404: UNKNOWN_EDITION } }, async (req, res) => {
    const edition = await visibleEdition(String(req.params.edition));
    res.json({ editionId: edition.editionId, year: edition.year, title: edition.title, status: edition.status, methodology: edition.methodology });
  });

  api.add({ method: 'get', path: '/editions/:edition/results', summary: 'Results by entity, type, level or national, with the methodology hash and national method', tag: 'results', public: true, query: resultsQuery, responses: { 200: { description: 'one row per group with its n and values (null: not measured, never zero)', schema: RESULTS_SCHEMA }, 404: UNKNOWN_EDITION } }, validateQuery(resultsQuery), async (req, res) => {
    const query = res.locals.query as ResultsQuery;
    const edition = await visibleEdition(String(req.params.edition));
    const { table, grouping } = await editionGrouping(edition.editionId, query.by, query.nationalMethod);
    const round = (v: number | null) => (v === null || query.round === undefined ? v : roundHalfUp(v, query.round));
    const nodes = table.methodology.methodology.summaryNodes ?? grouping.nodeIds;
    res.json({
      edition: edition.editionId,
      by: query.by,
      nationalMethod: query.nationalMethod,
      methodology: grouping.methodology,
      rounding: query.round === undefined ? 'none' : `half-up to ${query.round} decimals`,
      nodes,
      discrepancies: table.scores.discrepancies.length,
      groups: grouping.groups.map((g) => ({
        group: g.name,
        n: g.n,
        values: Object.fromEntries(nodes.map((id) => [id, round(g.values[id] ?? null)])),
        ...(g.entityCount !== undefined && { entityCount: g.entityCount }),
      })),
    });
  });

  api.add({ method: 'get', path: '/editions/:edition/institutions', summary: 'Search the institutions of a published edition', tag: 'results', public: true, query: institutionsQuery, responses: { 200: { description: 'the matching institutions, a page at a time', schema: INSTITUTIONS_SCHEMA }, 400: problem('bad query (e.g. an unknown entity)'), 404: UNKNOWN_EDITION } }, validateQuery(institutionsQuery), async (req, res) => {
    const query = res.locals.query as InstitutionsQuery;
    const edition = await visibleEdition(String(req.params.edition));
    const filter: Record<string, unknown> = { scope: edition.editionId };
    if (query.entity) {
      try {
        filter.entity = normalizeEntity(query.entity).name;
      } catch (error) {
        if (error instanceof UnknownNameError) throw badRequest(error.message, [{ field: 'entity', value: query.entity, reason: error.message }]);
        throw error;
      }
    }
    if (query.type) filter.type = query.type;
    if (query.level) filter.level = query.level;
    if (query.q) filter.normalizedName = { $regex: escapeRegExp(foldName(query.q)) };
    const [total, institutions] = await Promise.all([
      InstitutionModel.countDocuments(filter),
      InstitutionModel.find(filter, { name: 1, entity: 1, entityCode: 1, type: 1, level: 1 }).sort({ entityCode: 1, normalizedName: 1 }).skip(query.offset).limit(query.limit).lean(),
    ]);
    res.json({ total, offset: query.offset, institutions: institutions.map(({ _id, ...rest }) => ({ id: String(_id), ...rest })) });
  });

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/institutions/:id/score',
      summary: 'An institution\'s score: every node with its formula, and the explanation in words (formulas with weights and numbers; each variable from the answers)',
      tag: 'results',
      public: true,
      responses: { 200: { description: 'the score and its explanation', schema: institutionScoreSchema }, 404: problem('unknown edition, or the institution has no score in it') },
    },
    async (req, res) => {
      const edition = await visibleEdition(String(req.params.edition));
      const id = String(req.params.id);
      if (!isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) throw notFound(`institution "${id}" does not exist`);
      const [institution, score] = await Promise.all([
        InstitutionModel.findOne({ _id: id, scope: edition.editionId }, { name: 1, entity: 1, type: 1, level: 1 }).lean(),
        ScoreModel.findOne({ edition: edition.editionId, institution: id }).lean(),
      ]);
      if (!institution || !score) throw notFound(`institution "${id}" has no score in edition "${edition.editionId}"`);
      const methodology = methodologyById(score.methodology.id);
      const labels = new Map(methodology.nodes.map((n) => [n.id, { label: n.label, kind: n.kind }]));
      const nodes = score.nodes as Record<string, object>;
      res.json({
        edition: edition.editionId,
        institution: { id: String(institution._id), name: institution.name, entity: institution.entity, type: institution.type, level: institution.level },
        methodology: score.methodology,
        computedAt: score.computedAt,
        nodes: methodology.nodeIds.filter((id) => id in nodes).map((id) => ({ id, ...labels.get(id), ...nodes[id] })),
        undetermined: score.undetermined,
        discrepancies: score.discrepancies,
        explanation: await institutionExplanation(edition.editionId, id, score),
      });
    },
  );
}
