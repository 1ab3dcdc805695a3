/**
 * The shared queue: Agenda on the service's own MongoDB (collection agendaJobs). A queue entry says
 * "a worker should attend job X"; a job gets one entry per worker that may share it (MGA_JOB_HELPERS,
 * at most one per part). Each worker takes at most one entry per kind at a time, so the entries of a
 * job spread over the workers. A worker that dies stops renewing its entry's lock; when the lock
 * lifetime (MGA_JOB_LEASE_MS) has passed, another worker takes the entry and the work over.
 *
 * Why Agenda 6 with @agendajs/mongo-backend: it is maintained (2026 releases), stores jobs in the
 * MongoDB the service already has, and its backend takes the mongodb 7 driver that mongoose 9 uses
 * (a `Db` handed over, no second connection); @hokify/agenda pins mongodb 4 and was last released
 * in 2024.
 */
import { Agenda, type Job as QueueEntry } from 'agenda';
import { MongoBackend, MongoChangeStreamNotificationChannel } from '@agendajs/mongo-backend';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { BUCKETS, discard } from '../files/gridfs.js';
import { jobKind, jobKinds } from './registry.js';
import { attend, newWorkerId, removeJobFiles, removePartFiles } from './runner.js';
import { JobModel, OPEN_STATUSES, QUEUE_COLLECTION, QUEUE_LOG_COLLECTION, QUEUE_SORT } from './model.js';
import { jobSettings, type JobSettings } from './settings.js';
import './kinds.js';
import { planScheduledReminders } from '../mail/schedule.js';

type Db = NonNullable<typeof mongoose.connection.db>;

interface EntryData {
  jobId: string;
}

const MAINTENANCE = 'jobs-maintenance';
/** Plans the reminder e-mails due before edition deadlines (server/mail/schedule.ts). */
const REMINDER_SCHEDULE = 'mail-reminder-schedule';

function connectedDb(): Db {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) throw new Error('the database is not connected');
  return db;
}

function newAgenda(db: Db, name: string, settings: JobSettings, channel?: MongoChangeStreamNotificationChannel): Agenda {
  const agenda = new Agenda({
    // ensureIndex: false: the index is created with every other one at start (model.ts).
    backend: new MongoBackend({ mongo: db, collection: QUEUE_COLLECTION, logCollection: QUEUE_LOG_COLLECTION, ensureIndex: false, sort: QUEUE_SORT }),
    name,
    processEvery: settings.pollMs,
    maxConcurrency: settings.concurrency,
    defaultLockLifetime: settings.leaseMs,
    removeOnComplete: true,
    ...(channel && { notificationChannel: channel }),
  });
  return agenda;
}

// ───────────────────────────── submitting ─────────────────────────────

const clients = new WeakMap<Db, Promise<Agenda>>();

/** An Agenda that only adds entries (never processes), one per database connection. */
function client(): Promise<Agenda> {
  const db = connectedDb();
  let found = clients.get(db);
  if (!found) {
    const agenda = newAgenda(db, `client:${newWorkerId()}`, jobSettings());
    found = (agenda.ready as Promise<void>).then(() => agenda);
    clients.set(db, found);
  }
  return found;
}

/** Adds `count` queue entries for a job (each lets one more worker join it). */
export async function enqueue(kind: string, jobId: string, count: number, agenda?: Agenda): Promise<void> {
  const queue = agenda ?? (await client());
  for (let i = 0; i < count; i++) await queue.now<EntryData>(kind, { jobId });
}

// ───────────────────────────── working ─────────────────────────────

export interface JobWorker {
  /** "host:pid:random": recorded with every part this worker ran. */
  id: string;
  /** Stops taking work, hands back what it holds (the parts start again elsewhere at once) and waits for that. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  logger: Logger;
  /** Overrides of the environment's settings (tests use short leases). */
  settings?: Partial<JobSettings>;
}

async function isReplicaSet(db: Db): Promise<boolean> {
  const hello = await db.admin().command({ hello: 1 });
  return typeof hello.setName === 'string';
}

/**
 * Starts a worker on the service's database (mongoose's connection): it runs queued jobs of every
 * registered kind until stopped. The web process starts one unless MGA_INPROCESS_WORKER=false;
 * `npm run worker` starts one on its own.
 */
