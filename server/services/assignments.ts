/**
 * Assignments: which evaluators work on which institutions of an edition. Admins assign one by one,
 * by entity or by a CSV file (all or nothing); evaluators see and act only on their assigned
 * institutions, admins on all, viewers read all. Every change is recorded in the audit trail.
 */
import { Types } from 'mongoose';
import { parse } from 'csv-parse/sync';
import { AssignmentModel } from '../models/assignment.js';
import { InstitutionModel } from '../models/institution.js';
import { UserModel } from '../models/user.js';
import { HttpProblem, badRequest, type FieldError } from '../http/problem.js';
import { escapeRegExp, type ListQuery, type ListSpec } from '../http/lists.js';
import { ENTITIES, UnknownNameError, foldName, normalizeEntity } from '../../scoring/catalogue.js';
import type { RequestHandler } from 'express';
import { principalOf, type UserPrincipal } from '../auth/access.js';

export interface AssignmentTarget {
  evaluatorId: string;
  institutionIds?: string[];
  entity?: string;
}

export interface AssignmentActor {
  id: string;
  label: string;
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** The evaluator account to assign: it must exist, be active and have the evaluator role. */
export async function assignableEvaluator(evaluatorId: string, field = 'evaluatorId') {
  const evaluator = OBJECT_ID.test(evaluatorId) ? await UserModel.findById(evaluatorId, { name: 1, email: 1, role: 1, active: 1, editions: 1 }).lean() : null;
  if (!evaluator) throw badRequest('unknown evaluator account', [{ field, value: evaluatorId, reason: 'no existe una cuenta con este identificador' }]);
  if (evaluator.role !== 'evaluator') throw badRequest('only evaluator accounts are assigned institutions', [{ field, value: evaluatorId, reason: 'la cuenta no es de evaluación' }]);
  if (!evaluator.active) throw badRequest('the evaluator account is deactivated', [{ field, value: evaluatorId, reason: 'la cuenta está desactivada' }]);
  return evaluator;
}

/** The institutions a target names: its ids (each must belong to the edition) or all of one entity. */
export async function targetInstitutions(editionId: string, target: AssignmentTarget): Promise<{ _id: Types.ObjectId; name: string }[]> {
  const hasIds = Array.isArray(target.institutionIds) && target.institutionIds.length > 0;
  if (hasIds === Boolean(target.entity)) {
    throw badRequest('give either institutionIds or entity', [{ field: hasIds ? 'entity' : 'institutionIds', reason: hasIds ? 'elija sujetos obligados o una entidad, no ambos' : 'elija al menos un sujeto obligado o una entidad' }]);
  }
  if (target.entity) {
    let entity: string;
    try {
      entity = normalizeEntity(target.entity).name;
    } catch (error) {
      if (error instanceof UnknownNameError) throw badRequest(`unknown entity "${target.entity}"`, [{ field: 'entity', value: target.entity, reason: 'no es una entidad federativa del catálogo' }]);
      throw error;
    }
    const found = await InstitutionModel.find({ scope: editionId, entity }, { name: 1 }).lean();
    if (found.length === 0) throw badRequest(`the edition has no institutions in ${entity}`, [{ field: 'entity', value: target.entity, reason: 'la edición no tiene sujetos obligados en esta entidad' }]);
    return found;
  }
  const ids = [...new Set(target.institutionIds!)];
  const errors: FieldError[] = ids.flatMap((id, i) => (OBJECT_ID.test(id) ? [] : [{ field: `institutionIds[${i}]`, value: id, reason: 'no es un identificador de sujeto obligado' }]));
  if (errors.length) throw badRequest('invalid institution ids', errors);
  const found = await InstitutionModel.find({ scope: editionId, _id: { $in: ids } }, { name: 1 }).lean();
  if (found.length !== ids.length) {
    const known = new Set(found.map((f) => String(f._id)));
    throw badRequest('some institutions are not in this edition', ids.flatMap((id, i) => (known.has(id) ? [] : [{ field: `institutionIds[${i}]`, value: id, reason: 'no es un sujeto obligado de esta edición' }])));
  }
  return found;
}

/** Writes the assignments of one evaluator (new pairs only) and gives the evaluator the edition. */
async function writeAssignments(editionId: string, pairs: readonly { evaluator: Types.ObjectId; institution: Types.ObjectId }[], actor: AssignmentActor): Promise<number> {
  if (pairs.length === 0) return 0;
  const at = new Date();
  const result = await AssignmentModel.bulkWrite(
    pairs.map((p) => ({ updateOne: { filter: { edition: editionId, evaluator: p.evaluator, institution: p.institution }, update: { $setOnInsert: { assignedBy: actor.id, at } }, upsert: true } })),
    { ordered: false },
  );
  const evaluators = [...new Set(pairs.map((p) => String(p.evaluator)))];
  await UserModel.updateMany({ _id: { $in: evaluators } }, { $addToSet: { editions: editionId } });
  return result.upsertedCount;
}

export interface AssignmentResult {
  evaluator: { id: string; name: string; email: string };
  institutions: number;
  /** Pairs that did not exist before. */
  changed: number;
  /** The institutions newly assigned (or unassigned), for the audit trail. */
  changedInstitutions: { _id: Types.ObjectId; name: string }[];
}

export async function assign(editionId: string, target: AssignmentTarget, actor: AssignmentActor): Promise<AssignmentResult> {
  const evaluator = await assignableEvaluator(target.evaluatorId);
  const institutions = await targetInstitutions(editionId, target);
  const existing = new Set((await AssignmentModel.find({ edition: editionId, evaluator: evaluator._id, institution: { $in: institutions.map((i) => i._id) } }, { institution: 1 }).lean()).map((a) => String(a.institution)));
  const fresh = institutions.filter((i) => !existing.has(String(i._id)));
  const changed = await writeAssignments(editionId, fresh.map((i) => ({ evaluator: evaluator._id, institution: i._id })), actor);
  return { evaluator: { id: String(evaluator._id), name: evaluator.name, email: evaluator.email }, institutions: institutions.length, changed, changedInstitutions: fresh };
}

export async function unassign(editionId: string, target: AssignmentTarget, _actor: AssignmentActor): Promise<AssignmentResult> {
  if (!OBJECT_ID.test(target.evaluatorId)) throw badRequest('unknown evaluator account', [{ field: 'evaluatorId', value: target.evaluatorId, reason: 'no existe una cuenta con este identificador' }]);
  const evaluator = await UserModel.findById(target.evaluatorId, { name: 1, email: 1 }).lean();
  if (!evaluator) throw badRequest('unknown evaluator account', [{ field: 'evaluatorId', value: target.evaluatorId, reason: 'no existe una cuenta con este identificador' }]);
  const institutions = await targetInstitutions(editionId, target);
  const assigned = await AssignmentModel.find({ edition: editionId, evaluator: evaluator._id, institution: { $in: institutions.map((i) => i._id) } }, { institution: 1 }).lean();
  const gone = new Set(assigned.map((a) => String(a.institution)));
  const result = await AssignmentModel.deleteMany({ edition: editionId, evaluator: evaluator._id, institution: { $in: assigned.map((a) => a.institution) } });
  return { evaluator: { id: String(evaluator._id), name: evaluator.name, email: evaluator.email }, institutions: institutions.length, changed: result.deletedCount, changedInstitutions: institutions.filter((i) => gone.has(String(i._id))) };
}

export const ASSIGNMENT_CSV_COLUMNS = ['evaluador', 'institution_id', 'sujeto_obligado', 'entidad'] as const;

/**
 * Assignments from a CSV file: `evaluador` (the account's e-mail) and either `institution_id` or
 * `sujeto_obligado` with `entidad`. All or nothing: any bad row rejects the file, each error naming
 * its row, column and reason. Returns the rows read and the new pairs, by evaluator.
 */
export async function assignFromCsv(editionId: string, bytes: Uint8Array, actor: AssignmentActor): Promise<{ rows: number; changed: number; byEvaluator: { evaluator: { id: string; name: string; email: string }; institutions: { _id: Types.ObjectId; name: string }[] }[] }> {
  let records: Record<string, string>[];
  try {
    records = parse(Buffer.from(bytes), { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, to: 5001 });
  } catch (error) {
    throw badRequest('the file is not a readable CSV', [{ field: 'archivo', reason: 'el archivo no es un CSV legible' }]);
  }
  if (records.length === 0) throw badRequest('the file has no rows', [{ field: 'archivo', reason: 'el archivo no tiene filas debajo del encabezado' }]);
  if (records.length > 5000) throw badRequest('the file has more than 5,000 rows', [{ field: 'archivo', reason: 'a lo más 5,000 filas por archivo' }]);
  const columns = Object.keys(records[0]!);
  if (!columns.includes('evaluador') || !(columns.includes('institution_id') || (columns.includes('sujeto_obligado') && columns.includes('entidad')))) {
    throw badRequest('missing columns', [{ field: 'archivo', reason: 'el encabezado debe tener las columnas evaluador e institution_id, o evaluador, sujeto_obligado y entidad' }]);
  }
  const emails = [...new Set(records.map((r) => (r.evaluador ?? '').toLowerCase()))];
  const users = new Map((await UserModel.find({ email: { $in: emails } }, { email: 1, name: 1, role: 1, active: 1 }).lean()).map((u) => [u.email, u]));
  const institutions = await InstitutionModel.find({ scope: editionId }, { name: 1, normalizedName: 1, entity: 1 }).lean();
  const byId = new Map(institutions.map((i) => [String(i._id), i]));
  const byName = new Map(institutions.map((i) => [`${i.normalizedName}|${i.entity}`, i]));
  const errors: FieldError[] = [];
  const pairs: { evaluator: (typeof users extends Map<string, infer U> ? U : never); institution: (typeof institutions)[number] }[] = [];
  records.forEach((record, index) => {
    const row = index + 2;
    const user = users.get((record.evaluador ?? '').toLowerCase());
    if (!user) errors.push({ row, field: 'evaluador', value: record.evaluador, reason: 'no existe una cuenta con este correo' });
    else if (user.role !== 'evaluator') errors.push({ row, field: 'evaluador', value: record.evaluador, reason: 'la cuenta no es de evaluación' });
    else if (!user.active) errors.push({ row, field: 'evaluador', value: record.evaluador, reason: 'la cuenta está desactivada' });
    let institution: (typeof institutions)[number] | undefined;
    if (record.institution_id) {
      institution = byId.get(record.institution_id.toLowerCase());
      if (!institution) errors.push({ row, field: 'institution_id', value: record.institution_id, reason: 'no es un sujeto obligado de esta edición' });
    } else {
      let entity: string | undefined;
      try {
        entity = normalizeEntity(record.entidad ?? '').name;
      } catch {
        errors.push({ row, field: 'entidad', value: record.entidad, reason: 'no es una entidad federativa del catálogo' });
      }
      if (entity) {
        institution = byName.get(`${foldName(record.sujeto_obligado ?? '')}|${entity}`);
        if (!institution) errors.push({ row, field: 'sujeto_obligado', value: record.sujeto_obligado, reason: `ningún sujeto obligado de esta edición tiene este nombre en ${entity}` });
      }
    }
    if (user && user.role === 'evaluator' && user.active && institution) pairs.push({ evaluator: user, institution });
  });
  if (errors.length) throw new HttpProblem(400, 'Bad Request', `${errors.length} rows of the file have errors; nothing was assigned`, errors.slice(0, 200), { code: 'assignments_rejected' });
  const existing = new Set(
    (await AssignmentModel.find({ edition: editionId, evaluator: { $in: [...new Set(pairs.map((p) => p.evaluator._id))] } }, { evaluator: 1, institution: 1 }).lean()).map((a) => `${String(a.evaluator)}|${String(a.institution)}`),
  );
  const fresh = new Map<string, (typeof pairs)[number]>();
  for (const p of pairs) {
    const key = `${String(p.evaluator._id)}|${String(p.institution._id)}`;
    if (!existing.has(key)) fresh.set(key, p);
  }
  const changed = await writeAssignments(editionId, [...fresh.values()].map((p) => ({ evaluator: p.evaluator._id, institution: p.institution._id })), actor);
  const groups = new Map<string, { evaluator: { id: string; name: string; email: string }; institutions: { _id: Types.ObjectId; name: string }[] }>();
  for (const p of fresh.values()) {
    const id = String(p.evaluator._id);
    if (!groups.has(id)) groups.set(id, { evaluator: { id, name: p.evaluator.name, email: p.evaluator.email }, institutions: [] });
    groups.get(id)!.institutions.push({ _id: p.institution._id, name: p.institution.name });
  }
  return { rows: records.length, changed, byEvaluator: [...groups.values()] };
}

/** Whether the evaluator is assigned to the institution in the edition. */
export async function isAssigned(editionId: string, institutionId: string, evaluatorId: string): Promise<boolean> {
  if (!OBJECT_ID.test(institutionId) || !OBJECT_ID.test(evaluatorId)) return false;
  return Boolean(await AssignmentModel.exists({ edition: editionId, institution: institutionId, evaluator: evaluatorId }));
}

/**
 * May this user see or act on this institution of the edition? Admins and viewers: yes (the edition
 * check is done by the route); evaluators: only when assigned to it — a 403, or a 404 for an edition
 * that is not theirs at all.
 */
export async function requireInstitutionAccess(user: UserPrincipal, editionId: string, institutionId: string): Promise<void> {
  if (user.role !== 'evaluator') return;
  if (await isAssigned(editionId, institutionId, user.id)) return;
  // Outside the evaluator's editions nothing is said about what exists there (as editionForUser does).
  if (!user.editions.includes(editionId)) throw new HttpProblem(404, 'Not Found', `edition "${editionId}" does not exist or is not yours`);
  throw new HttpProblem(403, 'Forbidden', 'this institution is not assigned to you', [{ field: 'institution', value: institutionId, reason: 'este sujeto obligado no está asignado a su cuenta' }], { code: 'not_assigned', message: 'Este sujeto obligado no está asignado a su cuenta: pida a la administración que se lo asigne.' });
}

// ───────────────────────────── the list of an edition's assignments ─────────────────────────────

export const ASSIGNMENT_SORTS = ['name', 'entity', 'evaluator', '-at'] as const;
export type AssignmentSort = (typeof ASSIGNMENT_SORTS)[number];

export const ASSIGNMENT_SPEC: ListSpec<AssignmentSort> = {
  filters: {
    evaluator: { pattern: OBJECT_ID, describe: 'an account id' },
    entity: { values: ENTITIES.map((e) => e.name) },
  },
  sorts: ASSIGNMENT_SORTS,
  defaultSort: 'entity',
};

export interface AssignmentRow {
  institution: { id: string; name: string; entity: string };
  evaluator: { id: string; name: string; email: string };
  at: Date;
}

function assignmentPipeline(editionId: string, query: ListQuery<AssignmentSort>) {
  const match: Record<string, unknown> = { edition: editionId };
  if (query.filters.evaluator) match.evaluator = new Types.ObjectId(query.filters.evaluator);
  const institutionMatch: Record<string, unknown> = {};
  if (query.filters.entity) institutionMatch.entity = query.filters.entity;
  if (query.q) institutionMatch.normalizedName = { $regex: escapeRegExp(foldName(query.q)) };
  const sorts: Record<AssignmentSort, Record<string, 1 | -1>> = {
    name: { 'i.normalizedName': 1, _id: 1 },
    entity: { 'i.entityCode': 1, 'i.normalizedName': 1, _id: 1 },
    evaluator: { 'u.name': 1, 'i.entityCode': 1, 'i.normalizedName': 1, _id: 1 },
    '-at': { at: -1, _id: -1 },
  };
  return [
    { $match: match },
    { $lookup: { from: InstitutionModel.collection.name, localField: 'institution', foreignField: '_id', pipeline: [{ $project: { name: 1, entity: 1, entityCode: 1, normalizedName: 1 } }], as: 'i' } },
    { $unwind: '$i' },
    ...(Object.keys(institutionMatch).length ? [{ $match: Object.fromEntries(Object.entries(institutionMatch).map(([k, v]) => [`i.${k}`, v])) }] : []),
    { $lookup: { from: UserModel.collection.name, localField: 'evaluator', foreignField: '_id', pipeline: [{ $project: { name: 1, email: 1 } }], as: 'u' } },
    { $unwind: '$u' },
    { $sort: sorts[query.sort] },
  ];
}

type AssignmentDoc = { i: { _id: Types.ObjectId; name: string; entity: string }; u: { _id: Types.ObjectId; name: string; email: string }; at: Date };
const toRow = (d: AssignmentDoc): AssignmentRow => ({ institution: { id: String(d.i._id), name: d.i.name, entity: d.i.entity }, evaluator: { id: String(d.u._id), name: d.u.name, email: d.u.email }, at: d.at });

export async function listAssignments(editionId: string, query: ListQuery<AssignmentSort>): Promise<{ total: number; items: AssignmentRow[] }> {
  const [result] = await AssignmentModel.aggregate<{ total: { n: number }[]; items: AssignmentDoc[] }>([
    ...(assignmentPipeline(editionId, query) as never[]),
    { $facet: { total: [{ $count: 'n' }], items: [{ $skip: query.offset }, { $limit: query.limit }] } },
  ]).allowDiskUse(true);
  return { total: result?.total[0]?.n ?? 0, items: (result?.items ?? []).map(toRow) };
}

export async function* assignmentRows(editionId: string, query: ListQuery<AssignmentSort>): AsyncGenerator<AssignmentRow> {
  for await (const doc of AssignmentModel.aggregate<AssignmentDoc>(assignmentPipeline(editionId, query) as never[]).allowDiskUse(true).cursor({ batchSize: 500 })) yield toRow(doc);
}

/** How many institutions each evaluator of the edition has (evaluators with the edition and none too). */
export async function assignmentCounts(editionId: string): Promise<{ id: string; name: string; email: string; count: number }[]> {
  const [counts, evaluators] = await Promise.all([
    AssignmentModel.aggregate<{ _id: Types.ObjectId; n: number }>([{ $match: { edition: editionId } }, { $group: { _id: '$evaluator', n: { $sum: 1 } } }]),
    UserModel.find({ role: 'evaluator', active: true }, { name: 1, email: 1, editions: 1 }).sort({ name: 1 }).limit(1000).lean(),
  ]);
  const n = new Map(counts.map((c) => [String(c._id), c.n]));
  return evaluators.filter((e) => n.has(String(e._id)) || e.editions.includes(editionId)).map((e) => ({ id: String(e._id), name: e.name, email: e.email, count: n.get(String(e._id)) ?? 0 }));
}

/** Active evaluator accounts, for the page's choice of whom to assign. */
export async function evaluatorAccounts() {
  return (await UserModel.find({ role: 'evaluator', active: true }, { name: 1, email: 1 }).sort({ name: 1 }).limit(1000).lean()).map((u) => ({ id: String(u._id), name: u.name, email: u.email }));
}

/**
 * Guards every route about one institution (mounted on `/…/:edition/…/:id` prefixes): an evaluator
 * reaches an institution's answers, evidence, audit trail and actions only when assigned to it (403
 * otherwise). Operations open to anyone (`isPublic(path)`, e.g. the published score) stay open.
 */
export function institutionGate(isPublic: (method: string, rest: string) => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(res);
    if (principal?.kind !== 'user' || principal.role !== 'evaluator') return next();
    const institutionId = String(req.params.id ?? '');
    if (!OBJECT_ID.test(institutionId) || isPublic(req.method, req.path)) return next();
    requireInstitutionAccess(principal, String(req.params.edition), institutionId).then(() => next(), next);
  };
}

/** Which requests under an institution prefix are public API operations (their path after the prefix). */
export function publicInstitutionOperations(operations: readonly { method: string; path: string; public?: boolean }[], prefix: string): (method: string, rest: string) => boolean {
  let patterns: { method: string; pattern: RegExp }[] | undefined;
  return (method, rest) => {
    patterns ??= operations
      .filter((op) => op.public && op.path.startsWith(prefix))
      .map((op) => ({ method: op.method.toUpperCase(), pattern: new RegExp(`^${op.path.slice(prefix.length).replace(/[.]/g, '\\.').replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`) }));
    return patterns.some((p) => (p.method === method || (p.method === 'GET' && method === 'HEAD')) && p.pattern.test(rest));
  };
}
