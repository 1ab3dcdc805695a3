/** Response shapes shared by API operations (OpenAPI `responses` with schemas). */
import type { ResponseSpec } from './api.js';

export const PROBLEM_SCHEMA = { $ref: '#/components/schemas/Problem' } as const;

/** An RFC 9457 problem (application/problem+json) with its machine `code`. */
export const PROBLEM_RESPONSE: ResponseSpec = { description: 'a problem', contentType: 'application/problem+json', schema: PROBLEM_SCHEMA };

export const problem = (description: string): ResponseSpec => ({ ...PROBLEM_RESPONSE, description });
