/**
 * Evidence files over HTTP: the multipart reception (multer streaming into GridFS through
 * `EvidenceStorage`, then the CSRF check for cookie sessions), the respondent's API (upload, list,
 * remove) and the download for evaluators, admins and viewers of the edition.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { bodyTextProblem } from '../http/textHygiene.js';
import { Types } from 'mongoose';
import { currentRespondent, currentUser, editionForUser, principalOf, requireRespondent, requireUser, type RespondentPrincipal } from '../auth/access.js';
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
  type EvidenceFile,
  type ReceivedEvidence,
} from '../files/evidence.js';
import { editionInstrument, loadResponse } from '../services/responses.js';
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

/** Multipart requests that carry evidence: parsed here, after authentication, not by the app-wide parser. */
export function isEvidenceUpload(req: Request): boolean {
  return req.method === 'POST' && Boolean(req.is('multipart/form-data')) && EVIDENCE_PATHS.has(req.originalUrl.split('?')[0]!);
}

const ownerOf = (req: Request) => {
  const principal = principalOf(req.res!) as RespondentPrincipal;
  return { edition: principal.edition, institution: principal.institution, invitation: principal.invitationId };
};

export function receivedFiles(req: Request): (Express.Multer.File & Partial<ReceivedEvidence>)[] {
  return Array.isArray(req.files) ? (req.files as (Express.Multer.File & Partial<ReceivedEvidence>)[]) : [];
}

/**
 * Streams the files of a respondent's multipart request into GridFS as pending files, then checks
 * the CSRF token (cookie sessions) that came in the form; on any failure the received files are
 * removed before the error goes on. A request past the hard size cap (four times the limit) is cut
 * off by multer; the page gets that error in `res.locals.evidenceUploadError` instead of an error page.
 */
export function receiveEvidence(target: 'api' | 'page'): RequestHandler {
  const settings = evidenceSettings();
  const parser = multer({
    storage: new EvidenceStorage(ownerOf, settings),
    // Browsers send file names in UTF-8 without saying so.
    defParamCharset: 'utf8',
    limits: { fileSize: settings.maxBytes * 4, files: target === 'api' ? 1 : 40, fields: 5000, parts: 5100 },
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
    item: { type: 'string' },
    name: { type: 'string' },
    size: { type: 'integer' },
    contentType: { type: 'string' },
    uploadedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'item', 'name', 'size', 'contentType'],
};
const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, schema: PROBLEM, contentType: 'application/problem+json' });

const fileJson = (f: EvidenceFile) => ({ id: f.id, item: f.item, name: f.name, size: f.size, contentType: f.contentType, uploadedAt: f.uploadedAt });

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
        const stored = await findEvidence(principal.edition, principal.institution, file.evidenceId!);
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
      res.json({ files: (await listEvidence(principal.edition, principal.institution)).map(fileJson) });
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
      if (!(await findEvidence(principal.edition, principal.institution, fileId))) throw notFound(`evidence file "${fileId}" does not exist`);
      if (!ctx.editable) throw locked(ctx);
      const removed = await removeEvidence(principal.edition, principal.institution, fileId);
      if (removed) await recordEvidence('evidence.remove', await respondentAuditActor(principal), principal, [removed]);
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
