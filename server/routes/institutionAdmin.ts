/**
 * Editing and removing an edition's institutions (admins): the pages under
 * /admin/ediciones/<id>/sujetos/<institución> and the same operations in the JSON API. The rules
 * (lifecycle, reasons, revisions, nothing lost) live in server/services/institutionAdmin.ts.
 */
import { Router, type Request, type Response } from 'express';
import type { JSONSchemaType } from 'ajv';
import { Types } from 'mongoose';
import { currentUser, requireUser, userActor } from '../auth/access.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { problem } from '../http/apiSchemas.js';
import type { ApiRegistry } from '../http/api.js';
import { ENTITIES, LEVELS } from '../../scoring/catalogue.js';
import { institutionTypeNames } from '../models/institutionType.js';
import { InvitationModel } from '../models/invitation.js';
import { EDITION_STATUS_LABELS, loadEdition, needsReason, refusal } from '../services/editionLifecycle.js';
import {
  heldData,
  INSTITUTION_FIELD_LABELS,
  INSTITUTION_FIELDS,
  institutionView,
  loadInstitution,
  removeInstitution,
  updateInstitution,
  type InstitutionChanges,
  type InstitutionView,
  heldText,
} from '../services/institutionAdmin.js';

// ---- pages ----

interface InstitutionForm {
  name: string;
  entity: string;
  level: string;
  type: string;
  externalId: string;
  contactName: string;
  contactEmail: string;
  contactCc: string;
  reason: string;
}

const formOf = (i: InstitutionView): InstitutionForm => ({
  name: i.name,
  entity: i.entity,
  level: i.level,
  type: i.type,
  externalId: i.externalId ?? '',
  contactName: i.contactName ?? '',
  contactEmail: i.contactEmail ?? '',
  contactCc: i.contactCc.join('; '),
  reason: '',
});

function postedForm(body: unknown): InstitutionForm {
  const fields = formFields(body);
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : '');
  return { name: text('name'), entity: text('entity'), level: text('level'), type: text('type'), externalId: text('externalId'), contactName: text('contactName'), contactEmail: text('contactEmail'), contactCc: text('contactCc'), reason: text('reason') };
}

/** The form's fields as changes: only the fields the form sent (the contact form sends fewer). */
function changesFrom(body: unknown): InstitutionChanges {
  const fields = formFields(body);
  const has = (key: string) => typeof fields[key] === 'string';
  const form = postedForm(body);
  return {
    ...(has('name') && { name: form.name }),
    ...(has('entity') && { entity: form.entity }),
    ...(has('level') && { level: form.level }),
    ...(has('type') && { type: form.type }),
    ...(has('externalId') && { externalId: form.externalId }),
    ...(has('contactName') && { contactName: form.contactName }),
    ...(has('contactEmail') && { contactEmail: form.contactEmail }),
    ...(has('contactCc') && { contactCc: form.contactCc.split(/[;,\s]+/).filter(Boolean) }),
  };
}

/** Errors as the pages show them: the field's label, then the Spanish message. */
export function pageErrors(error: HttpProblem, labels: Record<string, string>, fallbackField: string): (FieldError & { label?: string })[] {
  if (error.errors?.length) return error.errors.map((e) => ({ field: e.field, label: labels[e.field], reason: e.message ?? e.reason, ...(e.code && { code: e.code }) }));
  return [{ field: fallbackField, reason: error.pageMessage ?? error.title }];
}

function readOnlyText(edition: { editionId: string; status: string }): string | undefined {
  return refusal(edition, 'institutions')?.pageMessage;
}

