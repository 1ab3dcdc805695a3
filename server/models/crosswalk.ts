import mongoose, { Schema } from 'mongoose';

/**
 * A person's decision on a pair of institutions of two editions (base = the earlier edition): accept
 * links them, reject keeps the matcher from proposing them again. The partial unique indexes keep an
 * institution in at most one accepted pair, whatever several admins do at once.
 */
const crosswalkDecisionSchema = new Schema(
  {
    baseEdition: { type: String, required: true },
    otherEdition: { type: String, required: true },
    base: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    other: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    accepted: { type: Boolean, required: true },
    /** The candidate's similarity when it was decided (null when decided without one, e.g. by file). */
    similarity: { type: Number, default: null },
    via: { type: String, required: true, enum: ['page', 'file', 'api'] },
    decidedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    decidedAt: { type: Date, required: true },
  },
  { timestamps: true },
);
crosswalkDecisionSchema.index({ baseEdition: 1, otherEdition: 1, base: 1, other: 1 }, { unique: true });
crosswalkDecisionSchema.index({ baseEdition: 1, otherEdition: 1, base: 1 }, { unique: true, partialFilterExpression: { accepted: true }, name: 'one_accepted_per_base' });
crosswalkDecisionSchema.index({ baseEdition: 1, otherEdition: 1, other: 1 }, { unique: true, partialFilterExpression: { accepted: true }, name: 'one_accepted_per_other' });

export const CrosswalkDecisionModel = mongoose.model('CrosswalkDecision', crosswalkDecisionSchema, 'crosswalk_decisions');

/**
 * The crosswalk of an edition pair as last computed: its links (exact and confirmed), the counts, and
 * the state it was computed from, so a reader knows when to compute it again.
 */
const crosswalkSchema = new Schema(
  {
    baseEdition: { type: String, required: true },
    otherEdition: { type: String, required: true },
    /** Bumped by every decision. */
    version: { type: Number, required: true, default: 0 },
    computed: {
      type: new Schema(
        {
          version: { type: Number, required: true },
          baseState: { type: String, required: true },
          otherState: { type: String, required: true },
          at: { type: Date, required: true },
          links: {
            type: [new Schema({ base: { type: Schema.Types.ObjectId, required: true }, other: { type: Schema.Types.ObjectId, required: true }, method: { type: String, required: true, enum: ['exact', 'confirmed'] }, similarity: { type: Number, required: true } }, { _id: false })],
            default: [],
          },
          counts: { type: Schema.Types.Mixed, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true },
);
crosswalkSchema.index({ baseEdition: 1, otherEdition: 1 }, { unique: true });

export const CrosswalkModel = mongoose.model('Crosswalk', crosswalkSchema, 'crosswalks');
