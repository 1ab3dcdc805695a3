import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { ENTITIES, foldName } from '../../scoring/catalogue.js';

/** The 32 entidades federativas and "Federal"; seeded from scoring/catalogue.ts, the single source. */
const entitySchema = new Schema(
  {
    code: { type: String, required: true, unique: true, match: [/^(\d{2}|FED)$/, 'code must be an INEGI two-digit code or FED'] },
    name: { type: String, required: true, unique: true, trim: true },
    aliases: { type: [String], default: [] },
    foldedName: { type: String, required: true, unique: true },
  },
  { timestamps: true },
);

export type EntityDoc = InferSchemaType<typeof entitySchema>;
export const EntityModel = mongoose.model('Entity', entitySchema, 'entities');

export async function seedEntities(): Promise<void> {
  await EntityModel.bulkWrite(
    ENTITIES.map((e) => ({
      updateOne: {
        filter: { code: e.code },
        update: { $set: { name: e.name, aliases: e.aliases, foldedName: foldName(e.name) } },
        upsert: true,
      },
    })),
  );
}
