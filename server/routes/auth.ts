/** Sign-in for admins, evaluators and viewers: pages and JSON API. */
import { Router, type Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import { UserModel } from '../models/user.js';
import { verifyPassword } from '../auth/passwords.js';
import { csrf, startSession } from '../auth/session.js';
import { currentUser } from '../auth/access.js';
import { HttpProblem } from '../http/problem.js';
import { renderPage } from '../http/render.js';
import type { ApiRegistry } from '../http/api.js';

/**
 * Slows password guessing: MGA_LOGIN_ATTEMPTS failed sign-in attempts per 15 minutes and address
 * (successful sign-ins do not count, so a team behind one address is not locked out by its own work).
 */
const loginLimiter = rateLimit({
  windowMs: 15 * 60 * 1000,
  limit: Number(process.env.MGA_LOGIN_ATTEMPTS) || 30,
  skipSuccessfulRequests: true,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  handler: (_req, _res, next) => next(new HttpProblem(429, 'Too Many Requests', 'too many sign-in attempts; wait a few minutes')),
});

async function authenticate(email: unknown, password: unknown) {
  if (typeof email !== 'string' || typeof password !== 'string' || email.length > 254 || password.length > 200) return undefined;
  const user = await UserModel.findOne({ email: email.trim().toLowerCase(), active: true });
  if (!user || !(await verifyPassword(user.passwordHash, password))) return undefined;
  return user;
}

function endSession(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

export function authRouter(): Router {
  const router = Router();

  router.get('/entrar', (req, res) => renderPage(req, res, 'login', { title: 'Entrar' }, { form: true }));

  router.post('/entrar', loginLimiter, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const user = await authenticate(body.email, body.password);
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

export function registerAuthApi(api: ApiRegistry): void {
  api.add({ method: 'post', path: '/auth/login', summary: 'Sign in; returns the CSRF token for later unsafe calls', tag: 'auth', public: true, body: { type: 'object', properties: { email: { type: 'string' }, password: { type: 'string' } }, required: ['email', 'password'] } }, loginLimiter, async (req, res) => {
    if (!req.is('application/json')) throw new HttpProblem(415, 'Unsupported Media Type', 'send the credentials as application/json');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors = ['email', 'password'].filter((f) => typeof body[f] !== 'string').map((f) => ({ field: f, reason: 'required string' }));
    if (errors.length) throw new HttpProblem(400, 'Bad Request', 'email and password are required', errors);
    const user = await authenticate(body.email, body.password);
    if (!user) throw new HttpProblem(401, 'Unauthorized', 'wrong e-mail or password');
    await startSession(req, { userId: String(user._id) });
    res.json({ user: { id: String(user._id), email: user.email, name: user.name, role: user.role }, csrfToken: csrf.generateToken(req) });
  });

  api.add({ method: 'post', path: '/auth/logout', summary: 'Sign out', tag: 'auth', responses: { 204: 'signed out' } }, async (req, res) => {
    currentUser(res);
    await endSession(req);
    res.status(204).end();
  });

  api.add({ method: 'get', path: '/auth/me', summary: 'The signed-in account and a CSRF token', tag: 'auth' }, (req, res) => {
    const user = currentUser(res);
    res.json({ user, csrfToken: csrf.generateToken(req) });
  });
}
