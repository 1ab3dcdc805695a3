/**
 * How a worker works on one job ("attending" it): claim a part, run it, renew its lease while it
 * runs, record it done; when no part is left, the worker that claims the finish puts the result
 * together. Several workers may attend the same job at once; each part and the finish are claimed
 * by one worker at a time, and a claim whose lease runs out (its worker died or hangs) is taken
 * over by the next worker that looks.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import { BUCKETS, discard, download, upload } from '../files/gridfs.js';
import { JobError, type JobInfo, type JobKind } from './kind.js';
import { JobModel, OPEN_STATUSES, type JobDoc, type JobStatus } from './model.js';

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
}

/** The claim on a part or on the finish was taken over by another worker (our lease ran out). */
class ClaimLost extends Error {
  constructor() {
    super('the claim was taken over by another worker');
    this.name = 'ClaimLost';
  }
}

export interface AttendOptions {
  kind: JobKind<unknown>;
  jobId: string;
  workerId: string;
  leaseMs: number;
  pollMs: number;
  logger: Logger;
  /** Aborted when the worker stops: release claims and return "interrupted". */
  signal: AbortSignal;
}

export type AttendOutcome = 'ended' | 'interrupted';

const OPEN: JobStatus[] = [...OPEN_STATUSES];

function jobInfo(job: JobDoc): JobInfo<unknown> {
  return { id: String(job._id), kind: job.kind, params: job.params, createdAt: job.createdAt };
}

/** Renew interval: often enough that a lease never lapses while its worker is alive. */
const renewEvery = (leaseMs: number) => Math.max(250, Math.min(1000, Math.floor(leaseMs / 4)));

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Marks the job failed (once) and deletes its intermediate files. */
export async function failJob(jobId: string, error: unknown, logger: Logger): Promise<void> {
  const code = error instanceof JobError ? error.code : 'internal-error';
  const message = error instanceof JobError ? error.message : `the job failed: ${describe(error)}`;
  const res = await JobModel.updateOne({ _id: jobId, status: { $in: OPEN } }, { $set: { status: 'failed', error: message, errorCode: code, finishedAt: new Date() } });
  if (res.modifiedCount > 0) {
    logger.warn({ job: jobId, err: error }, 'job failed');
    await removePartFiles(jobId);
  }
}

/** Deletes every intermediate file of a job (including chunks of uploads that never finished). */
export async function removePartFiles(jobId: string): Promise<void> {
  const job = await JobModel.findById(jobId, { parts: 1 }).lean();
  for (const part of job?.parts ?? []) for (const id of part.files ?? []) await discard(BUCKETS.jobs, id);
}

/** A job that ended without a result (failed, cancelled): its intermediate files and any result file being written. */
export async function removeJobFiles(jobId: string): Promise<void> {
  await removePartFiles(jobId);
  const job = await JobModel.findById(jobId, { finish: 1, result: 1 }).lean();
  if (job?.finish?.fileId && !job.result) await discard(BUCKETS.jobs, job.finish.fileId);
}

/** Works on the job until nothing is left to claim and everything claimed by others is done. */
export async function attend(options: AttendOptions): Promise<AttendOutcome> {
  const { jobId, signal } = options;
  for (;;) {
    if (signal.aborted) return 'interrupted';
    const job = await JobModel.findById(jobId).lean<JobDoc>();
    if (!job || !OPEN.includes(job.status as JobStatus)) return 'ended';
    const worked = job.parts.every((p) => p.state === 'done') ? await finishJob(options, job) : await runParts(options, job);
    if (signal.aborted) return 'interrupted';
    // Nothing to claim: the rest is held by other workers; wait for it to end or for a lease to lapse.
    if (!worked) await sleep(Math.min(options.pollMs, 1000), undefined, { signal }).catch(() => undefined);
  }
}

// ───────────────────────────── parts ─────────────────────────────

interface Claim {
  index: number;
  token: string;
  total: number;
  input: unknown;
  attempt: number;
}

async function claimPart(options: AttendOptions): Promise<Claim | undefined> {
  const now = new Date();
  const token = randomUUID();
  const claimable = { $or: [{ state: 'pending' }, { state: 'running', leaseUntil: { $lt: now } }] };
  const before = await JobModel.findOneAndUpdate(
    { _id: options.jobId, status: { $in: OPEN }, parts: { $elemMatch: claimable } },
    {
      $set: {
        status: 'running',
        'parts.$.state': 'running',
        'parts.$.token': token,
        'parts.$.worker': options.workerId,
        'parts.$.leaseUntil': new Date(now.getTime() + options.leaseMs),
        'parts.$.done': 0,
        'parts.$.startedAt': now,
        'parts.$.files': [],
      },
      $inc: { 'parts.$.attempts': 1 },
      $min: { startedAt: now },
    },
    { returnDocument: 'before', projection: { parts: 1 } },
  ).lean<JobDoc>();
  if (!before) return undefined;
  // The positional operator updated the first part that matched, evaluated with the same `now`.
  const index = before.parts.findIndex((p) => p.state === 'pending' || (p.state === 'running' && p.leaseUntil! < now));
  const previous = before.parts[index]!;
  // An earlier attempt that lost its lease: note who it was and delete whatever it had stored.
  if (previous.state === 'running' && previous.worker) {
    options.logger.warn({ job: options.jobId, part: index, from: previous.worker }, 'taking over a part whose lease ran out');
    await JobModel.updateOne({ _id: options.jobId, parts: { $elemMatch: { index, token } } }, { $push: { 'parts.$.abandonedBy': previous.worker } });
  }
  for (const id of previous.files ?? []) await discard(BUCKETS.jobs, id);
  return { index, token, total: previous.total, input: previous.input, attempt: previous.attempts + 1 };
}

