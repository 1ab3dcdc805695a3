/**
 * Institution-level results of an edition: all-or-nothing, idempotent imports, stored scores with
 * their explanation, and groupings computed by the scoring engine.
 */
import { createHash } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { scoreInstitution, scoreInstitutions, ScoreInputError, type CompiledMethodology, type InstitutionScore, type ScoreTable } from '../../scoring/engine.js';
import { groupBy, gapAnalysis, type Grouping, type NationalMethod } from '../../scoring/grouping.js';
import { parseResultsTable, type ImportedRow, type ParseResultsOptions } from '../../scoring/import/index.js';
import { foldName } from '../../scoring/catalogue.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { InstitutionResultModel, ScoreModel } from '../models/result.js';
import { HttpProblem, notFound, type FieldError } from '../http/problem.js';
import { methodologyById } from './methodologies.js';

export type ImportOptions = Omit<ParseResultsOptions, 'methodology'> & { fileName?: string };

export interface ImportSummary {
  edition: string;
  rows: number;
  institutionsCreated: number;
  institutionsUpdated: number;
  discrepancies: number;
  sha256: string;
}

export async function findEdition(editionId: string) {
  const edition = await EditionModel.findOne({ editionId: String(editionId) }).lean();
  if (!edition) throw notFound(`edition "${editionId}" does not exist`);
  return edition;
}

function rejected(errors: FieldError[]): HttpProblem {
  const shown = errors.slice(0, 3).map((e) => `${e.row ? `row ${e.row}, ` : ''}${e.field}: ${e.reason}`).join('; ');
  return new HttpProblem(400, 'Bad Request', `the file was rejected, nothing was written (${errors.length} error${errors.length === 1 ? '' : 's'}: ${shown})`, errors);
}

/**
 * Imports a results table into an edition. Any parse, catalogue or score error rejects the whole file
 * (nothing written); the same file imported twice updates in place and duplicates nothing.
 */
/** Parses a table with the edition's methodology; any error rejects it (nothing is written). */
async function parseOrReject(editionId: string, bytes: Uint8Array, options: ImportOptions & { identityOnly?: boolean }) {
  const edition = await findEdition(editionId);
  const methodology = methodologyById(edition.methodology.id);
  const parsed = await parseResultsTable(bytes, { ...options, methodology: methodology.methodology });

  if (parsed.errors.length > 0) {
    throw rejected(parsed.errors.map((e) => ({ field: e.column ?? 'file', row: e.row ?? undefined, value: e.value ?? undefined, reason: e.reason })));
  }
  if (parsed.rows.length === 0) throw rejected([{ field: 'file', reason: 'the file has no data rows' }]);
  return { methodology, rows: parsed.rows, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const institutionKey = (name: string, entityCode: string) => `${foldName(name)}|${entityCode}`;

/** Upserts the rows' institutions into the edition's scope; returns how many were new and every id by key. */
async function upsertInstitutions(editionId: string, rows: readonly ImportedRow[], session: mongoose.ClientSession) {
  const upserted = await InstitutionModel.bulkWrite(
    rows.map((row) => ({
      updateOne: {
        filter: { scope: editionId, normalizedName: foldName(row.name), entityCode: row.entityCode },
        update: {
          $set: { name: row.name, entity: row.entity, level: row.level, type: row.type, ...(row.externalId ? { 'externalIds.import': row.externalId } : {}) },
          $setOnInsert: { scope: editionId, normalizedName: foldName(row.name), entityCode: row.entityCode },
        },
        upsert: true,
      },
    })),
    { session, ordered: true },
  );
  const docs = await InstitutionModel.find({ scope: editionId }, { normalizedName: 1, entityCode: 1 }).session(session).lean();
  const ids = new Map(docs.map((d) => [`${d.normalizedName}|${d.entityCode}`, d._id]));
  return { created: upserted.upsertedCount, idOf: (row: ImportedRow) => ids.get(institutionKey(row.name, row.entityCode))! };
}

export interface SampleSummary {
  edition: string;
  rows: number;
  institutionsCreated: number;
  institutionsUpdated: number;
}

/** Imports the sample of institutions of an edition (no scores), with the same error rules as results. */
export async function importEditionSample(editionId: string, bytes: Uint8Array, options: ImportOptions): Promise<SampleSummary> {
  const { rows } = await parseOrReject(editionId, bytes, { ...options, identityOnly: true });
  let created = 0;
  await mongoose.connection.transaction(async (session) => {
    created = (await upsertInstitutions(editionId, rows, session)).created;
  });
  return { edition: editionId, rows: rows.length, institutionsCreated: created, institutionsUpdated: rows.length - created };
}

/**
 * Imports a results table into an edition. Any parse, catalogue or score error rejects the whole file
 * (nothing written); the same file imported twice updates in place and duplicates nothing.
 */
export async function importEditionResults(editionId: string, bytes: Uint8Array, options: ImportOptions): Promise<ImportSummary> {
  const { methodology, rows, sha256 } = await parseOrReject(editionId, bytes, options);
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
    const institutions = await upsertInstitutions(editionId, rows, session);
    created = institutions.created;
    await InstitutionResultModel.bulkWrite(
      rows.map((row) => ({
        updateOne: {
          filter: { edition: editionId, institution: institutions.idOf(row) },
          update: { $set: { values: row.values, source: { kind: 'import', fileName: options.fileName, sha256, row: row.rowNumber } } },
          upsert: true,
        },
      })),
      { session },
    );
    await ScoreModel.bulkWrite(
      rows.map((row, i) => ({
        updateOne: {
          filter: { edition: editionId, institution: institutions.idOf(row) },
          update: { $set: scoreFields(scores[i]!, computedAt) },
          upsert: true,
        },
      })),
      { session },
    );
    await bumpResultsVersion(editionId, methodology.hash, session);
  });
  return {
    edition: editionId,
    rows: rows.length,
    institutionsCreated: created,
    institutionsUpdated: rows.length - created,
    discrepancies: scores.reduce((sum, s) => sum + s.discrepancies.length, 0),
    sha256,
  };
}

