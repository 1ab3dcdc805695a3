/** Personal invitation links: one active link per institution, unguessable, expiring, revocable. */
import type { Types } from 'mongoose';
import { InvitationModel } from '../models/invitation.js';
import { InstitutionModel } from '../models/institution.js';
import { newInvitationToken, tokenHash } from '../auth/access.js';
import { notFound } from '../http/problem.js';
import mongoose from 'mongoose';
import { lockForWork } from './editionLifecycle.js';
import { record, type Actor } from './audit.js';
import { toCsv } from '../../reports/csv.js';

export interface IssuedInvitation {
  invitationId: string;
  institutionId: string;
  institution: string;
  entity: string;
  link: string;
  expiresAt: Date;
}

export const RESPONDENT_PATH = '/responder/';

/**
 * Issues a new link for every institution of the edition that has no active one (or for the given
 * institutions, replacing their links). Tokens are returned only here: the database keeps their hash.
 * `inTransaction` runs in the same transaction once the links are issued (e.g. to queue their
 * e-mails): its writes commit with the links or not at all. It may run more than once (the
 * transaction is retried on transient errors), so it must only write through `session`.
 */
export async function issueInvitations(
  editionId: string,
  options: { baseUrl: string; expiresInDays: number; actor: Actor; institutionIds?: string[]; inTransaction?: (issued: IssuedInvitation[], session: mongoose.ClientSession) => Promise<void> },
): Promise<IssuedInvitation[]> {
  let issued: IssuedInvitation[] = [];
  await mongoose.connection.transaction(async (session) => {
    issued = await issueInTransaction(editionId, options, session);
    await options.inTransaction?.(issued, session);
  });
  return issued;
}

async function issueInTransaction(editionId: string, options: { baseUrl: string; expiresInDays: number; actor: Actor; institutionIds?: string[] }, session: mongoose.ClientSession): Promise<IssuedInvitation[]> {
  await lockForWork(editionId, 'invite', session);
  const filter: Record<string, unknown> = { scope: editionId };
  if (options.institutionIds) filter._id = { $in: options.institutionIds };
  const institutions = await InstitutionModel.find(filter, { name: 1, entity: 1 }).sort({ entityCode: 1, normalizedName: 1 }).session(session).lean();
  if (options.institutionIds && institutions.length !== options.institutionIds.length) throw notFound('some institutions do not belong to this edition');
  const now = new Date();
  if (options.institutionIds) {
    const replaced = await InvitationModel.find({ edition: editionId, institution: { $in: institutions.map((i) => i._id) }, revokedAt: null }, { institution: 1 }).session(session).lean();
    await InvitationModel.updateMany({ _id: { $in: replaced.map((i) => i._id) } }, { $set: { revokedAt: now } }, { session });
    await record({ action: 'invitation.revoke', actor: options.actor, edition: editionId, summary: 'Reemplazada por una liga nueva', targets: replaced.map((i) => ({ institution: i.institution, subject: `invitación ${String(i._id)}` })), at: now }, session);
  }
  const active = new Set(
    (await InvitationModel.find({ edition: editionId, revokedAt: null, expiresAt: { $gt: now } }, { institution: 1 }).session(session).lean()).map((i) => String(i.institution)),
  );
  const expiresAt = new Date(now.getTime() + options.expiresInDays * 24 * 3600 * 1000);
  const issued: IssuedInvitation[] = [];
  const docs: { edition: string; institution: Types.ObjectId; tokenHash: string; expiresAt: Date; issuedBy?: string }[] = [];
  for (const institution of institutions) {
    if (active.has(String(institution._id))) continue;
    const token = newInvitationToken();
    docs.push({ edition: editionId, institution: institution._id, tokenHash: tokenHash(token), expiresAt, ...(options.actor.kind === 'user' && { issuedBy: options.actor.id }) });
    issued.push({ invitationId: '', institutionId: String(institution._id), institution: institution.name, entity: institution.entity, link: `${options.baseUrl}${RESPONDENT_PATH}${token}`, expiresAt });
  }
  const created = docs.length ? await InvitationModel.insertMany(docs, { session }) : [];
  created.forEach((doc, i) => (issued[i]!.invitationId = String(doc._id)));
  await record(
    {
      action: 'invitation.issue',
      actor: options.actor,
      edition: editionId,
      summary: `Vence el ${expiresAt.toISOString().slice(0, 10)}`,
      targets: created.map((doc) => ({ institution: doc.institution, subject: `invitación ${String(doc._id)}` })),
      at: now,
    },
    session,
  );
  return issued;
}

export async function revokeInvitation(editionId: string, invitationId: string, actor: Actor): Promise<void> {
  await mongoose.connection.transaction(async (session) => {
    await lockForWork(editionId, 'invite', session);
    const now = new Date();
    const invitation = await InvitationModel.findOneAndUpdate({ _id: invitationId, edition: editionId, revokedAt: null }, { $set: { revokedAt: now } }, { session }).lean();
    if (!invitation) throw notFound(`invitation "${invitationId}" does not exist or is already revoked`);
    await record({ action: 'invitation.revoke', actor, edition: editionId, institution: invitation.institution, subject: `invitación ${invitationId}`, at: now }, session);
  });
}

export type InvitationState = 'active' | 'revoked' | 'expired';

/** One page of an edition's invitations (newest first), optionally in one state, with the total. */
export async function invitationPage(editionId: string, query: { filters: Record<string, string>; limit: number; offset: number }) {
  const now = new Date();
  const filter: Record<string, unknown> = { edition: editionId };
  if (query.filters.state === 'active') Object.assign(filter, { revokedAt: null, expiresAt: { $gt: now } });
  if (query.filters.state === 'revoked') filter.revokedAt = { $ne: null };
  if (query.filters.state === 'expired') Object.assign(filter, { revokedAt: null, expiresAt: { $lte: now } });
  const [total, invitations] = await Promise.all([
    InvitationModel.countDocuments(filter),
    InvitationModel.find(filter, { tokenHash: 0 }).sort({ createdAt: -1, _id: -1 }).skip(query.offset).limit(query.limit).lean(),
  ]);
  return {
    total,
    items: invitations.map((i) => ({
      id: String(i._id),
      institution: String(i.institution),
      state: (i.revokedAt ? 'revoked' : i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active') as InvitationState,
      expiresAt: i.expiresAt,
      revokedAt: i.revokedAt ?? undefined,
      createdAt: i.createdAt,
      lastUsedAt: i.lastUsedAt ?? undefined,
    })),
  };
}

export async function listInvitations(editionId: string) {
  const invitations = await InvitationModel.find({ edition: editionId }, { tokenHash: 0 }).sort({ createdAt: -1 }).lean();
  const now = Date.now();
  return invitations.map((i) => ({
    id: String(i._id),
    institution: String(i.institution),
    state: (i.revokedAt ? 'revoked' : i.expiresAt.getTime() <= now ? 'expired' : 'active') as InvitationState,
    expiresAt: i.expiresAt,
    revokedAt: i.revokedAt,
    createdAt: i.createdAt,
    lastUsedAt: i.lastUsedAt,
  }));
}

/** CSV of issued links, with text cells that could start a formula neutralised for spreadsheets. */
export function invitationsCsv(invitations: readonly IssuedInvitation[]): string {
  return toCsv(['institution_id', 'sujeto_obligado', 'entidad', 'liga', 'vence'], invitations.map((i) => [i.institutionId, i.institution, i.entity, i.link, i.expiresAt.toISOString()]));
}
