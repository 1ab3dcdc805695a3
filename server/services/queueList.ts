/**
 * The review queue of an edition at national scale: searched, filtered (status, entity, type, level,
 * assignee, overdue), sorted and paged in MongoDB, so a page costs the same at 20 or 100,000
 * institutions and carries only its own rows; the progress dashboard is counted by aggregation.
 * Evaluators see only the institutions assigned to them (`scope.onlyAssignedTo`).
 */
import { Types, type PipelineStage } from 'mongoose';
import { ENTITIES, LEVELS, foldName } from '../../scoring/catalogue.js';
import { InstitutionModel } from '../models/institution.js';
import { ResponseModel, RESPONSE_STATUSES, type ResponseStatus } from '../models/response.js';
import { ScoreModel } from '../models/result.js';
import { AssignmentModel } from '../models/assignment.js';
import { UserModel } from '../models/user.js';
import { instrumentById } from './instruments.js';
import { STATUS_LABELS } from './responses.js';
import { escapeRegExp, type ListQuery, type ListSpec } from '../http/lists.js';

export type QueueStatus = ResponseStatus | 'none';
export const QUEUE_STATUSES: readonly QueueStatus[] = ['none', ...RESPONSE_STATUSES];
/** Answers not yet handed in: what is late once the deadline has passed. */
const PENDING: readonly QueueStatus[] = ['none', 'draft', 'returned'];

