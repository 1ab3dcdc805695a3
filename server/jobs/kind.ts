/**
 * What a job kind declares (see README.md in this folder): how to plan the work into parts when the
 * job is submitted, how to run one part on any worker, and how to put the parts' outputs together.
 */
import type { Readable, Writable } from 'node:stream';
import type { JSONSchemaType } from 'ajv';
import type { Logger } from 'pino';
import type { ClientSession, Types } from 'mongoose';
import type { UserPrincipal } from '../auth/access.js';

export interface PlannedPart {
  /** Units of work in the part (cards, rows, draws); the job's progress is counted in these units. */
  total: number;
  /** Anything the part needs to know (stored with the job, handed to runPart). */
  input?: unknown;
}

export interface Plan<P> {
  /** Spanish, for people (admin page): e.g. "Fichas de la edición mga-2017". */
  title: string;
  /** The parameters as stored (normalized, with anything pinned at submission). */
  params: P;
  /** At least one. Parts run on any worker, in any order, possibly several at once. */
  parts: PlannedPart[];
}

/** What `plan` may need besides the input: the job's id (known before it is stored) and, when the job is submitted inside the caller's transaction (`submitJobInTransaction`), that transaction. */
export interface PlanContext {
  jobId: string;
  session?: ClientSession;
}

/** What a job has done so far, from its finished parts' outputs (e.g. e-mails sent and failed). */
export interface JobSummary {
  /** Stable English keys, e.g. { sent: 3, failed: 1 }. */
  counts: Record<string, number>;
  /** Spanish, for people (the admin page of jobs). */
  text: string;
}

export interface JobInfo<P> {
  id: string;
  kind: string;
  params: P;
  createdAt: Date;
}

export interface PartContext<P> {
  job: JobInfo<P>;
  part: { index: number; total: number; input: unknown; attempt: number };
  /** "host:pid:random", recorded with the part. */
  workerId: string;
  /** Aborted when the worker stops or the claim on this part was lost: stop soon, throw. */
  signal: AbortSignal;
  logger: Logger;
  /** Units done so far in this part (not in the job); cheap to call often. */
  progress(done: number): void;
  /**
   * Stores an intermediate file of this part (GridFS, bucket "jobfiles"); deleted when the job ends.
   * Return its id in the part's output so `finish` can read it with `readPartFile`.
   */
  storePartFile(fileName: string, body: Buffer | Readable, metadata?: Record<string, unknown>): Promise<Types.ObjectId>;
}

export interface FinishContext<P> {
  job: JobInfo<P>;
  /** Outputs of the parts, in part order (what each runPart returned). */
  outputs: unknown[];
  workerId: string;
  signal: AbortSignal;
  logger: Logger;
  readPartFile(id: Types.ObjectId | string, range?: { start: number; end: number }): Readable;
  /**
   * Writes the job's result file. The job is marked done only after the file is complete; an
   * attempt cut short leaves nothing that the API would serve, and the next attempt starts over.
   */
  storeResult(file: { fileName: string; contentType: string }, write: (out: Writable) => Promise<void>): Promise<void>;
}

/** A problem a person can act on: English for the API, a stable code, Spanish for pages. */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly messageEs: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** P: the parameters as stored (with anything pinned at submission); I: the submitted body. */
export interface JobKind<P = unknown, I = P> {
  /** The queue name and the API's `kind`, e.g. "edition-cards". */
  kind: string;
  /** Spanish, for people: what kind of work this is. */
  label: string;
  /** The body of a submission, validated before `plan`. */
  paramsSchema: JSONSchemaType<I>;
  /**
   * Runs where the job is submitted (the web process): checks what the submitter may do and splits
   * the work. Throw HttpProblems (4xx) for bad input; nothing is queued then.
   */
  plan(input: I, submitter: UserPrincipal, context: PlanContext): Promise<Plan<P>>;
  /** One part, on whichever worker claimed it; returns its output (small: stored in the job document). */
  runPart(ctx: PartContext<P>): Promise<unknown>;
  /** After every part is done, once; omitted when the parts' outputs are the result. */
  finish?(ctx: FinishContext<P>): Promise<void>;
  /** Parts one worker runs at the same time within a job; default 1. */
  partsAtOnce?: () => number;
  /** Attempts per part (and for finish) before the job fails; default 2. */
  maxAttempts?: number;
  /** What the finished parts add up to, shown with the job (API `summary`, admin page); default none. */
  summarize?(outputs: unknown[]): JobSummary | undefined;
  /** Who may read the job besides its submitter and admins; default nobody. */
  visibleTo?: (user: UserPrincipal, params: P) => boolean;
}

export function defineJobKind<P, I = P>(kind: JobKind<P, I>): JobKind<P, I> {
  return kind;
}
