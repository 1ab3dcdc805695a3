/**
 * The review queue of an edition at national scale: searched, filtered (status, entity, type, level,
 * assignee, overdue), sorted and paged in MongoDB, so a page costs the same at 20 or 100,000
 * institutions and carries only its own rows; the progress dashboard is counted by aggregation.
 * Evaluators see only the institutions assigned to them (`scope.onlyAssignedTo`).
 */
import { Types } from 'mongoose';
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

type Filter = Record<string, unknown>;

/**
 * The queue as a concatenation of segments, each either an ordered list of institution ids (from the
 * responses or the scores, already filtered) or an institution query with an index-backed order. This
 * pages without joining every institution to its response ($lookup per row is what made a
 * 100,000-row queue take seconds): only id lists and indexed queries.
 */
type Segment = { kind: 'ids'; ids: Types.ObjectId[] } | { kind: 'query'; filter: Filter; sort: Record<string, 1 | -1> };

const TAIL = { entityCode: 1, normalizedName: 1, _id: 1 } as const;
const QUERY_SORTS: Partial<Record<QueueSort, Record<string, 1 | -1>>> = { name: { normalizedName: 1, _id: 1 }, '-name': { normalizedName: -1, _id: -1 }, entity: TAIL };

const and = (filter: Filter, condition: Filter): Filter => ({ ...filter, $and: [...((filter.$and as Filter[] | undefined) ?? []), condition] });

/** The institution filter of the query (everything but the answers' state). */
async function institutionFilter(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope): Promise<Filter> {
  const { entity, type, level, assignee } = query.filters;
  let filter = await scopeFilter(edition, scope);
  if (entity) filter.entity = entity;
  if (type) filter.type = type;
  if (level) filter.level = level;
  if (query.q) filter.normalizedName = { $regex: escapeRegExp(foldName(query.q)) };
  if (assignee === 'none') {
    filter = and(filter, { _id: { $nin: await AssignmentModel.distinct('institution', { edition: edition.editionId }) } });
  } else if (assignee) {
    const who = assignee === 'me' ? scope.me : assignee;
    filter = and(filter, { _id: { $in: who && Types.ObjectId.isValid(who) ? await assignedIds(edition.editionId, who) : [] } });
  }
  return filter;
}

/** The states of the answers the query accepts (status and overdue filters). */
function acceptedStatuses(edition: QueueEdition, query: ListQuery<QueueSort>): Set<QueueStatus> {
  const { status, overdue } = query.filters;
  let accepted = new Set<QueueStatus>(status ? [status as QueueStatus] : QUEUE_STATUSES);
  const late = isLate(edition);
  if (overdue === 'true') accepted = late ? new Set([...accepted].filter((s) => PENDING.includes(s))) : new Set();
  if (overdue === 'false' && late) accepted = new Set([...accepted].filter((s) => !PENDING.includes(s)));
  return accepted;
}

/** The own responses of the edition in some states (institution and submission date). */
async function responsesIn(edition: QueueEdition, statuses: readonly QueueStatus[], sort?: 1 | -1) {
  const own = instrumentsOf(edition).own ?? '';
  const handed = statuses.filter((s) => s !== 'none');
  if (handed.length === 0) return [];
  const found = ResponseModel.find({ edition: edition.editionId, 'questionnaire.id': own, status: { $in: handed } }, { institution: 1, submittedAt: 1, _id: 0 });
  if (sort) found.sort({ submittedAt: sort, institution: 1 });
  return found.lean();
}

/** A condition on institution ids that keeps exactly the accepted states of the answers (none: always true). */
async function statusCondition(edition: QueueEdition, accepted: ReadonlySet<QueueStatus>): Promise<Filter | undefined> {
  if (accepted.size === QUEUE_STATUSES.length) return undefined;
  if (accepted.size === 0) return { _id: { $in: [] } };
  if (accepted.has('none')) {
    const refused = QUEUE_STATUSES.filter((s) => !accepted.has(s));
    return { _id: { $nin: (await responsesIn(edition, refused)).map((r) => r.institution) } };
  }
  return { _id: { $in: (await responsesIn(edition, [...accepted])).map((r) => r.institution) } };
}

