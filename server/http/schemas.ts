/**
 * JSON Schemas of the shapes several API operations return (the OpenAPI document's response
 * schemas; test/server/apiContract.test.ts validates real responses against them). Objects list
 * what a client may rely on; fields may be added later, so additional properties are allowed.
 */
import { EDITION_STATUSES } from '../models/edition.js';
import { RESPONSE_STATUSES } from '../models/response.js';

export const nullableNumber = { type: ['number', 'null'] };
const str = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };
export const objectId = { type: 'string', pattern: '^[0-9a-f]{24}$' };
export const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
export const label = { type: 'object', required: ['es', 'en'], properties: { es: str, en: str } };

/** Which definition something was made from: its id and content hash (and version where known). */
export const stamp = { type: 'object', required: ['id', 'hash'], properties: { id: str, version: str, hash: sha256 } };

export const institutionRef = {
  type: 'object',
  required: ['id', 'name', 'entity'],
  properties: { id: objectId, name: str, entity: str, entityCode: str, type: str, level: str },
};

export const editionSummary = {
  type: 'object',
  required: ['editionId', 'year', 'title', 'status', 'methodology'],
  properties: {
    editionId: str,
    year: { type: 'integer' },
    title: str,
    status: { type: 'string', enum: [...EDITION_STATUSES] },
    methodology: stamp,
    instruments: { type: 'array', items: stamp },
  },
};

/** One node's computed value: how it was obtained and, when computed, its formula. */
const formula = {
  type: 'object',
  required: ['rule', 'terms'],
  properties: {
    path: str,
    rule: str,
    terms: { type: 'array', items: { type: 'object', required: ['node'], properties: { node: str, weight: { type: 'number' }, value: nullableNumber } } },
    expression: str,
    value: nullableNumber,
  },
};
export const scoreNode = {
  type: 'object',
  required: ['value'],
  properties: { value: nullableNumber, source: str, formula, otherPaths: { type: 'array', items: formula } },
};

/** A stored score: node id → value, with the methodology it was computed with. */
export const storedScore = {
  type: 'object',
  required: ['methodology', 'nodes'],
  properties: { methodology: stamp, nodes: { type: 'object', additionalProperties: scoreNode }, undetermined: {}, computedAt: dateTime },
};

export const account = {
  type: 'object',
  required: ['id', 'email', 'name', 'role', 'editions', 'active'],
  properties: {
    id: objectId,
    email: str,
    name: str,
    role: { type: 'string', enum: ['admin', 'evaluator', 'viewer'] },
    editions: { type: 'array', items: str },
    active: { type: 'boolean' },
  },
};

/** Answers to a questionnaire: item id → value; group id → rows; "<item>:evidence" → URL. */
export const answers = { type: 'object', description: 'item id → value; group id → rows; "<item>:evidence" → URL' };

/** The state of an institution's answers ("none": nothing saved yet). */
export const responseStatus = { type: 'string', enum: ['none', ...RESPONSE_STATUSES] };

/** How far the answers are: share of the required items answered, whether submission can succeed, by section. */
export const progress = {
  type: 'object',
  required: ['percent', 'complete', 'sections'],
  properties: { percent: { type: 'number', minimum: 0, maximum: 100 }, complete: { type: 'boolean' }, sections: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: str } } } },
};
