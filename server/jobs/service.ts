/**
 * Jobs as the API and the pages see them: submit one (validate, plan, store, queue), read its
 * state, open its result. Who may see a job: admins every job, other users the jobs they submitted
 * and those the kind lets them see.
 */
import type { Readable } from 'node:stream';
import { Types, type ClientSession } from 'mongoose';
import type { UserPrincipal } from '../auth/access.js';
import { BUCKETS, download } from '../files/gridfs.js';
import { HttpProblem, notFound } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { jobKind } from './registry.js';
import type { JobSummary } from './kind.js';
import { JobModel, JOB_STATUSES, OPEN_STATUSES, type JobDoc, type JobStatus } from './model.js';
import { enqueue } from './queue.js';
import { removeJobFiles } from './runner.js';
import { jobSettings } from './settings.js';

export interface JobView {
  id: string;
  kind: string;
  /** Spanish, for people. */
  title: string;
  status: JobStatus;
  done: number;
  total: number;
  error?: string;
  errorCode?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: { fileName: string; contentType: string; length: number; href: string };
  /** What the finished parts add up to, for kinds that say (e.g. e-mails sent and failed). */
  summary?: JobSummary;
}

/** The JSON Schema of a JobView (OpenAPI responses). */
export const JOB_VIEW_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'title', 'status', 'done', 'total', 'createdAt'],
  properties: {
    id: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    kind: { type: 'string', description: 'e.g. edition-cards' },
    title: { type: 'string', description: 'Spanish, for people' },
    status: { type: 'string', enum: [...JOB_STATUSES], description: 'queued, running, then done, failed or cancelled (final)' },
    done: { type: 'integer', minimum: 0, description: 'units done (e.g. report cards)' },
    total: { type: 'integer', minimum: 0 },
    error: { type: 'string', description: 'why the job failed (status failed) or that it was cancelled (status cancelled)' },
    errorCode: { type: 'string', description: 'stable machine code of the failure' },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    result: {
      type: 'object',
      required: ['fileName', 'contentType', 'length', 'href'],
      properties: { fileName: { type: 'string' }, contentType: { type: 'string' }, length: { type: 'integer' }, href: { type: 'string' } },
    },
    summary: {
      type: 'object',
      required: ['counts', 'text'],
      description: 'what the finished parts add up to, for kinds that report it (invitation e-mails: sent, failed, outbox)',
      properties: { counts: { type: 'object', additionalProperties: { type: 'integer' } }, text: { type: 'string', description: 'Spanish, for people' } },
    },
  },
} as const;

/** Units done: finished parts count whole, running ones as far as they got. */
export function jobDone(job: Pick<JobDoc, 'status' | 'total' | 'parts'>): number {
  if (job.status === 'done') return job.total;
  return job.parts.reduce((sum, p) => sum + (p.state === 'done' ? p.total : p.state === 'running' ? Math.min(p.done, p.total) : 0), 0);
}

function summaryOf(job: JobDoc): JobSummary | undefined {
  const kind = jobKind(job.kind);
  if (!kind?.summarize) return undefined;
  return kind.summarize(job.parts.filter((p) => p.state === 'done').map((p) => p.output));
}

export function jobView(job: JobDoc): JobView {
  const id = String(job._id);
  const summary = summaryOf(job);
  return {
    id,
    kind: job.kind,
    title: job.title,
    status: job.status as JobStatus,
    done: jobDone(job),
    total: job.total,
    ...(job.error && { error: job.error }),
    ...(job.errorCode && { errorCode: job.errorCode }),
    createdAt: job.createdAt.toISOString(),
    ...(job.startedAt && { startedAt: job.startedAt.toISOString() }),
    ...(job.finishedAt && { finishedAt: job.finishedAt.toISOString() }),
    ...(job.result && { result: { fileName: job.result.fileName!, contentType: job.result.contentType!, length: job.result.length!, href: `/api/v1/jobs/${id}/result` } }),
    ...(summary && { summary }),
  };
}

const checkers = new WeakMap<object, (value: unknown) => unknown>();

async function planAndStore(kindName: string, body: unknown, user: UserPrincipal, session?: ClientSession, id?: Types.ObjectId): Promise<JobDoc> {
  const kind = jobKind(kindName);
  if (!kind) throw notFound(`no job kind "${kindName}"`);
  let check = checkers.get(kind);
  if (!check) checkers.set(kind, (check = validator(kind.paramsSchema, 'body')));
  const params = check(body ?? {});
  const _id = id ?? new Types.ObjectId();
  const plan = await kind.plan(params, user, { jobId: String(_id), ...(session && { session }) });
  if (plan.parts.length === 0) throw new Error(`job kind ${kind.kind} planned no parts`);
  const [job] = await JobModel.create(
    [
      {
        _id,
        kind: kind.kind,
        title: plan.title,
        params: plan.params,
        total: plan.parts.reduce((sum, p) => sum + p.total, 0),
        parts: plan.parts.map((p, index) => ({ index, total: p.total, input: p.input })),
        createdBy: new Types.ObjectId(user.id),
      },
    ],
    { session },
  );
  return job!.toObject() as JobDoc;
}

