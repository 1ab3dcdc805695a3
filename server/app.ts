import express, { type Express } from 'express';
import compression from 'compression';
import helmet from 'helmet';
import multer from 'multer';
import mongoose from 'mongoose';
import { requestLogger } from './http/requestLog.js';
import type { Logger } from 'pino';
import { problemHandler, sendProblem, HttpProblem, unknownRoute } from './http/problem.js';
import { serverVersion } from './db/connection.js';
import { apiRegistry } from './routes/api.js';
import { resultsPagesRouter } from './routes/resultsPages.js';
import { researchPagesRouter } from './routes/researchPages.js';
import { authRouter } from './routes/auth.js';
import { adminRouter } from './routes/admin.js';
import { editionAdminRouter } from './routes/editionAdmin.js';
import { institutionAdminRouter } from './routes/institutionAdmin.js';
import { editionDetailsRouter } from './routes/editionDetails.js';
import { crosswalksRouter } from './routes/crosswalks.js';
import { respondRouter } from './routes/respond.js';
import { reviewRouter } from './routes/review.js';
import { queueRouter } from './routes/queue.js';
import { assignmentsRouter } from './routes/assignments.js';
import { auditRouter } from './routes/audit.js';
import { institutionGate } from './services/assignments.js';
import { accountsRouter } from './routes/accounts.js';
import { methodologyPagesRouter } from './routes/methodologyPages.js';
import { jobsRouter } from './routes/jobs.js';
import { mailRouter } from './routes/mail.js';
import { configureViews } from './http/views.js';
import { saveSessionBeforeRedirect, sessionMiddleware, type SessionOptions } from './auth/session.js';
import { textHygiene, utf8Only } from './http/textHygiene.js';
import { importLimits } from './services/importSettings.js';
import { loadPrincipal } from './auth/access.js';
import { csrfUnlessUnauthenticatedApi } from './auth/csrfGate.js';
import { isEvidenceUpload } from './routes/evidence.js';
import { LoginLimiter } from './auth/loginLimits.js';
import { staticAssets } from './http/assets.js';
import { apiDocsRouter } from './http/apiDocs.js';


const DB_STATES: Record<number, string> = { 0: 'disconnected', 1: 'connected', 2: 'connecting', 3: 'disconnecting' };

/**
 * Text bodies are gzipped (compression: expressjs's own middleware): pages, JSON and problem+json,
 * CSV, SVG, CSS and scripts. PDFs, zips and workbooks are compressed formats already: left alone.
 */
const COMPRESSIBLE = /^(text\/(html|css|csv|plain|javascript)|application\/(json|problem\+json|javascript|xml)|image\/svg\+xml)\b/i;
export function compressible(contentType: unknown): boolean {
  return typeof contentType === 'string' && COMPRESSIBLE.test(contentType);
}

export interface AppOptions {
  logger: Logger;
  session: SessionOptions;
}

/** Needs an open mongoose connection (sessions live in MongoDB). */
export function createApp({ logger, session }: AppOptions): Express {
  const app = express();
  // Uploads (imports) are capped by MGA_IMPORT_MAX_UPLOAD_BYTES (default 10 MB).
  const uploadLimit = importLimits().maxUploadBytes;
  /** multer: the maintained multipart parser for express; files stay in memory, capped in size and count. */
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: uploadLimit, files: 1, fields: 100 } });
  app.disable('x-powered-by');
  if (process.env.TRUST_PROXY) app.set('trust proxy', process.env.TRUST_PROXY);
  // Query strings stay flat strings: no nested objects such as ?a[$gt]= reach a handler.
  app.set('query parser', 'simple');
  // Sign-in limits live in MongoDB, shared by every web process.
  app.locals.loginLimiter = new LoginLimiter();
  configureViews(app);
  // One line per request, without headers or the credentials some addresses carry (requestLog.ts).
  app.use(requestLogger(logger));
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'] } } }));
  app.use(compression({ filter: (_req, res) => compressible(res.getHeader('Content-Type')) }));
  app.use(staticAssets());

  app.get('/healthz', async (req, res) => {
    const state = DB_STATES[mongoose.connection.readyState] ?? 'unknown';
    try {
      if (state !== 'connected') throw new Error(state);
      res.json({ status: 'ok', database: { state, serverVersion: await serverVersion() } });
    } catch {
      const problem = new HttpProblem(503, 'Service Unavailable', `the database is unreachable (${state})`);
      res.setHeader('Retry-After', '5');
      sendProblem(res, problem, req.originalUrl);
    }
  });

  app.use(express.json({ limit: '1mb', verify: utf8Only }));
  app.use(express.raw({ type: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], limit: uploadLimit }));
  // Multipart bodies (file uploads) are parsed before the CSRF check, which reads their _csrf field.
  // Evidence uploads are the exception: they stream into GridFS once the respondent is known (server/routes/evidence.ts).
  app.use((req, res, next) => (req.is('multipart/form-data') && !isEvidenceUpload(req) ? upload.any()(req, res, next) : next()));
  // Flat form fields only (extended: false): nested operator objects cannot be built from a form.
  app.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 5000, verify: utf8Only }));
  // Lone surrogates, control characters and bytes that are not UTF-8 are refused, naming the field.
  app.use(textHygiene);
  app.use(sessionMiddleware(session));
  app.use(saveSessionBeforeRedirect);
  app.use(loadPrincipal);
  app.use(csrfUnlessUnauthenticatedApi);

  // First: the respondents' pages and their background saves, the busiest route, skip the other
  // routers' matching (respondRouter serves only /responder paths).
  app.use(respondRouter());
  app.use(researchPagesRouter());
  app.use(resultsPagesRouter());
  app.use(methodologyPagesRouter());
  app.use(authRouter());
  app.use(adminRouter());
  app.use(editionAdminRouter());
  app.use(institutionAdminRouter());
  app.use(editionDetailsRouter());
  app.use(crosswalksRouter());
  // Evaluators open an institution's review pages only when assigned to it.
  app.use('/evaluacion/:edition/sujetos/:id', institutionGate());
  app.use(queueRouter());
  app.use(assignmentsRouter());
  app.use(auditRouter());
  app.use(reviewRouter());
  app.use(accountsRouter());
  app.use(jobsRouter());
  app.use(mailRouter());
  app.use(apiDocsRouter());
  app.use('/api/v1', apiRegistry().router);

  app.use(unknownRoute);
  app.use(problemHandler(logger));
  return app;
}
