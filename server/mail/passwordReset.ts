/**
 * Password reset by e-mail: a random single-use token, stored only as its sha256 (a leaked database
 * holds no working link), expiring after MGA_PASSWORD_RESET_MINUTES (60). Asking never tells whether
 * an account exists. Using a token spends it and every other open token of the account.
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { UserModel } from '../models/user.js';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { HttpProblem } from '../http/problem.js';
import { deliver } from './transport.js';
import { passwordResetMail } from './templates.js';
import { mailSettings } from './settings.js';

const resetSchema = new Schema({
  user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  tokenHash: { type: String, required: true, unique: true },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date, default: null },
  createdAt: { type: Date, required: true, default: () => new Date() },
});
// Spent and expired tokens leave after a day.
resetSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 24 * 3600 });
resetSchema.index({ user: 1 });
export const PasswordResetModel = mongoose.model('PasswordReset', resetSchema, 'password_resets');

export const RESET_PATH = '/entrar/restablecer/';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** Sends a reset link to an active account with this address; does nothing visible otherwise. */
export async function requestPasswordReset(email: unknown, baseUrl: string): Promise<void> {
  if (typeof email !== 'string' || email.length > 254) return;
  const user = await UserModel.findOne({ email: email.trim().toLowerCase(), active: true }, { name: 1, email: 1 }).lean();
  if (!user) return;
  const minutes = mailSettings().passwordResetMinutes;
  const token = randomBytes(32).toString('base64url');
  await PasswordResetModel.create({ user: user._id, tokenHash: hashOf(token), expiresAt: new Date(Date.now() + minutes * 60_000) });
  const mail = passwordResetMail({ name: user.name, link: `${baseUrl}${RESET_PATH}${token}`, minutes });
  await deliver({ kind: 'password-reset', to: [user.email], ...mail, user: user._id, requestedBy: user.email, secret: true });
}

/** Whether a token can still be used (for the page that asks for the new password). */
export async function resetTokenIsValid(token: string): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  return Boolean(await PasswordResetModel.exists({ tokenHash: hashOf(token), usedAt: null, expiresAt: { $gt: new Date() } }));
}

const invalidToken = () =>
  new HttpProblem(400, 'Bad Request', 'the reset link is unknown, used or expired', [{ field: 'token', reason: 'unknown, used or expired' }], {
    code: 'reset_token_invalid',
    message: 'La liga para cambiar la contraseña no es válida: ya se usó o venció. Pida una nueva.',
  });

/** Sets the new password and spends the token (atomically: of two uses at once, one wins). */
export async function resetPassword(token: unknown, password: unknown): Promise<{ userId: string }> {
  const problem = passwordProblem(password);
  if (problem) throw new HttpProblem(400, 'Bad Request', `the new password is not acceptable: ${problem}`, [{ field: 'password', reason: problem }], { code: 'password_invalid' });
  if (typeof token !== 'string' || !TOKEN.test(token)) throw invalidToken();
  const now = new Date();
  const spent = await PasswordResetModel.findOneAndUpdate({ tokenHash: hashOf(token), usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } }, { returnDocument: 'after' }).lean();
  if (!spent) throw invalidToken();
  const user = await UserModel.findOne({ _id: spent.user, active: true });
  if (!user) throw invalidToken();
  user.passwordHash = await hashPassword(password as string);
  await user.save();
  await PasswordResetModel.updateMany({ user: spent.user, usedAt: null }, { $set: { usedAt: now } });
  // Sessions opened with the old password end (connect-mongo stores the session as an object).
  await mongoose.connection.db!.collection('sessions').deleteMany({ 'session.userId': String(user._id) });
  return { userId: String(user._id) };
}
