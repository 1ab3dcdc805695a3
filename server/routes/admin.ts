/**
 * Running an edition (admins): create it, import its sample of institutions, issue and revoke
 * invitation links. Pages under /admin and the same actions in the JSON API under /api/v1.
 */
import { Router, type Request } from 'express';
import type { JSONSchemaType } from 'ajv';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { currentUser, requireUser, userActor as actorOf, type UserPrincipal } from '../auth/access.js';
import { importAsJob } from '../services/importSettings.js';
import { storeUpload } from '../jobs/sampleImport.js';
import { jobView, JOB_VIEW_SCHEMA, submitJob } from '../jobs/service.js';
import { BUCKETS, discard } from '../files/gridfs.js';
import { pageSchema, problem } from '../http/apiSchemas.js';
import { HttpProblem, badRequest, type FieldError } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { localDateTimeValue } from '../http/mexicoTime.js';
import { flash, renderPage } from '../http/render.js';
import { fieldLabel } from '../http/messages.js';
import { SAMPLE_TEMPLATE_COLUMNS } from '../../reports/sampleTemplate.js';

/** «Fila 3, columna «entity» (entidad federativa)»: the columns of the sample by their names in words. */
const TEMPLATE_COLUMN_TITLES: Record<string, string> = Object.fromEntries(SAMPLE_TEMPLATE_COLUMNS.map((c) => [c.header, c.title]));
import { createEdition, type NewEdition } from '../services/editions.js';
import { EDITION_STATUS_LABELS, formatDeadline, transitionsFrom } from '../services/editionLifecycle.js';
import { findEdition, importEditionSample } from '../services/results.js';
import { invitationPage, invitationsCsv, issueInvitations, revokeInvitation } from '../services/invitations.js';
import { BUILTIN_METHODOLOGY_IDS, loadBuiltinMethodology } from '../../questionnaires/methodologies.js';

/** The methodologies a new edition may use, by their titles (a person never picks a file's identifier). */
const methodologyOptions = () => BUILTIN_METHODOLOGY_IDS.map((id) => ({ id, title: loadBuiltinMethodology(id).title.es }));
import { IMPORT_PRESET_IDS, type ImportPresetId } from '../../scoring/import/index.js';
import { builtinInstruments } from '../services/instruments.js';
import { pager, parseListQuery, streamCsv } from '../http/lists.js';
import { ENTITIES, LEVELS } from '../../scoring/catalogue.js';
import { institutionTypeNames } from '../models/institutionType.js';
import { INSTITUTION_CSV_HEADER, INSTITUTION_LIST_SORTS, INSTITUTION_LIST_SORT_LABELS, INSTITUTION_LIST_SPEC, INVITATION_STATES, INVITATION_STATE_LABELS, institutionCsvRow, institutionListPage, institutionListRows, invitationCounts } from '../services/institutionList.js';
import { listQueryParameters } from './queue.js';
import { publicBaseUrl } from '../http/publicUrl.js';
import type { ApiRegistry } from '../http/api.js';
import { issueInvitationsByMail, type InvitationsByMail } from '../mail/invitations.js';

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The page's summary of an issue whose e-mails were queued, in Spanish. */
function invitationMailSummary({ issued, mails, job }: InvitationsByMail): string {
  if (issued.length === 0) return 'No había invitaciones pendientes: no se emitió ninguna y no se envió ningún correo.';
  const queued = mails.filter((m) => m.status === 'queued').length;
  const noContact = mails.filter((m) => m.status === 'no-contact').length;
  const parts = [issued.length === 1 ? 'Se emitió 1 invitación.' : `Se emitieron ${issued.length} invitaciones.`];
  if (job) parts.push(`${count(queued, 'correo quedó', 'correos quedaron')} en cola y se ${queued === 1 ? 'envía' : 'envían'} en segundo plano: el avance del envío se ve en esta página, «Trabajos en segundo plano», y cada correo con su resultado, en «Correo».`);
  else parts.push('No quedó ningún correo en cola.');
  if (noContact) parts.push(`${count(noContact, 'sujeto obligado no tiene', 'sujetos obligados no tienen')} correo de contacto: registre el contacto en la página de la edición y emita su liga de nuevo.`);
  return parts.join(' ');
}
import { editionSummary, objectId } from '../http/schemas.js';

