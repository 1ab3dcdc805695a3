/** Sign-in for admins, evaluators and viewers: pages and JSON API. */
import { Router, type Request } from 'express';
import { UserModel } from '../models/user.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { LoginLimiter } from '../auth/loginLimits.js';
import { csrf, startSession } from '../auth/session.js';
import { currentUser } from '../auth/access.js';
import { HttpProblem } from '../http/problem.js';
import { renderPage } from '../http/render.js';
import { problem, type ApiRegistry } from '../http/api.js';
import { objectId } from '../http/schemas.js';

/**
 * A hash of a random password, made once with the same argon2 settings as real ones: an unknown or
 * inactive account costs one verification too, so the answer's timing does not tell whether it exists.
 */
let dummyHash: Promise<string> | undefined;
const unknownAccountHash = () => (dummyHash ??= hashPassword(`unknown-account-${Math.random()}-${Date.now()}`));

/** Counts the attempt against the address and the account (429 past the limits), then checks the password. */
async function authenticate(req: Request, email: unknown, password: unknown) {
  if (typeof email !== 'string' || typeof password !== 'string' || email.length > 254 || password.length > 200) return undefined;
  const limiter = req.app.locals.loginLimiter as LoginLimiter;
  await limiter.attempt(req.ip ?? 'unknown', email);
  const user = await UserModel.findOne({ email: email.trim().toLowerCase(), active: true });
  const valid = await verifyPassword(user?.passwordHash ?? (await unknownAccountHash()), password);
  if (!user || !valid) return undefined;
  await limiter.succeeded(req.ip ?? 'unknown', email);
  return user;
}

function endSession(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

export function authRouter(): Router {
  const router = Router();

  router.get('/entrar', (req, res) => renderPage(req, res, 'login', { title: 'Entrar' }, { form: true }));

  router.post('/entrar', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const user = await authenticate(req, body.email, body.password);
    if (!user) {
      return renderPage(req, res, 'login', { title: 'Entrar', email: typeof body.email === 'string' ? body.email : '', errors: [{ field: 'email', reason: 'Correo o contraseña incorrectos' }] }, { form: true, status: 401 });
    }
    await startSession(req, { userId: String(user._id) });
    res.redirect(303, user.role === 'admin' ? '/admin' : '/evaluacion');
  });

  router.post('/salir', async (req, res) => {
    await endSession(req);
    res.redirect(303, '/');
  });

  return router;
}

const SESSION_SCHEMA = {
  type: 'object',
  required: ['user', 'csrfToken'],
  properties: {
    user: { type: 'object', required: ['id', 'email', 'name', 'role'], properties: { id: objectId, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, editions: { type: 'array', items: { type: 'string' } } } },
    csrfToken: { type: 'string', description: 'send it as the X-CSRF-Token header of unsafe calls' },
  },
};
const LOGIN_RESPONSES = {
  200: { description: 'signed in: the account and the CSRF token', schema: SESSION_SCHEMA },
  400: problem('e-mail or password missing'),
  401: problem('wrong e-mail or password'),
  415: problem('the credentials were not sent as application/json'),
  429: problem('too many attempts for this account or from this address (Retry-After)'),
};

export function registerAuthApi(api: ApiRegistry): void {
  api.add({ method: 'post', path: '/auth/login', summary: 'Sign in; returns the CSRF token for later unsafe calls', tag: 'auth', public: true, body: { type: 'object', properties: { email: { type: 'string' }, password: { type: 'string' } }, required: ['email', 'password'] }, responses: LOGIN_RESPONSES }, async (req, res) => {
    if (!req.is('application/json')) throw new HttpProblem(415, 'Unsupported Media Type', 'send the credentials as application/json');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors = ['email', 'password'].filter((f) => typeof body[f] !== 'string').map((f) => ({ field: f, reason: 'required string' }));
    if (errors.length) throw new HttpProblem(400, 'Bad Request', 'email and password are required', errors);
    const user = await authenticate(req, body.email, body.password);
    if (!user) throw new HttpProblem(401, 'Unauthorized', 'wrong e-mail or password');
    await startSession(req, { userId: String(user._id) });
    res.json({ user: { id: String(user._id), email: user.email, name: user.name, role: user.role }, csrfToken: csrf.generateToken(req) });
  });

  api.add({ method: 'post', path: '/auth/logout', summary: 'Sign out', tag: 'auth', responses: { 204: 'signed out' } }, async (req, res) => {
    currentUser(res);
    await endSession(req);
    res.status(204).end();
  });

  api.add({ method: 'get', path: '/auth/me', summary: 'The signed-in account and a CSRF token', tag: 'auth', responses: { 200: { description: 'the account and a fresh CSRF token', schema: SESSION_SCHEMA } } }, (req, res) => {
    const user = currentUser(res);
    res.json({ user, csrfToken: csrf.generateToken(req) });
  });
}
