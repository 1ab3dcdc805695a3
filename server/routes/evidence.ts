/**
 * Evidence files over HTTP: the multipart reception (multer streaming into GridFS through
 * `EvidenceStorage`, then the CSRF check for cookie sessions), the respondent's API (upload, list,
 * remove), the evaluators' files of the citizen logs' rows (upload, remove) and the download for
 * evaluators, admins and viewers of the edition.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { bodyTextProblem } from '../http/textHygiene.js';
import { Types } from 'mongoose';
import { currentRespondent, currentUser, editionForUser, principalOf, requireRespondent, requireUser, userActor, type RespondentPrincipal } from '../auth/access.js';
import { csrf, hasBearerToken } from '../auth/session.js';
import { HttpProblem, notFound } from '../http/problem.js';
import type { ApiRegistry } from '../http/api.js';
import { BUCKETS, download } from '../files/gridfs.js';
import {
  EVIDENCE_TYPE_WORDS,
  EVIDENCE_TYPES,
  EvidenceStorage,
  commitEvidence,
  countEvidence,
  discardReceived,
  evidenceItems,
  evidenceSettings,
  findEvidence,
  listEvidence,
  megabytes,
  removeEvidence,
  rowEvidenceItems,
  type EvidenceFile,
  type EvidenceOwner,
  type ReceivedEvidence,
} from '../files/evidence.js';
import { changeCitizenLogFiles, editionInstrument, loadResponse } from '../services/responses.js';
import { receivedFileRefusal, rowFileRefusal, rowKeys, rowPlaceText } from '../services/logEvidence.js';
import { refusal } from '../services/editionLifecycle.js';
import { record, type Actor } from '../services/audit.js';
import { InstitutionModel } from '../models/institution.js';

/** The audit entry of attached or removed files (one per file). */
export async function recordEvidence(action: 'evidence.attach' | 'evidence.remove', actor: Actor, principal: RespondentPrincipal, files: readonly { item: string; name: string; id: string }[]): Promise<void> {
  for (const file of files) {
    await record({ action, actor, edition: principal.edition, institution: principal.institution, subject: file.item, summary: `${file.name} (${file.id})`, ...(action === 'evidence.attach' ? { newValue: file.name } : { oldValue: file.name }) });
  }
}

/** How the respondent appears in the audit trail. */
export async function respondentAuditActor(principal: RespondentPrincipal): Promise<Actor> {
  const institution = await InstitutionModel.findById(principal.institution, { name: 1 }).lean();
  return { kind: 'respondent', id: principal.invitationId, label: `Sujeto obligado: ${institution?.name ?? principal.institution}`, role: 'respondent' };
}

/** Statuses in which the respondent may change its answers, and so its files. */
export const EDITABLE_STATUSES = ['draft', 'returned'] as const;

const EVIDENCE_PATHS = new Set(['/responder', '/api/v1/respondent/evidence']);
/** The citizen logs' page form and the API upload of a row's file (evaluators and admins). */
const LOG_EVIDENCE_PATHS = [/^\/evaluacion\/[^/]+\/sujetos\/[^/]+\/bitacora$/, /^\/api\/v1\/editions\/[^/]+\/institutions\/[^/]+\/citizen-logs\/evidence$/];

/** Multipart requests that carry evidence: parsed here, after authentication, not by the app-wide parser. */
export function isEvidenceUpload(req: Request): boolean {
  if (req.method !== 'POST' || !req.is('multipart/form-data')) return false;
  const path = req.originalUrl.split('?')[0]!;
  return EVIDENCE_PATHS.has(path) || LOG_EVIDENCE_PATHS.some((pattern) => pattern.test(path));
}

const ownerOf = (req: Request) => {
  const principal = principalOf(req.res!) as RespondentPrincipal;
  return { edition: principal.edition, institution: principal.institution, invitation: principal.invitationId };
};

/** The owner of files an evaluator or admin sends for an institution's citizen logs (route parameters checked before). */
export const staffOwnerOf = (req: Request): EvidenceOwner => ({ edition: String(req.params.edition), institution: String(req.params.id), uploadedBy: currentUser(req.res!).id });

const OBJECT_ID = /^[0-9a-f]{24}$/;

/**
 * Before any file is received: the caller may change this institution's citizen logs (admins, and the
 * edition's evaluators; the institution gate already checked an evaluator's assignment).
 */
export const requireLogsWriter: RequestHandler = (req, res, next) => {
  const user = currentUser(res);
  const id = String(req.params.id);
  if (!OBJECT_ID.test(id)) return next(notFound(`institution "${id}" does not exist`));
  editionForUser(user, String(req.params.edition), 'write').then(() => next(), next);
};