const invitationSchema = {
  type: 'object',
  required: ['id', 'institution', 'state', 'expiresAt'],
  properties: { id: { type: 'string' }, institution: { type: 'string' }, state: { type: 'string', enum: ['active', 'revoked', 'expired'] }, expiresAt: { type: 'string', format: 'date-time' }, revokedAt: { type: 'string', format: 'date-time' }, createdAt: { type: 'string', format: 'date-time' }, lastUsedAt: { type: 'string', format: 'date-time' } },
} as const;
const invitationPageSchema = pageSchema(invitationSchema, { edition: true });
const institutionPageSchema = pageSchema(
  {
    type: 'object',
    required: ['id', 'name', 'entity', 'type', 'level', 'invitation'],
    properties: {
      id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' },
      invitation: { type: 'object', nullable: true, properties: { id: { type: 'string' }, state: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, lastUsedAt: { type: 'string', format: 'date-time' } } },
    },
  },
  { edition: true },
);

const editionSchema: JSONSchemaType<NewEdition> = {
  type: 'object',
  properties: {
    editionId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
    year: { type: 'integer', minimum: 2000, maximum: 2100 },
    title: { type: 'string', minLength: 3, maxLength: 200 },
    methodology: { type: 'string', enum: [...BUILTIN_METHODOLOGY_IDS] },
    instruments: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 },
  },
  required: ['editionId', 'year', 'title', 'methodology', 'instruments'],
  additionalProperties: false,
};
const checkEdition = validator(editionSchema, 'body');

const invitationsSchema: JSONSchemaType<{ expiresInDays: number; institutionIds?: string[]; send?: boolean }> = {
  type: 'object',
  properties: {
    expiresInDays: { type: 'integer', minimum: 1, maximum: 365, default: 60 },
    send: { type: 'boolean', nullable: true, description: 'e-mail each institution\'s contact its link (server/mail)' },
    institutionIds: { type: 'array', items: { type: 'string', pattern: '^[0-9a-f]{24}$' }, maxItems: 5000, nullable: true },
  },
  required: ['expiresInDays'],
  additionalProperties: false,
};
const checkInvitations = validator(invitationsSchema, 'body');


interface UploadedFile {
  originalname: string;
  buffer: Buffer;
}

/** The uploaded table (multipart field "archivo" or "file"), or a text/csv body. */
function uploadedTable(req: Request): { bytes: Uint8Array; format: 'csv' | 'xlsx'; fileName: string } {
  const files = (req.files as UploadedFile[] | undefined) ?? [];
  const file = files.find((f) => ['archivo', 'file'].includes((f as unknown as { fieldname: string }).fieldname));
  if (file) {
    const format = /\.xlsx$/i.test(file.originalname) ? 'xlsx' : /\.csv$/i.test(file.originalname) ? 'csv' : undefined;
    if (!format) throw badRequest('the file must be .csv or .xlsx', [{ field: 'archivo', value: file.originalname, reason: 'must be a .csv or .xlsx file' }]);
    return { bytes: file.buffer, format, fileName: file.originalname };
  }
  if (Buffer.isBuffer(req.body)) {
    return { bytes: req.body, format: req.is('text/csv') ? 'csv' : 'xlsx', fileName: 'upload' };
  }
  throw badRequest('attach the file as multipart field "archivo" (or "file"), or send it as text/csv or xlsx', [{ field: 'archivo', reason: 'no file was sent' }]);
}

interface SampleQuery {
  preset?: string;
  job?: boolean;
}
const sampleQuery = {
  type: 'object',
  properties: {
    preset: { type: 'string', maxLength: 40, nullable: true },
    job: { type: 'boolean', nullable: true, description: 'true: always as a job (202); false: never' },
  },
  required: [],
  additionalProperties: false,
} as unknown as JSONSchemaType<SampleQuery>;
const checkSampleQuery = validator(sampleQuery, 'query');

