/**
 * Public read API of editions over time: the published national figures of every edition (with their
 * sources, n, and null for what an edition did not publish), an entity's figures across editions,
 * institution-level (panel) comparisons of two editions, and an institution's previous edition.
 */
import type { JSONSchemaType } from 'ajv';
import type { ApiRegistry } from '../http/api.js';
import { notFound } from '../http/problem.js';
import { validateQuery } from '../http/validate.js';
import { buildEntityEvolution } from '../../reports/models/evolution.js';
import { nationalComparison, defaultEditions, summaryNodes } from '../../reports/models/common.js';
import { groupKey } from '../../scoring/published.js';
import { NATIONAL_GROUP_NAME } from '../../scoring/grouping.js';
import { PANEL_GROUPINGS, type PanelGrouping } from '../../scoring/panel.js';
import { editionPanel, previousEdition } from '../services/crosswalks.js';
import { entityOf, evolutionOptions, loadEditionResults } from '../services/reports.js';
import { PUBLISHED_SAMPLE_SIZES } from '../services/publishedAggregates.js';

const PROBLEM = { description: '', schema: { $ref: '#/components/schemas/Problem' }, contentType: 'application/problem+json' };
const problem = (description: string) => ({ ...PROBLEM, description });
const nullableNumber = { type: ['number', 'null'] };
const valuesSchema = { type: 'object', additionalProperties: nullableNumber, description: 'node id → value; null = not published or not measured (never zero)' };

interface NoQuery {}
const noQuery: JSONSchemaType<NoQuery> = { type: 'object', properties: {}, required: [], additionalProperties: false };

interface PanelQuery {
  with: string;
  by: PanelGrouping;
}
const panelQuery: JSONSchemaType<PanelQuery> = {
  type: 'object',
  properties: {
    with: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the other edition id; the earlier of the two is the base' },
    by: { type: 'string', enum: [...PANEL_GROUPINGS], default: 'national' },
  },
  required: ['with', 'by'],
  additionalProperties: false,
};

const nationalSchema = {
  type: 'object',
  required: ['baseEdition', 'editions'],
  properties: {
    baseEdition: { type: 'string', description: 'the edition whose per-institution results fill in what it did not publish' },
    editions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['edition', 'n', 'values', 'missing', 'origin', 'sources', 'about'],
        properties: {
          edition: { type: 'string' },
          n: { type: ['integer', 'null'], description: 'institutions evaluated, when known' },
          values: valuesSchema,
          missing: { type: 'array', items: { type: 'string' } },
          origin: { type: 'string', enum: ['published', 'computed'] },
          sources: { type: 'array', items: { type: 'string' } },
          about: { type: ['string', 'null'] },
        },
      },
    },
  },
};

