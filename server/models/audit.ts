import mongoose, { Schema } from 'mongoose';

/** Who did something: a respondent through an invitation link, a signed-in user, or the service itself. */
export const ACTOR_KINDS = ['respondent', 'user', 'system'] as const;
export const ACTOR_ROLES = ['respondent', 'admin', 'evaluator', 'viewer', 'system'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

/**
 * What happened. Item-level entries (one per changed answer) carry `item`, its question text and the
 * old and new values; the others describe one event of a response, an edition, an import, an
 * invitation or an account.
 */
export const AUDIT_ACTIONS = [
  'answers.change',
  'answers.submit',
  'answers.return',
  'answers.approve',
  'answers.reopen',
  'logs.change',
  'logs.complete',
  'logs.reopen',
  'edition.create',
  'edition.status',
  'edition.deadline',
  'edition.publication',
  'institution.publication',
  'sample.import',
  'results.import',
  'invitation.issue',
  'invitation.revoke',
  'evidence.attach',
  'evidence.remove',
  'institution.contacts',
  'institution.change',
  'institution.remove',
  'edition.details',
  'account.create',
  'account.change',
  'assignment.add',
  'assignment.remove',
  'crosswalk.decide',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * The append-only audit trail: who (and in which role) changed what, when, from what, to what and
 * why. Entries are only ever inserted (server/services/audit.ts `record`); the model refuses every
 * update and delete, and a test checks that no code path tries one.
 */
const auditEntrySchema = new Schema(
  {
    /** Absent for changes outside any edition (accounts). */
    edition: { type: String },
    institution: { type: Schema.Types.ObjectId },
    /** Entries of one change share the id of the change. */
    change: { type: Schema.Types.ObjectId, required: true },
    action: { type: String, required: true, enum: AUDIT_ACTIONS },
    /** A short Spanish description for people ("Respuestas enviadas", "Cambio de estado"). */
    summary: { type: String, maxlength: 500 },
    questionnaire: { type: String },
    item: { type: String },
    /** The question text of `item` when the change was recorded. */
    itemLabel: { type: String },
    oldValue: Schema.Types.Mixed,
    newValue: Schema.Types.Mixed,
    reason: { type: String, maxlength: 2000 },
    /** What else the entry is about: an account, an invitation, a file. */
    subject: { type: String, maxlength: 300 },
    actor: {
      type: new Schema(
        { kind: { type: String, enum: ACTOR_KINDS, required: true }, id: String, label: String, role: { type: String, enum: ACTOR_ROLES } },
        { _id: false },
      ),
      required: true,
    },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { minimize: false, versionKey: false },
);
auditEntrySchema.index({ edition: 1, institution: 1, at: 1 });
auditEntrySchema.index({ edition: 1, at: 1 });

export const AUDIT_REFUSED_OPERATIONS = [
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndDelete',
] as const;

export class AppendOnlyError extends Error {
  constructor(operation: string) {
    super(`audit entries are append-only: ${operation} is refused`);
    this.name = 'AppendOnlyError';
  }
}

for (const op of AUDIT_REFUSED_OPERATIONS) {
  auditEntrySchema.pre(op, function () {
    throw new AppendOnlyError(op);
  });
}
// A loaded entry saved again would be an update; documents deleted one by one would be deletes.
auditEntrySchema.pre('save', function () {
  if (!this.isNew) throw new AppendOnlyError('save of an existing entry');
});
auditEntrySchema.pre('deleteOne', { document: true, query: false }, function () {
  throw new AppendOnlyError('deleteOne');
});
auditEntrySchema.pre('bulkWrite', function (ops: readonly Record<string, unknown>[]) {
  if (ops.some((op) => !('insertOne' in op))) throw new AppendOnlyError('bulkWrite with updates or deletes');
});

export const AuditEntryModel = mongoose.model('AuditEntry', auditEntrySchema, 'audit_entries');