function scoreFields(score: InstitutionScore, computedAt: Date) {
  return { methodology: score.methodology, nodes: score.nodes, undetermined: score.undetermined, discrepancies: score.discrepancies, computedAt };
}

function bumpResultsVersion(editionId: string, methodologyHash: string, session: mongoose.ClientSession) {
  return EditionModel.updateOne({ editionId }, { $inc: { resultsVersion: 1 }, $set: { 'methodology.hash': methodologyHash } }, { session });
}

/**
 * Stores one institution's inputs from its approved questionnaire answers and logs, and the score
 * the engine computes from them, in one transaction.
 */
export async function storeInstitutionScore(
  editionId: string,
  institutionId: Types.ObjectId | string,
  values: Record<string, number>,
  source: { kind: 'questionnaire' },
): Promise<InstitutionScore> {
  const edition = await findEdition(editionId);
  const methodology = methodologyById(edition.methodology.id);
  const score = scoreInstitution(methodology, values);
  await mongoose.connection.transaction(async (session) => {
    await InstitutionResultModel.updateOne({ edition: editionId, institution: institutionId }, { $set: { values, source } }, { upsert: true, session });
    await ScoreModel.updateOne({ edition: editionId, institution: institutionId }, { $set: scoreFields(score, new Date()) }, { upsert: true, session });
    await bumpResultsVersion(editionId, methodology.hash, session);
  });
  return score;
}

/** Drops a questionnaire-sourced score whose approved inputs were withdrawn (imported results are kept). */
export async function removeQuestionnaireScore(editionId: string, institutionId: Types.ObjectId | string): Promise<boolean> {
  const edition = await findEdition(editionId);
  let removed = false;
  await mongoose.connection.transaction(async (session) => {
    const result = await InstitutionResultModel.deleteOne({ edition: editionId, institution: institutionId, 'source.kind': 'questionnaire' }, { session });
    if (result.deletedCount === 0) return;
    await ScoreModel.deleteOne({ edition: editionId, institution: institutionId }, { session });
    await bumpResultsVersion(editionId, methodologyById(edition.methodology.id).hash, session);
    removed = true;
  });
  return removed;
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
    InstitutionModel.find({ scope: editionId }, { name: 1, entity: 1, type: 1, level: 1 }).lean(),
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
