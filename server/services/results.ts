/**
 * Institution-level results of an edition: all-or-nothing, idempotent imports, stored scores with
 * their explanation, and groupings computed by the scoring engine.
 */
import { createHash } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { scoreInstitution, scoreInstitutions, ScoreInputError, type CompiledMethodology, type InstitutionScore, type ScoreTable } from '../../scoring/engine.js';
import { groupBy, gapAnalysis, type Grouping, type NationalMethod } from '../../scoring/grouping.js';
import { parseResultsTable, repairName, type ImportedRow, type NameRepairNote, type ParseResultsOptions } from '../../scoring/import/index.js';
import { foldName } from '../../scoring/catalogue.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { InstitutionResultModel, ScoreModel } from '../models/result.js';
import { HttpProblem, notFound, type FieldError } from '../http/problem.js';
import { methodologyById } from './methodologies.js';
import { lockForWork } from './editionLifecycle.js';
import { record, SYSTEM_ACTOR, type Actor } from './audit.js';
import { importLimits, IMPORT_SETTINGS } from './importSettings.js';
import { yieldToEventLoop } from '../../scoring/import/limits.js';

export type ImportOptions = Omit<ParseResultsOptions, 'methodology' | 'limits'> & {
  fileName?: string;
  actor?: Actor;
  /** Called now and then with the share of the work done (0–1), e.g. by the import job. */
  onProgress?: (fraction: number) => void;
};

export interface ImportSummary {
  edition: string;
  rows: number;
  institutionsCreated: number;
  institutionsUpdated: number;
  discrepancies: number;
  sha256: string;
  /** Names that arrived damaged by a wrong text encoding and were repaired (scoring/import/repair.ts). */
  repairedNames: RepairedName[];
}

export interface RepairedName {
  row: number;
  asRead: string;
  repaired: string;
}

function repairedNames(repairs: readonly NameRepairNote[]): RepairedName[] {
  return repairs.filter((r) => r.to !== r.from).map((r) => ({ row: r.row, asRead: r.from, repaired: r.to }));
}

export async function findEdition(editionId: string, session?: mongoose.ClientSession) {
  const edition = await EditionModel.findOne({ editionId: String(editionId) }).session(session ?? null).lean();
  if (!edition) throw notFound(`edition "${editionId}" does not exist`);
  return edition;
}

function rejected(errors: FieldError[], status = 400): HttpProblem {
  const shown = errors.slice(0, 3).map((e) => `${e.row ? `row ${e.row}, ` : ''}${e.field}: ${e.reason}`).join('; ');
  const detail = `the file was rejected, nothing was written (${errors.length} error${errors.length === 1 ? '' : 's'}: ${shown})`;
  return new HttpProblem(status, status === 413 ? 'Content Too Large' : 'Bad Request', detail, errors, { code: status === 413 ? 'import_too_large' : 'import_rejected' });
}

/** How long each phase of an import took (milliseconds), for the benchmark and the logs. */
export interface ImportPhases {
  readMs: number;
  validateMs: number;
  writeMs: number;
}

/**
 * Parses a table with the edition's methodology, streaming and within the configured caps, then puts
 * every row through the institution model's validation (as every other write); any error rejects
 * the file (nothing is written), naming row, column and reason.
 */
