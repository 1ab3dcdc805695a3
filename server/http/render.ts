import type { Request, Response } from 'express';
import { csrf } from '../auth/session.js';
import { principalOf } from '../auth/access.js';

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
  res.status(options.status ?? 200).render(view, { ...data, principal, csrfToken, flash });
}

export function flash(req: Request, message: string): void {
  req.session.flash = message;
}
