/**
 * Editing and removing the institutions of an edition (admins).
 *
 * - While the edition is being prepared («En preparación») institutions are edited and removed
 *   freely; once it is collecting or in review, only with a reason; a published edition is
 *   read-only (the edition lifecycle decides: work "institutions"). Every change is one audit entry
 *   with the old and new values and the reason.
 * - Edits carry the revision the editor saw (`baseRevision`); a stale one gets 409 `stale_revision`
 *   with the current data, and nothing is written: two people editing one institution never
 *   overwrite each other silently.
 * - Removing never loses answers: an institution that holds anything — answers to any of the
 *   edition's questionnaires, citizen logs, evidence files, imported or computed results — cannot
 *   be removed (409 `institution_has_answers`); the way to leave it out of the published results is
 *   the publication decision «Excluido de los resultados», which keeps everything. An institution
 *   that holds nothing is deleted with its unused (empty) drafts, its invitation links are revoked,
 *   and the audit entry keeps a full copy of its data.
 */
import mongoose, { Types, type ClientSession } from 'mongoose';
import { InstitutionModel } from '../models/institution.js';
import { EditionModel } from '../models/edition.js';
import { InvitationModel } from '../models/invitation.js';
import { AssignmentModel } from '../models/assignment.js';
import { ResponseModel } from '../models/response.js';
import { InstitutionResultModel, ScoreModel } from '../models/result.js';
import { BUCKETS } from '../files/gridfs.js';
import { HttpProblem, conflict, type FieldError } from '../http/problem.js';
import { lockForWork, needsReason } from './editionLifecycle.js';
import { record, type Actor } from './audit.js';

/** The fields an admin can change: the same the sample import accepts. */
export const INSTITUTION_FIELDS = ['name', 'entity', 'level', 'type', 'externalId', 'contactName', 'contactEmail', 'contactCc'] as const;
export type InstitutionField = (typeof INSTITUTION_FIELDS)[number];

const CONTACT_FIELDS: readonly InstitutionField[] = ['contactName', 'contactEmail', 'contactCc'];

/** How the pages name each field (and the reason). */
export const INSTITUTION_FIELD_LABELS: Record<InstitutionField | 'reason', string> = {
  name: 'Nombre del sujeto obligado',
  entity: 'Entidad federativa',
  level: 'Nivel de gobierno',
  type: 'Tipo de sujeto obligado',
  externalId: 'Clave propia',
  contactName: 'Nombre del contacto',
  contactEmail: 'Correo del contacto',
  contactCc: 'Copias',
  reason: 'Motivo del cambio',
};

export interface InstitutionChanges {
  name?: string;
  entity?: string;
  level?: string;
  type?: string;
  /** null or "" clears the optional ones. */
  externalId?: string | null;
  contactName?: string | null;
  contactEmail?: string | null;
  contactCc?: string[] | null;
}

export interface InstitutionView {
  id: string;
  edition: string;
  name: string;
  entity: string;
  level: string;
  type: string;
  externalId: string | null;
  contactName: string | null;
  contactEmail: string | null;
  contactCc: string[];
  revision: number;
}

type InstitutionLike = {
  _id: Types.ObjectId;
  scope: string;
  name: string;
  entity: string;
  level: string;
  type: string;
  externalIds?: Map<string, string> | Record<string, string> | null;
  contactName?: string | null;
  contactEmail?: string | null;
  contactCc?: string[] | null;
  revision?: number | null;
};

function externalIdOf(i: InstitutionLike): string | null {
  const ids = i.externalIds;
  if (!ids) return null;
  return (ids instanceof Map ? ids.get('import') : ids.import) ?? null;
}

