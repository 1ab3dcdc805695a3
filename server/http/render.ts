import type { Request, Response } from 'express';
import { csrf } from '../auth/session.js';
import { principalOf } from '../auth/access.js';
import { fieldLabel, spanishReason } from './messages.js';
import type { FieldError } from './problem.js';

declare module 'express-session' {
  interface SessionData {
    flash?: string;
    /** The flash reports a refusal or a problem: shown as an error, not in the green banner. */
    flashError?: boolean;
  }
}

/**
 * Renders a page with the caller, a one-time flash message and, for pages with forms, the CSRF
 * token (only then: anonymous readers of public pages get no session).
 */
export function renderPage(req: Request, res: Response, view: string, data: Record<string, unknown> & { title: string }, options: { form?: boolean; status?: number } = {}): void {
  const principal = principalOf(res);
  const flash = req.session?.flash;
  const flashError = flash ? req.session.flashError === true : false;
  if (flash) {
    delete req.session.flash;
    delete req.session.flashError;
  }
  const csrfToken = principal || options.form ? csrf.generateToken(req) : undefined;
  const errors = Array.isArray(data.errors) ? { errors: (data.errors as (FieldError & { label?: string })[]).map(pageError) } : {};
  res.status(options.status ?? 200).render(view, { ...data, ...errors, principal, csrfToken, flash, flashError });
}

/**
 * An error as a page shows it: Spanish, after the field's label. Routes may pass API problems'
 * errors as they are (English `reason`, Spanish `message`); labels they set themselves are kept.
 */
export function pageError(error: FieldError & { label?: string }): FieldError & { label?: string } {
  const label = error.label ?? fieldLabel(error.field);
  return { ...error, ...(label && { label }), reason: error.message ?? spanishReason(error.reason) };
}

/** A one-time message on the next page: green for a success, styled as an error for a refusal. */
export function flash(req: Request, message: string, kind: 'success' | 'error' = 'success'): void {
  req.session.flash = message;
  if (kind === 'error') req.session.flashError = true;
  else delete req.session.flashError;
}
