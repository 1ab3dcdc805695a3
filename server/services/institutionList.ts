/**
 * The institutions of an edition as the admin page lists them: searched, filtered by entity, type,
 * level and state of the latest invitation, sorted and paged in MongoDB (a 100,000-row edition
 * shows 50 rows, not all of them), with the whole filtered list as CSV.
 */
import type { PipelineStage, Types } from 'mongoose';
import { ENTITIES, LEVELS, foldName } from '../../scoring/catalogue.js';
import { InstitutionModel } from '../models/institution.js';
import { InvitationModel } from '../models/invitation.js';
import { escapeRegExp, type ListQuery, type ListSpec } from '../http/lists.js';

export const INVITATION_STATES = ['active', 'revoked', 'expired', 'none'] as const;
export type InvitationFilter = (typeof INVITATION_STATES)[number];
export const INVITATION_STATE_LABELS: Record<InvitationFilter, string> = { active: 'Vigente', revoked: 'Revocada', expired: 'Vencida', none: 'Sin invitación' };

export const INSTITUTION_LIST_SORTS = ['entity', 'name', '-name', 'type', 'level'] as const;
export type InstitutionListSort = (typeof INSTITUTION_LIST_SORTS)[number];
export const INSTITUTION_LIST_SORT_LABELS: Record<InstitutionListSort, string> = {
  entity: 'Entidad federativa',
  name: 'Nombre (A a Z)',
  '-name': 'Nombre (Z a A)',
  type: 'Tipo',
  level: 'Nivel de gobierno',
};

export const INSTITUTION_LIST_SPEC: ListSpec<InstitutionListSort> = {
  filters: {
    entity: { values: ENTITIES.map((e) => e.name) },
    type: { maxLength: 80 },
    level: { values: LEVELS },
    invitation: { values: INVITATION_STATES },
  },
  sorts: INSTITUTION_LIST_SORTS,
  defaultSort: 'entity',
};

export interface InstitutionListRow {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
  contactName?: string;
  contactEmail?: string;
  invitation?: { id: string; state: Exclude<InvitationFilter, 'none'>; stateLabel: string; expiresAt: Date; createdAt?: Date; lastUsedAt?: Date };
}

/** The latest invitation of each institution, with its state computed at `now`. */
function latestInvitation(editionId: string, now: Date): PipelineStage[] {
  return [
    {
      $lookup: {
        from: InvitationModel.collection.name,
        localField: '_id',
        foreignField: 'institution',
        pipeline: [{ $match: { edition: editionId } }, { $sort: { createdAt: -1, _id: -1 } }, { $limit: 1 }, { $project: { tokenHash: 0 } }],
        as: 'inv',
      },
    },
    {
      $set: {
        inv: { $first: '$inv' },
      },
    },
    {
      $set: {
        invState: {
          $switch: {
            branches: [
              { case: { $eq: [{ $ifNull: ['$inv', null] }, null] }, then: 'none' },
              { case: { $ne: [{ $ifNull: ['$inv.revokedAt', null] }, null] }, then: 'revoked' },
              { case: { $lte: ['$inv.expiresAt', now] }, then: 'expired' },
            ],
            default: 'active',
          },
        },
      },
    },
  ];
}

/** The institutions whose latest invitation is in a state, from the invitations (no join per institution). */
async function latestInState(editionId: string, state: Exclude<InvitationFilter, 'none'>, now: Date): Promise<Types.ObjectId[]> {
  const rows = await InvitationModel.aggregate<{ _id: Types.ObjectId }>([
    { $match: { edition: editionId } },
    { $sort: { institution: 1, createdAt: -1, _id: -1 } },
    { $group: { _id: '$institution', revokedAt: { $first: '$revokedAt' }, expiresAt: { $first: '$expiresAt' } } },
    { $match: state === 'revoked' ? { revokedAt: { $ne: null } } : state === 'expired' ? { revokedAt: null, expiresAt: { $lte: now } } : { revokedAt: null, expiresAt: { $gt: now } } },
    { $project: { _id: 1 } },
  ]);
  return rows.map((r) => r._id);
}