/** The ids, in their order, that also match the filter. */
async function keepMatching(ids: readonly Types.ObjectId[], filter: Filter, trivial: boolean): Promise<Types.ObjectId[]> {
  if (trivial || ids.length === 0) return [...ids];
  const keep = new Set((await InstitutionModel.find(and(filter, { _id: { $in: ids } }), { _id: 1 }).lean()).map((i) => String(i._id)));
  return ids.filter((id) => keep.has(String(id)));
}

async function queueSegments(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope): Promise<Segment[]> {
  const base = await institutionFilter(edition, query, scope);
  const trivial = Object.keys(base).length === 1; // the edition only
  const accepted = acceptedStatuses(edition, query);
  const condition = await statusCondition(edition, accepted);
  const filtered = condition ? and(base, condition) : base;
  const sort = query.sort;
  if (QUERY_SORTS[sort]) return [{ kind: 'query', filter: filtered, sort: QUERY_SORTS[sort]! }];
  if (sort === 'status') {
    const segments: Segment[] = [];
    for (const status of QUEUE_STATUSES.filter((s) => accepted.has(s))) {
      const only = await statusCondition(edition, new Set([status]));
      segments.push({ kind: 'query', filter: and(base, only!), sort: TAIL });
    }
    return segments;
  }
  // An ordered head (submitted answers by date, or scores by value) and the rest by entity and name.
  let head: Types.ObjectId[];
  if (sort === 'queue') {
    head = accepted.has('submitted') ? (await responsesIn(edition, ['submitted'], 1)).map((r) => r.institution) : [];
  } else if (sort === 'submitted' || sort === '-submitted') {
    head = (await responsesIn(edition, [...accepted], sort === 'submitted' ? 1 : -1)).filter((r) => r.submittedAt).map((r) => r.institution);
  } else {
    const scores = await ScoreModel.find({ edition: edition.editionId, 'nodes.GA.value': { $type: 'number' } }, { institution: 1, _id: 0 }).sort({ 'nodes.GA.value': sort === 'score' ? -1 : 1, institution: 1 }).lean();
    head = await keepMatching(scores.map((s) => s.institution), filtered, false);
    return [{ kind: 'ids', ids: head }, { kind: 'query', filter: and(filtered, { _id: { $nin: head } }), sort: TAIL }];
  }
  head = await keepMatching(head, base, trivial);
  return [{ kind: 'ids', ids: head }, { kind: 'query', filter: and(filtered, { _id: { $nin: head } }), sort: TAIL }];
}

async function segmentSizes(segments: readonly Segment[]): Promise<number[]> {
  return Promise.all(segments.map((s) => (s.kind === 'ids' ? s.ids.length : InstitutionModel.countDocuments(s.filter))));
}

async function institutionsById(ids: readonly Types.ObjectId[]): Promise<Found[]> {
  const found = new Map((await InstitutionModel.find({ _id: { $in: ids } }, PROJECTION).lean()).map((i) => [String(i._id), i as Found]));
  return ids.flatMap((id) => found.get(String(id)) ?? []);
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
  const segments = await queueSegments(edition, query, scope);
  const sizes = await segmentSizes(segments);
  let skip = query.offset;
  let need = query.limit;
  const page: Found[] = [];
  for (const [i, segment] of segments.entries()) {
    if (need === 0) break;
    if (skip >= sizes[i]!) {
      skip -= sizes[i]!;
      continue;
    }
    const part =
      segment.kind === 'ids'
        ? await institutionsById(segment.ids.slice(skip, skip + need))
        : ((await InstitutionModel.find(segment.filter, PROJECTION).sort(segment.sort).skip(skip).limit(need).lean()) as Found[]);
    page.push(...part);
    need -= part.length;
    skip = 0;
  }
  return { total: sizes.reduce((a, b) => a + b, 0), items: await rowsOf(edition, page) };
}

