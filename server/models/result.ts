import mongoose, { Schema } from 'mongoose';

/**
 * An institution's input values for an edition (variables, components or only sub-indices, as the
 * source gives them) and where they came from. Scores are always recomputed from these.
 */
const institutionResultSchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    // A plain object, not a mongoose Map: variable ids contain dots ("TG.AI"), which Maps refuse.
    values: {
      type: Schema.Types.Mixed,
      required: true,
      validate: { validator: (v: unknown) => !!v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x)), message: 'values must map node ids to finite numbers' },
    },
    source: {
      kind: { type: String, required: true, enum: ['import', 'questionnaire'] },
      fileName: String,
      sha256: String,
      row: Number,
    },
  },
  { timestamps: true },
);
institutionResultSchema.index({ edition: 1, institution: 1 }, { unique: true });

export const InstitutionResultModel = mongoose.model('InstitutionResult', institutionResultSchema, 'institution_results');

/** A computed score with its explanation, stamped with the methodology that produced it. */
const scoreSchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    methodology: {
      type: new Schema({ id: { type: String, required: true }, version: String, hash: { type: String, required: true } }, { _id: false }),
      required: true,
    },
    nodes: { type: Schema.Types.Mixed, required: true },
    undetermined: [String],
    discrepancies: { type: [Schema.Types.Mixed], default: [] },
    computedAt: { type: Date, required: true },
  },
  { timestamps: true, minimize: false },
);
scoreSchema.index({ edition: 1, institution: 1 }, { unique: true });

export const ScoreModel = mongoose.model('Score', scoreSchema, 'scores');
