/** Request validation with ajv: every failure becomes a 400 problem naming each field and its reason. */
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import type { RequestHandler } from 'express';
import { HttpProblem, type FieldError } from './problem.js';
import { ajvCode, ajvMessage } from './messages.js';

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: false });

export function fieldErrors(errors: readonly ErrorObject[], where: string): FieldError[] {
  return errors.map((e) => {
    // "/comments/0/item" → "comments[0].item", the path style of the questionnaire engine.
    const base = e.instancePath.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
    const field = e.keyword === 'additionalProperties' ? [base, (e.params as { additionalProperty: string }).additionalProperty].filter(Boolean).join('.')
      : e.keyword === 'required' ? [base, (e.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.')
      : base;
    const reason = e.keyword === 'additionalProperties' ? `unknown ${where} field`
      : e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      : e.message ?? 'invalid';
    return { field: field || where, reason, code: ajvCode(e.keyword), message: ajvMessage(e, field || where) };
  });
}

/** A compiled validator that returns the (coerced) value or throws a 400 naming every bad field. */
export function validator<T>(schema: JSONSchemaType<T>, where: 'query' | 'body'): (value: unknown) => T {
  const validate = ajv.compile(schema);
  return (value) => {
    const copy = value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as object) } : value;
    if (!validate(copy)) throw new HttpProblem(400, 'Bad Request', `invalid ${where === 'query' ? 'query parameters' : 'request body'}`, fieldErrors(validate.errors ?? [], where === 'query' ? 'query' : 'body'));
    return copy as T;
  };
}

/** Validates (and coerces) req.query; the typed result is in res.locals.query. */
export function validateQuery<T>(schema: JSONSchemaType<T>): RequestHandler {
  const check = validator(schema, 'query');
  return (req, res, next) => {
    res.locals.query = check(req.query);
    next();
  };
}

/** Validates req.body (JSON or form); the typed result is in res.locals.body. */
export function validateBody<T>(schema: JSONSchemaType<T>): RequestHandler {
  const check = validator(schema, 'body');
  return (req, res, next) => {
    res.locals.body = check(req.body ?? {});
    next();
  };
}

/** A posted form's fields without the CSRF token; the named fields always as lists (repeated checkboxes). */
export function formFields(body: unknown, arrays: readonly string[] = []): Record<string, unknown> {
  const { _csrf, ...fields } = (body ?? {}) as Record<string, unknown>;
  for (const key of arrays) {
    const value = fields[key];
    fields[key] = value === undefined ? [] : Array.isArray(value) ? value : [value];
  }
  return fields;
}