const SAMPLE_SUMMARY_SCHEMA = {
  type: 'object',
  required: ['edition', 'rows', 'institutionsCreated', 'institutionsUpdated'],
  properties: {
    edition: { type: 'string' },
    rows: { type: 'integer' },
    institutionsCreated: { type: 'integer' },
    institutionsUpdated: { type: 'integer' },
    phases: { type: 'object', description: 'milliseconds spent reading, validating and writing', properties: { readMs: { type: 'number' }, validateMs: { type: 'number' }, writeMs: { type: 'number' } } },
    repairedNames: {
      type: 'array',
      description: 'names that arrived damaged by a wrong text encoding and were repaired on import',
      items: { type: 'object', required: ['row', 'asRead', 'repaired'], properties: { row: { type: 'integer' }, asRead: { type: 'string' }, repaired: { type: 'string' } } },
    },
  },
};

/** Stores the upload and queues the import job (its plan checks the edition's state first). */
async function submitSampleImport(editionId: string, table: { bytes: Uint8Array; format: 'csv' | 'xlsx'; fileName: string }, preset: ImportPresetId | undefined, user: UserPrincipal) {
  const fileId = await storeUpload(editionId, table.bytes, table.fileName);
  try {
    return await submitJob('sample-import', { edition: editionId, fileId, format: table.format, fileName: table.fileName, ...(preset && { preset }) }, user);
  } catch (error) {
    await discard(BUCKETS.jobs, fileId).catch(() => undefined);
    throw error;
  }
}

function presetFrom(value: unknown): ImportPresetId | undefined {
  if (value === undefined || value === '' || value === 'none') return undefined;
  if (typeof value === 'string' && (IMPORT_PRESET_IDS as readonly string[]).includes(value)) return value as ImportPresetId;
  throw badRequest('unknown column preset', [{ field: 'preset', value, reason: `must be one of ${IMPORT_PRESET_IDS.join(', ')}` }]);
}

export async function editionPageData(editionId: string, rawQuery: unknown = {}) {
  const edition = await EditionModel.findOne({ editionId }).lean();
  if (!edition) throw new HttpProblem(404, 'Not Found', `edition "${editionId}" does not exist`);
  const query = parseListQuery(rawQuery as Record<string, unknown>, INSTITUTION_LIST_SPEC);
  const [page, counts, types] = await Promise.all([institutionListPage(editionId, query), invitationCounts(editionId), institutionTypeNames()]);
  const f = query.filters;
  const option = (value: string, label: string, selected: string | undefined) => ({ value, label, selected: value === selected });
  return {
    edition,
    statusLabel: EDITION_STATUS_LABELS[edition.status as keyof typeof EDITION_STATUS_LABELS] ?? edition.status,
    deadlineText: edition.deadline ? formatDeadline(edition.deadline) : undefined,
    deadlineValue: edition.deadline ? localDateTimeValue(edition.deadline) : '',
    transitions: transitionsFrom(edition.status),
    presets: IMPORT_PRESET_IDS,
    institutionCount: counts.active + counts.revoked + counts.expired + counts.none,
    invitationCounts: INVITATION_STATES.map((state) => ({ state, label: INVITATION_STATE_LABELS[state], count: counts[state] })),
    q: query.q,
    filters: {
      entity: ENTITIES.map((e) => option(e.name, e.name, f.entity)),
      type: types.sort((a, b) => a.localeCompare(b, 'es')).map((t) => option(t, t, f.type)),
      level: LEVELS.map((l) => option(l, l, f.level)),
      invitation: INVITATION_STATES.map((s) => option(s, INVITATION_STATE_LABELS[s], f.invitation)),
    },
    sorts: INSTITUTION_LIST_SORTS.map((s) => option(s, INSTITUTION_LIST_SORT_LABELS[s], query.sort)),
    pager: pager(`/admin/ediciones/${editionId}`, query, page.total, {}, `/api/v1/editions/${editionId}/sample`),
    institutions: page.items,
  };
}