export const QUEUE_SORTS = ['queue', 'name', '-name', 'entity', 'status', 'submitted', '-submitted', 'score', '-score'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export const QUEUE_SORT_LABELS: Record<QueueSort, string> = {
  queue: 'Cola: enviados primero, el más antiguo arriba',
  name: 'Nombre (A a Z)',
  '-name': 'Nombre (Z a A)',
  entity: 'Entidad federativa',
  status: 'Estado de las respuestas',
  submitted: 'Fecha de envío, la más antigua primero',
  '-submitted': 'Fecha de envío, la más reciente primero',
  score: 'Índice, de mayor a menor',
  '-score': 'Índice, de menor a mayor',
};

export const QUEUE_SPEC: ListSpec<QueueSort> = {
  filters: {
    status: { values: QUEUE_STATUSES },
    entity: { values: ENTITIES.map((e) => e.name) },
    type: { maxLength: 80 },
    level: { values: LEVELS },
    assignee: { pattern: /^([0-9a-f]{24}|none|me)$/, describe: 'an account id, "me" or "none"' },
    overdue: { values: ['true', 'false'] },
  },
  sorts: QUEUE_SORTS,
  defaultSort: 'queue',
};

export interface QueueEdition {
  editionId: string;
  instruments: readonly { id: string }[];
  deadline?: Date | null;
}

export interface QueueScope {
  /** Evaluators: only their assigned institutions. */
  onlyAssignedTo?: string;
  /** Who "me" is in `assignee=me`. */
  me?: string;
}

export interface QueueRow {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
  /** The institution's own questionnaire. */
  answers: QueueStatus;
  answersLabel: string;
  submittedAt?: Date;
  /** The evaluators' citizen-perspective logs ("approved" once marked complete). */
  logs: QueueStatus;
  logsLabel: string;
  GA?: number;
  /** The deadline has passed and the answers are not handed in. */
  overdue: boolean;
  assignees: { id: string; name: string }[];
}

function instrumentsOf(edition: QueueEdition) {
  const instruments = edition.instruments.map((i) => instrumentById(i.id));
  return { own: instruments.find((i) => i.audience === 'institution')?.id, logs: instruments.find((i) => i.audience === 'evaluator')?.id };
}

const isLate = (edition: QueueEdition, now = new Date()) => Boolean(edition.deadline && edition.deadline.getTime() < now.getTime());

/** The institutions of the scope as a filter (evaluators: their assigned ones). */
async function scopeFilter(edition: QueueEdition, scope: QueueScope): Promise<Record<string, unknown>> {
  const filter: Record<string, unknown> = { scope: edition.editionId };
  if (scope.onlyAssignedTo) filter._id = { $in: await assignedIds(edition.editionId, scope.onlyAssignedTo) };
  return filter;
}

async function assignedIds(editionId: string, evaluatorId: string): Promise<Types.ObjectId[]> {
  const rows = await AssignmentModel.find({ edition: editionId, evaluator: evaluatorId }, { institution: 1, _id: 0 }).lean();
  return rows.map((r) => r.institution);
}

/** The aggregation over institutions that finds, filters and sorts the queue (without paging). */
async function queuePipeline(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope): Promise<PipelineStage[]> {
  const { own } = instrumentsOf(edition);
  const { status, entity, type, level, assignee, overdue } = query.filters;
  const match = await scopeFilter(edition, scope);
  if (entity) match.entity = entity;
  if (type) match.type = type;
  if (level) match.level = level;
  if (query.q) match.normalizedName = { $regex: escapeRegExp(foldName(query.q)) };
  const stages: PipelineStage[] = [];
  if (assignee && assignee !== 'none') {
    const who = assignee === 'me' ? scope.me : assignee;
    const ids = who && Types.ObjectId.isValid(who) ? await assignedIds(edition.editionId, who) : [];
    match._id = match._id ? { $in: intersect((match._id as { $in: Types.ObjectId[] }).$in, ids) } : { $in: ids };
  }
  stages.push({ $match: match });
  if (assignee === 'none') {
    stages.push(
      { $lookup: { from: AssignmentModel.collection.name, localField: '_id', foreignField: 'institution', pipeline: [{ $match: { edition: edition.editionId } }, { $limit: 1 }, { $project: { _id: 1 } }], as: 'assigned' } },
      { $match: { assigned: { $size: 0 } } },
    );
  }
  const late = isLate(edition);
  const needsStatus = Boolean(status || overdue || ['queue', 'status', 'submitted', '-submitted'].includes(query.sort));
  if (needsStatus) {
    stages.push(
      { $lookup: { from: ResponseModel.collection.name, localField: '_id', foreignField: 'institution', pipeline: [{ $match: { edition: edition.editionId, 'questionnaire.id': own ?? '' } }, { $project: { status: 1, submittedAt: 1 } }], as: 'own' } },
      { $addFields: { answers: { $ifNull: [{ $first: '$own.status' }, 'none'] }, submittedAt: { $first: '$own.submittedAt' } } },
    );
    if (status) stages.push({ $match: { answers: status } });
    if (overdue === 'true') stages.push(late ? { $match: { answers: { $in: PENDING } } } : { $match: { _id: null } });
    if (overdue === 'false' && late) stages.push({ $match: { answers: { $nin: PENDING } } });
  }
  if (query.sort === 'score' || query.sort === '-score') {
    stages.push(
      { $lookup: { from: ScoreModel.collection.name, localField: '_id', foreignField: 'institution', pipeline: [{ $match: { edition: edition.editionId } }, { $project: { ga: '$nodes.GA.value' } }], as: 'score' } },
      // Without a score: last in either direction.
      { $addFields: { ga: { $first: '$score.ga' } } },
      { $addFields: { hasScore: { $cond: [{ $eq: [{ $ifNull: ['$ga', null] }, null] }, 0, 1] } } },
    );
  }
  const tail = { entityCode: 1, normalizedName: 1, _id: 1 } as const;
  const sorts: Record<QueueSort, Record<string, 1 | -1>> = {
    queue: { queueOrder: 1, submittedAt: 1, ...tail },
    name: { normalizedName: 1, _id: 1 },
    '-name': { normalizedName: -1, _id: -1 },
    entity: tail,
    status: { statusOrder: 1, ...tail },
    submitted: { hasSubmitted: -1, submittedAt: 1, ...tail },
    '-submitted': { submittedAt: -1, ...tail },
    score: { hasScore: -1, ga: -1, ...tail },
    '-score': { hasScore: -1, ga: 1, ...tail },
  };
  if (query.sort === 'queue') stages.push({ $addFields: { queueOrder: { $cond: [{ $eq: ['$answers', 'submitted'] }, 0, 1] } } });
  if (query.sort === 'status') stages.push({ $addFields: { statusOrder: { $indexOfArray: [QUEUE_STATUSES, '$answers'] } } });
  if (query.sort === 'submitted') stages.push({ $addFields: { hasSubmitted: { $cond: [{ $eq: [{ $ifNull: ['$submittedAt', null] }, null] }, 0, 1] } } });
  stages.push({ $sort: sorts[query.sort] });
  return stages;
}

function intersect(a: readonly Types.ObjectId[], b: readonly Types.ObjectId[]): Types.ObjectId[] {
  const keep = new Set(b.map(String));
  return a.filter((id) => keep.has(String(id)));
}

const PROJECTION = { _id: 1, name: 1, entity: 1, type: 1, level: 1 } as const;
type Found = { _id: Types.ObjectId; name: string; entity: string; type: string; level: string };

/** The rows of some institutions, with their answers' and logs' states, index, and assignees. */
async function rowsOf(edition: QueueEdition, found: readonly Found[]): Promise<QueueRow[]> {
  if (found.length === 0) return [];
  const ids = found.map((f) => f._id);
  const { own, logs } = instrumentsOf(edition);
  const [responses, scores, assignments] = await Promise.all([
    ResponseModel.find({ edition: edition.editionId, institution: { $in: ids } }, { institution: 1, questionnaire: 1, status: 1, submittedAt: 1 }).lean(),
    ScoreModel.find({ edition: edition.editionId, institution: { $in: ids } }, { institution: 1, 'nodes.GA.value': 1 } as unknown as { institution: 1; nodes: 1 }).lean(),
    AssignmentModel.find({ edition: edition.editionId, institution: { $in: ids } }, { institution: 1, evaluator: 1 }).lean(),
  ]);
  const evaluators = new Map((await UserModel.find({ _id: { $in: [...new Set(assignments.map((a) => String(a.evaluator)))] } }, { name: 1 }).lean()).map((u) => [String(u._id), u.name]));
  const byKey = new Map(responses.map((r) => [`${String(r.institution)}|${r.questionnaire.id}`, r]));
  const gaOf = new Map(scores.map((s) => [String(s.institution), (s.nodes as Record<string, { value: number }> | undefined)?.GA?.value]));
  const late = isLate(edition);
  return found.map((institution): QueueRow => {
    const id = String(institution._id);
    const mine = own ? byKey.get(`${id}|${own}`) : undefined;
    const log = logs ? byKey.get(`${id}|${logs}`) : undefined;
    const answers: QueueStatus = (mine?.status as QueueStatus | undefined) ?? 'none';
    const logStatus: QueueStatus = (log?.status as QueueStatus | undefined) ?? 'none';
    return {
      id,
      name: institution.name,
      entity: institution.entity,
      type: institution.type,
      level: institution.level,
      answers,
      answersLabel: STATUS_LABELS[answers],
      submittedAt: mine?.submittedAt ?? undefined,
      logs: logStatus,
      logsLabel: logStatus === 'approved' ? 'Completa' : logStatus === 'none' ? 'Sin iniciar' : 'En captura',
      GA: gaOf.get(id),
      overdue: late && PENDING.includes(answers),
      assignees: assignments.filter((a) => String(a.institution) === id).map((a) => ({ id: String(a.evaluator), name: evaluators.get(String(a.evaluator)) ?? '' })),
    };
  });
}

/** One page of the queue and the total of the filtered list. */
export async function reviewQueuePage(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope = {}): Promise<{ total: number; items: QueueRow[] }> {
  const pipeline = await queuePipeline(edition, query, scope);
  const [result] = await InstitutionModel.aggregate<{ total: { n: number }[]; items: Found[] }>([
    ...pipeline,
    { $facet: { total: [{ $count: 'n' }], items: [{ $skip: query.offset }, { $limit: query.limit }, { $project: PROJECTION }] } },
  ]).allowDiskUse(true);
  return { total: result?.total[0]?.n ?? 0, items: await rowsOf(edition, result?.items ?? []) };
}

/** Every row of the filtered queue, read from a cursor in batches (for CSV). */
export async function* reviewQueueRows(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope = {}): AsyncGenerator<QueueRow> {
  const pipeline = await queuePipeline(edition, query, scope);
  const cursor = InstitutionModel.aggregate<Found>([...pipeline, { $project: PROJECTION }]).allowDiskUse(true).cursor({ batchSize: 500 });
  let batch: Found[] = [];
  for await (const found of cursor) {
    batch.push(found);
    if (batch.length === 500) {
      yield* await rowsOf(edition, batch);
      batch = [];
    }
  }
  yield* await rowsOf(edition, batch);
}

export const QUEUE_CSV_HEADER = ['id', 'sujeto_obligado', 'entidad', 'tipo', 'nivel', 'respuestas', 'enviado', 'bitacora_ciudadana', 'IGA', 'vencido', 'evaluadores'] as const;
export const queueCsvRow = (r: QueueRow) => [r.id, r.name, r.entity, r.type, r.level, r.answersLabel, r.submittedAt ?? null, r.logsLabel, r.GA ?? null, r.overdue ? 'sí' : 'no', r.assignees.map((a) => a.name).join('; ')];

export interface QueueDashboard {
  total: number;
  statuses: { status: QueueStatus; label: string; count: number }[];
  logsComplete: number;
  scored: number;
  overdue: number;
  entities: { entity: string; total: number; counts: { status: QueueStatus; count: number }[]; logsComplete: number; scored: number }[];
}

/**
 * Counts by status of the answers, by entity, of complete citizen logs and of scores, over the
 * institutions of the scope: three aggregations, each one row per (entity, state).
 */
export async function queueDashboard(edition: QueueEdition, scope: QueueScope = {}): Promise<QueueDashboard> {
  const { own, logs } = instrumentsOf(edition);
  const filter = await scopeFilter(edition, scope);
  const within = filter._id ? { institution: filter._id } : {};
  const withEntity: PipelineStage[] = [
    { $lookup: { from: InstitutionModel.collection.name, localField: 'institution', foreignField: '_id', pipeline: [{ $project: { entity: 1 } }], as: 'i' } },
    { $set: { entity: { $first: '$i.entity' } } },
  ];
  const [institutions, responses, scores] = await Promise.all([
    InstitutionModel.aggregate<{ _id: string; n: number }>([{ $match: filter }, { $group: { _id: '$entity', n: { $sum: 1 } } }]),
    ResponseModel.aggregate<{ _id: { entity: string; q: string; status: string }; n: number }>([
      { $match: { edition: edition.editionId, 'questionnaire.id': { $in: [own, logs].filter(Boolean) }, ...within } },
      ...withEntity,
      { $group: { _id: { entity: '$entity', q: '$questionnaire.id', status: '$status' }, n: { $sum: 1 } } },
    ]),
    ScoreModel.aggregate<{ _id: string; n: number }>([{ $match: { edition: edition.editionId, ...within } }, ...withEntity, { $group: { _id: '$entity', n: { $sum: 1 } } }]),
  ]);
  const entities = institutions.map((i) => i._id).sort((a, b) => a.localeCompare(b, 'es'));
  const totalOf = new Map(institutions.map((i) => [i._id, i.n]));
  const count = (entity: string | undefined, q: string | undefined, status: string) =>
    responses.filter((r) => (entity === undefined || r._id.entity === entity) && r._id.q === q && r._id.status === status).reduce((sum, r) => sum + r.n, 0);
  const statusCounts = (entity?: string) => {
    const total = entity === undefined ? [...totalOf.values()].reduce((a, b) => a + b, 0) : totalOf.get(entity) ?? 0;
    const handed = RESPONSE_STATUSES.map((status) => ({ status: status as QueueStatus, count: count(entity, own, status) }));
    return [{ status: 'none' as QueueStatus, count: total - handed.reduce((a, b) => a + b.count, 0) }, ...handed];
  };
  const scoredIn = (entity?: string) => scores.filter((s) => entity === undefined || s._id === entity).reduce((a, b) => a + b.n, 0);
  const all = statusCounts();
  return {
    total: [...totalOf.values()].reduce((a, b) => a + b, 0),
    statuses: all.map((s) => ({ ...s, label: STATUS_LABELS[s.status] })),
    logsComplete: count(undefined, logs, 'approved'),
    scored: scoredIn(),
    overdue: isLate(edition) ? all.filter((s) => PENDING.includes(s.status)).reduce((a, b) => a + b.count, 0) : 0,
    entities: entities.map((entity) => ({ entity, total: totalOf.get(entity) ?? 0, counts: statusCounts(entity), logsComplete: count(entity, logs, 'approved'), scored: scoredIn(entity) })),
  };
}