export function receivedFiles(req: Request): (Express.Multer.File & Partial<ReceivedEvidence>)[] {
  return Array.isArray(req.files) ? (req.files as (Express.Multer.File & Partial<ReceivedEvidence>)[]) : [];
}

/**
 * Streams the files of a multipart request (a respondent's, or an evaluator's citizen logs with
 * `owner`) into GridFS as pending files, then checks
 * the CSRF token (cookie sessions) that came in the form; on any failure the received files are
 * removed before the error goes on. A request past the hard size cap (four times the limit) is cut
 * off by multer; the page gets that error in `res.locals.evidenceUploadError` instead of an error page.
 */
export function receiveEvidence(target: 'api' | 'page', options: { owner?: (req: Request) => EvidenceOwner; maxFiles?: number } = {}): RequestHandler {
  const settings = evidenceSettings();
  const parser = multer({
    storage: new EvidenceStorage(options.owner ?? ownerOf, settings),
    // Browsers send file names in UTF-8 without saying so.
    defParamCharset: 'utf8',
    // Page forms send a part for every file input, chosen or not.
    limits: { fileSize: settings.maxBytes * 4, files: target === 'api' ? 1 : (options.maxFiles ?? 40), fields: 5000, parts: 5100 + (options.maxFiles ?? 0) },
  }).any();
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isEvidenceUpload(req)) return next();
    parser(req, res, (error?: unknown) => {
      const fail = (failure: unknown) => {
        void discardReceived(receivedFiles(req)).then(() => next(failure), next);
      };
      if (error) {
        if (target === 'page' && error instanceof multer.MulterError && req.body?._csrf) {
          res.locals.evidenceUploadError = error;
          req.body = { _csrf: req.body._csrf };
        } else if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
          return fail(new HttpProblem(413, 'Content Too Large', `the file is larger than ${settings.maxBytes} bytes`, [{ field: 'archivo', reason: `at most ${settings.maxBytes} bytes` }], { code: 'evidence_too_large' }));
        } else {
          return fail(error);
        }
      }
      // The app-wide text check ran before this parser: the multipart fields get the same check here.
      const textRefusal = bodyTextProblem(req.body);
      if (hasBearerToken(req)) return textRefusal ? fail(textRefusal) : next();
      csrf.csrfSynchronisedProtection(req, res, (csrfError?: unknown) => (csrfError ? fail(csrfError) : textRefusal ? fail(textRefusal) : next()));
    });
  };
}

/** Why a received file is refused, in Spanish for the page (null when it is fine). */
export function rejectionText(file: Partial<ReceivedEvidence> & { originalname?: string }): string | null {
  const settings = evidenceSettings();
  if (file.rejected === 'too-large') return `El archivo «${file.originalname}» pasa del límite de ${megabytes(settings.maxBytes)}; no se guardó.`;
  if (file.rejected === 'type-not-allowed') return `El archivo «${file.originalname}» no es de un tipo aceptado (${EVIDENCE_TYPE_WORDS}); no se guardó.`;
  return null;
}

function apiRejection(file: Partial<ReceivedEvidence>): HttpProblem | undefined {
  const settings = evidenceSettings();
  if (file.rejected === 'too-large') return new HttpProblem(413, 'Content Too Large', `the file is larger than ${settings.maxBytes} bytes`, [{ field: 'archivo', reason: `at most ${settings.maxBytes} bytes` }], { code: 'evidence_too_large' });
  if (file.rejected === 'type-not-allowed') {
    return new HttpProblem(415, 'Unsupported Media Type', `the file's content is ${file.detectedType ? `of type ${file.detectedType}` : 'of no recognised type'}, which is not accepted as evidence`, [{ field: 'archivo', reason: `accepted types: ${Object.keys(EVIDENCE_TYPES).join(', ')}` }], { code: 'evidence_type_not_allowed' });
  }
  return undefined;
}

/** The respondent's context for evidence: its instrument's evidence items and whether it may change them now. */
export async function evidenceContext(principal: RespondentPrincipal) {
  const instrument = await editionInstrument(principal.edition, 'institution');
  const current = await loadResponse(principal.edition, principal.institution, instrument);
  // The edition lifecycle has the last word: a closed capture or a passed deadline locks the files too.
  const closed = refusal(current.edition, 'respond');
  return { instrument, items: evidenceItems(instrument.definition), editable: (EDITABLE_STATUSES as readonly string[]).includes(current.status) && !closed, status: current.status, closed };
}

