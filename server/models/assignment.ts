import mongoose, { Schema } from 'mongoose';

/**
 * An evaluator assigned to an institution of an edition: evaluators see and act only on the
 * institutions they are assigned (several evaluators may share one). Admins assign; each change is
 * recorded in the audit trail.
 */
const assignmentSchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    evaluator: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    assignedBy: { type: String },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
// One assignment per pair; the evaluator's list of an edition; who works on an institution.
assignmentSchema.index({ edition: 1, evaluator: 1, institution: 1 }, { unique: true });
assignmentSchema.index({ edition: 1, institution: 1 });

export const AssignmentModel = mongoose.model('Assignment', assignmentSchema, 'assignments');
