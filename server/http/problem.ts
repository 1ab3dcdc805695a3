/**
 * Errors as RFC 9457 problem details (application/problem+json). Clients never see stack traces;
 * validation problems list each field (and row, for imports) with its reason.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import mongoose from 'mongoose';
import multer from 'multer';
import type { Logger } from 'pino';
import { databaseFailure } from '../db/errors.js';

export interface FieldError {
  /** JSON pointer or column name of the offending field. */
  field: string;
  /** 1-based row of an imported file, when the error comes from one. */
  row?: number;
  /** A stable machine code of the error (e.g. "min_length", "pattern", "required"), for API clients. */
  code?: string;
  /** The error in Spanish, without the field's name (http/messages.ts): what pages show; sent too, for clients that show Spanish. */
  message?: string;
  value?: unknown;
  reason: string;
}

/**
 * Extension members of a problem: a stable machine `code` (sent to API clients), further members such
 * as `currentRevision` (sent too), `message`, the Spanish explanation a page shows (not sent), and
 * `retryAfterSeconds`, sent as the Retry-After header (not a member).
 */
export interface ProblemExtras {
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  [member: string]: unknown;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly extras: ProblemExtras = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  get code(): string | undefined {
    return this.extras.code;
  }

  /** Setting `code` afterwards (`Object.assign(problem, { code })`) sends it like a constructor's. */
  set code(code: string | undefined) {
    if (code === undefined) delete this.extras.code;
    else this.extras.code = code;
  }

  /** What a page shows: the Spanish message when there is one. */
  get pageMessage(): string | undefined {
    return this.extras.message ?? this.detail;
  }
}

/** Seconds a client is asked to wait when the database is unreachable (the driver re-checks every few). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * 503 for a database that cannot be reached now. For a change (any method but GET/HEAD/OPTIONS) whose
 * write may have reached the database before the connection failed, the detail says so: the client
 * must check before repeating it.
 */
export function databaseUnavailable(method: string, mayHaveBeenApplied: boolean): HttpProblem {
  const change = !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
  if (change && mayHaveBeenApplied) {
    return new HttpProblem(503, 'Service Unavailable', 'the connection to the database failed while the change was being written: it may or may not have been stored; check before repeating it', undefined, {
      code: 'write-outcome-unknown',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      message: 'Se perdió la conexión con la base de datos mientras se guardaba el cambio: puede que se haya guardado o no. Vuelva a cargar la página en unos segundos y revise antes de repetirlo.',
    });
  }
  return new HttpProblem(503, 'Service Unavailable', `the database is unreachable right now; ${change ? 'the change was not stored; ' : ''}try again in a few seconds`, undefined, {
    code: 'database-unavailable',
    retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    message: `La base de datos no responde en este momento${change ? ' y el cambio no se guardó' : ''}. Intente de nuevo en unos segundos.`,
  });
}

export const conflict = (detail: string, extras: ProblemExtras = {}, errors?: FieldError[]) => new HttpProblem(409, 'Conflict', detail, errors, extras);

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, 'Bad Request', detail, errors);
export const notFound = (detail: string) => new HttpProblem(404, 'Not Found', detail);

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  const { message: _forPages, retryAfterSeconds, ...members } = problem.extras;
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      // Extension members first: they never replace the standard ones (RFC 9457's `status` is the HTTP status).
      ...members,
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};

/**
 * Maps known error shapes (body parser, mongoose, duplicates) to 4xx, an unreachable database to 503;
 * anything else is a logged 500. `method` tells a read from a change, for the 503's wording.
 */
export function toProblem(error: unknown, method = 'GET'): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  const failure = databaseFailure(error);
  if (failure) return databaseUnavailable(method, failure.mayHaveBeenApplied);
  if (error instanceof mongoose.Error.ValidationError) {
    const errors = Object.values(error.errors).map((e) => ({ field: e.path, value: (e as { value?: unknown }).value, reason: e.message }));
    return new HttpProblem(400, 'Bad Request', 'validation failed', errors);
  }
  if (error instanceof mongoose.Error.CastError) {
    return new HttpProblem(400, 'Bad Request', `invalid value for ${error.path}`, [{ field: error.path, value: error.value, reason: error.message }]);
  }
  if (error instanceof multer.MulterError) {
    const tooLarge = error.code === 'LIMIT_FILE_SIZE';
    const limit = process.env.MGA_IMPORT_MAX_UPLOAD_BYTES || String(10 * 1024 * 1024);
    return new HttpProblem(
      tooLarge ? 413 : 400,
      tooLarge ? 'Content Too Large' : 'Bad Request',
      tooLarge ? `the file is larger than ${limit} bytes (MGA_IMPORT_MAX_UPLOAD_BYTES)` : error.message,
      [{ field: error.field ?? 'archivo', reason: error.message }],
      { code: tooLarge ? 'import_too_large' : 'upload_invalid', message: tooLarge ? `El archivo pasa del tamaño máximo permitido (${limit} bytes).` : undefined },
    );
  }
  const e = error as { type?: string; status?: number; code?: number; keyValue?: Record<string, unknown>; message?: string };
  if (e?.code === 11000) {
    return new HttpProblem(409, 'Conflict', `a record with the same ${Object.keys(e.keyValue ?? {}).join(', ') || 'key'} already exists`);
  }
  // body-parser errors carry an HTTP status and a type.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const detail =
      e.type === 'entity.parse.failed' ? 'the request body is not valid JSON'
      : e.type === 'entity.too.large' ? 'the request body is too large'
      : e.message ?? 'bad request';
    return new HttpProblem(e.status, e.status === 413 ? 'Content Too Large' : 'Bad Request', detail);
  }
  return undefined;
}

const PAGE_HEADINGS: Record<number, string> = {
  400: 'La solicitud no es válida',
  403: 'No tiene permiso para esta página',
  404: 'No encontramos esta página',
  409: 'No se puede hacer esto ahora',
  413: 'El archivo o formulario es demasiado grande',
  429: 'Demasiados intentos',
  500: 'Ocurrió un error inesperado',
  503: 'El servicio no está disponible por un momento',
};

/** Browsers asking for a page get an HTML page (or the sign-in page for a 401); everyone else problem+json. */
function wantsPage(req: Request): boolean {
  return !req.path.startsWith('/api/') && /text\/html/.test(req.headers.accept ?? '');
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      // Work after the answer (e.g. the session store's touch) failed: nothing can be sent any more.
      logger.warn({ err: error, url: req.originalUrl }, 'error after the response was sent');
      return;
    }
    let problem = toProblem(error, req.method);
    if (problem?.status === 503) logger.warn({ url: req.originalUrl, method: req.method, err: error, code: problem.extras.code }, 'database unavailable');
    if (!problem) {
      logger.error({ err: error, url: req.originalUrl }, 'unhandled error');
      problem = new HttpProblem(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
    }
    if (wantsPage(req)) {
      if (problem.status === 401) return res.redirect(303, `/entrar?siguiente=${encodeURIComponent(req.originalUrl)}`);
      if (problem.extras.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(problem.extras.retryAfterSeconds));
      return res.status(problem.status).render('error', { title: PAGE_HEADINGS[problem.status] ?? problem.title, heading: PAGE_HEADINGS[problem.status] ?? problem.title, detail: problem.pageMessage, errors: problem.errors });
    }
    sendProblem(res, problem, req.originalUrl);
  };
}