export function institutionView(i: InstitutionLike): InstitutionView {
  return {
    id: String(i._id),
    edition: i.scope,
    name: i.name,
    entity: i.entity,
    level: i.level,
    type: i.type,
    externalId: externalIdOf(i),
    contactName: i.contactName || null,
    contactEmail: i.contactEmail || null,
    contactCc: [...(i.contactCc ?? [])],
    revision: i.revision ?? 0,
  };
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

function institutionNotFound(editionId: string, id: string): HttpProblem {
  return new HttpProblem(404, 'Not Found', `institution "${id}" is not part of edition "${editionId}"`, undefined, {
    code: 'institution_not_found',
    message: 'Ese sujeto obligado no forma parte de esta edición (quizá alguien lo quitó de la muestra).',
  });
}

export async function loadInstitution(editionId: string, id: string, session?: ClientSession) {
  if (!OBJECT_ID.test(id)) throw institutionNotFound(editionId, id);
  const institution = await InstitutionModel.findOne({ _id: id, scope: editionId }).session(session ?? null);
  if (!institution) throw institutionNotFound(editionId, id);
  return institution;
}

/** The filter of a document still at `revision` (documents written before revisions existed count as 0). */
const atRevision = (revision: number) => (revision === 0 ? { $in: [0, null] } : revision);

function staleRevision(current: InstitutionView, base: number): HttpProblem {
  return conflict(`the institution changed meanwhile: revision ${current.revision}, the edit was based on ${base}; nothing was written`, {
    code: 'stale_revision',
    message: 'Alguien más cambió este sujeto obligado mientras usted lo editaba: no se guardó nada. Abajo están los datos guardados ahora; revise y vuelva a guardar sus cambios.',
    currentRevision: current.revision,
    current,
  });
}

/** What is wrong with the reason, if anything. */
function reasonErrors(reason: string, required: boolean): FieldError[] {
  if (reason.length > 1000) return [{ field: 'reason', reason: 'at most 1000 characters', code: 'max_length', message: 'debe tener como máximo 1000 caracteres' }];
  if (required && reason.length < 3) {
    return [{ field: 'reason', reason: 'required once the edition is collecting answers (at least 3 characters)', code: 'reason_required', message: 'escriba el motivo: la edición ya está en captura o en revisión, y el cambio queda en la bitácora' }];
  }
  return [];
}

function checkReason(reason: string, required: boolean): void {
  const errors = reasonErrors(reason, required);
  if (errors.length === 0) return;
  const missing = errors[0]!.code === 'reason_required';
  throw new HttpProblem(400, 'Bad Request', missing ? 'the edition is collecting answers or in review: say why (reason, at least 3 characters); it is recorded in the audit trail' : 'the reason is longer than 1000 characters', errors, { code: missing ? 'reason_required' : 'validation_failed' });
}

/** The model's validation errors as field errors: English reason, Spanish message, machine code. */
function modelErrors(error: mongoose.Error.ValidationError): FieldError[] {
  return Object.entries(error.errors).map(([path, e]) => {
    const field = (path.split('.')[0] ?? path) as InstitutionField;
    const kind = (e as { kind?: string }).kind ?? 'invalid';
    const value = (e as { value?: unknown }).value;
    const spanish: Partial<Record<InstitutionField, string>> = {
      entity: `«${String(value ?? '')}» no es una entidad federativa; elija una de la lista`,
      level: `«${String(value ?? '')}» no es un nivel de gobierno; use Federal, Estatal o Municipal`,
      type: `«${String(value ?? '')}» no es un tipo de sujeto obligado registrado; elija uno de la lista`,
      contactEmail: 'escriba una dirección de correo válida, como nombre@institucion.gob.mx',
    };
    const message =
      kind === 'required' ? 'es obligatorio'
      : kind === 'minlength' ? 'es demasiado corto: escriba al menos 2 caracteres'
      : kind === 'maxlength' ? `es demasiado largo: a lo más ${field === 'name' ? 400 : field === 'contactName' ? 200 : 254} caracteres`
      : spanish[field] ?? 'no es válido';
    const code = kind === 'required' ? 'required' : kind === 'minlength' ? 'min_length' : kind === 'maxlength' ? 'max_length' : kind === 'regexp' ? 'pattern' : `unknown_${field}`;
    return { field, value, reason: e.message, code, message };
  });
}

/** Applies the changes to the document (not saved); returns nothing. Blank optional fields are cleared. */
function apply(doc: InstanceType<typeof InstitutionModel>, changes: InstitutionChanges): void {
  for (const field of ['name', 'entity', 'level', 'type'] as const) {
    const value = changes[field];
    if (value !== undefined) doc.set(field, typeof value === 'string' ? value.trim() : value);
  }
  for (const field of ['contactName', 'contactEmail'] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    const text = (value ?? '').trim();
    doc.set(field, text === '' ? undefined : field === 'contactEmail' ? text.toLowerCase() : text);
  }
  if (changes.contactCc !== undefined) {
    const list = [...new Set((changes.contactCc ?? []).map((a) => a.trim().toLowerCase()).filter(Boolean))];
    doc.set('contactCc', list.length ? list : undefined);
  }
  if (changes.externalId !== undefined) {
    const text = (changes.externalId ?? '').trim();
    const ids = new Map<string, string>(doc.externalIds instanceof Map ? [...doc.externalIds.entries()] : []);
    if (text) ids.set('import', text);
    else ids.delete('import');
    doc.set('externalIds', ids.size ? Object.fromEntries(ids) : undefined);
  }
}

const CC_PATTERN = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/** What the model cannot say by itself: the copies' addresses and the key's length. */
function extraErrors(changes: InstitutionChanges): FieldError[] {
  const errors: FieldError[] = [];
  const cc = changes.contactCc ?? [];
  if (cc.length > 10) errors.push({ field: 'contactCc', reason: 'at most 10 addresses', code: 'max_items', message: 'a lo más 10 direcciones' });
  const bad = cc.filter((a) => a.trim() && (!CC_PATTERN.test(a.trim()) || a.length > 254));
  if (bad.length) errors.push({ field: 'contactCc', value: bad, reason: `not e-mail addresses: ${bad.join(', ')}`, code: 'pattern', message: `no son direcciones de correo válidas: ${bad.join(', ')}` });
  if (typeof changes.externalId === 'string' && changes.externalId.trim().length > 100) errors.push({ field: 'externalId', reason: 'at most 100 characters', code: 'max_length', message: 'es demasiado larga: a lo más 100 caracteres' });
  return errors;
}

function diff(before: InstitutionView, after: InstitutionView): InstitutionField[] {
  return INSTITUTION_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

const pick = (view: InstitutionView, fields: readonly InstitutionField[]) => Object.fromEntries(fields.map((f) => [f, view[f]]));

export interface EditResult {
  institution: InstitutionView;
  changed: InstitutionField[];
}

/**
 * Changes an institution's data after the edition lifecycle, the reason rule and the revision
 * allow it; validated by the institution model like every other write; one audit entry.
 */
export async function updateInstitution(editionId: string, id: string, changes: InstitutionChanges, options: { actor: Actor; reason?: string; baseRevision: number }): Promise<EditResult> {
  const reason = (options.reason ?? '').trim();
  const extra = extraErrors(changes);
  let result: EditResult | undefined;
  await mongoose.connection.transaction(async (session) => {
    const edition = await lockForWork(editionId, 'institutions', session);
    const doc = await loadInstitution(editionId, id, session);
    const before = institutionView(doc);
    if (before.revision !== options.baseRevision) throw staleRevision(before, options.baseRevision);
    apply(doc, changes);
    let errors = extra;
    try {
      await doc.validate();
    } catch (error) {
      if (!(error instanceof mongoose.Error.ValidationError)) throw error;
      errors = [...modelErrors(error), ...extra];
    }
    if (errors.length) {
      errors = [...errors, ...reasonErrors(reason, needsReason(edition, 'institutions'))];
      throw new HttpProblem(400, 'Bad Request', `invalid institution data: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`, errors, { code: 'validation_failed' });
    }
    const after = institutionView(doc);
    const changed = diff(before, after);
    if (changed.length === 0) {
      result = { institution: before, changed };
      return;
    }
    checkReason(reason, needsReason(edition, 'institutions'));
    if (changed.includes('name') || changed.includes('entity')) {
      const twin = await InstitutionModel.findOne({ scope: editionId, normalizedName: doc.normalizedName, entityCode: doc.entityCode, _id: { $ne: doc._id } }, { name: 1 }).session(session).lean();
      if (twin) {
        throw conflict(`another institution of the edition has the same name and entity (${twin.name}, ${doc.entity})`, { code: 'institution_duplicate', message: `Ya hay en la edición un sujeto obligado con ese nombre en ${doc.entity}: «${twin.name}».` }, [
          { field: 'name', value: after.name, reason: 'same name and entity as another institution of the edition', code: 'duplicate', message: `ya existe «${twin.name}» en ${doc.entity}` },
        ]);
      }
    }
    const set: Record<string, unknown> = { updatedAt: new Date() };
    const unset: Record<string, ''> = {};
    for (const path of ['name', 'normalizedName', 'entity', 'entityCode', 'level', 'type', 'contactName', 'contactEmail', 'contactCc', 'externalIds'] as const) {
      const value = doc.get(path) as unknown;
      if (value === undefined || value === null) unset[path] = '';
      else set[path] = value instanceof Map ? Object.fromEntries(value) : value;
    }
    const written = await InstitutionModel.collection.updateOne(
      { _id: doc._id, scope: editionId, revision: atRevision(options.baseRevision) },
      { $set: set, ...(Object.keys(unset).length && { $unset: unset }), $inc: { revision: 1 } },
      { session },
    );
    if (written.modifiedCount !== 1) {
      const current = await loadInstitution(editionId, id, session);
      throw staleRevision(institutionView(current), options.baseRevision);
    }
    // What results, groupings and reports show changed: their caches (keyed by resultsVersion) must not serve the old names.
    if (changed.some((f) => ['name', 'entity', 'level', 'type'].includes(f))) await EditionModel.updateOne({ editionId }, { $inc: { resultsVersion: 1 } }, { session });
    const contactsOnly = changed.every((f) => CONTACT_FIELDS.includes(f));
    await record(
      {
        action: contactsOnly ? 'institution.contacts' : 'institution.change',
        actor: options.actor,
        edition: editionId,
        institution: doc._id,
        subject: after.name,
        summary: `Cambió: ${changed.map((f) => INSTITUTION_FIELD_LABELS[f]).join(', ')}`,
        oldValue: pick(before, changed),
        newValue: pick(after, changed),
        reason,
      },
      session,
    );
    result = { institution: { ...after, revision: before.revision + 1 }, changed };
  });
  return result!;
}

export interface HeldData {
  responses: number;
  evidence: number;
  results: number;
}

/** What an institution holds in the edition that removing it would lose. */
export async function heldData(editionId: string, institutionId: Types.ObjectId, session?: ClientSession): Promise<HeldData> {
  const files = mongoose.connection.db!.collection(`${BUCKETS.evidence}.files`);
  const [responses, evidence, results, scores] = await Promise.all([
    ResponseModel.countDocuments({ edition: editionId, institution: institutionId, $or: [{ status: { $ne: 'draft' } }, { revision: { $gt: 0 } }, { answers: { $nin: [{}, null] } }] }).session(session ?? null),
    files.countDocuments({ 'metadata.edition': editionId, 'metadata.institution': institutionId }, { session }),
    InstitutionResultModel.countDocuments({ edition: editionId, institution: institutionId }).session(session ?? null),
    ScoreModel.countDocuments({ edition: editionId, institution: institutionId }).session(session ?? null),
  ]);
  return { responses, evidence, results: Math.max(results, scores) };
}

/** What an institution holds, in words: «un cuestionario con respuestas y 2 archivos de evidencia». */
export function heldText(held: HeldData): string {
  const parts = [
    held.responses && (held.responses === 1 ? 'un cuestionario con respuestas' : `${held.responses} cuestionarios con respuestas`),
    held.evidence && (held.evidence === 1 ? 'un archivo de evidencia' : `${held.evidence} archivos de evidencia`),
    held.results && 'resultados',
  ].filter(Boolean) as string[];
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} y ${parts.at(-1)}` : (parts[0] ?? '');
}

export interface RemoveResult {
  institution: InstitutionView;
  invitationsRevoked: number;
}

/**
 * Removes an institution from the edition's sample, when it holds no answers, files or results
 * (otherwise 409 institution_has_answers: nothing is ever lost). Its invitation links are revoked;
 * the audit entry keeps a copy of its data and the reason.
 */
export async function removeInstitution(editionId: string, id: string, options: { actor: Actor; reason?: string; baseRevision?: number }): Promise<RemoveResult> {
  const reason = (options.reason ?? '').trim();
  let result: RemoveResult | undefined;
  await mongoose.connection.transaction(async (session) => {
    const edition = await lockForWork(editionId, 'institutions', session);
    const doc = await loadInstitution(editionId, id, session);
    const before = institutionView(doc);
    if (options.baseRevision !== undefined && before.revision !== options.baseRevision) throw staleRevision(before, options.baseRevision);
    checkReason(reason, needsReason(edition, 'institutions'));
    const held = await heldData(editionId, doc._id, session);
    if (held.responses || held.evidence || held.results) {
      throw conflict(
        `institution "${id}" holds ${held.responses} response(s) with answers, ${held.evidence} evidence file(s) and ${held.results} result(s): it cannot be removed; exclude it from the results instead (POST /api/v1/editions/${editionId}/institutions/${id}/publication, decision "excluded")`,
        {
          code: 'institution_has_answers',
          message: `No se puede quitar «${before.name}» de la muestra: ya tiene ${heldText(held)}, y quitarlo los perdería. Si no debe aparecer en los resultados, exclúyalo de los resultados con el motivo desde la página «Publicar resultados»: sus respuestas se conservan y la decisión queda en la bitácora.`,
          held,
        },
      );
    }
    const deleted = await InstitutionModel.deleteOne({ _id: doc._id, scope: editionId, revision: atRevision(before.revision) }, { session });
    if (deleted.deletedCount !== 1) throw staleRevision(institutionView(await loadInstitution(editionId, id, session)), before.revision);
    // Unused drafts (opened, nothing answered) hold nothing; they go with the institution.
    await ResponseModel.deleteMany({ edition: editionId, institution: doc._id }, { session });
    const now = new Date();
    const revoked = await InvitationModel.updateMany({ edition: editionId, institution: doc._id, revokedAt: null }, { $set: { revokedAt: now } }, { session });
    // Evaluators assigned to it have nothing left to review there.
    const unassigned = await AssignmentModel.deleteMany({ edition: editionId, institution: doc._id }, { session });
    await record(
      {
        action: 'institution.remove',
        actor: options.actor,
        edition: editionId,
        institution: doc._id,
        subject: before.name,
        summary: [
          revoked.modifiedCount ? (revoked.modifiedCount === 1 ? 'Se revocó 1 liga de invitación' : `Se revocaron ${revoked.modifiedCount} ligas de invitación`) : 'Sin ligas de invitación vigentes',
          unassigned.deletedCount ? (unassigned.deletedCount === 1 ? 'se quitó 1 asignación de evaluación' : `se quitaron ${unassigned.deletedCount} asignaciones de evaluación`) : '',
        ]
          .filter(Boolean)
          .join('; '),
        oldValue: pick(before, INSTITUTION_FIELDS),
        newValue: null,
        reason,
        at: now,
      },
      session,
    );
    result = { institution: before, invitationsRevoked: revoked.modifiedCount };
  });
  return result!;
}

