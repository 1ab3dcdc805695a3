import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { LEVELS, foldName, normalizeEntity, normalizeLevel, UnknownNameError } from '../../scoring/catalogue.js';
import { canonicalTypeName } from './institutionType.js';

/** The catalogue scope holds institutions outside any edition; editions use their own id as scope. */
export const CATALOGUE_SCOPE = 'catalogue';

const institutionSchema = new Schema(
  {
    scope: { type: String, required: true, default: CATALOGUE_SCOPE, trim: true },
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 400 },
    normalizedName: { type: String, required: true },
    entity: { type: String, required: true },
    entityCode: { type: String, required: true },
    // A plain string (not a typed enum) so any input spelling reaches the normaliser below.
    level: {
      type: String,
      required: true,
      validate: { validator: (v: string) => (LEVELS as readonly string[]).includes(v), message: `level must be one of ${LEVELS.join(', ')}; got "{VALUE}"` },
    },
    type: { type: String, required: true, trim: true },
    externalIds: { type: Map, of: String, default: undefined },
    /** Who receives the edition's e-mails (invitation, reminders) for this institution. */
    contactName: { type: String, trim: true, maxlength: 200 },
    contactEmail: { type: String, trim: true, lowercase: true, maxlength: 254, match: [/^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/, 'contactEmail must be an e-mail address'] },
    /** More addresses that receive a copy. */
    contactCc: { type: [String], default: undefined },
    /**
     * Incremented by every change of the institution's data (admin edits, sample imports), so that an
     * edit sent against an older revision is refused (409) instead of overwriting a newer one.
     */
    revision: { type: Number, default: 0 },
    /**
     * An admin's decision for publishing an edition without this institution's approved answers:
     * left out of the results ("excluded") or listed without a score ("withoutScore"), with the reason.
     */
    publication: {
      type: new Schema(
        {
          decision: { type: String, required: true, enum: ['excluded', 'withoutScore'] },
          reason: { type: String, required: true, trim: true, minlength: 3, maxlength: 1000 },
          by: String,
          at: Date,
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true },
);

institutionSchema.index({ scope: 1, normalizedName: 1, entityCode: 1 }, { unique: true });
institutionSchema.index({ scope: 1, entity: 1 });
institutionSchema.index({ scope: 1, type: 1 });
// Lists of an edition's institutions page in the default order (entity, then name) without an in-memory sort.
institutionSchema.index({ scope: 1, entityCode: 1, normalizedName: 1, _id: 1 });

// Canonical spellings are stored, so any spelling found in real data is accepted or named as unknown.
institutionSchema.pre('validate', async function () {
  if (this.name) this.normalizedName = foldName(this.name);
  if (this.entity) {
    try {
      const entity = normalizeEntity(this.entity);
      this.entity = entity.name;
      this.entityCode = entity.code;
    } catch (error) {
      if (!(error instanceof UnknownNameError)) throw error;
      this.invalidate('entity', `unknown entidad federativa "${this.entity}"`, this.entity);
    }
  }
  if (this.level) {
    try {
      this.level = normalizeLevel(this.level);
    } catch {
      // left as given: the enum validator names the value and the accepted ones
    }
  }
  if (this.type) {
    const type = await canonicalTypeName(this.type);
    if (type) this.type = type;
    else this.invalidate('type', `unknown institution type "${this.type}"`, this.type);
  }
});

export type InstitutionDoc = InferSchemaType<typeof institutionSchema>;
export const InstitutionModel = mongoose.model('Institution', institutionSchema, 'institutions');