export async function startWorker(options: WorkerOptions): Promise<JobWorker> {
  const settings = { ...jobSettings(), ...options.settings };
  const db = connectedDb();
  const id = newWorkerId();
  const logger = options.logger.child({ worker: id });
  // On a replica set, a change stream tells the worker about new entries at once; otherwise it polls.
  const channel = (await isReplicaSet(db)) ? new MongoChangeStreamNotificationChannel({ db, collection: QUEUE_COLLECTION, reconnect: { enabled: true, maxAttempts: Number.MAX_SAFE_INTEGER, maxDelayMs: 10_000 } }) : undefined;
  channel?.on('error', (error: Error) => logger.debug({ err: error }, 'job notifications interrupted; polling meanwhile'));
  const agenda = newAgenda(db, id, settings, channel);
  agenda.on('error', (error: Error) => logger.warn({ err: error }, 'job queue error'));
  const stopping = new AbortController();
  const active = new Set<Promise<unknown>>();

  for (const kind of jobKinds()) {
    agenda.define<EntryData>(
      kind.kind,
      async (entry: QueueEntry<EntryData>) => {
        const jobId = String(entry.attrs.data?.jobId ?? '');
        // The entry's lock is renewed as long as the worker is alive, like the parts' leases.
        const touch = setInterval(() => void entry.touch().catch(() => undefined), Math.max(250, Math.floor(settings.leaseMs / 4)));
        const attending = attend({ kind, jobId, workerId: id, leaseMs: settings.leaseMs, pollMs: settings.pollMs, logger, signal: stopping.signal });
        active.add(attending);
        try {
          const outcome = await attending;
          // Stopping: another worker continues at once from a new entry instead of after the lock lifetime.
          if (outcome === 'interrupted') await enqueue(kind.kind, jobId, 1, agenda);
        } catch (error) {
          // The database went away, most likely: the maintenance pass re-queues the job once it is back.
          logger.error({ err: error, job: jobId }, 'attending a job failed');
        } finally {
          clearInterval(touch);
          active.delete(attending);
        }
      },
      { concurrency: 1, lockLimit: 1, lockLifetime: settings.leaseMs },
    );
  }
  agenda.define(MAINTENANCE, async () => {
    await maintain(settings, logger, agenda).catch((error: unknown) => logger.warn({ err: error }, 'job maintenance failed'));
  }, { concurrency: 1, lockLifetime: settings.leaseMs });

  agenda.define(REMINDER_SCHEDULE, async () => {
    await planScheduledReminders(logger).catch((error: unknown) => logger.warn({ err: error }, 'planning scheduled reminders failed'));
  }, { concurrency: 1, lockLifetime: settings.leaseMs });

  await agenda.start();
  await agenda.every('1 minute', MAINTENANCE, undefined, { skipImmediate: true });
  await agenda.every('10 minutes', REMINDER_SCHEDULE, undefined, { skipImmediate: true });
  logger.info({ kinds: jobKinds().map((k) => k.kind), leaseMs: settings.leaseMs, notifications: channel ? 'change stream' : 'polling' }, 'job worker started');

  let stopped: Promise<void> | undefined;
  return {
    id,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        // No new entries; entries locked but not started are unlocked for others.
        await agenda.stop(false).catch((error: unknown) => logger.warn({ err: error }, 'stopping the job queue'));
        await Promise.allSettled(active);
        logger.info('job worker stopped');
      })();
      return stopped;
    },
  };
}

/**
 * Every minute, on one worker: open jobs that no queue entry covers any more (their worker lost the
 * database mid-way) get a new entry; files left by jobs that failed or were cancelled in the last
 * minutes are swept; finished jobs older than MGA_JOB_RESULT_DAYS are deleted with
 * their files.
 */
async function maintain(settings: JobSettings, logger: Logger, agenda: Agenda): Promise<void> {
  const now = Date.now();
  const entries = connectedDb().collection(QUEUE_COLLECTION);
  for (const job of await JobModel.find({ status: { $in: OPEN_STATUSES } }, { kind: 1 }).lean()) {
    const jobId = String(job._id);
    const live = await entries.countDocuments({ 'data.jobId': jobId, $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $gt: new Date(now - settings.leaseMs) } }] });
    if (live === 0 && jobKind(job.kind)) {
      logger.warn({ job: jobId }, 'an open job had no queue entry left; queued it again');
      await enqueue(job.kind, jobId, 1, agenda);
    }
  }
  // A worker still writing when its job failed or was cancelled stops at its next renewal and deletes
  // what it wrote; this sweeps anything a worker that died meanwhile left behind.
  const recent = await JobModel.find({ status: { $in: ['failed', 'cancelled'] }, finishedAt: { $gt: new Date(now - 10 * 60_000), $lt: new Date(now - 2 * settings.leaseMs) } }, { _id: 1 }).lean();
  for (const job of recent) await removeJobFiles(String(job._id));
  const expired = await JobModel.find({ status: { $in: ['done', 'failed', 'cancelled'] }, finishedAt: { $lt: new Date(now - settings.resultDays * 86_400_000) } }, { result: 1 }).lean();
  for (const job of expired) {
    if (job.result?.fileId) await discard(BUCKETS.jobs, job.result.fileId);
    await removePartFiles(String(job._id));
    await JobModel.deleteOne({ _id: job._id });
  }
}