/** Runs parts (up to the kind's partsAtOnce at the same time) while there are parts to claim. */
async function runParts(options: AttendOptions, job: JobDoc): Promise<boolean> {
  const lanes = Math.max(1, options.kind.partsAtOnce?.() ?? 1);
  let ran = 0;
  const lane = async (): Promise<void> => {
    while (!options.signal.aborted) {
      const claim = await claimPart(options);
      if (!claim) return;
      ran++;
      if (!(await runPart(options, job, claim))) return;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return ran > 0;
}

const partFilter = (jobId: string, claim: { index: number; token: string }) => ({ _id: jobId, status: 'running' as const, parts: { $elemMatch: { index: claim.index, token: claim.token } } });

/** One claimed part; false when the job cannot go on (failed, or the worker is stopping). */
async function runPart(options: AttendOptions, job: JobDoc, claim: Claim): Promise<boolean> {
  const { jobId, kind, logger } = options;
  const lost = new AbortController();
  const signal = AbortSignal.any([options.signal, lost.signal]);
  let done = 0;
  /** Files this attempt stored: deleted by us when the claim is lost (the new holder starts its own). */
  const stored: Types.ObjectId[] = [];
  const renew = async () => {
    const res = await JobModel.updateOne(partFilter(jobId, claim), { $set: { 'parts.$.leaseUntil': new Date(Date.now() + options.leaseMs), 'parts.$.done': done } });
    if (res.matchedCount === 0) lost.abort(new ClaimLost());
  };
  const timer = setInterval(() => void renew().catch((error: unknown) => logger.warn({ err: error, job: jobId }, 'could not renew a part lease')), renewEvery(options.leaseMs));
  try {
    const output = await kind.runPart({
      job: jobInfo(job),
      part: { index: claim.index, total: claim.total, input: claim.input, attempt: claim.attempt },
      workerId: options.workerId,
      signal,
      logger,
      progress: (n) => {
        done = Math.max(0, Math.min(claim.total, n));
      },
      storePartFile: async (fileName, body, metadata) => {
        const id = new Types.ObjectId();
        // Listed before it is written, so whoever takes the part over can delete a half-written file.
        const res = await JobModel.updateOne(partFilter(jobId, claim), { $push: { 'parts.$.files': id } });
        if (res.matchedCount === 0) throw new ClaimLost();
        stored.push(id);
        await upload(BUCKETS.jobs, body, { id, filename: fileName, metadata: { ...metadata, job: jobId, part: claim.index } });
        return id;
      },
    });
    signal.throwIfAborted();
    clearInterval(timer);
    const res = await JobModel.updateOne(partFilter(jobId, claim), {
      $set: { 'parts.$.state': 'done', 'parts.$.done': claim.total, 'parts.$.output': output ?? null, 'parts.$.finishedAt': new Date() },
      $unset: { 'parts.$.token': 1, 'parts.$.leaseUntil': 1, 'parts.$.lastError': 1 },
    });
    if (res.matchedCount === 0) throw new ClaimLost();
    return true;
  } catch (error) {
    clearInterval(timer);
    if (lost.signal.aborted || error instanceof ClaimLost) {
      // Another worker holds the part now, or the job ended: what this attempt wrote is nobody's.
      logger.warn({ job: jobId, part: claim.index }, 'lost the claim on a part; leaving it to its new holder');
      for (const id of stored) await discard(BUCKETS.jobs, id);
      return true;
    }
    if (options.signal.aborted) {
      // The worker is stopping: hand the part back untouched, so the next worker starts it at once.
      await JobModel.updateOne(partFilter(jobId, claim), { $set: { 'parts.$.state': 'pending' }, $unset: { 'parts.$.token': 1, 'parts.$.leaseUntil': 1 }, $inc: { 'parts.$.attempts': -1 } });
      return false;
    }
    if (error instanceof JobError || claim.attempt >= (kind.maxAttempts ?? 2)) {
      await failJob(jobId, error, logger);
      return false;
    }
    logger.warn({ err: error, job: jobId, part: claim.index, attempt: claim.attempt }, 'a part failed; it will be tried again');
    await JobModel.updateOne(partFilter(jobId, claim), {
      $set: { 'parts.$.state': 'pending', 'parts.$.lastError': describe(error) },
      $unset: { 'parts.$.token': 1, 'parts.$.leaseUntil': 1 },
      $push: { 'parts.$.abandonedBy': options.workerId },
    });
    return true;
  }
}

// ───────────────────────────── finish ─────────────────────────────

/** Claims the finish when every part is done, and runs it; false when someone else holds it. */
async function finishJob(options: AttendOptions, job: JobDoc): Promise<boolean> {
  const { jobId, kind, logger } = options;
  const now = new Date();
  const token = randomUUID();
  const before = await JobModel.findOneAndUpdate(
    {
      _id: jobId,
      status: { $in: OPEN },
      parts: { $not: { $elemMatch: { state: { $ne: 'done' } } } },
      $or: [{ 'finish.state': 'pending' }, { 'finish.state': 'running', 'finish.leaseUntil': { $lt: now } }],
    },
    {
      $set: { status: 'running', 'finish.state': 'running', 'finish.token': token, 'finish.worker': options.workerId, 'finish.leaseUntil': new Date(now.getTime() + options.leaseMs) },
      $unset: { 'finish.fileId': 1 },
      $inc: { 'finish.attempts': 1 },
    },
    { returnDocument: 'before' },
  ).lean<JobDoc>();
  if (!before) return false;
  // A result file of an attempt that did not finish is never served: delete it and start over.
  if (before.finish?.fileId) await discard(BUCKETS.jobs, before.finish.fileId);

  const held = { _id: jobId, status: 'running' as const, 'finish.token': token };
  const lost = new AbortController();
  const signal = AbortSignal.any([options.signal, lost.signal]);
  const renew = async () => {
    const res = await JobModel.updateOne(held, { $set: { 'finish.leaseUntil': new Date(Date.now() + options.leaseMs) } });
    if (res.matchedCount === 0) lost.abort(new ClaimLost());
  };
  const timer = setInterval(() => void renew().catch((error: unknown) => logger.warn({ err: error, job: jobId }, 'could not renew the finish lease')), renewEvery(options.leaseMs));
  let result: { fileId: Types.ObjectId; fileName: string; contentType: string; length: number } | undefined;
  /** The result file this attempt started writing, complete or not. */
  let writing: Types.ObjectId | undefined;
  try {
    if (kind.finish) {
      await kind.finish({
        job: jobInfo(before),
        outputs: before.parts.map((p) => p.output),
        workerId: options.workerId,
        signal,
        logger,
        readPartFile: (id, range) => download(BUCKETS.jobs, id, range),
        storeResult: async (file, write) => {
          if (result) throw new Error('a job stores one result');
          const id = new Types.ObjectId();
          const res = await JobModel.updateOne(held, { $set: { 'finish.fileId': id } });
          if (res.matchedCount === 0) throw new ClaimLost();
          writing = id;
          const out = new PassThrough();
          const uploading = upload(BUCKETS.jobs, out, { id, filename: file.fileName, metadata: { job: jobId, role: 'result', contentType: file.contentType } });
          try {
            await write(out);
          } catch (error) {
            out.destroy(error as Error);
            await uploading.catch(() => undefined);
            throw error;
          }
          const stored = await uploading;
          result = { fileId: id, fileName: file.fileName, contentType: file.contentType, length: stored.length };
        },
      });
    }
    signal.throwIfAborted();
    clearInterval(timer);
    const res = await JobModel.updateOne(held, {
      $set: { status: 'done', 'finish.state': 'done', finishedAt: new Date(), ...(result && { result }) },
      $unset: { 'finish.token': 1, 'finish.leaseUntil': 1 },
    });
    if (res.matchedCount === 0) throw new ClaimLost();
    await removePartFiles(jobId);
    logger.info({ job: jobId, kind: kind.kind }, 'job done');
    return true;
  } catch (error) {
    clearInterval(timer);
    if (lost.signal.aborted || error instanceof ClaimLost) {
      // Taken over or cancelled: the file this attempt wrote, whole or in part, is nobody's.
      if (writing) await discard(BUCKETS.jobs, writing);
      return true;
    }
    if (options.signal.aborted) {
      await JobModel.updateOne(held, { $set: { 'finish.state': 'pending' }, $unset: { 'finish.token': 1, 'finish.leaseUntil': 1 }, $inc: { 'finish.attempts': -1 } });
      return false;
    }
    if (error instanceof JobError || (before.finish?.attempts ?? 0) + 1 >= (kind.maxAttempts ?? 2)) {
      await failJob(jobId, error, logger);
      return false;
    }
    logger.warn({ err: error, job: jobId }, 'finishing the job failed; it will be tried again');
    await JobModel.updateOne(held, { $set: { 'finish.state': 'pending' }, $unset: { 'finish.token': 1, 'finish.leaseUntil': 1 } });
    return true;
  }
}
