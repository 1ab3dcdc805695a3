/**
 * Per-address request limits for expensive public operations (the what-if recomputes a whole
 * edition per request), counted in MongoDB with rate-limiter-flexible like the sign-in limits
 * (server/auth/loginLimits.ts), so that every web process of a deployment shares one count.
 */
import type { RequestHandler } from 'express';
import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem } from './problem.js';

export const REQUEST_LIMITS_COLLECTION = 'request_limits';

type Db = NonNullable<typeof mongoose.connection.db>;

/** The collection and its indexes, created with the others at start (never lazily by the library). */
export async function ensureRequestLimitIndexes(db: Db): Promise<void> {
  if (!(await db.listCollections({ name: REQUEST_LIMITS_COLLECTION }).hasNext())) await db.createCollection(REQUEST_LIMITS_COLLECTION);
  const collection = db.collection(REQUEST_LIMITS_COLLECTION);
  await collection.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
  await collection.createIndex({ key: 1 }, { unique: true });
}

export interface RequestLimitOptions {
  /** Key prefix in the shared collection, e.g. "what-if". */
  name: string;
  /** Requests per window and address; read when the first request comes (environment settings). */
  points: () => number;
  windowSeconds: number;
  /** The problem sent when over the limit: English detail, stable code, Spanish message for pages. */
  detail: string;
  code: string;
  message: string;
}

/**
 * Express middleware: counts one request of the caller's address (req.ip: set TRUST_PROXY behind a
 * load balancer) and answers 429 with Retry-After and RateLimit headers when over the limit.
 */
export function requestLimit(options: RequestLimitOptions): RequestHandler {
  // One limiter per database connection (tests and tools reconnect; the service keeps one).
  const limiters = new WeakMap<Db, RateLimiterMongo>();
  const limiterFor = (db: Db): RateLimiterMongo => {
    let found = limiters.get(db);
    if (!found) {
      found = new RateLimiterMongo({
        storeClient: mongoose.connection.getClient(),
        dbName: db.databaseName,
        tableName: REQUEST_LIMITS_COLLECTION,
        keyPrefix: options.name,
        points: options.points(),
        duration: options.windowSeconds,
        disableIndexesCreation: true,
      });
      limiters.set(db, found);
    }
    return found;
  };
  return async (req, res, next) => {
    const db = mongoose.connection.db;
    if (!db || mongoose.connection.readyState !== 1) return next(); // the route's own database access answers 503
    const limiter = limiterFor(db);
    const policy = `"${options.name}";q=${limiter.points};w=${options.windowSeconds}`;
    res.setHeader('RateLimit-Policy', policy);
    try {
      const state = await limiter.consume(req.ip ?? 'unknown');
      res.setHeader('RateLimit', `"${options.name}";r=${state.remainingPoints};t=${Math.ceil(state.msBeforeNext / 1000)}`);
      next();
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when the store failed.
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader('RateLimit', `"${options.name}";r=0;t=${seconds}`);
      next(new HttpProblem(429, 'Too Many Requests', options.detail, undefined, { code: options.code, retryAfterSeconds: seconds, message: options.message }));
    }
  };
}
