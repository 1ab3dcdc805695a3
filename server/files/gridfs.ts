/**
 * Files in MongoDB GridFS: the buckets the service uses, their indexes created with every other
 * index at start (the offline Wine mongod crashes when two processes create the same collection at
 * once, which GridFS would otherwise do lazily on first upload), and the few operations routes and
 * jobs need. Files stream in and out; nothing here holds a whole file in memory.
 */
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import mongoose, { Schema, Types } from 'mongoose';

/** Bucket names (each is two collections, `<name>.files` and `<name>.chunks`). */
export const BUCKETS = {
  /** Job parts and results (e.g. the zip of an edition's report cards). */
  jobs: 'jobfiles',
  /** Rendered PDFs of published editions, keyed by what they were made from. */
  reportCache: 'reportcache',
  /** Documents respondents attach to their answers (server/files/evidence.ts). */
  evidence: 'evidence',
} as const;
export type BucketName = (typeof BUCKETS)[keyof typeof BUCKETS];

/**
 * GridFS's own indexes (the driver's spec), declared as models so `ensureCollectionsAndIndexes`
 * creates them one at a time with the rest. The models are never used to write.
 */
function declareBucketIndexes(name: string): void {
  const files = new Schema({ filename: String, uploadDate: Date }, { strict: false, collection: `${name}.files`, versionKey: false });
  files.index({ filename: 1, uploadDate: 1 });
  const chunks = new Schema({ files_id: Schema.Types.ObjectId, n: Number }, { strict: false, collection: `${name}.chunks`, versionKey: false });
  chunks.index({ files_id: 1, n: 1 }, { unique: true });
  if (!mongoose.models[`${name}.files`]) mongoose.model(`${name}.files`, files);
  if (!mongoose.models[`${name}.chunks`]) mongoose.model(`${name}.chunks`, chunks);
}
for (const name of Object.values(BUCKETS)) declareBucketIndexes(name);

const buckets = new WeakMap<object, Map<string, mongoose.mongo.GridFSBucket>>();

/** The bucket on mongoose's current connection (a new connection gets new bucket objects). */
export function bucket(name: BucketName): mongoose.mongo.GridFSBucket {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  let byName = buckets.get(db);
  if (!byName) buckets.set(db, (byName = new Map()));
  let found = byName.get(name);
  if (!found) byName.set(name, (found = new mongoose.mongo.GridFSBucket(db, { bucketName: name })));
  return found;
}

export interface StoredFile {
  _id: Types.ObjectId;
  filename: string;
  length: number;
  uploadDate: Date;
  metadata?: Record<string, unknown>;
}

export async function findFile(name: BucketName, filter: Record<string, unknown>): Promise<StoredFile | null> {
  return (await bucket(name).find(filter, { sort: { uploadDate: -1 }, limit: 1 }).next()) as StoredFile | null;
}

export async function findFiles(name: BucketName, filter: Record<string, unknown>): Promise<StoredFile[]> {
  return (await bucket(name).find(filter).toArray()) as StoredFile[];
}

/**
 * Writes a stream into the bucket under the given id and resolves once the file is complete: GridFS
 * writes the file document after the last chunk, so an upload cut short leaves no file, only chunks
 * that `discard` removes.
 */
export async function upload(name: BucketName, source: Readable | Buffer, options: { id?: Types.ObjectId; filename: string; metadata?: Record<string, unknown> }): Promise<StoredFile> {
  const id = options.id ?? new Types.ObjectId();
  const stream = bucket(name).openUploadStreamWithId(id, options.filename, { ...(options.metadata && { metadata: options.metadata }) });
  const finished = once(stream, 'finish');
  if (Buffer.isBuffer(source)) {
    stream.end(source);
  } else {
    source.once('error', (error) => stream.destroy(error));
    source.pipe(stream);
  }
  await finished;
  return { _id: id, filename: options.filename, length: stream.length, uploadDate: new Date(), ...(options.metadata && { metadata: options.metadata }) };
}

/** A file's bytes, or a byte range of it (`end` exclusive). */
export function download(name: BucketName, id: Types.ObjectId | string, range?: { start: number; end: number }): Readable {
  return bucket(name).openDownloadStream(new Types.ObjectId(String(id)), range);
}

/** Removes a file and its chunks, including the chunks of an upload that never finished. Idempotent. */
export async function discard(name: BucketName, id: Types.ObjectId | string): Promise<void> {
  const db = mongoose.connection.db!;
  const fileId = new Types.ObjectId(String(id));
  await db.collection(`${name}.files`).deleteOne({ _id: fileId });
  await db.collection(`${name}.chunks`).deleteMany({ files_id: fileId });
}
