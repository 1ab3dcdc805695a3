/**
 * The JSON API's routes are declared through this registry, so the OpenAPI document lists every
 * operation by construction, with the same schemas the handlers validate against.
 */
import { Router, type RequestHandler } from 'express';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  method: Method;
  /** Express-style path under /api/v1, e.g. "/editions/:edition". */
  path: string;
  summary: string;
  tag: string;
  /** Open to anyone (`security: []` in OpenAPI); otherwise credentials are required. */
  public?: boolean;
  /** Who may call it, for the description. */
  access?: string;
  query?: object;
  body?: object;
  /** Content types accepted besides JSON (uploads). */
  bodyTypes?: string[];
  /** The fields of a multipart body (default: one file in "archivo"). */
  multipart?: { properties: Record<string, object>; required?: string[] };
  /**
   * Per status code: a description, or a description with the body's JSON Schema (`schema`, sent as
   * application/json unless `contentType` says otherwise, e.g. application/problem+json or text/csv).
   */
  responses?: Record<string, string | ResponseSpec>;
}

export interface ResponseSpec {
  description: string;
  schema?: object;
  contentType?: string;
  /** Several media types, each with its schema (instead of `schema` and `contentType`). */
  content?: Record<string, object>;
}

/** The problem details schema (RFC 9457) every error response uses. */
export const PROBLEM_SCHEMA = { $ref: '#/components/schemas/Problem' } as const;

/** An error response: problem+json with the Problem schema. */
export function problem(description: string): ResponseSpec {
  return { description, schema: PROBLEM_SCHEMA, contentType: 'application/problem+json' };
}

/** A binary download (PDF, XLSX, zip) sent as an attachment. */
export function download(description: string, contentType: string): ResponseSpec {
  return { description, schema: { type: 'string', format: 'binary' }, contentType };
}

function responseObject(spec: string | ResponseSpec): object {
  if (typeof spec === 'string') return { description: spec };
  const { description, schema, contentType = 'application/json', content } = spec;
  if (content) return { description, content: Object.fromEntries(Object.entries(content).map(([type, s]) => [type, { schema: s }])) };
  return schema ? { description, content: { [contentType]: { schema } } } : { description };
}

export class ApiRegistry {
  readonly router = Router();
  readonly operations: Operation[] = [];

  add(operation: Operation, ...handlers: RequestHandler[]): this {
    this.operations.push(operation);
    this.router[operation.method](operation.path, ...handlers);
    return this;
  }
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

export function openApiDocument(operations: readonly Operation[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of operations) {
    const path = `/api/v1${toOpenApiPath(op.path)}`;
    const pathParams = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryProps = (op.query as { properties?: Record<string, object>; required?: string[] } | undefined)?.properties ?? {};
    const queryParams = Object.entries(queryProps).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
    const content: Record<string, object> = {};
    if (op.body) content['application/json'] = { schema: op.body };
    for (const type of op.bodyTypes ?? []) {
      const multipart = op.multipart ? { type: 'object', ...op.multipart } : { type: 'object', properties: { archivo: { type: 'string', format: 'binary' } } };
      content[type] = { schema: type.startsWith('multipart/') ? multipart : { type: 'string', format: 'binary' } };
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: `${op.method}${toOpenApiPath(op.path).replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      summary: op.summary,
      tags: [op.tag],
      ...(op.access && { description: `Access: ${op.access}.` }),
      ...(op.public ? { security: [] } : {}),
      parameters: [...pathParams, ...queryParams],
      ...(Object.keys(content).length && { requestBody: { required: true, content } }),
      // Every operation may answer 400 (bad input) and 503 (database unreachable, with Retry-After);
      // those that need credentials 401 and 403. An operation's own entries take precedence.
      responses: Object.fromEntries(
        Object.entries({
          400: problem('invalid input'),
          ...(op.public ? {} : { 401: problem('no credentials, or the session has ended'), 403: problem('the caller may not do this') }),
          503: problem('the database is unreachable; try again after Retry-After seconds'),
          ...(op.responses ?? {}),
        }).map(([code, spec]) => [code, responseObject(spec)]),
      ),
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Métrica de Gobierno Abierto API', version: '1', description: 'Results, questionnaires, reviews and reports of the Open Government Metric (MGA).' },
    servers: [{ url: '/' }],
    security: [{ session: [] }, { invitation: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'mga.sid', description: 'Session from POST /api/v1/auth/login; unsafe methods also need the X-CSRF-Token header it returns.' },
        invitation: { type: 'http', scheme: 'bearer', description: 'A respondent\'s invitation token (the last part of the invitation link).' },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' },
            code: { type: 'string', description: 'stable machine code of the error, e.g. stale_revision, response_state, edition_state, deadline_passed, or the crosswalk and panel codes' },
            currentRevision: { type: 'integer', description: 'stale_revision and response_state: the revision stored now' },
            responseStatus: { type: 'string', description: 'stale_revision and response_state: the status of the answers now (draft, submitted, returned, approved)' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, row: { type: 'integer' }, value: {}, reason: { type: 'string' } } } },
          },
        },
      },
    },
    paths,
  };
}
