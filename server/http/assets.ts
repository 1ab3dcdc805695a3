/**
 * Static files (server/public) with long-lived caching where it is safe: pages link them through
 * `assetUrl`, which adds the first hex digits of the file's sha256 (`/static/styles.css?v=1a2b3c4d5e`).
 * A request carrying the current fingerprint gets `Cache-Control: public, max-age=31536000,
 * immutable`; any other (no or an old fingerprint) must revalidate (ETag / Last-Modified), so a
 * changed file is never served stale. The favicon is at /favicon.ico for browsers that ask there.
 */
import express, { type RequestHandler, Router } from 'express';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const PREFIX = '/static/';
const YEAR = 365 * 24 * 3600;

const fingerprints = new Map<string, string | null>();

/** The file's fingerprint, computed once per process (files do not change while it runs); null: no such file. */
function fingerprint(name: string): string | null {
  if (!fingerprints.has(name)) {
    const file = path.join(PUBLIC_DIR, name);
    let value: string | null = null;
    if (file.startsWith(PUBLIC_DIR) && !name.includes('..')) {
      try {
        value = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 10);
      } catch {
        value = null;
      }
    }
    fingerprints.set(name, value);
  }
  return fingerprints.get(name)!;
}

/** `/static/x.css` or `x.css` → `/static/x.css?v=<fingerprint>`; other URLs are returned as they are. */
export function assetUrl(url: string): string {
  const name = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : url.startsWith('/') || /^[a-z]+:/i.test(url) ? undefined : url;
  if (name === undefined) return url;
  const v = fingerprint(name);
  return v ? `${PREFIX}${name}?v=${v}` : `${PREFIX}${name}`;
}

const cacheHeaders: RequestHandler = (req, res, next) => {
  const name = decodeURIComponent(req.path.replace(/^\//, ''));
  const v = typeof req.query.v === 'string' ? req.query.v : undefined;
  res.setHeader('Cache-Control', v && v === fingerprint(name) ? `public, max-age=${YEAR}, immutable` : 'public, max-age=0, must-revalidate');
  next();
};

/** Mount at the app's root: /static/* and /favicon.ico. */
export function staticAssets(): Router {
  const router = Router();
  router.use(PREFIX, cacheHeaders, express.static(PUBLIC_DIR, { cacheControl: false, etag: true, lastModified: true, index: false, fallthrough: true }));
  router.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.sendFile(path.join(PUBLIC_DIR, 'favicon.ico'));
  });
  return router;
}
