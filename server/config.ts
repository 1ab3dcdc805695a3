/** Service configuration from the environment, validated once at start. */
import path from 'node:path';

export interface Config {
  port: number;
  /** A real deployment; unset: the embedded database. */
  mongodbUri?: string;
  /** Where the embedded database keeps its files between restarts. */
  dataDir: string;
  embeddedMongoPort: number;
  logLevel: string;
  /** Cookies only over HTTPS: default on in production (NODE_ENV=production), MGA_SECURE_COOKIES overrides. */
  secureCookies: boolean;
}

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a TCP port number (0-65535), got "${raw}"`);
  }
  return port;
}

export function loadConfig(): Config {
  return {
    port: portFrom('PORT', 3000),
    mongodbUri: process.env.MONGODB_URI || undefined,
    dataDir: path.resolve(process.env.MGA_DATA_DIR || '.data'),
    embeddedMongoPort: portFrom('MGA_EMBEDDED_MONGO_PORT', 27317),
    logLevel: process.env.LOG_LEVEL || 'info',
    secureCookies: process.env.MGA_SECURE_COOKIES ? process.env.MGA_SECURE_COOKIES === 'true' : process.env.NODE_ENV === 'production',
  };
}
