/**
 * Errors as RFC 9457 problem details (application/problem+json). Clients never see stack traces;
 * validation problems list each field (and row, for imports) with its reason.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import mongoose from 'mongoose';
import multer from 'multer';
import type { Logger } from 'pino';

export interface FieldError {
  /** JSON pointer or column name of the offending field. */
  field: string;
  /** 1-based row of an imported file, when the error comes from one. */
  row?: number;
  value?: unknown;
  reason: string;
}

/**
 * Extension members of a problem: a stable machine `code` (sent to API clients), further members such
 * as `currentRevision` (sent too), and `message`, the Spanish explanation a page shows (not sent).
 */
export interface ProblemExtras {
  code?: string;
  message?: string;
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

export const conflict = (detail: string, extras: ProblemExtras = {}, errors?: FieldError[]) => new HttpProblem(409, 'Conflict', detail, errors, extras);

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, 'Bad Request', detail, errors);
export const notFound = (detail: string) => new HttpProblem(404, 'Not Found', detail);

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  const { message: _forPages, ...members } = problem.extras;
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...members,
    });
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};

/** Maps known error shapes (body parser, mongoose, duplicates) to 4xx; anything else is a logged 500. */
export function toProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
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
    let problem = toProblem(error);
    if (!problem) {
      logger.error({ err: error, url: req.originalUrl }, 'unhandled error');
      problem = new HttpProblem(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
    }
    if (wantsPage(req)) {
      if (problem.status === 401) return res.redirect(303, `/entrar?siguiente=${encodeURIComponent(req.originalUrl)}`);
      return res.status(problem.status).render('error', { title: problem.title, heading: PAGE_HEADINGS[problem.status] ?? problem.title, detail: problem.pageMessage, errors: problem.errors });
    }
    sendProblem(res, problem, req.originalUrl);
  };
}