export function adminRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  // ---- pages ----
  router.get('/admin', admin, async (req, res) => {
    const editions = await EditionModel.find({}, { editionId: 1, year: 1, title: 1, status: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'admin/index', { title: 'Administración', editions, methodologies: methodologyOptions(), instruments: builtinInstruments(), form: { year: new Date().getFullYear(), instruments: builtinInstruments().map((i) => i.id) } });
  });

  router.post('/admin/ediciones', admin, async (req, res) => {
    const fields = formFields(req.body, ['instruments']);
    try {
      const edition = await createEdition(checkEdition(fields), actorOf(currentUser(res)));
      flash(req, `Edición ${edition.editionId} creada.`);
      res.redirect(303, `/admin/ediciones/${edition.editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      const editions = await EditionModel.find({}, { editionId: 1, year: 1, title: 1, status: 1 }).sort({ year: -1 }).lean();
      renderPage(req, res, 'admin/index', { title: 'Administración', editions, methodologies: methodologyOptions(), instruments: builtinInstruments(), form: fields, errors: error.errors ?? [{ field: 'editionId', reason: error.detail ?? error.title }] }, { status: error.status });
    }
  });

  router.get('/admin/ediciones/:edition', admin, async (req, res) => {
    const data = await editionPageData(String(req.params.edition), req.query);
    renderPage(req, res, 'admin/edition', { title: `Edición ${data.edition.editionId}`, ...data });
  });

  router.post('/admin/ediciones/:edition/muestra', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    try {
      const table = uploadedTable(req);
      const preset = presetFrom((req.body as Record<string, unknown>).preset);
      if (importAsJob(table.bytes.length)) {
        await submitSampleImport(editionId, table, preset, currentUser(res));
        flash(req, `La muestra (${table.fileName}) se importa en segundo plano; su avance y su resultado aparecen en «Trabajos».`);
        return res.redirect(303, '/admin/trabajos');
      }
      const summary = await importEditionSample(editionId, table.bytes, { format: table.format, preset, fileName: table.fileName, actor: actorOf(currentUser(res)) });
      const repaired = summary.repairedNames.length;
      flash(req, `Muestra importada: ${summary.rows} sujetos obligados (${summary.institutionsCreated} nuevos, ${summary.institutionsUpdated} actualizados).${repaired > 0 ? ` ${repaired === 1 ? 'Se reparó 1 nombre' : `Se repararon ${repaired} nombres`} con caracteres dañados por la codificación del archivo: ${summary.repairedNames.map((r) => `fila ${r.row}, «${r.repaired}»`).join('; ')}.` : ''}`);
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      const data = await editionPageData(editionId);
      const errors: FieldError[] = (error.errors ?? [{ field: 'archivo', reason: error.pageMessage ?? error.title }]).map((e) => ({ ...e, field: 'archivo', label: e.row ? `Fila ${e.row}, columna «${e.field}»${TEMPLATE_COLUMN_TITLES[e.field] ? ` (${TEMPLATE_COLUMN_TITLES[e.field]!.toLowerCase()})` : ''}` : (fieldLabel(e.field) ?? 'Archivo') }));
      renderPage(req, res, 'admin/edition', { title: `Edición ${editionId}`, ...data, errors }, { status: error.status });
    }
  });

  router.post('/admin/ediciones/:edition/invitaciones', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await findEdition(editionId);
    const body = checkInvitations(formFields(req.body));
    const user = currentUser(res);
    if (body.send) {
      const sending = await issueInvitationsByMail(editionId, { baseUrl: publicBaseUrl(), expiresInDays: body.expiresInDays, user, logger: req.log });
      flash(req, invitationMailSummary(sending));
      return res.redirect(303, sending.job ? '/admin/trabajos' : `/admin/ediciones/${editionId}`);
    }
    const issued = await issueInvitations(editionId, { baseUrl: publicBaseUrl(), expiresInDays: body.expiresInDays, actor: actorOf(user) });
    res.attachment(`invitaciones-${editionId}.csv`).type('text/csv; charset=utf-8').send(invitationsCsv(issued));
  });

  /** One institution's link, shown once on a page (issuing it revokes the previous one). */
  router.post('/admin/ediciones/:edition/sujetos/:id/invitacion', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await findEdition(editionId);
    const institutionId = String(req.params.id);
    if (!/^[0-9a-f]{24}$/.test(institutionId)) throw new HttpProblem(404, 'Not Found', 'no such institution');
    const body = checkInvitations(formFields(req.body));
    const [invitation] = await issueInvitations(editionId, { baseUrl: publicBaseUrl(), expiresInDays: body.expiresInDays, actor: actorOf(currentUser(res)), institutionIds: [institutionId] });
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'admin/invitation', { title: 'Liga de invitación', editionId, invitation });
  });

  router.post('/admin/ediciones/:edition/invitaciones/:id/revocar', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    if (!/^[0-9a-f]{24}$/.test(String(req.params.id))) throw new HttpProblem(404, 'Not Found', 'no such invitation');
    await revokeInvitation(editionId, String(req.params.id), actorOf(currentUser(res)));
    flash(req, 'Invitación revocada.');
    res.redirect(303, `/admin/ediciones/${editionId}`);
  });

  return router;
}

const UNKNOWN_EDITION = problem('unknown edition');
const INVITATION_SCHEMA = {
  type: 'object',
  required: ['id', 'institution', 'state'],
  properties: { id: objectId, institution: objectId, state: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, createdAt: { type: 'string', format: 'date-time' } },
};
const ISSUED_SCHEMA = {
  type: 'object',
  required: ['invitations'],
  properties: {
    invitations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['invitationId', 'institutionId', 'institution', 'link', 'expiresAt'],
        properties: {
          invitationId: objectId,
          institutionId: objectId,
          institution: { type: 'string' },
          entity: { type: 'string' },
          link: { type: 'string', description: 'shown once: only its hash is stored (and, with send, the e-mail that carries it)' },
          expiresAt: { type: 'string', format: 'date-time' },
          mail: {
            type: 'object',
            required: ['status', 'to'],
            description: 'with send: true only. queued: the e-mail is written and the job sends it (its outcome: GET /api/v1/mail); no-contact: the institution has no contact address, nothing was queued',
            properties: { status: { type: 'string', enum: ['queued', 'no-contact'] }, to: { type: 'array', items: { type: 'string' } }, mailId: objectId },
          },
        },
      },
    },
    job: {
      ...JOB_VIEW_SCHEMA,
      description: 'with send: true, when any e-mail was queued: the job that sends them (follow it at href); its summary counts the e-mails sent, failed and in the outbox',
      required: [...JOB_VIEW_SCHEMA.required, 'href'],
      properties: { ...JOB_VIEW_SCHEMA.properties, href: { type: 'string', description: '/api/v1/jobs/{id}' } },
    },
  },
};
export function registerAdminApi(api: ApiRegistry): void {
  const admin = requireUser('admin');
  api.add({ method: 'post', path: '/editions', summary: 'Create an edition from a methodology and its instruments', tag: 'admin', access: 'admin', body: editionSchema, responses: { 201: { description: 'created (Location: the edition)', schema: editionSummary }, 409: problem('an edition with this id already exists') } }, admin, async (req, res) => {
    const edition = await createEdition(checkEdition(req.body ?? {}), actorOf(currentUser(res)));
    res.status(201).location(`/api/v1/editions/${edition.editionId}`).json({ editionId: edition.editionId, year: edition.year, title: edition.title, status: edition.status, methodology: edition.methodology, instruments: edition.instruments });
  });

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/sample',
      summary:
        'Import the sample of institutions (CSV or XLSX); all or nothing. Files from MGA_IMPORT_JOB_BYTES (512 kB) on, or with ?job=true, run as a job: 202 with the job, whose result is the same summary; smaller ones answer 200 with the summary.',
      tag: 'admin',
      access: 'admin',
      query: sampleQuery,
      bodyTypes: ['multipart/form-data', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      responses: {
        200: { description: 'imported', schema: SAMPLE_SUMMARY_SCHEMA },
        202: { description: 'a big file: the import runs as a job (GET /api/v1/jobs/{id}; its result is the summary)', schema: JOB_VIEW_SCHEMA },
        400: problem('the file was rejected: every error with row, column and reason; nothing was written (code import_rejected)'),
        409: problem('the edition does not take a sample in its state (edition_state, edition_published)'),
        413: problem('the file passes a size cap (import_too_large)'),
      },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const table = uploadedTable(req);
      const query = checkSampleQuery(req.query);
      const preset = presetFrom(query.preset ?? (req.body as Record<string, unknown> | undefined)?.preset);
      if (importAsJob(table.bytes.length, query.job ?? undefined)) {
        const job = await submitSampleImport(editionId, table, preset, currentUser(res));
        return res.status(202).location(`/api/v1/jobs/${String(job._id)}`).json(jobView(job));
      }
      res.json(await importEditionSample(editionId, table.bytes, { format: table.format, preset, fileName: table.fileName, actor: actorOf(currentUser(res)) }));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/sample',
      summary: 'The institutions of an edition with the state of their latest invitation, one page at a time; format=csv: the whole filtered list',
      tag: 'admin',
      access: 'admin',
      query: listQueryParameters({ entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string', enum: [...LEVELS] }, invitation: { type: 'string', enum: [...INVITATION_STATES] }, sort: { type: 'string', enum: [...INSTITUTION_LIST_SORTS], default: 'entity' } }),
      responses: { 200: { description: 'a page of institutions', schema: institutionPageSchema }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const query = parseListQuery(req.query as Record<string, unknown>, INSTITUTION_LIST_SPEC);
      if (query.csv) {
        const rows = (async function* () {
          for await (const row of institutionListRows(editionId, query)) yield institutionCsvRow(row);
        })();
        return streamCsv(res, `sujetos-${editionId}.csv`, INSTITUTION_CSV_HEADER, rows);
      }
      const page = await institutionListPage(editionId, query);
      res.json({ edition: editionId, total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(({ invitation, ...i }) => ({ ...i, invitation: invitation ? { id: invitation.id, state: invitation.state, expiresAt: invitation.expiresAt, lastUsedAt: invitation.lastUsedAt } : null })) });
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/invitations',
      summary: 'Invitations of an edition and their state, newest first, one page at a time',
      tag: 'admin',
      access: 'admin',
      query: listQueryParameters({ state: { type: 'string', enum: ['active', 'revoked', 'expired'] }, sort: { type: 'string', enum: ['-created'], default: '-created' } }),
      responses: { 200: { description: 'a page of invitations', schema: invitationPageSchema }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const query = parseListQuery(req.query as Record<string, unknown>, { filters: { state: { values: ['active', 'revoked', 'expired'] } }, sorts: ['-created'], defaultSort: '-created' });
      const page = await invitationPage(editionId, query);
      res.json({ edition: editionId, total: page.total, limit: query.limit, offset: query.offset, items: page.items });
    },
  );

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/invitations',
      summary:
        'Issue invitation links (JSON, or CSV with Accept: text/csv). With send: true, each e-mail is written as queued in the same transaction and a job (kind invitation-mails) sends them: the answer does not wait for the mail server.',
      tag: 'admin',
      access: 'admin',
      body: invitationsSchema,
      responses: { 201: { description: 'issued: each link is shown this once; with send: true, each mail status and the sending job', schema: ISSUED_SCHEMA }, 200: { description: 'issued, as CSV (Accept: text/csv)', schema: { type: 'string' }, contentType: 'text/csv' }, 404: problem('unknown edition, or institutions not in it') },
    },
    admin,
    async (req, res) => {
      const editionId = String(req.params.edition);
      await findEdition(editionId);
      const body = checkInvitations(req.body ?? {});
      const user = currentUser(res);
      const options = { baseUrl: publicBaseUrl(), expiresInDays: body.expiresInDays, institutionIds: body.institutionIds };
      const sending = body.send ? await issueInvitationsByMail(editionId, { ...options, user, logger: req.log }) : undefined;
      const issued = sending?.issued ?? (await issueInvitations(editionId, { ...options, actor: actorOf(user) }));
      if (req.accepts(['json', 'text/csv']) === 'text/csv') return res.type('text/csv; charset=utf-8').send(invitationsCsv(issued));
      const mails = sending?.mails;
      res.status(201).json({
        invitations: issued.map((invitation, i) => ({ ...invitation, ...(mails && { mail: { status: mails[i]!.status, to: mails[i]!.to, ...(mails[i]!.mailId && { mailId: mails[i]!.mailId }) } }) })),
        ...(sending?.job && { job: { ...jobView(sending.job), href: `/api/v1/jobs/${String(sending.job._id)}` } }),
      });
    },
  );

  api.add({ method: 'post', path: '/editions/:edition/invitations/:id/revoke', summary: 'Revoke an invitation link', tag: 'admin', access: 'admin', responses: { 204: 'revoked', 404: problem('no such invitation, or already revoked') } }, admin, async (req, res) => {
    if (!/^[0-9a-f]{24}$/.test(String(req.params.id))) throw new HttpProblem(404, 'Not Found', 'no such invitation');
    await revokeInvitation(String(req.params.edition), String(req.params.id), actorOf(currentUser(res)));
    res.status(204).end();
  });
}
