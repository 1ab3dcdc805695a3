import mongoose, { Schema } from 'mongoose';

export const RESPONSE_STATUSES = ['draft', 'submitted', 'returned', 'approved'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

/**
 * One institution's answers to one questionnaire of an edition: the institution's own (government
 * perspective) or the evaluators' citizen-perspective logs.
 */
const responseSchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    questionnaire: {
      type: new Schema({ id: { type: String, required: true }, hash: { type: String, required: true } }, { _id: false }),
      required: true,
    },
    answers: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, required: true, enum: RESPONSE_STATUSES, default: 'draft' },
    submittedAt: Date,
    firstSubmittedAt: Date,
    reviewedAt: Date,
    /** Per-item comments of the evaluator who returned the answers. */
    comments: {
      type: [new Schema({ item: { type: String, required: true }, comment: { type: String, required: true }, by: String, at: Date }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true, minimize: false },
);
responseSchema.index({ edition: 1, institution: 1, 'questionnaire.id': 1 }, { unique: true });
responseSchema.index({ edition: 1, status: 1 });

export const ResponseModel = mongoose.model('Response', responseSchema, 'responses');

/** Append-only: who changed which answer after its first submission, when, from what, to what, and why. */
const auditEntrySchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, required: true },
    questionnaire: { type: String, required: true },
    item: { type: String, required: true },
    oldValue: Schema.Types.Mixed,
    newValue: Schema.Types.Mixed,
    reason: { type: String, required: true, maxlength: 1000 },
    actor: {
      type: new Schema({ kind: { type: String, enum: ['respondent', 'user'], required: true }, id: String, label: String }, { _id: false }),
      required: true,
    },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { minimize: false },
);
auditEntrySchema.index({ edition: 1, institution: 1, at: 1 });
const refuseChange = () => {
  throw new Error('audit entries are append-only');
};
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  auditEntrySchema.pre(op, refuseChange);
}

export const AuditEntryModel = mongoose.model('AuditEntry', auditEntrySchema, 'audit_entries');
