/**
 * A synthetic edition of national size for the list tests and the bench: N institutions spread over
 * the 33 entities, with answers in every state. Written straight to the collections (the import and
 * the questionnaire flow have their own tests), so building 2,043 or 100,000 rows takes seconds.
 */
import { Types } from 'mongoose';
import { ENTITIES, INSTITUTION_TYPES_2017, LEVELS, foldName } from '../../../scoring/catalogue.js';
import { EditionModel } from '../../../server/models/edition.js';
import { InstitutionModel } from '../../../server/models/institution.js';
import { ResponseModel } from '../../../server/models/response.js';
import { ScoreModel } from '../../../server/models/result.js';
import { instrumentById } from '../../../server/services/instruments.js';
import { methodologyById } from '../../../server/services/methodologies.js';

export const OWN = 'mga-2017-gobierno';
export const LOGS = 'mga-2017-ciudadano';

export interface LargeEdition {
  editionId: string;
  ids: Types.ObjectId[];
  /** How many institutions' own answers are in each state (the rest: none). */
  statuses: { draft: number; submitted: number; returned: number; approved: number };
  /** Institutions per entity name. */
  perEntity: Map<string, number>;
}

/** Row i: entity i mod 33; every 7th submitted, every 11th (not submitted) a draft, every 13th approved with a score, every 17th returned. */
export async function createLargeEdition(editionId: string, size: number, options: { deadline?: Date } = {}): Promise<LargeEdition> {
  const methodology = methodologyById('mga-2017');
  await EditionModel.create({
    editionId,
    year: 2026,
    title: `Edición de prueba con ${size} sujetos obligados`,
    methodology: { id: 'mga-2017', hash: methodology.hash },
    instruments: [OWN, LOGS].map((id) => ({ id, hash: instrumentById(id).hash })),
    status: 'collecting',
  });
  if (options.deadline) await EditionModel.collection.updateOne({ editionId }, { $set: { deadline: options.deadline } });
  const perEntity = new Map<string, number>();
  const now = Date.now();
  const ids: Types.ObjectId[] = [];
  const statuses = { draft: 0, submitted: 0, returned: 0, approved: 0 };
  for (let start = 0; start < size; start += 5000) {
    const institutions = [];
    const responses = [];
    const scores = [];
    for (let i = start; i < Math.min(size, start + 5000); i++) {
      const entity = ENTITIES[i % ENTITIES.length]!;
      const level = entity.code === 'FED' ? LEVELS[0] : LEVELS[1 + (i % 2)]!;
      const name = `Sujeto obligado ${String(i).padStart(6, '0')} de ${entity.name}`;
      const _id = new Types.ObjectId();
      ids.push(_id);
      perEntity.set(entity.name, (perEntity.get(entity.name) ?? 0) + 1);
      institutions.push({ _id, scope: editionId, name, normalizedName: foldName(name), entity: entity.name, entityCode: entity.code, level, type: INSTITUTION_TYPES_2017[i % INSTITUTION_TYPES_2017.length]!, createdAt: new Date(), updatedAt: new Date() });
      const status = i % 13 === 0 ? 'approved' : i % 7 === 0 ? 'submitted' : i % 17 === 0 ? 'returned' : i % 11 === 0 ? 'draft' : undefined;
      if (status) {
        statuses[status] += 1;
        const submittedAt = status === 'draft' ? undefined : new Date(now - (size - i) * 60_000);
        responses.push({ edition: editionId, institution: _id, questionnaire: { id: OWN, hash: instrumentById(OWN).hash }, answers: {}, status, revision: 1, comments: [], receipts: [], ...(submittedAt && { submittedAt, firstSubmittedAt: submittedAt }), createdAt: new Date(), updatedAt: new Date() });
      }
      if (status === 'approved') {
        scores.push({ edition: editionId, institution: _id, methodology: { id: 'mga-2017', hash: methodology.hash }, nodes: { GA: { value: (i % 100) / 100 } }, undetermined: [], discrepancies: [], computedAt: new Date() });
      }
    }
    await InstitutionModel.collection.insertMany(institutions, { ordered: false });
    if (responses.length) await ResponseModel.collection.insertMany(responses, { ordered: false });
    if (scores.length) await ScoreModel.collection.insertMany(scores, { ordered: false });
  }
  return { editionId, ids, statuses, perEntity };
}
