/** Response shapes shared by API operations (OpenAPI `responses` with schemas). */
import { problem, PROBLEM_SCHEMA, type ResponseSpec } from './api.js';

export { problem, PROBLEM_SCHEMA };

/** An RFC 9457 problem (application/problem+json) with its machine `code`. */
export const PROBLEM_RESPONSE: ResponseSpec = problem('a problem');

/**
 * One page of a list (`?limit=&offset=`): `total` counts every match over all pages; `edition` when
 * the list belongs to one edition.
 */
export function pageSchema<Item extends object>(items: Item, options: { edition?: boolean } = {}) {
  return {
    type: 'object',
    required: [...(options.edition ? ['edition'] : []), 'total', 'limit', 'offset', 'items'],
    properties: {
      ...(options.edition && { edition: { type: 'string' } }),
      total: { type: 'integer', description: 'items matching the filters, over all pages' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
      items: { type: 'array', items },
    },
  } as const;
}