/** Adds the queue entries of a stored job (as many as workers may share it). */
export async function queueJob(job: Pick<JobDoc, '_id' | 'kind' | 'parts'>): Promise<void> {
  await enqueue(job.kind, String(job._id), Math.min(jobSettings().helpers, job.parts.length));
}

/** Validates the parameters, plans the work with the kind, stores the job and queues it. */
export async function submitJob(kindName: string, body: unknown, user: UserPrincipal): Promise<JobDoc> {
  const job = await planAndStore(kindName, body, user);
  // If queueing fails now, the maintenance pass of any running worker queues the job within a minute.
  await queueJob(job);
  return job;
}

/**
 * Like submitJob, but the job is planned and stored inside the caller's transaction, so it exists
 * exactly when the caller's other writes do (e.g. the invitation e-mails it will send). `id`, when
 * given, is the job's id (the caller's writes may name it). Nothing is queued: call `queueJob(job)`
 * once the transaction has committed (if that fails, or the process stops first, the maintenance
 * pass of any running worker queues the job within a minute).
 */
export function submitJobInTransaction(kindName: string, body: unknown, user: UserPrincipal, session: ClientSession, id?: Types.ObjectId): Promise<JobDoc> {
  return planAndStore(kindName, body, user, session, id);
}

function mayRead(user: UserPrincipal, job: JobDoc): boolean {
  if (user.role === 'admin' || String(job.createdBy) === user.id) return true;
  return jobKind(job.kind)?.visibleTo?.(user, job.params) ?? false;
}

/** The job if the user may read it; 404 otherwise (ids of others' jobs are not confirmed). */
export async function jobForUser(user: UserPrincipal, id: string): Promise<JobDoc> {
  const job = Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id) ? await JobModel.findById(id).lean<JobDoc>() : null;
  if (!job || !mayRead(user, job)) throw notFound(`job "${id}" does not exist or is not yours`);
  return job;
}

/** Recent jobs the user may read, newest first; `open` only queued and running ones. */
export async function listJobs(user: UserPrincipal, options: { open?: boolean; limit?: number } = {}): Promise<JobDoc[]> {
  const filter: Record<string, unknown> = options.open ? { status: { $in: OPEN_STATUSES } } : {};
  const jobs = await JobModel.find(filter).sort({ createdAt: -1 }).limit(Math.min(options.limit ?? 50, 200) * (user.role === 'admin' ? 1 : 4)).lean<JobDoc[]>();
  return jobs.filter((job) => mayRead(user, job)).slice(0, options.limit ?? 50);
}

export interface JobResultStream {
  fileName: string;
  contentType: string;
  length: number;
  stream: Readable;
}

/** The finished job's result file as a stream; 409 while it is not done, 404 when it has none. */
export async function openJobResult(user: UserPrincipal, id: string): Promise<JobResultStream> {
  const job = await jobForUser(user, id);
  if (job.status === 'cancelled') throw new HttpProblem(409, 'Conflict', `job ${id} was cancelled; it has no result`);
  if (job.status === 'failed') throw new HttpProblem(409, 'Conflict', `job ${id} failed: ${job.error ?? 'unknown error'}; it has no result`);
  if (job.status !== 'done') throw new HttpProblem(409, 'Conflict', `job ${id} is ${job.status}; its result is ready when the status is done`);
  if (!job.result) throw notFound(`job ${id} has no result file`);
  return { fileName: job.result.fileName!, contentType: job.result.contentType!, length: job.result.length!, stream: download(BUCKETS.jobs, job.result.fileId) };
}

/** The submitter and admins may cancel a job; others who may read it (visibleTo) may not. */
function mayCancel(user: UserPrincipal, job: JobDoc): boolean {
  return user.role === 'admin' || String(job.createdBy) === user.id;
}

/**
 * Cancels a queued or running job: it becomes `cancelled` at once (final), its workers notice at
 * their next lease renewal (within a second) and stop, and its intermediate files are deleted.
 * 409 when the job already ended; 403 for readers who are neither its submitter nor an admin.
 */
export async function cancelJob(user: UserPrincipal, id: string): Promise<JobDoc> {
  const job = await jobForUser(user, id);
  if (!mayCancel(user, job)) throw new HttpProblem(403, 'Forbidden', `only the submitter of job ${id} or an admin may cancel it`);
  const now = new Date();
  const cancelled = await JobModel.findOneAndUpdate(
    { _id: job._id, status: { $in: OPEN_STATUSES } },
    { $set: { status: 'cancelled', error: `cancelled by ${user.email}`, errorCode: 'cancelled', cancelledBy: new Types.ObjectId(user.id), finishedAt: now } },
    { returnDocument: 'after' },
  ).lean<JobDoc>();
  if (!cancelled) {
    const current = await JobModel.findById(job._id, { status: 1 }).lean();
    throw new HttpProblem(409, 'Conflict', `job ${id} is ${current?.status ?? 'gone'}; only queued or running jobs can be cancelled`);
  }
  await removeJobFiles(String(job._id));
  return cancelled;
}
