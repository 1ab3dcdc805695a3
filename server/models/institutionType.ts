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

/**
 * Canonical type names by folded spelling, read from the catalogue and kept for a few seconds, so
 * validating thousands of imported institutions costs one query, not one per row. A spelling not
 * found reloads the catalogue (at most once a second), so a type added meanwhile is seen.
 */
const typeCache = { byFolded: new Map<string, string>(), loadedAt: 0, loading: undefined as Promise<void> | undefined };
const TYPE_CACHE_MS = 10_000;
const TYPE_RELOAD_ON_MISS_MS = 1_000;

async function loadTypes(): Promise<void> {
  typeCache.loading ??= InstitutionTypeModel.find({}, { name: 1, foldedName: 1 })
    .lean()
    .then((types) => {
      typeCache.byFolded = new Map(types.map((t) => [t.foldedName, t.name]));
      typeCache.loadedAt = Date.now();
    })
    .finally(() => {
      typeCache.loading = undefined;
    });
  return typeCache.loading;
}

export async function canonicalTypeName(spelling: string): Promise<string | undefined> {
  const folded = foldName(spelling);
  const age = Date.now() - typeCache.loadedAt;
  if (age > TYPE_CACHE_MS || (!typeCache.byFolded.has(folded) && age > TYPE_RELOAD_ON_MISS_MS)) await loadTypes();
  return typeCache.byFolded.get(folded);
}

export async function institutionTypeNames(): Promise<string[]> {
  return (await InstitutionTypeModel.find({}, { name: 1 }).lean()).map((t) => t.name);
}
