/**
 * PDFs of published editions, kept in GridFS (bucket "reportcache") under a key made of everything
 * the PDF is made from, so a cached PDF is served only while none of it has changed:
 *
 * - the edition's data: a hash of every institution's attributes and stored inputs, the data
 *   sources and the edition's year and title (computed once per results version; `resultsVersion`
 *   alone is not enough: it counts writes, so a database rebuilt from scratch repeats its numbers,
 *   and it moves when an import rewrites identical data);
 * - the methodology's hash;
 * - the published aggregates file (sha256; national and entity reports compare with it), read once
 *   per process like the service does;
 * - the report and its parameters (edition, entity, institution, compared editions); for a card, the
 *   questionnaire answers it lists;
 * - the code: a hash of the sources that make a report's content (reports/, scoring/,
 *   questionnaires/, server/services/: templates, styles, views, the engine, the analyses of the
 *   robustness section, the labels), so a new release never serves PDFs of the old one.
 *
 * The key is also the response's ETag. Concurrent requests for the same missing PDF share one
 * render. When a PDF of the same report is stored under a new key, the older ones are deleted; when
 * anything the edition's PDFs are made from changes (its scores, say), the first download of any of
 * them deletes all the edition's older PDFs (purgeOtherGenerations).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { BUCKETS, discard, download, findFile, findFiles, upload } from '../files/gridfs.js';
import type { EditionResults } from '../../reports/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where a report's content comes from, besides the data: see the file comment. */
const CONTENT_SOURCES = ['reports', 'scoring', 'questionnaires', 'server/services', 'package-lock.json'];

let rendererHash: string | undefined;

/** sha256 of every file of CONTENT_SOURCES, in path order (read once per process, a few milliseconds). */
export function rendererFingerprint(): string {
  if (rendererHash) return rendererHash;
  const hash = createHash('sha256');
  const add = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
    } else {
      hash.update(path.slice(ROOT.length)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const source of CONTENT_SOURCES) add(join(ROOT, source));
  rendererHash = hash.digest('hex');
  return rendererHash;
}

const dataHashes = new WeakMap<EditionResults, string>();

/** A hash of what the edition's reports are computed from (see the file comment). */
export function editionDataHash(results: EditionResults, ids: readonly string[], edition: { editionId: string; year: number; title: string }): string {
  let found = dataHashes.get(results);
  if (!found) {
    const hash = createHash('sha256');
    hash.update(JSON.stringify({ edition: edition.editionId, year: edition.year, title: edition.title, methodology: results.compiled.hash, sources: results.dataSources, ids }));
    for (const inst of results.institutions) {
      hash.update(JSON.stringify([inst.name, inst.entity, inst.entityCode ?? null, inst.level, inst.type, Object.entries(inst.values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));
    }
    found = hash.digest('hex');
    dataHashes.set(results, found);
  }
  return found;
}

export interface CacheKeyInput {
  edition: string;
  dataHash: string;
  methodologyHash: string;
  publishedSha256: string;
  /** "national", "entity", "institution". */
  report: string;
  /** What distinguishes this report among the edition's (entity, institution id, compared editions…). */
  params: Record<string, unknown>;
}

/**
 * The cache key (and ETag) of a report, the slot it replaces older versions in, and the edition's
 * generation: what every PDF of the edition is made from (data, methodology, published figures,
 * code). A new generation makes every cached PDF of the edition stale.
 */
export function cacheKey(input: CacheKeyInput): { key: string; slot: string; generation: string } {
  const slot = createHash('sha256').update(JSON.stringify([input.edition, input.report, input.params])).digest('hex').slice(0, 32);
  const generation = createHash('sha256')
    .update(JSON.stringify([input.edition, input.dataHash, input.methodologyHash, input.publishedSha256, rendererFingerprint()]))
    .digest('hex')
    .slice(0, 32);
  const key = createHash('sha256').update(JSON.stringify([slot, generation])).digest('hex').slice(0, 40);
  return { key, slot, generation };
}

const purged = new Map<string, Promise<void>>();

/**
 * Deletes the edition's cached PDFs of any other generation: they can never be served again (their
 * keys are gone), so when an edition's scores change, the first download afterwards (in any
 * process) clears them all instead of leaving each one until its own report is asked for again.
 * Runs once per edition and generation in a process; callers do not wait for it.
 */
export function purgeOtherGenerations(edition: string, generation: string, logger?: Logger): Promise<void> {
  const id = `${edition}\0${generation}`;
  let found = purged.get(id);
  if (!found) {
    found = (async () => {
      for (const old of await findFiles(BUCKETS.reportCache, { 'metadata.edition': edition, 'metadata.generation': { $ne: generation } })) await discard(BUCKETS.reportCache, old._id);
    })().catch((error: unknown) => {
      purged.delete(id); // try again on the next download
      logger?.warn({ err: error, edition }, 'could not delete stale PDFs from the cache');
    });
    purged.set(id, found);
  }
  return found;
}

export interface CachedFile {
  length: number;
  stream(): Readable;
}

/** The cached PDF under `key`, if any. */
export async function findCached(key: string): Promise<CachedFile | undefined> {
  const file = await findFile(BUCKETS.reportCache, { filename: key });
  if (!file) return undefined;
  return { length: file.length, stream: () => download(BUCKETS.reportCache, file._id) };
}

const rendering = new Map<string, Promise<Buffer>>();
/** PDFs being stored in the cache after their answer was sent: a shutdown waits for them (cacheWritesSettled). */
const storing = new Set<Promise<void>>();

/**
 * The PDF under `key`: rendered once however many requests ask at the same time, then stored (in
 * the background: the caller does not wait for the upload) and the slot's older PDFs deleted.
 */
export function renderOnce(key: string, slot: string, meta: { edition: string; report: string; generation: string }, render: () => Promise<Buffer>, logger?: Logger): Promise<Buffer> {
  let pending = rendering.get(key);
  if (!pending) {
    pending = render();
    rendering.set(key, pending);
    pending.then(
      (body) => {
        const task: Promise<void> = store(key, slot, meta, body)
          .catch((error: unknown) => logger?.warn({ err: error, key }, 'could not store a PDF in the cache'))
          .finally(() => {
            rendering.delete(key);
            storing.delete(task);
          });
        storing.add(task);
      },
      () => rendering.delete(key),
    );
  }
  return pending;
}

/** Resolves once every PDF being stored in the cache is stored (or has failed): before the database closes. */
export async function cacheWritesSettled(): Promise<number> {
  let waited = 0;
  while (storing.size > 0) {
    waited += storing.size;
    await Promise.allSettled([...storing]);
  }
  return waited;
}

async function store(key: string, slot: string, meta: { edition: string; report: string; generation: string }, body: Buffer): Promise<void> {
  if (await findFile(BUCKETS.reportCache, { filename: key })) return;
  await upload(BUCKETS.reportCache, body, { filename: key, metadata: { ...meta, slot, storedAt: new Date() } });
  for (const old of await findFiles(BUCKETS.reportCache, { 'metadata.slot': slot, filename: { $ne: key } })) await discard(BUCKETS.reportCache, old._id);
}
