/**
 * A job as the API and the admin page see it, and the shared state of its parts: the queue (Agenda,
 * collection agendaJobs) only says which worker should look at which job; what was done, by whom,
 * and where the output is lives here.
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
/** Statuses of a job still being worked on (the others are final). */
export const OPEN_STATUSES = ['queued', 'running'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const PART_STATES = ['pending', 'running', 'done'] as const;

/**
 * A slice of the job's work. A worker claims it (state running, a fresh token, a lease); it renews
 * the lease while it works; when the lease runs out (the worker died) any worker may claim it again.
 * Every write of a claimed part is conditional on its token, so a worker that lost its claim cannot
 * overwrite the new holder's work.
 */
const partSchema = new Schema(
  {
    index: { type: Number, required: true },
    /** Units of work in this part (e.g. report cards). */
    total: { type: Number, required: true },
    /** Units finished by the current attempt. */
    done: { type: Number, required: true, default: 0 },
    state: { type: String, required: true, enum: PART_STATES, default: 'pending' },
    token: { type: String },
    /** The worker of the current (or finishing) attempt: "host:pid:random". */
    worker: { type: String },
    leaseUntil: { type: Date },
    attempts: { type: Number, required: true, default: 0 },
    /** Workers of earlier attempts that did not finish (taken over or failed), oldest first. */
    abandonedBy: { type: [String], default: [] },
    /** Intermediate files of the current attempt (listed before they are written). */
    files: { type: [Schema.Types.ObjectId], default: [] },
    /** The kind's plan for this part (e.g. which rows). */
    input: { type: Schema.Types.Mixed },
    /** What the part's run returned (e.g. where its files are). */
    output: { type: Schema.Types.Mixed },
    lastError: { type: String },
    startedAt: { type: Date },
    finishedAt: { type: Date },
  },
  { _id: false },
);

const finishSchema = new Schema(
  {
    state: { type: String, required: true, enum: PART_STATES, default: 'pending' },
    token: { type: String },
    worker: { type: String },
    leaseUntil: { type: Date },
    attempts: { type: Number, required: true, default: 0 },
    /** The result file being written: deleted (with any chunks) before a new attempt writes again. */
    fileId: { type: Schema.Types.ObjectId },
  },
  { _id: false },
);

const jobSchema = new Schema(
  {
    kind: { type: String, required: true },
    /** Spanish, for people: e.g. "Fichas de la edición mga-2017". */
    title: { type: String, required: true },
    params: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, required: true, enum: JOB_STATUSES, default: 'queued' },
    /** Units of work of the whole job (sum of the parts' totals). */
    total: { type: Number, required: true },
    parts: { type: [partSchema], default: [] },
    finish: { type: finishSchema, default: () => ({}) },
    result: {
      type: new Schema({ fileId: { type: Schema.Types.ObjectId, required: true }, fileName: String, contentType: String, length: Number }, { _id: false }),
    },
    /** English, for the API. */
    error: { type: String },
    /** Stable machine code of the error (e.g. "edition-changed"). */
    errorCode: { type: String },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /** Who cancelled the job (status cancelled). */
    cancelledBy: { type: Schema.Types.ObjectId, ref: 'User' },
    startedAt: { type: Date },
    finishedAt: { type: Date },
  },
  { timestamps: true },
);
jobSchema.index({ status: 1, createdAt: -1 });
jobSchema.index({ createdBy: 1, createdAt: -1 });

export type JobDoc = InferSchemaType<typeof jobSchema> & { _id: Types.ObjectId };
export type PartDoc = InferSchemaType<typeof partSchema>;
export const JobModel = mongoose.model('Job', jobSchema, 'jobs');

/**
 * The queue's collection and the index Agenda would create on connect, declared here so it is built
 * with every other index at start (see server/db/schema.ts) instead of by each process that starts a
 * queue at the same moment. Never written through mongoose.
 */
const queueSchema = new Schema({}, { strict: false, collection: 'agendaJobs', versionKey: false });
queueSchema.index({ name: 1, nextRunAt: 1, priority: -1, lockedAt: 1, disabled: 1 }, { name: 'findAndLockNextJobIndex' });
export const QUEUE_COLLECTION = 'agendaJobs';
export const QUEUE_SORT = { nextRunAt: 'asc', priority: 'desc' } as const;
mongoose.models.AgendaJob ?? mongoose.model('AgendaJob', queueSchema);

/**
 * The collection of Agenda's job-event log. Logging is off, but every Agenda backend still creates
 * this collection's indexes when it connects (MongoBackend.connect → MongoJobLogger.setDb), so two
 * processes starting a queue at once on a new database would create the collection at the same
 * moment: the offline Wine mongod dies on that race (an access violation in Wine's C++ exception
 * handling when the catalog's write conflict is thrown). Declared here, it exists with those same
 * indexes (same names) before any queue starts, and the backend's calls change nothing.
 */
export const QUEUE_LOG_COLLECTION = 'agenda_logs';
const queueLogSchema = new Schema({}, { strict: false, collection: QUEUE_LOG_COLLECTION, versionKey: false });
queueLogSchema.index({ timestamp: -1 }, { name: 'agenda_logs_timestamp_idx' });
queueLogSchema.index({ jobId: 1, timestamp: -1 }, { name: 'agenda_logs_job_id_idx' });
queueLogSchema.index({ jobName: 1, timestamp: -1 }, { name: 'agenda_logs_job_name_idx' });
mongoose.models.AgendaLog ?? mongoose.model('AgendaLog', queueLogSchema);