/** Every row of the filtered queue, in order, read in batches (for CSV). */
export async function* reviewQueueRows(edition: QueueEdition, query: ListQuery<QueueSort>, scope: QueueScope = {}): AsyncGenerator<QueueRow> {
  for (const segment of await queueSegments(edition, query, scope)) {
    if (segment.kind === 'ids') {
      for (let i = 0; i < segment.ids.length; i += 500) yield* await rowsOf(edition, await institutionsById(segment.ids.slice(i, i + 500)));
      continue;
    }
    let batch: Found[] = [];
    for await (const found of InstitutionModel.find(segment.filter, PROJECTION).sort(segment.sort).lean().cursor({ batchSize: 500 })) {
      batch.push(found as Found);
      if (batch.length === 500) {
        yield* await rowsOf(edition, batch);
        batch = [];
      }
    }
    yield* await rowsOf(edition, batch);
  }
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
 * institutions of the scope: counts by group in MongoDB, and one read of the entity of the
 * institutions that have answers or a score (no join per row).
 */
export async function queueDashboard(edition: QueueEdition, scope: QueueScope = {}): Promise<QueueDashboard> {
  const { own, logs } = instrumentsOf(edition);
  const filter = await scopeFilter(edition, scope);
  const within = filter._id ? { institution: filter._id } : {};
  const [institutions, responses, scores] = await Promise.all([
    InstitutionModel.aggregate<{ _id: string; n: number }>([{ $match: filter }, { $group: { _id: '$entity', n: { $sum: 1 } } }]),
    ResponseModel.find({ edition: edition.editionId, 'questionnaire.id': { $in: [own, logs].filter((q): q is string => Boolean(q)) }, ...within }, { institution: 1, questionnaire: 1, status: 1, _id: 0 }).lean(),
    ScoreModel.find({ edition: edition.editionId, ...within }, { institution: 1, _id: 0 }).lean(),
  ]);
  const ids = [...new Set([...responses.map((r) => String(r.institution)), ...scores.map((s) => String(s.institution))])];
  const entityOf = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 20_000) {
    for (const inst of await InstitutionModel.find({ _id: { $in: ids.slice(i, i + 20_000) } }, { entity: 1 }).lean()) entityOf.set(String(inst._id), inst.entity);
  }
  const entities = institutions.map((i) => i._id).sort((a, b) => a.localeCompare(b, 'es'));
  const totalOf = new Map(institutions.map((i) => [i._id, i.n]));
  const key = (entity: string | undefined, q: string, status: string) => `${entity ?? '*'}|${q}|${status}`;
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const r of responses) {
    const entity = entityOf.get(String(r.institution));
    bump(key(undefined, r.questionnaire.id, r.status));
    bump(key(entity, r.questionnaire.id, r.status));
  }
  const scoredBy = new Map<string, number>();
  for (const s of scores) {
    const entity = entityOf.get(String(s.institution)) ?? '';
    scoredBy.set(entity, (scoredBy.get(entity) ?? 0) + 1);
  }
  const count = (entity: string | undefined, q: string | undefined, status: string) => (q ? (counts.get(key(entity, q, status)) ?? 0) : 0);
  const statusCounts = (entity?: string) => {
    const total = entity === undefined ? [...totalOf.values()].reduce((a, b) => a + b, 0) : (totalOf.get(entity) ?? 0);
    const handed = RESPONSE_STATUSES.map((status) => ({ status: status as QueueStatus, count: count(entity, own, status) }));
    return [{ status: 'none' as QueueStatus, count: total - handed.reduce((a, b) => a + b.count, 0) }, ...handed];
  };
  const all = statusCounts();
  return {
    total: [...totalOf.values()].reduce((a, b) => a + b, 0),
    statuses: all.map((s) => ({ ...s, label: STATUS_LABELS[s.status] })),
    logsComplete: count(undefined, logs, 'approved'),
    scored: scores.length,
    overdue: isLate(edition) ? all.filter((s) => PENDING.includes(s.status)).reduce((a, b) => a + b.count, 0) : 0,
    entities: entities.map((entity) => ({ entity, total: totalOf.get(entity) ?? 0, counts: statusCounts(entity), logsComplete: count(entity, logs, 'approved'), scored: scoredBy.get(entity) ?? 0 })),
  };
}