const locked = (ctx: { status: string; closed?: HttpProblem }) => ctx.closed ?? new HttpProblem(409, 'Conflict', `the answers are ${ctx.status} and cannot be changed now`, undefined, { code: 'response_state' });

const EVIDENCE_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    item: { type: 'string', description: 'the item ("aiUnit"), or "<group>.<item>" for an item of a citizen log\'s row ("requests.dateAnswered")' },
    row: { type: 'string', description: 'files of a row\'s item: the row\'s key ("_key" of the row in the logs\' answers)' },
    name: { type: 'string' },
    size: { type: 'integer' },
    contentType: { type: 'string' },
    uploadedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'item', 'name', 'size', 'contentType'],
};
const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, schema: PROBLEM, contentType: 'application/problem+json' });

const fileJson = (f: EvidenceFile) => ({ id: f.id, item: f.item, ...(f.row !== undefined && { row: f.row }), name: f.name, size: f.size, contentType: f.contentType, uploadedAt: f.uploadedAt });

/** May download evidence: admins, and evaluators and viewers to whom the edition is assigned. */
export function mayDownloadEvidence(user: { role: string; editions: readonly string[] }, edition: string): boolean {
  return user.role === 'admin' || ((user.role === 'evaluator' || user.role === 'viewer') && user.editions.includes(edition));
}

