/**
 * Sign-in attempt limits, per client address and per account, counted in MongoDB so that every web
 * process of a deployment shares them (rate-limiter-flexible's RateLimiterMongo: maintained, no
 * dependencies, atomic upserts on the connection the service already has). Every attempt consumes a
 * point before the password is checked, so concurrent guesses cannot slip past the limit; a
 * successful sign-in clears its account's count and gives its address the point back.
 */
import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem } from '../http/problem.js';

export const LOGIN_LIMITS_COLLECTION = 'login_limits';
const WINDOW_SECONDS = 15 * 60;

export interface LoginLimitSettings {
  /** Attempts per address in the window (MGA_LOGIN_ATTEMPTS, default 30). */
  perAddress: number;
  /** Failed attempts per account in the window (MGA_LOGIN_ACCOUNT_ATTEMPTS, default 10). */
  perAccount: number;
  windowSeconds: number;
}

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function loginLimitSettings(): LoginLimitSettings {
  return { perAddress: positive('MGA_LOGIN_ATTEMPTS', 30), perAccount: positive('MGA_LOGIN_ACCOUNT_ATTEMPTS', 10), windowSeconds: WINDOW_SECONDS };
}

/** The collection and its indexes, created with the others at start (never lazily by the library). */
export async function ensureLoginLimitIndexes(db: NonNullable<typeof mongoose.connection.db>): Promise<void> {
  if (!(await db.listCollections({ name: LOGIN_LIMITS_COLLECTION }).hasNext())) await db.createCollection(LOGIN_LIMITS_COLLECTION);
  const collection = db.collection(LOGIN_LIMITS_COLLECTION);
  await collection.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
  await collection.createIndex({ key: 1 }, { unique: true });
}

const normalEmail = (email: string) => email.trim().toLowerCase().slice(0, 254);

export class LoginLimiter {
  private readonly byAddress: RateLimiterMongo;
  private readonly byAccount: RateLimiterMongo;

  /** Needs an open mongoose connection (like the session store). */
  constructor(readonly settings: LoginLimitSettings = loginLimitSettings()) {
    const common = {
      storeClient: mongoose.connection.getClient(),
      dbName: mongoose.connection.db!.databaseName,
      tableName: LOGIN_LIMITS_COLLECTION,
      duration: settings.windowSeconds,
      disableIndexesCreation: true,
    };
    this.byAddress = new RateLimiterMongo({ ...common, keyPrefix: 'address', points: settings.perAddress });
    this.byAccount = new RateLimiterMongo({ ...common, keyPrefix: 'account', points: settings.perAccount });
  }

  /** Counts one attempt; a 429 problem with Retry-After when the address or the account is over its limit. */
  async attempt(address: string, email: string): Promise<void> {
    const over: RateLimiterRes[] = [];
    for (const [limiter, key] of [
      [this.byAddress, address],
      [this.byAccount, normalEmail(email)],
    ] as const) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        // The library rejects with a RateLimiterRes when over the limit, with an Error when the store failed.
        if (rejection instanceof RateLimiterRes) over.push(rejection);
        else throw rejection;
      }
    }
    if (over.length === 0) return;
    const seconds = Math.max(1, Math.ceil(Math.max(...over.map((r) => r.msBeforeNext)) / 1000));
    throw new HttpProblem(429, 'Too Many Requests', `too many sign-in attempts for this account or from this address; try again in ${Math.ceil(seconds / 60)} min`, undefined, {
      code: 'too-many-sign-in-attempts',
      retryAfterSeconds: seconds,
      message: `Hubo demasiados intentos de entrar con esta cuenta o desde esta conexión. Intente de nuevo en ${Math.ceil(seconds / 60)} minutos.`,
    });
  }

  /** A successful sign-in: the account starts afresh, and the address gets its point back. */
  async succeeded(address: string, email: string): Promise<void> {
    await this.byAccount.delete(normalEmail(email));
    await this.byAddress.reward(address, 1);
  }
}
