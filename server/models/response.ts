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
    /**
     * Incremented by every write (server/services/responses.ts `transition`, the one conditional
     * update every change goes through); clients send the revision they saw, a stale one gets 409.
     */
    revision: { type: Number, required: true, default: 0 },
    submittedAt: Date,
    firstSubmittedAt: Date,
    reviewedAt: Date,
    /** Per-item comments of the evaluator who returned the answers. */
    comments: {
      type: [new Schema({ item: { type: String, required: true }, comment: { type: String, required: true }, by: String, at: Date }, { _id: false })],
      default: [],
    },
    /** Why an evaluator reopened approved answers (shown to the respondent until resubmitted). */
    reopenReason: String,
    /** One receipt per submission: a folio unique in the edition, when, and the revision submitted. */
    receipts: {
      type: [new Schema({ folio: { type: String, required: true }, at: { type: Date, required: true }, revision: { type: Number, required: true } }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true, minimize: false },
);
responseSchema.index({ edition: 1, institution: 1, 'questionnaire.id': 1 }, { unique: true });
responseSchema.index({ edition: 1, status: 1 });
responseSchema.index({ edition: 1, 'receipts.folio': 1 }, { unique: true, partialFilterExpression: { 'receipts.folio': { $exists: true } } });

export const ResponseModel = mongoose.model('Response', responseSchema, 'responses');

// The audit trail has its own model (append-only); kept importable from here for older callers.
export { AuditEntryModel } from './audit.js';
