/** Request validation with ajv: every failure becomes a 400 problem naming each field and its reason. */
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import type { RequestHandler } from 'express';
import { HttpProblem, type FieldError } from './problem.js';

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: false });

function fieldErrors(errors: ErrorObject[], where: string): FieldError[] {
  return errors.map((e) => {
    const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty
      : e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty
      : base;
    const reason = e.keyword === 'additionalProperties' ? `unknown ${where} parameter`
      : e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      : e.message ?? 'invalid';
    return { field: field || where, reason };
  });
}

/** Validates (and coerces) req.query against a JSON Schema; the typed result is in res.locals.query. */
export function validateQuery<T>(schema: JSONSchemaType<T>): RequestHandler {
  const validate = ajv.compile(schema);
  return (req, res, next) => {
    const query = { ...(req.query as Record<string, unknown>) };
    if (!validate(query)) {
      return next(new HttpProblem(400, 'Bad Request', 'invalid query parameters', fieldErrors(validate.errors ?? [], 'query')));
    }
    res.locals.query = query;
    next();
  };
}
