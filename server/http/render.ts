import type { Request, Response } from 'express';
import { csrf } from '../auth/session.js';
import { principalOf } from '../auth/access.js';
import { fieldLabel, spanishReason } from './messages.js';
import type { FieldError } from './problem.js';

declare module 'express-session' {
  interface SessionData {
    flash?: string;
  }
}

/**
 * Renders a page with the caller, a one-time flash message and, for pages with forms, the CSRF
 * token (only then: anonymous readers of public pages get no session).
 */
export function renderPage(req: Request, res: Response, view: string, data: Record<string, unknown> & { title: string }, options: { form?: boolean; status?: number } = {}): void {
  const principal = principalOf(res);
  const flash = req.session?.flash;
  if (flash) delete req.session.flash;
  const csrfToken = principal || options.form ? csrf.generateToken(req) : undefined;
  const errors = Array.isArray(data.errors) ? { errors: (data.errors as (FieldError & { label?: string })[]).map(pageError) } : {};
  res.status(options.status ?? 200).render(view, { ...data, ...errors, principal, csrfToken, flash });
}

/**
 * An error as a page shows it: Spanish, after the field's label. Routes may pass API problems'
 * errors as they are (English `reason`, Spanish `message`); labels they set themselves are kept.
 */
export function pageError(error: FieldError & { label?: string }): FieldError & { label?: string } {
  const label = error.label ?? fieldLabel(error.field);
  return { ...error, ...(label && { label }), reason: error.message ?? spanishReason(error.reason) };
}

export function flash(req: Request, message: string): void {
  req.session.flash = message;
}