async function renderEdit(req: Request, res: Response, editionId: string, id: string, extra: { form?: InstitutionForm; errors?: FieldError[]; conflict?: { label: string; mine: string; saved: string }[]; status?: number } = {}) {
  const [edition, doc, types] = await Promise.all([loadEdition(editionId), loadInstitution(editionId, id), institutionTypeNames()]);
  const institution = institutionView(doc);
  const form = extra.form ?? formOf(institution);
  const option = (value: string, selected: string) => ({ value, selected: value === selected });
  const typeNames = [...new Set([...types, institution.type])].sort((a, b) => a.localeCompare(b, 'es'));
  renderPage(
    req,
    res,
    'admin/institution',
    {
      title: `Datos de ${institution.name}`,
      edition,
      statusLabel: EDITION_STATUS_LABELS[edition.status as keyof typeof EDITION_STATUS_LABELS],
      institution,
      form,
      baseRevision: institution.revision,
      needsReason: needsReason(edition, 'institutions'),
      readOnly: readOnlyText(edition),
      options: {
        entity: ENTITIES.map((e) => option(e.name, form.entity)),
        level: LEVELS.map((l) => option(l, form.level)),
        type: typeNames.map((t) => option(t, form.type)),
      },
      conflict: extra.conflict,
      fieldErrors: Object.fromEntries((extra.errors ?? []).map((e) => [e.field, e.message ?? e.reason])),
      errors: extra.errors ?? [],
    },
    { form: true, status: extra.status },
  );
}

/** The differing fields of a stale edit: what the person wrote and what is stored now. */
function conflictRows(form: InstitutionForm, current: InstitutionView) {
  const saved = formOf(current);
  return INSTITUTION_FIELDS.filter((f) => form[f].trim() !== saved[f].trim()).map((f) => ({ label: INSTITUTION_FIELD_LABELS[f], mine: form[f] || '(vacío)', saved: saved[f] || '(vacío)' }));
}

async function renderRemove(req: Request, res: Response, editionId: string, id: string, extra: { errors?: FieldError[]; reason?: string; status?: number } = {}) {
  const [edition, doc] = await Promise.all([loadEdition(editionId), loadInstitution(editionId, id)]);
  const held = await heldData(editionId, doc._id);
  const holds = held.responses + held.evidence + held.results > 0;
  const activeInvitations = await InvitationModel.countDocuments({ edition: editionId, institution: doc._id, revokedAt: null, expiresAt: { $gt: new Date() } });
  renderPage(
    req,
    res,
    'admin/institutionRemove',
    {
      title: `Quitar ${doc.name} de la muestra`,
      edition,
      statusLabel: EDITION_STATUS_LABELS[edition.status as keyof typeof EDITION_STATUS_LABELS],
      institution: institutionView(doc),
      held: holds,
      heldText: heldText(held),
      activeInvitations,
      needsReason: needsReason(edition, 'institutions'),
      readOnly: readOnlyText(edition),
      form: { reason: extra.reason ?? '' },
      fieldErrors: Object.fromEntries((extra.errors ?? []).map((e) => [e.field, e.message ?? e.reason])),
      errors: extra.errors ?? [],
    },
    { form: true, status: extra.status },
  );
}

const LABELS: Record<string, string> = { ...INSTITUTION_FIELD_LABELS, confirmar: 'Confirmación' };

