import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const EDITION_STATUSES = ['draft', 'collecting', 'review', 'published'] as const;
export type EditionStatus = (typeof EDITION_STATUSES)[number];

const editionSchema = new Schema(
  {
    editionId: {
      type: String,
      required: true,
      unique: true,
      trim: true,
      match: [/^[a-z0-9][a-z0-9-]{1,62}$/, 'edition id must be lower-case letters, digits and dashes, such as mga-2017'],
    },
    year: { type: Number, required: true, min: [2000, 'year must be 2000 or later'], max: [2100, 'year must be 2100 or earlier'], validate: { validator: Number.isInteger, message: 'year must be a whole number' } },
    title: { type: String, required: true, trim: true, minlength: 3, maxlength: 200 },
    methodology: {
      type: new Schema(
        {
          id: { type: String, required: true, trim: true },
          hash: { type: String, match: [/^[0-9a-f]{64}$/, 'methodology hash must be a sha256 hex digest'] },
        },
        { _id: false },
      ),
      required: true,
    },
    /** The questionnaires the edition runs, each pinned by the hash of its definition. */
    instruments: {
      type: [new Schema({ id: { type: String, required: true }, hash: { type: String, required: true } }, { _id: false })],
      default: [],
    },
    /** Bumped by every write of results, so cached groupings know when they are stale. */
    resultsVersion: { type: Number, required: true, default: 0 },
    /** Changed only through server/services/editionLifecycle.ts (draft → collecting → review → published). */
    status: { type: String, required: true, default: 'draft', enum: { values: [...EDITION_STATUSES], message: `status must be one of ${EDITION_STATUSES.join(', ')}; got "{VALUE}"` } },
    /** Respondents save and submit until this instant (while the edition is collecting); none: no deadline. */
    deadline: { type: Date, default: null },
    publishedAt: { type: Date, default: null },
    /** Who respondents write to for help, named in the invitation and reminder e-mails; unset: MGA_HELP_EMAIL or the sending admin. */
    help: {
      type: new Schema(
        {
          name: { type: String, trim: true, maxlength: 200 },
          email: { type: String, trim: true, lowercase: true, maxlength: 254, match: [/^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/, 'help e-mail must be an e-mail address'] },
          phone: { type: String, trim: true, maxlength: 60 },
        },
        { _id: false },
      ),
      default: undefined,
    },
    /** Incremented by every change of the edition's details (title, year, deadline, help contact): edits against an older one get 409. */
    settingsRevision: { type: Number, required: true, default: 0 },
    /**
     * Bumped by every state-dependent piece of work (a submission, a review action) inside its
     * transaction, so that such work and a change of status cannot both commit on a stale status.
     */
    workVersion: { type: Number, required: true, default: 0 },
  },
  { timestamps: true },
);

export type EditionDoc = InferSchemaType<typeof editionSchema>;
export const EditionModel = mongoose.model('Edition', editionSchema, 'editions');
