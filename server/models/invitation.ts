import mongoose, { Schema } from 'mongoose';

/**
 * A personal link for one institution's respondent. Only the token's sha256 is stored: a leaked
 * database does not leak working links; the link itself is shown once, when issued.
 */
const invitationSchema = new Schema(
  {
    edition: { type: String, required: true },
    institution: { type: Schema.Types.ObjectId, ref: 'Institution', required: true },
    tokenHash: { type: String, required: true, unique: true },
    expiresAt: { type: Date, required: true },
    revokedAt: Date,
    issuedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    lastUsedAt: Date,
  },
  { timestamps: true },
);
invitationSchema.index({ edition: 1, institution: 1 });
// The invitations list of an edition, newest first.
invitationSchema.index({ edition: 1, createdAt: -1 });

export const InvitationModel = mongoose.model('Invitation', invitationSchema, 'invitations');