export function institutionAdminRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  const showEdit = async (req: Request, res: Response) => renderEdit(req, res, String(req.params.edition), String(req.params.id));
  router.get('/admin/ediciones/:edition/sujetos/:id', admin, showEdit);
  // The contact form of the e-mail work is now part of the institution's page.
  router.get('/admin/ediciones/:edition/sujetos/:id/contacto', admin, showEdit);

  const saveEdit = async (req: Request, res: Response) => {
    const editionId = String(req.params.edition);
    const id = String(req.params.id);
    const fields = formFields(req.body);
    const form = postedForm(req.body);
    const current = institutionView(await loadInstitution(editionId, id));
    // Full form: edits the revision it was shown; the contact-only form (older pages) edits the current one.
    const base = typeof fields.baseRevision === 'string' && /^\d{1,9}$/.test(fields.baseRevision) ? Number(fields.baseRevision) : current.revision;
    const shown = { ...formOf(current), ...Object.fromEntries(Object.entries(form).filter(([k]) => typeof fields[k] === 'string')) } as InstitutionForm;
    try {
      const result = await updateInstitution(editionId, id, changesFrom(req.body), { actor: userActor(currentUser(res)), reason: form.reason, baseRevision: base });
      flash(req, result.changed.length ? `Datos de ${result.institution.name} guardados (${result.changed.map((f) => INSTITUTION_FIELD_LABELS[f].toLowerCase()).join(', ')}).` : 'No había cambios que guardar.');
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      if (error.code === 'stale_revision') {
        const now = institutionView(await loadInstitution(editionId, id));
        return renderEdit(req, res, editionId, id, { form: shown, conflict: conflictRows(shown, now), status: 409 });
      }
      return renderEdit(req, res, editionId, id, { form: shown, errors: pageErrors(error, LABELS, 'name'), status: error.status });
    }
  };
  router.post('/admin/ediciones/:edition/sujetos/:id', admin, saveEdit);
  router.post('/admin/ediciones/:edition/sujetos/:id/contacto', admin, saveEdit);

  router.get('/admin/ediciones/:edition/sujetos/:id/quitar', admin, async (req, res) => renderRemove(req, res, String(req.params.edition), String(req.params.id)));

  router.post('/admin/ediciones/:edition/sujetos/:id/quitar', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    const id = String(req.params.id);
    const fields = formFields(req.body);
    const reason = typeof fields.reason === 'string' ? fields.reason : '';
    try {
      if (fields.confirmar !== 'si') {
        throw new HttpProblem(400, 'Bad Request', 'confirm the removal', [{ field: 'confirmar', reason: 'confirm the removal', code: 'confirmation_required', message: 'marque la casilla para confirmar que quiere quitarlo de la muestra' }], { code: 'confirmation_required' });
      }
      const base = typeof fields.baseRevision === 'string' && /^\d{1,9}$/.test(fields.baseRevision) ? Number(fields.baseRevision) : undefined;
      const removed = await removeInstitution(editionId, id, { actor: userActor(currentUser(res)), reason, baseRevision: base });
      flash(req, `${removed.institution.name} ya no forma parte de la muestra.${removed.invitationsRevoked ? ` Se ${removed.invitationsRevoked === 1 ? 'revocó su liga' : `revocaron sus ${removed.invitationsRevoked} ligas`} de invitación.` : ''} Sus datos quedan en la bitácora de cambios.`);
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      return renderRemove(req, res, editionId, id, { errors: pageErrors(error, LABELS, 'reason'), reason, status: error.status });
    }
  });

  return router;
}

// ---- API ----

interface InstitutionPatch extends InstitutionChanges {
  reason?: string;
  baseRevision: number;
}

const institutionPatchSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 400 },
    entity: { type: 'string', maxLength: 100, description: 'an entidad federativa (any known spelling) or "Federal"' },
    level: { type: 'string', maxLength: 40, description: 'Federal, Estatal or Municipal' },
    type: { type: 'string', maxLength: 100, description: 'a registered institution type' },
    externalId: { type: 'string', maxLength: 100, nullable: true, description: 'the sample file\'s externalId; null or "" clears it' },
    contactName: { type: 'string', maxLength: 200, nullable: true },
    contactEmail: { type: 'string', maxLength: 254, nullable: true },
    contactCc: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 254 }, nullable: true },
    reason: { type: 'string', maxLength: 1000, description: 'required (3+ characters) once the edition is collecting or in review; recorded in the audit trail' },
    baseRevision: { type: 'integer', minimum: 0, description: 'the revision the edit is based on (GET returns it); a stale one gets 409 stale_revision' },
  },
  required: ['baseRevision'],
  additionalProperties: false,
} as unknown as JSONSchemaType<InstitutionPatch>;
const checkPatch = validator(institutionPatchSchema, 'body');

const removeSchema = {
  type: 'object',
  properties: {
    reason: { type: 'string', maxLength: 1000, description: 'required (3+ characters) once the edition is collecting or in review' },
    baseRevision: { type: 'integer', minimum: 0, nullable: true, description: 'when given, a stale one gets 409 stale_revision' },
  },
  required: [],
  additionalProperties: false,
} as unknown as JSONSchemaType<{ reason?: string; baseRevision?: number }>;
const checkRemove = validator(removeSchema, 'body');

