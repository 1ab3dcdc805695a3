import mongoose, { Schema } from 'mongoose';
import { INSTITUTION_TYPES_2017, foldName } from '../../scoring/catalogue.js';

/** Extensible catalogue of sujeto obligado types, seeded with the 11 types of the 2017 edition. */
const institutionTypeSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 80 },
    foldedName: { type: String, required: true, unique: true },
    introducedIn: { type: String, trim: true },
  },
  { timestamps: true },
);

institutionTypeSchema.pre('validate', function () {
  if (this.name) this.foldedName = foldName(this.name);
});

export const InstitutionTypeModel = mongoose.model('InstitutionType', institutionTypeSchema, 'institution_types');

export async function seedInstitutionTypes(): Promise<void> {
  await InstitutionTypeModel.bulkWrite(
    INSTITUTION_TYPES_2017.map((name) => ({
      updateOne: {
        filter: { foldedName: foldName(name) },
        update: { $setOnInsert: { name, foldedName: foldName(name), introducedIn: 'mga-2017' } },
        upsert: true,
      },
    })),
  );
}

export async function institutionTypeNames(): Promise<string[]> {
  return (await InstitutionTypeModel.find({}, { name: 1 }).lean()).map((t) => t.name);
}
