import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const MAIL_KINDS = ['invitation', 'reminder', 'password-reset'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];
/**
 * queued: written, waiting for its job to send it; sending: a worker has claimed it and is handing it
 * to the SMTP server (never claimed twice, so never sent twice); sent: accepted by the SMTP server;
 * failed: refused or unreachable (or not sent, with the reason); outbox: no SMTP_URL, kept here for
 * admins to read.
 */
export const MAIL_STATUSES = ['queued', 'sending', 'sent', 'failed', 'outbox'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * Every e-mail the service sends, with its outcome; without SMTP_URL this collection is the outbox
 * that admins read at /admin/correo. Messages with secrets sent through SMTP keep no body here.
 */
const mailSchema = new Schema(
  {
    kind: { type: String, required: true, enum: MAIL_KINDS },
    to: { type: [String], required: true },
    cc: { type: [String], default: [] },
    subject: { type: String, required: true },
    text: { type: String },
    html: { type: String },
    status: { type: String, required: true, enum: MAIL_STATUSES },
    error: String,
    messageId: String,
    edition: String,
    institution: { type: Schema.Types.ObjectId, ref: 'Institution' },
    user: { type: Schema.Types.ObjectId, ref: 'User' },
    /** The job that sent it (reminders) or sends it (queued invitations); a part run twice sends once. */
    job: { type: Schema.Types.ObjectId },
    /** The invitation whose link the e-mail carries: not sent once that link is revoked or expired. */
    invitation: { type: Schema.Types.ObjectId },
    /** The attempt that claimed it (status sending) and wrote its outcome; a later attempt never sends it again. */
    sendingBy: String,
    sendingAt: Date,
    /** Who asked for it: "Ana Pérez <ana@example.org>", or "El servicio" for scheduled reminders. */
    requestedBy: String,
  },
  { timestamps: true },
);
mailSchema.index({ createdAt: -1 });
mailSchema.index({ edition: 1, kind: 1, institution: 1 });
mailSchema.index({ job: 1, institution: 1 });

export type MailDoc = InferSchemaType<typeof mailSchema> & { _id: mongoose.Types.ObjectId; createdAt: Date };
export const MailModel = mongoose.model('Mail', mailSchema, 'mails');

/** Scheduled reminders already planned: one per edition, deadline and "days before" (unique, so two workers never both plan one). */
const reminderScheduleSchema = new Schema(
  {
    edition: { type: String, required: true },
    deadline: { type: Date, required: true },
    daysBefore: { type: Number, required: true },
    job: { type: Schema.Types.ObjectId },
  },
  { timestamps: true },
);
reminderScheduleSchema.index({ edition: 1, deadline: 1, daysBefore: 1 }, { unique: true });
export const ReminderScheduleModel = mongoose.model('ReminderSchedule', reminderScheduleSchema, 'reminder_schedules');