async function parseOrReject(editionId: string, bytes: Uint8Array, options: ImportOptions & { identityOnly?: boolean }, phases: ImportPhases) {
  const limits = importLimits();
  if (bytes.length > limits.maxUploadBytes) {
    throw rejected([{ field: 'file', reason: `the file has ${bytes.length} bytes; the limit is ${limits.maxUploadBytes} (${IMPORT_SETTINGS.maxUploadBytes.variable})` }], 413);
  }
  const edition = await findEdition(editionId);
  const methodology = methodologyById(edition.methodology.id);
  let started = performance.now();
  const parsed = await parseResultsTable(bytes, { ...options, methodology: methodology.methodology, limits });
  phases.readMs = performance.now() - started;
  options.onProgress?.(0.3);
  const asFieldErrors = (errors: typeof parsed.errors) => errors.map((e) => ({ field: e.column ?? 'file', row: e.row ?? undefined, value: e.value ?? undefined, reason: e.reason }));
  if (parsed.errors.length > 0) throw rejected(asFieldErrors(parsed.errors));
  if (parsed.rows.length === 0) throw rejected([{ field: 'file', reason: 'the file has no data rows' }]);
  started = performance.now();
  const columnOf = new Map(Object.entries(parsed.mapping).map(([column, field]) => [field, column]));
  const validated = await validateRows(editionId, parsed.rows, (field) => columnOf.get(field) ?? field, (done) => options.onProgress?.(0.3 + (0.3 * done) / parsed.rows.length));
  phases.validateMs = performance.now() - started;
  if ('errors' in validated) throw rejected(validated.errors);
  return { methodology, rows: parsed.rows, repairs: parsed.repairs, institutions: validated.institutions, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** An institution of an imported row as the model validated and normalised it. */
interface ValidatedInstitution {
  name: string;
  normalizedName: string;
  entity: string;
  entityCode: string;
  level: string;
  type: string;
  externalId?: string;
  /** The folded name as the file spelled it, when the name was repaired: finds what an earlier import stored. */
  formerNormalizedName?: string;
  contactName?: string;
  contactEmail?: string;
  contactCc?: string[];
}

const VALIDATE_SLICE = 200;
const MAX_VALIDATION_ERRORS = 100;

/** Every row through InstitutionModel's validation (the same rules as any other write), yielding now and then. */
async function validateRows(
  editionId: string,
  rows: readonly ImportedRow[],
  columnOf: (field: string) => string,
  progress: (done: number) => void,
): Promise<{ institutions: ValidatedInstitution[] } | { errors: FieldError[] }> {
  const institutions: ValidatedInstitution[] = [];
  const errors: FieldError[] = [];
  for (let i = 0; i < rows.length && errors.length < MAX_VALIDATION_ERRORS; i++) {
    const row = rows[i]!;
    const contacts = { ...(row.contactName !== undefined && { contactName: row.contactName }), ...(row.contactEmail !== undefined && { contactEmail: row.contactEmail }), ...(row.contactCc !== undefined && { contactCc: row.contactCc }) };
    const doc = new InstitutionModel({ scope: editionId, name: row.name, entity: row.entity, level: row.level, type: row.type, ...contacts });
    try {
      await doc.validate();
      institutions.push({ name: doc.name, normalizedName: doc.normalizedName, entity: doc.entity, entityCode: doc.entityCode, level: doc.level, type: doc.type, ...(row.externalId !== undefined && { externalId: row.externalId }), ...(row.nameAsRead !== undefined && foldName(row.nameAsRead) !== doc.normalizedName && { formerNormalizedName: foldName(row.nameAsRead) }), ...contacts });
    } catch (error) {
      if (!(error instanceof mongoose.Error.ValidationError)) throw error;
      for (const [path, e] of Object.entries(error.errors)) errors.push({ field: columnOf(path), row: row.rowNumber, value: (e as { value?: unknown }).value, reason: e.message });
    }
    if (i % VALIDATE_SLICE === VALIDATE_SLICE - 1) {
      progress(i + 1);
      await yieldToEventLoop();
    }
  }
  return errors.length ? { errors } : { institutions };
}

/** Writes happen in slices of this many documents (one transaction for the whole import). */
const WRITE_CHUNK = 2000;

async function inChunks<T>(items: readonly T[], write: (chunk: readonly T[], offset: number) => Promise<void>): Promise<void> {
  for (let at = 0; at < items.length; at += WRITE_CHUNK) await write(items.slice(at, at + WRITE_CHUNK), at);
}

/**
 * Writes the validated institutions into the edition's scope inside the caller's transaction (all
 * or nothing): new ones are inserted (a plain insert is much cheaper than an upsert), known ones
 * updated by id, in slices. Returns how many were new and, when asked, every id by key.
 */
async function upsertInstitutions(editionId: string, institutions: readonly ValidatedInstitution[], session: mongoose.ClientSession, options: { ids: boolean; progress?: (done: number) => void }) {
  const now = new Date();
  const known = new Map(
    (await InstitutionModel.find({ scope: editionId }, { normalizedName: 1, entityCode: 1 }).session(session).lean()).map((d) => [`${d.normalizedName}|${d.entityCode}`, d._id]),
  );
  // A repaired name also finds the institution an earlier import stored under its damaged spelling.
  const knownId = (v: ValidatedInstitution) => known.get(`${v.normalizedName}|${v.entityCode}`) ?? (v.formerNormalizedName ? known.get(`${v.formerNormalizedName}|${v.entityCode}`) : undefined);
  const fresh = institutions.filter((v) => !knownId(v));
  const existing = institutions.filter((v) => knownId(v));
  // Contacts only when the file has them: a file without contact columns keeps the ones stored.
  const fields = (v: ValidatedInstitution) => ({
    name: v.name,
    entity: v.entity,
    level: v.level,
    type: v.type,
    ...(v.contactName !== undefined && { contactName: v.contactName }),
    ...(v.contactEmail !== undefined && { contactEmail: v.contactEmail }),
    ...(v.contactCc !== undefined && { contactCc: v.contactCc }),
  });
  const ids = new Map(known);
  for (const v of existing) ids.set(`${v.normalizedName}|${v.entityCode}`, knownId(v)!);
  await inChunks(fresh, async (chunk) => {
    const docs = chunk.map((v) => ({
      _id: new mongoose.Types.ObjectId(),
      scope: editionId,
      normalizedName: v.normalizedName,
      entityCode: v.entityCode,
      ...fields(v),
      ...(v.externalId ? { externalIds: { import: v.externalId } } : {}),
      createdAt: now,
      updatedAt: now,
      revision: 0,
      __v: 0,
    }));
    await InstitutionModel.collection.insertMany(docs, { session, ordered: true });
    for (const doc of docs) ids.set(`${doc.normalizedName}|${doc.entityCode}`, doc._id);
    options.progress?.(ids.size - known.size);
  });
  await inChunks(existing, async (chunk) => {
    await InstitutionModel.collection.bulkWrite(
      chunk.map((v) => ({
        updateOne: {
          filter: { _id: knownId(v)! },
          update: { $set: { ...fields(v), normalizedName: v.normalizedName, updatedAt: now, ...(v.externalId ? { 'externalIds.import': v.externalId } : {}) }, $inc: { revision: 1 } },
        },
      })),
      { session, ordered: false },
    );
  });
  return { created: fresh.length, idOf: (row: ImportedRow) => (options.ids ? ids.get(institutionKey(row.name, row.entityCode))! : (undefined as never)) };
}

const institutionKey = (name: string, entityCode: string) => `${foldName(name)}|${entityCode}`;

/** Names with the marks of encoding damage that repairName looks for (a cheap pre-filter; literal characters, as MongoDB's PCRE has no \\u). */
const DAMAGED_NAME = new RegExp('[\u0080-\u009F\uFFFD]|[\u00C2\u00C3][\u0080-\u00BF]|â€');

/**
 * Repairs, in place, the names of an edition's institutions stored before imports repaired them
 * (databases loaded from the same file by an earlier version). Idempotent; returns what changed.
 */
export async function repairStoredNames(editionId: string): Promise<{ asRead: string; repaired: string }[]> {
  const damaged = await InstitutionModel.find({ scope: editionId, name: { $regex: DAMAGED_NAME } }, { name: 1 }).lean();
  const changed: { asRead: string; repaired: string }[] = [];
  for (const institution of damaged) {
    const repair = repairName(institution.name);
    if (!repair || repair.to === repair.from) continue;
    await InstitutionModel.updateOne({ _id: institution._id }, { $set: { name: repair.to, normalizedName: foldName(repair.to) } });
    changed.push({ asRead: repair.from, repaired: repair.to });
  }
  return changed;
}

export interface SampleSummary {
  edition: string;
  rows: number;
  institutionsCreated: number;
  institutionsUpdated: number;
  repairedNames: RepairedName[];
  /** Milliseconds spent reading, validating and writing. */
  phases: ImportPhases;
}

/**
 * Imports the sample of institutions of an edition (no scores): streamed within the caps, every row
 * validated by the model, written in one transaction (all or nothing), recorded in the audit trail.
 */
export async function importEditionSample(editionId: string, bytes: Uint8Array, options: ImportOptions): Promise<SampleSummary> {
  const phases: ImportPhases = { readMs: 0, validateMs: 0, writeMs: 0 };
  const { institutions, repairs } = await parseOrReject(editionId, bytes, { ...options, identityOnly: true }, phases);
  let created = 0;
  const started = performance.now();
  await mongoose.connection.transaction(async (session) => {
    await lockForWork(editionId, 'sample', session);
    created = (await upsertInstitutions(editionId, institutions, session, { ids: false, progress: (done) => options.onProgress?.(0.6 + (0.4 * done) / institutions.length) })).created;
    await record(
      { action: 'sample.import', actor: options.actor ?? SYSTEM_ACTOR, edition: editionId, subject: options.fileName, summary: `${institutions.length} filas: ${created} nuevos, ${institutions.length - created} actualizados` },
      session,
    );
  });
  phases.writeMs = performance.now() - started;
  return { edition: editionId, rows: institutions.length, institutionsCreated: created, institutionsUpdated: institutions.length - created, repairedNames: repairedNames(repairs), phases };
}

/**
 * Imports a results table into an edition. Any parse, catalogue or score error rejects the whole file
 * (nothing written); the same file imported twice updates in place and duplicates nothing.
 */
export async function importEditionResults(editionId: string, bytes: Uint8Array, options: ImportOptions): Promise<ImportSummary> {
  const phases: ImportPhases = { readMs: 0, validateMs: 0, writeMs: 0 };
  const { methodology, rows, repairs, institutions: validated, sha256 } = await parseOrReject(editionId, bytes, options, phases);
  const scores = rows.map((row) => {
    try {
      return scoreInstitution(methodology, row.values);
    } catch (error) {
      if (error instanceof ScoreInputError) throw rejected([{ field: error.node, row: row.rowNumber, value: error.value, reason: error.reason }]);
      throw error;
    }
  });

  const computedAt = new Date();
  let created = 0;
  await mongoose.connection.transaction(async (session) => {
    await lockForWork(editionId, 'results', session);
    const institutions = await upsertInstitutions(editionId, validated, session, { ids: true });
    created = institutions.created;
    await inChunks(rows, async (chunk) => {
      await InstitutionResultModel.bulkWrite(
        chunk.map((row) => ({
          updateOne: {
            filter: { edition: editionId, institution: institutions.idOf(row) },
            update: { $set: { values: row.values, source: { kind: 'import', fileName: options.fileName, sha256, row: row.rowNumber } } },
            upsert: true,
          },
        })),
        { session },
      );
    });
    await inChunks(rows, async (chunk, offset) => {
      await ScoreModel.bulkWrite(
        chunk.map((row, i) => ({
          updateOne: {
            filter: { edition: editionId, institution: institutions.idOf(row) },
            update: { $set: scoreFields(scores[offset + i]!, computedAt) },
            upsert: true,
          },
        })),
        { session },
      );
    });
    await bumpResultsVersion(editionId, methodology.hash, session);
    await record(
      { action: 'results.import', actor: options.actor ?? SYSTEM_ACTOR, edition: editionId, subject: options.fileName, summary: `${rows.length} filas, sha256 ${sha256.slice(0, 12)}` },
      session,
    );
  });
  return {
    edition: editionId,
    rows: rows.length,
    institutionsCreated: created,
    institutionsUpdated: rows.length - created,
    discrepancies: scores.reduce((sum, s) => sum + s.discrepancies.length, 0),
    sha256,
    repairedNames: repairedNames(repairs),
  };
}

function scoreFields(score: InstitutionScore, computedAt: Date) {
  return { methodology: score.methodology, nodes: score.nodes, undetermined: score.undetermined, discrepancies: score.discrepancies, computedAt };
}

function bumpResultsVersion(editionId: string, methodologyHash: string, session: mongoose.ClientSession) {
  return EditionModel.updateOne({ editionId }, { $inc: { resultsVersion: 1 }, $set: { 'methodology.hash': methodologyHash } }, { session });
}

/** Runs `work` in the given transaction, or in a new one. */
async function inTransaction<T>(session: mongoose.ClientSession | undefined, work: (session: mongoose.ClientSession) => Promise<T>): Promise<T> {
  if (session) return work(session);
  let result: T;
  await mongoose.connection.transaction(async (s) => {
    result = await work(s);
  });
  return result!;
}

/**
 * Stores one institution's inputs from its approved questionnaire answers and logs, and the score
 * the engine computes from them, in one transaction (the caller's, when given).
 */
export async function storeInstitutionScore(
  editionId: string,
  institutionId: Types.ObjectId | string,
  values: Record<string, number>,
  source: { kind: 'questionnaire' },
  session?: mongoose.ClientSession,
): Promise<InstitutionScore> {
  const edition = await findEdition(editionId, session);
  const methodology = methodologyById(edition.methodology.id);
  const score = scoreInstitution(methodology, values);
  await inTransaction(session, async (s) => {
    await InstitutionResultModel.updateOne({ edition: editionId, institution: institutionId }, { $set: { values, source } }, { upsert: true, session: s });
    await ScoreModel.updateOne({ edition: editionId, institution: institutionId }, { $set: scoreFields(score, new Date()) }, { upsert: true, session: s });
    await bumpResultsVersion(editionId, methodology.hash, s);
  });
  return score;
}

/** Drops a questionnaire-sourced score whose approved inputs were withdrawn (imported results are kept). */
export async function removeQuestionnaireScore(editionId: string, institutionId: Types.ObjectId | string, session?: mongoose.ClientSession): Promise<boolean> {
  const edition = await findEdition(editionId, session);
  return inTransaction(session, async (s) => {
    const result = await InstitutionResultModel.deleteOne({ edition: editionId, institution: institutionId, 'source.kind': 'questionnaire' }, { session: s });
    if (result.deletedCount === 0) return false;
    await ScoreModel.deleteOne({ edition: editionId, institution: institutionId }, { session: s });
    await bumpResultsVersion(editionId, methodologyById(edition.methodology.id).hash, s);
    return true;
  });
}

export interface InstitutionAttributes {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
}

export interface EditionTable {
  edition: string;
  methodology: CompiledMethodology;
  institutions: InstitutionAttributes[];
  scores: ScoreTable;
}

/** Keyed by edition id; valid for one edition document (its _id) at one results version. */
const tableCache = new Map<string, { documentId: string; version: number; table: EditionTable }>();

/** Every institution of an edition scored by the engine from its stored inputs; cached per results version. */
export async function editionTable(editionId: string): Promise<EditionTable> {
  const edition = await findEdition(editionId);
  const cached = tableCache.get(editionId);
  if (cached && cached.version === edition.resultsVersion && cached.documentId === String(edition._id)) return cached.table;

  const methodology = methodologyById(edition.methodology.id);
  const [institutions, results] = await Promise.all([
    // Institutions excluded from the results by an admin's decision (with its reason) are left out.
    InstitutionModel.find({ scope: editionId, 'publication.decision': { $ne: 'excluded' } }, { name: 1, entity: 1, type: 1, level: 1 }).lean(),
    InstitutionResultModel.find({ edition: editionId }, { institution: 1, values: 1 }).lean(),
  ]);
  const valuesById = new Map(results.map((r) => [String(r.institution), r.values as unknown as Record<string, number>]));
  const withResults = institutions.filter((i) => valuesById.has(String(i._id)));
  const table: EditionTable = {
    edition: editionId,
    methodology,
    institutions: withResults.map((i) => ({ id: String(i._id), name: i.name, entity: i.entity, type: i.type, level: i.level })),
    scores: scoreInstitutions(methodology, withResults.map((i) => valuesById.get(String(i._id))!)),
  };
  tableCache.set(editionId, { documentId: String(edition._id), version: edition.resultsVersion, table });
  return table;
}

export async function editionGrouping(editionId: string, by: string, nationalMethod?: NationalMethod): Promise<{ table: EditionTable; grouping: Grouping }> {
  const table = await editionTable(editionId);
  if (table.institutions.length === 0) throw notFound(`edition "${editionId}" has no institution results`);
  return { table, grouping: groupBy(table.scores, table.institutions, by, nationalMethod ? { nationalMethod } : {}) };
}

export { gapAnalysis };
