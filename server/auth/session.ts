/**
 * Cookie sessions stored in MongoDB (express-session + connect-mongo: the standard, maintained pair),
 * and CSRF protection with the synchronizer-token pattern (csrf-sync) on every cookie-authenticated
 * unsafe request. API calls authenticated by a bearer token carry no ambient cookie, so need no token.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import session from 'express-session';
import { PrefetchingStore, withSavePrefetch } from './savePrefetch.js';
import { csrfSync } from 'csrf-sync';
import type { RequestHandler, Request } from 'express';
import mongoose from 'mongoose';

export const SESSION_COLLECTION = 'sessions';
const SESSION_COOKIE = 'mga.sid';
const SESSION_TTL_SECONDS = 8 * 3600;
const SESSION_TOUCH_AFTER_SECONDS = 300;

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** Set when a respondent opened their invitation link. */
    invitationId?: string;
    /** What the link's invitation is about, kept so a request needs not read it before its other reads. */
    respondent?: { edition: string; institution: string };
  }
}

/** SESSION_SECRET, or in development a random secret kept in the data folder so sessions survive restarts. */
export async function sessionSecret(dataDir: string): Promise<string> {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  if (process.env.NODE_ENV === 'production') throw new Error('SESSION_SECRET must be set in production');
  const file = path.join(dataDir, 'session-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

export interface SessionOptions {
  secret: string;
  /** Secure cookies need HTTPS: on by default in production (behind a TLS proxy, set TRUST_PROXY). */
  secureCookies: boolean;
}

export function sessionMiddleware(options: SessionOptions): RequestHandler {
  // connect-mongo's store; a background save's session comes from its joined read (savePrefetch.ts).
  const store = new PrefetchingStore({
    // The store shares mongoose's pool; its TTL index is created with the other indexes at start.
    client: mongoose.connection.getClient() as unknown as NonNullable<ConstructorParameters<typeof PrefetchingStore>[0]['client']>,
    dbName: mongoose.connection.db!.databaseName,
    collectionName: SESSION_COLLECTION,
    ttl: SESSION_TTL_SECONDS,
    autoRemove: 'disabled',
    stringify: false,
    // Rolling sessions would otherwise write the store on every request (e.g. every background
    // save); the stored expiry is refreshed at most every 5 minutes instead.
    touchAfter: SESSION_TOUCH_AFTER_SECONDS,
  });
  const handler = session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies, maxAge: SESSION_TTL_SECONDS * 1000 },
  });
  return withSavePrefetch(handler, { cookieName: SESSION_COOKIE, secret: options.secret, collection: SESSION_COLLECTION });
}

const hasData = (session: Request['session'] | undefined) => Boolean(session) && Object.keys(session!).some((key) => key !== 'cookie');

/**
 * Redirects wait until the session is stored: the next request (a client follows a 303 as soon as
 * its headers arrive) must find the session, its flash message and its CSRF token.
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!hasData(req.session)) return redirect(...args);
    req.session.save((error) => (error ? next(error) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};

export function hasBearerToken(req: Request): boolean {
  return /^Bearer\s+\S+/i.test(req.headers.authorization ?? '');
}

export const csrf = csrfSync({
  getTokenFromRequest: (req) => {
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    return typeof fromBody === 'string' ? fromBody : (req.headers['x-csrf-token'] as string | undefined);
  },
  skipCsrfProtection: hasBearerToken,
  errorConfig: { statusCode: 403, message: 'invalid or missing CSRF token', code: 'EBADCSRFTOKEN' },
});

/**
 * A new session id for a newly authenticated caller (a user signing in, or a respondent opening
 * their link), so a session fixed before it cannot be reused. The session is stored before this
 * resolves: express-session would otherwise store it only while the answer is being sent, after
 * its headers, and a client following the redirect at once could arrive before it exists.
 */
export function startSession(req: Request, who: { userId: string } | { invitationId: string; respondent: { edition: string; institution: string } }): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => {
      if (error) return reject(error);
      Object.assign(req.session, who);
      // Saved now, not when the response ends: express-session sends the headers of a redirect before
      // its deferred save completes, so a quick client could follow it while the session is unknown.
      req.session.save((saveError) => (saveError ? reject(saveError) : resolve()));
    }),
  );
}

/** Stores a changed session now (before a redirect that relies on it, e.g. a flash message). */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