function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function registerEvidenceApi(api: ApiRegistry): void {
  const respondent = 'the respondent of the institution (invitation token as bearer, or the session opened by the link)';
  const settings = evidenceSettings();

  api.add(
    {
      method: 'post',
      path: '/respondent/evidence',
      summary: `Attach an evidence file to an item that asks for evidence (multipart: "item", then "archivo"; at most ${megabytes(settings.maxBytes)}; type sniffed from the content: PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS)`,
      tag: 'respondent',
      access: respondent,
      bodyTypes: ['multipart/form-data'],
      multipart: { properties: { item: { type: 'string', description: 'the item that asks for evidence' }, archivo: { type: 'string', format: 'binary' } }, required: ['item', 'archivo'] },
      responses: {
        201: { description: 'the stored file', schema: EVIDENCE_SCHEMA },
        400: problem('no file, or an item that does not take evidence (code evidence_file_missing, evidence_unknown_item)'),
        409: problem('the answers cannot be changed now, or the item has its maximum of files (response_state, evidence_too_many_files)'),
        413: problem('the file is too large (evidence_too_large)'),
        415: problem('the content is not of an accepted type (evidence_type_not_allowed)'),
      },
    },
    requireRespondent,
    receiveEvidence('api'),
    async (req, res) => {
      const files = receivedFiles(req);
      try {
        const principal = currentRespondent(res);
        const file = files[0];
        if (!file || file.fieldname !== 'archivo') throw new HttpProblem(400, 'Bad Request', 'send the file in a multipart field named "archivo"', [{ field: 'archivo', reason: 'missing' }], { code: 'evidence_file_missing' });
        const item = typeof req.body?.item === 'string' ? req.body.item : '';
        const ctx = await evidenceContext(principal);
        if (!ctx.items.has(item)) throw new HttpProblem(400, 'Bad Request', item ? `item "${item}" does not exist or does not take evidence` : 'name the item in a field "item"', [{ field: 'item', value: item, reason: 'not an item that takes evidence' }], { code: 'evidence_unknown_item' });
        const rejection = apiRejection(file);
        if (rejection) throw rejection;
        if (!ctx.editable) throw locked(ctx);
        if ((await countEvidence(principal.edition, principal.institution, item)) >= settings.maxFilesPerItem) {
          throw new HttpProblem(409, 'Conflict', `item "${item}" already has ${settings.maxFilesPerItem} files; remove one first`, [{ field: 'item', value: item, reason: 'too many files' }], { code: 'evidence_too_many_files' });
        }
        await commitEvidence(ownerOf(req), [{ evidenceId: file.evidenceId!, item }]);
        const stored = await findEvidence(principal.edition, principal.institution, file.evidenceId!, 'answers');
        await recordEvidence('evidence.attach', await respondentAuditActor(principal), principal, [{ item, name: stored!.name, id: stored!.id }]);
        res.status(201).location(`/api/v1/respondent/evidence/${stored!.id}`).json(fileJson(stored!));
      } catch (error) {
        await discardReceived(files);
        throw error;
      }
    },
  );

  api.add(
    {
      method: 'get',
      path: '/respondent/evidence',
      summary: 'The evidence files of the invited institution',
      tag: 'respondent',
      access: respondent,
      responses: { 200: { description: 'files, oldest first', schema: { type: 'object', properties: { files: { type: 'array', items: EVIDENCE_SCHEMA } }, required: ['files'] } } },
    },
    requireRespondent,
    async (_req, res) => {
      const principal = currentRespondent(res);
      res.json({ files: (await listEvidence(principal.edition, principal.institution, 'answers')).map(fileJson) });
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/respondent/evidence/:fileId',
      summary: 'Remove one of the institution\'s evidence files (while the answers can be changed)',
      tag: 'respondent',
      access: respondent,
      responses: { 204: 'removed', 404: problem('no such file of this institution'), 409: problem('the answers cannot be changed now (response_state)') },
    },
    requireRespondent,
    async (req, res) => {
      const principal = currentRespondent(res);
      const ctx = await evidenceContext(principal);
      const fileId = String(req.params.fileId);
      if (!(await findEvidence(principal.edition, principal.institution, fileId, 'answers'))) throw notFound(`evidence file "${fileId}" does not exist`);
      if (!ctx.editable) throw locked(ctx);
      const removed = await removeEvidence(principal.edition, principal.institution, fileId);
      if (removed) await recordEvidence('evidence.remove', await respondentAuditActor(principal), principal, [removed]);
      res.status(204).end();
    },
  );

  const writers = 'admins; evaluators assigned to the edition (and, when assignments are used, to the institution)';

  api.add(
    {
      method: 'post',
      path: '/editions/:edition/institutions/:id/citizen-logs/evidence',
      summary:
        `Attach an evidence file to an item of a citizen log's row that asks for evidence (multipart: "item" as "<group>.<item>", e.g. "requests.dateAnswered", ` +
        `"row" = the row's key, the "_key" of the row in the logs' answers, then "archivo"; at most ${megabytes(settings.maxBytes)} and ${settings.maxFilesPerItem} files per row's item; ` +
        'type sniffed from the content as for respondents). The file stays with its row, whatever rows are removed before it; removing the row removes its files.',
      tag: 'review',
      access: writers,
      bodyTypes: ['multipart/form-data'],
      multipart: {
        properties: {
          item: { type: 'string', description: 'the row\'s item as "<group>.<item>"' },
          row: { type: 'string', description: 'the row\'s key ("_key" in the row, as GET .../review answers under logs.answers)' },
          archivo: { type: 'string', format: 'binary' },
        },
        required: ['item', 'row', 'archivo'],
      },
      responses: {
        201: { description: 'the stored file (item and row say where it belongs)', schema: EVIDENCE_SCHEMA },
        400: problem('no file, no row, or an item that is not a row\'s item taking evidence (evidence_file_missing, evidence_unknown_row, evidence_unknown_item); with a Spanish message naming the question and the row'),
        404: problem('no such edition or institution, the edition is not the caller\'s, or the logs have no row with that key (evidence_unknown_row)'),
        409: problem('the edition is not open for review (edition_state, edition_published), or the row\'s item has its maximum of files (evidence_too_many_files)'),
        413: problem('the file is too large (evidence_too_large)'),
        415: problem('the content is not of an accepted type (evidence_type_not_allowed)'),
      },
    },
    requireUser(),
    requireLogsWriter,
    receiveEvidence('api', { owner: staffOwnerOf }),
    async (req, res) => {
      const files = receivedFiles(req);
      try {
        const user = currentUser(res);
        const edition = String(req.params.edition);
        const institution = String(req.params.id);
        const file = files[0];
        if (!file || file.fieldname !== 'archivo') throw new HttpProblem(400, 'Bad Request', 'send the file in a multipart field named "archivo"', [{ field: 'archivo', reason: 'missing' }], { code: 'evidence_file_missing' });
        const itemId = typeof req.body?.item === 'string' ? req.body.item : '';
        const row = typeof req.body?.row === 'string' ? req.body.row : '';
        const instrument = await editionInstrument(edition, 'evaluator');
        const item = rowEvidenceItems(instrument.definition).get(itemId);
        if (!item) {
          throw rowFileRefusal(400, 'evidence_unknown_item', itemId ? `"${itemId}" is not an item of the citizen logs' rows that takes evidence` : 'name the row\'s item in a field "item" ("<group>.<item>")', 'item', 'El archivo no corresponde a una pregunta de la bitácora que pida evidencia; no se guardó.', { value: itemId });
        }
        if (!row) throw rowFileRefusal(400, 'evidence_unknown_row', 'name the row in a field "row" (its key, "_key" in the row)', 'row', `Falta decir a qué fila de «${item.label}» corresponde el archivo; no se guardó.`);
        const current = await loadResponse(edition, institution, instrument);
        const number = (rowKeys(instrument.definition, current.answers).get(item.group) ?? []).indexOf(row) + 1;
        if (number === 0) throw rowFileRefusal(404, 'evidence_unknown_row', `group "${item.group}" has no row with key "${row}"`, 'row', `La fila de «${item.label}» a la que quiso adjuntar el archivo no está en la bitácora; no se guardó.`, { value: row });
        const rejection = apiRejection(file);
        if (rejection) {
          const message = receivedFileRefusal(file.rejected!, file.originalname, rowPlaceText(item.label, item.rowLabel, number));
          throw new HttpProblem(rejection.status, rejection.title, rejection.detail, [{ ...rejection.errors![0]!, message }], { ...rejection.extras, message });
        }
        const outcome = await changeCitizenLogFiles(edition, institution, instrument, { attach: [{ evidenceId: file.evidenceId!, item: itemId, row, name: file.originalname }] }, { actor: userActor(user) });
        const stored = outcome.attached[0]!;
        res.status(201).location(`/api/v1/editions/${encodeURIComponent(edition)}/institutions/${institution}/evidence/${stored.id}`).json(fileJson(stored));
      } catch (error) {
        await discardReceived(files);
        throw error;
      }
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/editions/:edition/institutions/:id/citizen-logs/evidence/:fileId',
      summary: 'Remove an evidence file of a citizen log\'s row (audited; the file is deleted)',
      tag: 'review',
      access: writers,
      responses: {
        204: 'removed',
        404: problem('no such edition, institution or file of the citizen logs (evidence_not_found)'),
        409: problem('the edition is not open for review (edition_state, edition_published)'),
      },
    },
    requireUser(),
    requireLogsWriter,
    async (req, res) => {
      const edition = String(req.params.edition);
      const instrument = await editionInstrument(edition, 'evaluator');
      await changeCitizenLogFiles(edition, String(req.params.id), instrument, { remove: [String(req.params.fileId)] }, { actor: userActor(currentUser(res)) });
      res.status(204).end();
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/institutions/:id/evidence',
      summary: 'The evidence files of an institution (download each at .../evidence/{fileId})',
      tag: 'review',
      access: 'admins, and the evaluators and viewers of the edition',
      responses: {
        200: { description: 'files, oldest first', schema: { type: 'object', properties: { files: { type: 'array', items: EVIDENCE_SCHEMA } }, required: ['files'] } },
        403: problem('not an admin, nor an evaluator or viewer of this edition'),
        404: problem('no such edition'),
      },
    },
    requireUser(),
    async (req, res) => {
      const user = currentUser(res);
      const edition = String(req.params.edition);
      await editionForUser(user, edition, 'read');
      if (!mayDownloadEvidence(user, edition)) throw new HttpProblem(403, 'Forbidden', 'only admins and the evaluators and viewers of this edition may read evidence', undefined, { code: 'evidence_forbidden' });
      res.json({ files: (await listEvidence(edition, String(req.params.id))).map(fileJson) });
    },
  );

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/institutions/:id/evidence/:fileId',
      summary: 'Download an evidence file of an institution',
      tag: 'review',
      access: 'admins, and the evaluators and viewers of the edition',
      responses: {
        200: { description: 'the file, as stored, always as an attachment (its sniffed type is in the list)', schema: { type: 'string', format: 'binary' }, contentType: 'application/octet-stream' },
        403: problem('not an admin, nor an evaluator or viewer of this edition'),
        404: problem('no such edition, institution or file'),
      },
    },
    requireUser(),
    async (req, res) => {
      const user = currentUser(res);
      const edition = String(req.params.edition);
      await editionForUser(user, edition, 'read'); // 404 for editions the user cannot see at all
      if (!mayDownloadEvidence(user, edition)) throw new HttpProblem(403, 'Forbidden', 'only admins and the evaluators and viewers of this edition may download evidence', undefined, { code: 'evidence_forbidden' });
      const id = String(req.params.id);
      const fileId = String(req.params.fileId);
      const file = Types.ObjectId.isValid(id) ? await findEvidence(edition, id, fileId) : undefined;
      if (!file) throw new HttpProblem(404, 'Not Found', `evidence file "${fileId}" of institution "${id}" does not exist`, undefined, { code: 'evidence_not_found' });
      // Always a download: the sniffed type is in the list (contentType); the bytes go out as octet-stream.
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Content-Disposition', contentDisposition(file.name));
      res.setHeader('Cache-Control', 'private, no-store');
      const stream = download(BUCKETS.evidence, file.id);
      stream.on('error', (error) => res.destroy(error));
      stream.pipe(res);
    },
  );
}
