import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const ROLES = ['admin', 'evaluator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const userSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true, maxlength: 254, match: [/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'email must be an e-mail address'] },
    name: { type: String, required: true, trim: true, minlength: 2, maxlength: 120 },
    role: { type: String, required: true, enum: { values: [...ROLES], message: `role must be one of ${ROLES.join(', ')}; got "{VALUE}"` } },
    passwordHash: { type: String, required: true },
    /** Editions an evaluator or viewer may work on or see beyond the published ones; admins see all. */
    editions: { type: [String], default: [] },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: mongoose.Types.ObjectId };
export const UserModel = mongoose.model('User', userSchema, 'users');