async function pipeline(editionId: string, query: ListQuery<InstitutionListSort>, now: Date): Promise<PipelineStage[]> {
  const match: Record<string, unknown> = { scope: editionId };
  const { entity, type, level, invitation } = query.filters;
  if (entity) match.entity = entity;
  if (type) match.type = type;
  if (level) match.level = level;
  if (query.q) match.normalizedName = { $regex: escapeRegExp(foldName(query.q)) };
  if (invitation === 'none') match._id = { $nin: await InvitationModel.distinct('institution', { edition: editionId }) };
  else if (invitation) match._id = { $in: await latestInState(editionId, invitation as Exclude<InvitationFilter, 'none'>, now) };
  const sorts: Record<InstitutionListSort, Record<string, 1 | -1>> = {
    entity: { entityCode: 1, normalizedName: 1, _id: 1 },
    name: { normalizedName: 1, _id: 1 },
    '-name': { normalizedName: -1, _id: -1 },
    type: { type: 1, entityCode: 1, normalizedName: 1, _id: 1 },
    level: { level: 1, entityCode: 1, normalizedName: 1, _id: 1 },
  };
  return [{ $match: match }, { $sort: sorts[query.sort] }];
}

type Doc = { _id: Types.ObjectId; name: string; entity: string; type: string; level: string; contactName?: string; contactEmail?: string; inv?: { _id: Types.ObjectId; expiresAt: Date; createdAt?: Date; lastUsedAt?: Date }; invState: InvitationFilter };

const toRow = (d: Doc): InstitutionListRow => ({
  id: String(d._id),
  name: d.name,
  entity: d.entity,
  type: d.type,
  level: d.level,
  ...(d.contactName && { contactName: d.contactName }),
  ...(d.contactEmail && { contactEmail: d.contactEmail }),
  ...(d.inv && d.invState !== 'none' && { invitation: { id: String(d.inv._id), state: d.invState, stateLabel: INVITATION_STATE_LABELS[d.invState], expiresAt: d.inv.expiresAt, createdAt: d.inv.createdAt, lastUsedAt: d.inv.lastUsedAt } }),
});

const PROJECT: PipelineStage = { $project: { name: 1, entity: 1, type: 1, level: 1, contactName: 1, contactEmail: 1, inv: 1, invState: 1 } };

export async function institutionListPage(editionId: string, query: ListQuery<InstitutionListSort>): Promise<{ total: number; items: InstitutionListRow[] }> {
  const now = new Date();
  const stages = await pipeline(editionId, query, now);
  const items = [{ $skip: query.offset }, { $limit: query.limit }, ...latestInvitation(editionId, now), PROJECT] as PipelineStage.FacetPipelineStage[];
  const [result] = await InstitutionModel.aggregate<{ total: { n: number }[]; items: Doc[] }>([...stages, { $facet: { total: [{ $count: 'n' }], items } }]).allowDiskUse(true);
  return { total: result?.total[0]?.n ?? 0, items: (result?.items ?? []).map(toRow) };
}

export async function* institutionListRows(editionId: string, query: ListQuery<InstitutionListSort>): AsyncGenerator<InstitutionListRow> {
  const now = new Date();
  const stages = [...(await pipeline(editionId, query, now)), ...latestInvitation(editionId, now), PROJECT];
  for await (const doc of InstitutionModel.aggregate<Doc>(stages).allowDiskUse(true).cursor({ batchSize: 500 })) yield toRow(doc);
}

export const INSTITUTION_CSV_HEADER = ['id', 'sujeto_obligado', 'entidad', 'tipo', 'nivel', 'invitacion', 'vence', 'ultimo_uso'] as const;
export const institutionCsvRow = (r: InstitutionListRow) => [r.id, r.name, r.entity, r.type, r.level, r.invitation?.stateLabel ?? INVITATION_STATE_LABELS.none, r.invitation?.expiresAt ?? null, r.invitation?.lastUsedAt ?? null];

/**
 * Counts of institutions by the state of their latest invitation: grouped over the invitations (one
 * per institution, the latest), so the cost follows the invitations issued, not the sample.
 */
export async function invitationCounts(editionId: string): Promise<Record<InvitationFilter, number>> {
  const now = new Date();
  const [institutions, latest] = await Promise.all([
    InstitutionModel.countDocuments({ scope: editionId }),
    InvitationModel.aggregate<{ _id: InvitationFilter; n: number }>([
      { $match: { edition: editionId } },
      { $sort: { institution: 1, createdAt: -1, _id: -1 } },
      { $group: { _id: '$institution', revokedAt: { $first: '$revokedAt' }, expiresAt: { $first: '$expiresAt' } } },
      { $group: { _id: { $switch: { branches: [{ case: { $ne: [{ $ifNull: ['$revokedAt', null] }, null] }, then: 'revoked' }, { case: { $lte: ['$expiresAt', now] }, then: 'expired' }], default: 'active' } }, n: { $sum: 1 } } },
    ]),
  ]);
  const counts = { active: 0, revoked: 0, expired: 0, none: 0 };
  for (const r of latest) counts[r._id] = r.n;
  counts.none = institutions - counts.active - counts.revoked - counts.expired;
  return counts;
}