export const INSTITUTION_VIEW_SCHEMA = {
  type: 'object',
  required: ['id', 'edition', 'name', 'entity', 'level', 'type', 'externalId', 'contactName', 'contactEmail', 'contactCc', 'revision'],
  properties: {
    id: { type: 'string' },
    edition: { type: 'string' },
    name: { type: 'string' },
    entity: { type: 'string' },
    level: { type: 'string' },
    type: { type: 'string' },
    externalId: { type: 'string', nullable: true },
    contactName: { type: 'string', nullable: true },
    contactEmail: { type: 'string', nullable: true },
    contactCc: { type: 'array', items: { type: 'string' } },
    revision: { type: 'integer' },
  },
};

const HELD_SCHEMA = { type: 'object', required: ['responses', 'evidence', 'results'], properties: { responses: { type: 'integer' }, evidence: { type: 'integer' }, results: { type: 'integer' } } };

export function registerInstitutionAdminApi(api: ApiRegistry): void {
  const admin = requireUser('admin');

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/institutions/:id',
      summary: 'One institution of an edition with its contacts, its revision, what it holds (answers, evidence files, results) and whether it can be edited or removed now',
      tag: 'admin',
      access: 'admin',
      responses: {
        200: {
          description: 'the institution',
          schema: {
            type: 'object',
            required: ['institution', 'held', 'editable', 'removable', 'reasonRequired'],
            properties: { institution: INSTITUTION_VIEW_SCHEMA, held: HELD_SCHEMA, editable: { type: 'boolean' }, removable: { type: 'boolean' }, reasonRequired: { type: 'boolean' } },
          },
        },
        404: problem('no such edition or institution (institution_not_found)'),
      },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      const edition = await loadEdition(editionId);
      const doc = await loadInstitution(editionId, String(req.params.id));
      const held = await heldData(editionId, doc._id as Types.ObjectId);
      const editable = !refusal(edition, 'institutions');
      res.json({ institution: institutionView(doc), held, editable, removable: editable && held.responses + held.evidence + held.results === 0, reasonRequired: needsReason(edition, 'institutions') });
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/editions/:edition/institutions/:id',
      summary: 'Change an institution\'s data (name, entity, level, type, externalId, contacts): free while the edition is in draft, with a reason once collecting or in review, never once published; based on a revision; recorded in the audit trail',
      tag: 'admin',
      access: 'admin',
      body: institutionPatchSchema,
      responses: {
        200: { description: 'the institution now, and the fields that changed', schema: { type: 'object', required: ['institution', 'changed'], properties: { institution: INSTITUTION_VIEW_SCHEMA, changed: { type: 'array', items: { type: 'string' } } } } },
        400: problem('invalid data, each field named with a code (validation_failed), or a reason is missing (reason_required)'),
        404: problem('no such edition or institution'),
        409: problem('stale baseRevision (stale_revision, with currentRevision and current), same name and entity as another institution (institution_duplicate), or the edition is published (edition_published)'),
      },
    },
    admin,
    async (req, res) => {
      const { reason, baseRevision, ...changes } = checkPatch(req.body ?? {});
      res.json(await updateInstitution(String(req.params.edition), String(req.params.id), changes, { actor: userActor(currentUser(res)), reason, baseRevision }));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/institutions/:id/remove',
      summary: 'Remove an institution from the edition\'s sample: only when it holds no answers, evidence files or results (otherwise 409 institution_has_answers: exclude it from the results instead); free in draft, with a reason once collecting or in review; its invitations are revoked; audited with a copy of its data',
      tag: 'admin',
      access: 'admin',
      body: removeSchema,
      responses: {
        200: { description: 'removed', schema: { type: 'object', required: ['removed', 'invitationsRevoked'], properties: { removed: INSTITUTION_VIEW_SCHEMA, invitationsRevoked: { type: 'integer' } } } },
        400: problem('a reason is missing (reason_required)'),
        404: problem('no such edition or institution'),
        409: problem('the institution holds answers, files or results (institution_has_answers, with held), a stale baseRevision (stale_revision), or the edition is published (edition_published)'),
      },
    },
    admin,
    async (req, res) => {
      const body = checkRemove(req.body ?? {});
      const result = await removeInstitution(String(req.params.edition), String(req.params.id), { actor: userActor(currentUser(res)), reason: body.reason, baseRevision: body.baseRevision ?? undefined });
      res.json({ removed: result.institution, invitationsRevoked: result.invitationsRevoked });
    },
  );
}
