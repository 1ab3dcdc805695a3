import express, { type Express } from 'express';
import mongoose from 'mongoose';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { problemHandler, sendProblem, HttpProblem, unknownRoute } from './http/problem.js';
import { serverVersion } from './db/connection.js';

const DB_STATES: Record<number, string> = { 0: 'disconnected', 1: 'connected', 2: 'connecting', 3: 'disconnecting' };

export function createApp({ logger }: { logger: Logger }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(pinoHttp({ logger, customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info') }));
  app.use(express.json({ limit: '1mb' }));

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

  app.use(unknownRoute);
  app.use(problemHandler(logger));
  return app;
}
