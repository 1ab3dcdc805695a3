import { pino, type Logger } from 'pino';

/** Structured JSON logs (pino: fast, widely used, with express integration through pino-http). */
export function createLogger(level = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({ level, base: { service: 'mga' } });
}