const pointSchema = {
  type: 'object',
  required: ['edition', 'value', 'origin', 'rank', 'source'],
  properties: {
    edition: { type: 'string' },
    value: nullableNumber,
    origin: { type: ['string', 'null'], enum: ['computed', 'published', null] },
    rank: { type: ['object', 'null'], required: ['place', 'of', 'stated'], properties: { place: { type: ['integer', 'string'] }, of: { type: ['integer', 'null'] }, stated: { type: 'boolean', description: 'true: the place the source states; false: computed among the entities' } } },
    source: { type: ['string', 'null'] },
  },
};
const entityEvolutionSchema = {
  type: 'object',
  required: ['entity', 'editions', 'series', 'warnings', 'notes'],
  properties: {
    entity: { type: 'string' },
    editions: { type: 'array', items: { type: 'string' } },
    series: { type: 'array', items: { type: 'object', required: ['node', 'code', 'points', 'national'], properties: { node: { type: 'string' }, code: { type: 'string' }, points: { type: 'array', items: pointSchema }, national: { type: 'array', items: nullableNumber } } } },
    warnings: { type: 'array', items: { type: 'string' } },
    notes: { type: 'array', items: { type: 'string' } },
  },
};
const panelNodeSchema = { type: 'object', required: ['base', 'other', 'deltaAll', 'deltaMatched', 'nMatched'], properties: { base: nullableNumber, other: nullableNumber, deltaAll: nullableNumber, deltaMatched: nullableNumber, nMatched: { type: 'integer' } } };
const panelSchema = {
  type: 'object',
  required: ['baseEdition', 'otherEdition', 'by', 'nodes', 'groups'],
  properties: {
    baseEdition: { type: 'string' },
    otherEdition: { type: 'string' },
    by: { type: 'string', enum: [...PANEL_GROUPINGS] },
    nodes: { type: 'array', items: { type: 'string' } },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['group', 'nBase', 'nOther', 'nMatched', 'nodes', 'warnings'],
        properties: {
          group: { type: 'string' },
          nBase: { type: 'integer' },
          nOther: { type: 'integer' },
          nMatched: { type: 'integer', description: 'institutions in both editions (exact or confirmed links)' },
          nodes: { type: 'object', additionalProperties: panelNodeSchema },
          warnings: { type: 'array', items: { type: 'object', required: ['kind', 'message'], properties: { kind: { type: 'string', enum: ['size', 'composition', 'no-overlap'] }, message: { type: 'string' } } } },
        },
      },
    },
  },
};
const previousSchema = {
  type: 'object',
  required: ['edition', 'previous'],
  properties: {
    edition: { type: 'string' },
    previous: {
      type: 'object',
      required: ['editionId', 'edition', 'institution', 'values', 'delta', 'link'],
      properties: {
        editionId: { type: 'string' },
        edition: { type: 'string' },
        institution: { type: 'object', required: ['id', 'name', 'entity'], properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' } } },
        values: valuesSchema,
        delta: valuesSchema,
        link: { type: 'object', required: ['method', 'similarity'], properties: { method: { type: 'string', enum: ['exact', 'confirmed'] }, similarity: { type: 'number' } } },
      },
    },
  },
};

export function registerEvolutionApi(api: ApiRegistry): void {
  api.add(
    { method: 'get', path: '/editions/:edition/evolution', summary: 'National figures of every edition (published, or computed from this edition\'s institutions), with n, sources and null for what an edition did not publish', tag: 'results', public: true, query: noQuery, responses: { 200: { description: 'the editions in order', schema: nationalSchema }, 404: problem('unknown or unpublished edition') } },
    validateQuery(noQuery),
    async (req, res) => {
      const loaded = await loadEditionResults(String(req.params.edition));
      const { published, editionAbout } = await evolutionOptions();
      const editions = defaultEditions(loaded.results, published);
      const comparison = nationalComparison(loaded.results, published, editions);
      const nodes = summaryNodes(loaded.results.compiled).map((n) => n.id);
      const national = comparison.groups[0]!.nodes;
      res.json({
        baseEdition: loaded.results.edition,
        editions: editions.map((edition) => {
          const figures = published.data.editions[edition]?.groups[groupKey('national', NATIONAL_GROUP_NAME)]?.measures ?? {};
          const origin = Object.keys(figures).length > 0 || edition !== loaded.results.edition ? 'published' : 'computed';
          return {
            edition,
            n: edition === loaded.results.edition ? loaded.results.national.n : (PUBLISHED_SAMPLE_SIZES[edition] ?? null),
            values: Object.fromEntries(nodes.map((id) => [id, national[id]?.values[edition] ?? null])),
            missing: nodes.filter((id) => (national[id]?.values[edition] ?? null) === null),
            origin,
            sources: [...new Set(Object.values(figures).map((f) => f.source))],
            about: editionAbout[edition] ?? null,
          };
        }),
      });
    },
  );

  api.add(
    { method: 'get', path: '/editions/:edition/entities/:entity/evolution', summary: 'An entity\'s figures in every edition: computed from this edition\'s institutions, published for the others (with the place the source states), null elsewhere', tag: 'results', public: true, query: noQuery, responses: { 200: { description: 'the entity across editions', schema: entityEvolutionSchema }, 404: problem('unknown or unpublished edition, or unknown entity') } },
    validateQuery(noQuery),
    async (req, res) => {
      const loaded = await loadEditionResults(String(req.params.edition));
      const name = entityOf(loaded.results, String(req.params.entity));
      const { published, editionAbout } = await evolutionOptions();
      const evolution = buildEntityEvolution(loaded.results, published, name, { editionAbout });
      res.json({
        entity: evolution.entity,
        editions: evolution.editions,
        series: evolution.series.map((s) => ({ node: s.node, code: s.code, points: s.points, national: s.national })),
        warnings: evolution.warnings.filter((w) => w.measure === w.relationNode).map((w) => w.message.en),
        notes: evolution.notes,
      });
    },
  );

  api.add(
    { method: 'get', path: '/editions/:edition/panel', summary: 'Institution-level comparison with another edition: per group, whole-sample means of both, the mean change over the institutions in both (linked by the crosswalk), n of each, and warnings when the samples differ', tag: 'results', public: true, query: panelQuery, responses: { 200: { description: 'the panel comparison, one row per group of the earlier edition', schema: panelSchema }, 400: problem('bad query, or the same edition twice'), 404: problem('unknown or unpublished edition, or one without institution results') } },
    validateQuery(panelQuery),
    async (req, res) => {
      const query = res.locals.query as PanelQuery;
      const edition = String(req.params.edition);
      const [first, second] = await Promise.all([loadEditionResults(edition), loadEditionResults(query.with)]);
      const [baseId, otherId] = first.edition.year <= second.edition.year ? [edition, query.with] : [query.with, edition];
      const panel = await editionPanel(baseId, otherId, query.by);
      res.json({ ...panel, groups: panel.groups.map((g) => ({ ...g, warnings: g.warnings.map((w) => ({ kind: w.kind, message: w.message.en })) })) });
    },
  );

  api.add(
    { method: 'get', path: '/editions/:edition/institutions/:id/previous', summary: 'The same institution in the latest earlier edition linked to it by a crosswalk: its values there and the change', tag: 'results', public: true, query: noQuery, responses: { 200: { description: 'the previous edition of the institution', schema: previousSchema }, 404: problem('unknown edition or institution, or no earlier edition is linked to it') } },
    validateQuery(noQuery),
    async (req, res) => {
      const loaded = await loadEditionResults(String(req.params.edition));
      const id = String(req.params.id).toLowerCase();
      const row = loaded.ids.indexOf(id);
      if (!/^[0-9a-f]{24}$/.test(id) || row < 0) throw notFound(`institution "${req.params.id}" has no results in edition "${loaded.edition.editionId}"`);
      const previous = await previousEdition(loaded.edition.editionId, id);
      if (!previous) throw notFound(`no earlier edition is linked to institution "${id}"`);
      const nodeCount = loaded.results.compiled.nodeIds.length;
      const current = (node: string) => {
        const v = loaded.results.scores.values[row * nodeCount + loaded.results.compiled.nodeIndex.get(node)!]!;
        return Number.isNaN(v) ? null : v;
      };
      res.json({
        edition: loaded.results.edition,
        previous: {
          ...previous,
          delta: Object.fromEntries(Object.entries(previous.values).map(([node, v]) => [node, v === null || current(node) === null ? null : current(node)! - v])),
        },
      });
    },
  );
}
