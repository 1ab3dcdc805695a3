/**
 * Evidence files: documents a respondent attaches to the items that ask for evidence, and documents
 * evaluators attach to the items of the citizen logs' rows that ask for it, kept in the GridFS bucket
 * `evidence`. A row's files carry the row's stable key (`metadata.row`, the answers' ROW_KEY), never
 * its position, so they stay with their row when rows before it are removed. Uploads stream from the request into GridFS; the type is sniffed from the
 * first bytes (file-type), never taken from the name or the declared type; files past the size limit
 * are cut off and removed. A file is written as pending (`metadata.committed: false`) and becomes part
 * of the answers only when the route commits it, so a rejected request leaves nothing behind.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import { Types } from 'mongoose';
import mongoose, { type ClientSession } from 'mongoose';
import { fileTypeStream } from 'file-type';
import { BUCKETS, bucket, discard, upload, type StoredFile } from './gridfs.js';
import type { QuestionnaireDefinition } from '../../questionnaires/engine.js';

// Lists by institution and item (GridFS's own indexes are declared in gridfs.ts).
mongoose.models[`${BUCKETS.evidence}.files`]!.schema.index({ 'metadata.edition': 1, 'metadata.institution': 1, 'metadata.item': 1 });

/**
 * Page forms name their file inputs "<prefix><item id>", or "<prefix><group>[<row index>].<item>" for
 * an item of a group's row; the API sends the item in a field `item` (and the row's key in `row`).
 */
export const EVIDENCE_FILE_FIELD = 'archivo:';
/** "archivo:requests[2].dateAnswered" → group, posted row index, item. */
export const ROW_FILE_FIELD = /^archivo:([A-Za-z0-9_]{1,100})\[(\d{1,4})\]\.([A-Za-z0-9_]{1,100})$/;

/** Accepted types (sniffed), with the words people read. Plain text and CSV cannot be told apart from anything else by content, so they are not accepted. */
export const EVIDENCE_TYPES: Record<string, { label: string; ext: string }> = {
  'application/pdf': { label: 'PDF', ext: 'pdf' },
  'image/png': { label: 'imagen PNG', ext: 'png' },
  'image/jpeg': { label: 'imagen JPEG', ext: 'jpg' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'documento de Word', ext: 'docx' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'hoja de cálculo de Excel', ext: 'xlsx' },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { label: 'presentación de PowerPoint', ext: 'pptx' },
  'application/vnd.oasis.opendocument.text': { label: 'documento de texto OpenDocument', ext: 'odt' },
  'application/vnd.oasis.opendocument.spreadsheet': { label: 'hoja de cálculo OpenDocument', ext: 'ods' },
};
export const EVIDENCE_TYPE_WORDS = 'PDF, imagen (PNG o JPEG), Word, Excel, PowerPoint u OpenDocument';

export interface EvidenceSettings {
  maxBytes: number;
  maxFilesPerItem: number;
}

export function evidenceSettings(env: NodeJS.ProcessEnv = process.env): EvidenceSettings {
  const mb = Number(env.MGA_EVIDENCE_MAX_MB ?? 10);
  const perItem = Number(env.MGA_EVIDENCE_FILES_PER_ITEM ?? 5);
  return {
    maxBytes: Number.isFinite(mb) && mb > 0 ? Math.round(mb * 1024 * 1024) : 10 * 1024 * 1024,
    maxFilesPerItem: Number.isInteger(perItem) && perItem > 0 ? perItem : 5,
  };
}

export const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toLocaleString('es-MX', { maximumFractionDigits: 1 })} MB`;

/** Why an upload was refused; the route turns it into a 4xx (English + code in the API, Spanish in pages). */
export type EvidenceRejection = 'too-large' | 'type-not-allowed';

/** What the storage engine adds to multer's file object. */
export interface ReceivedEvidence {
  fieldname: string;
  originalname: string;
  evidenceId?: string;
  size: number;
  detectedType?: string;
  rejected?: EvidenceRejection;
}

export interface EvidenceOwner {
  edition: string;
  institution: string;
  /** The respondent's invitation (its own files). */
  invitation?: string;
  /** The account that uploads (evaluators' and admins' files of the citizen logs). */
  uploadedBy?: string;
}

const SNIFF_BYTES = 64 * 1024;

/** Office formats are zips: a larger sample lets file-type reach the entry that tells them apart. */
async function sniff(stream: Readable) {
  const detected = await fileTypeStream(stream, { sampleSize: SNIFF_BYTES });
  return { stream: detected as Readable, type: detected.fileType?.mime };
}

/**
 * A multer storage engine that streams each file into GridFS as a pending evidence file. Files that
 * are too large, empty or of a type not accepted are drained and removed, and reported on the file
 * (`rejected`) so the route can answer with the reason while the rest of the form is still read.
 */
export class EvidenceStorage implements multer.StorageEngine {
  constructor(
    private readonly owner: (req: Request) => EvidenceOwner,
    private readonly settings: EvidenceSettings = evidenceSettings(),
  ) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File> & Partial<ReceivedEvidence>) => void): void {
    this.receive(req, file).then(
      (info) => callback(null, info),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File & Partial<ReceivedEvidence>, callback: (error: Error | null) => void): void {
    if (!file.evidenceId) return callback(null);
    discard(BUCKETS.evidence, file.evidenceId).then(() => callback(null), callback);
  }

  private async receive(req: Request, file: Express.Multer.File): Promise<Partial<ReceivedEvidence>> {
    if (!file.originalname) {
      // An empty file input of a page form: no file chosen.
      file.stream.resume();
      await new Promise((resolve) => (file.stream.readableEnded ? resolve(undefined) : file.stream.once('end', resolve)));
      return { size: 0 };
    }
    const { stream, type } = await sniff(file.stream);
    const untilEnd = () => new Promise<void>((resolve) => {
      if (stream.readableEnded || stream.destroyed) return resolve();
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    if (!type || !EVIDENCE_TYPES[type]) {
      // Read the rest of the part so the other fields of the form are still parsed.
      stream.resume();
      await untilEnd();
      return { size: 0, rejected: 'type-not-allowed', ...(type && { detectedType: type }) };
    }
    const owner = this.owner(req);
    const id = new Types.ObjectId();
    let size = 0;
    let tooLarge = false;
    const counted = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > this.settings.maxBytes) {
        tooLarge = true;
        counted.destroy(new Error('evidence file too large'));
        stream.resume();
        return;
      }
      if (!counted.write(chunk)) {
        stream.pause();
        counted.once('drain', () => stream.resume());
      }
    });
    stream.once('end', () => !tooLarge && counted.end());
    stream.once('error', (error) => counted.destroy(error));
    const originalname = cleanName(file.originalname, EVIDENCE_TYPES[type]!.ext);
    try {
      await upload(BUCKETS.evidence, counted, {
        id,
        filename: originalname,
        metadata: { ...owner, institution: new Types.ObjectId(owner.institution), item: null, contentType: type, committed: false, uploadedAt: new Date() },
      });
    } catch (error) {
      await discard(BUCKETS.evidence, id);
      if (!tooLarge) throw error;
      await untilEnd();
      return { size, rejected: 'too-large', detectedType: type };
    }
    return { evidenceId: String(id), size, detectedType: type, originalname };
  }
}

/** A name safe to show and to send back in Content-Disposition: no path, no control characters, the sniffed extension. */
export function cleanName(name: string, ext: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '')
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f"<>|*?:]/g, '')
    .trim()
    .slice(0, 150);
  const stem = base.replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'evidencia';
  return `${stem}.${ext}`;
}

/** Top-level items of a questionnaire that take evidence files: those with an evidence link or of kind "evidence". */
export function evidenceItems(def: QuestionnaireDefinition): Map<string, string> {
  const items = new Map<string, string>();
  for (const section of def.sections) {
    for (const item of section.items) {
      if (item.kind === 'group') continue;
      if (item.kind === 'evidence' || item.evidence) items.set(item.id, item.label.es);
    }
  }
  return items;
}

/** An item of a group's rows that takes evidence files, as "<group>.<item>" (e.g. "requests.dateAnswered"). */
export interface RowEvidenceItem {
  group: string;
  item: string;
  /** The question's text. */
  label: string;
  /** What one row is called («Solicitud»). */
  rowLabel: string;
}

export const rowItemId = (group: string, item: string) => `${group}.${item}`;

/** Items inside groups' rows that take evidence files (those with an evidence link), by "<group>.<item>". */
export function rowEvidenceItems(def: QuestionnaireDefinition): Map<string, RowEvidenceItem> {
  const items = new Map<string, RowEvidenceItem>();
  for (const section of def.sections) {
    for (const group of section.items) {
      if (group.kind !== 'group') continue;
      for (const child of group.items) {
        if (child.kind === 'evidence' || child.evidence) items.set(rowItemId(group.id, child.id), { group: group.id, item: child.id, label: child.label.es, rowLabel: group.rowLabel?.es ?? 'Registro' });
      }
    }
  }
  return items;
}

export interface EvidenceFile {
  id: string;
  /** The item ("aiUnit"), or "<group>.<item>" for an item of a row. */
  item: string;
  /** The row's key, for the files of a row's item. */
  row?: string;
  name: string;
  size: number;
  contentType: string;
  typeLabel: string;
  sizeLabel: string;
  uploadedAt: Date;
}

type EvidenceMetadata = { edition: string; institution: Types.ObjectId; item: string | null; row?: string | null; contentType: string; committed: boolean; invitation?: string; uploadedBy?: string; uploadedAt: Date };

function evidenceView(file: StoredFile): EvidenceFile {
  const meta = file.metadata as unknown as EvidenceMetadata;
  return {
    id: String(file._id),
    item: meta.item ?? '',
    ...(typeof meta.row === 'string' && { row: meta.row }),
    name: file.filename,
    size: file.length,
    contentType: meta.contentType,
    typeLabel: EVIDENCE_TYPES[meta.contentType]?.label ?? 'archivo',
    sizeLabel: file.length < 1024 * 1024 ? `${Math.max(1, Math.round(file.length / 1024))} KB` : megabytes(file.length),
    uploadedAt: file.uploadDate,
  };
}

const filesCollection = () => mongoose.connection.db!.collection(`${BUCKETS.evidence}.files`);

/**
 * Which of an institution's files: those of its own answers (top-level items: what the respondent
 * sees and changes), those of the citizen logs' rows (evaluators'), or all (what staff read).
 */
export type EvidenceScope = 'answers' | 'rows' | 'all';

const scopeFilter = (scope: EvidenceScope) => (scope === 'answers' ? { 'metadata.row': null } : scope === 'rows' ? { 'metadata.row': { $type: 'string' } } : {});

/** An institution's committed evidence files, oldest first. */
export async function listEvidence(edition: string, institution: string, scope: EvidenceScope = 'all'): Promise<EvidenceFile[]> {
  if (!Types.ObjectId.isValid(institution)) return [];
  const files = await bucket(BUCKETS.evidence)
    .find({ 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true, ...scopeFilter(scope) }, { sort: { uploadDate: 1, _id: 1 } })
    .toArray();
  return files.map((f) => evidenceView(f as unknown as StoredFile));
}

/** Where a file belongs on a page: its item, or "<group>.<item>#<row key>" for a row's item. */
export const evidencePlace = (item: string, row?: string) => (row === undefined ? item : `${item}#${row}`);

/** Item id (or row place, see evidencePlace) → its files, for pages. */
export function evidenceByItem(files: readonly EvidenceFile[]): Map<string, EvidenceFile[]> {
  const byItem = new Map<string, EvidenceFile[]>();
  for (const file of files) {
    const place = evidencePlace(file.item, file.row);
    byItem.set(place, [...(byItem.get(place) ?? []), file]);
  }
  return byItem;
}

/** The committed files of an item (of a row, when `row` is given; otherwise of the top level). */
export async function countEvidence(edition: string, institution: string, item: string, row?: string, session?: ClientSession): Promise<number> {
  return filesCollection().countDocuments(
    { 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.item': item, 'metadata.committed': true, 'metadata.row': row ?? null },
    { ...(session && { session }) },
  );
}

/**
 * Makes pending files part of the answers of an item (of a row, with `row`). Only files of this owner
 * that are still pending; answers how many it committed.
 */
export async function commitEvidence(owner: EvidenceOwner, files: readonly { evidenceId: string; item: string; row?: string }[], session?: ClientSession): Promise<number> {
  let committed = 0;
  for (const file of files) {
    const result = await filesCollection().updateOne(
      { _id: new Types.ObjectId(file.evidenceId), 'metadata.edition': owner.edition, 'metadata.institution': new Types.ObjectId(owner.institution), 'metadata.committed': false },
      { $set: { 'metadata.item': file.item, ...(file.row !== undefined && { 'metadata.row': file.row }), 'metadata.committed': true, 'metadata.committedAt': new Date() } },
      { ...(session && { session }) },
    );
    committed += result.modifiedCount;
  }
  return committed;
}

/** The committed files of some rows of a group (by the rows' keys). */
export async function rowsEvidence(edition: string, institution: string, group: string, rows: readonly string[], session?: ClientSession): Promise<EvidenceFile[]> {
  if (rows.length === 0) return [];
  const files = await filesCollection()
    .find(
      { 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true, 'metadata.row': { $in: [...rows] }, 'metadata.item': { $regex: `^${group}\\.` } },
      { sort: { uploadDate: 1, _id: 1 }, ...(session && { session }) },
    )
    .toArray();
  return files.map((f) => evidenceView(f as unknown as StoredFile));
}

/**
 * Takes committed files out of the answers (in the caller's transaction): they are pending again, no
 * list shows them, and `discardDetached` removes them once the transaction has committed. A detach
 * that is rolled back leaves the files where they were.
 */
export async function detachEvidence(edition: string, institution: string, fileIds: readonly string[], session?: ClientSession): Promise<void> {
  if (fileIds.length === 0) return;
  await filesCollection().updateMany(
    { _id: { $in: fileIds.map((id) => new Types.ObjectId(id)) }, 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true },
    { $set: { 'metadata.committed': false, 'metadata.detachedAt': new Date() } },
    { ...(session && { session }) },
  );
}

/** Removes detached files (after their transaction committed); a file committed again meanwhile is kept. */
export async function discardDetached(fileIds: readonly string[]): Promise<void> {
  for (const id of fileIds) {
    const still = await filesCollection().countDocuments({ _id: new Types.ObjectId(id), 'metadata.committed': false });
    if (still) await discard(BUCKETS.evidence, id);
  }
}

/** Removes files received in a request that was refused; a file the request already committed is kept. */
export async function discardReceived(files: readonly Partial<ReceivedEvidence>[] | undefined): Promise<void> {
  for (const file of files ?? []) {
    if (!file.evidenceId) continue;
    if (await filesCollection().countDocuments({ _id: new Types.ObjectId(file.evidenceId), 'metadata.committed': true })) continue;
    await discard(BUCKETS.evidence, file.evidenceId);
  }
}

/** One committed file of an institution (in a scope, see EvidenceScope), or undefined. */
export async function findEvidence(edition: string, institution: string, fileId: string, scope: EvidenceScope = 'all', session?: ClientSession): Promise<EvidenceFile | undefined> {
  if (!Types.ObjectId.isValid(fileId) || !Types.ObjectId.isValid(institution)) return undefined;
  const file = await filesCollection().findOne(
    { _id: new Types.ObjectId(fileId), 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true, ...scopeFilter(scope) },
    { ...(session && { session }) },
  );
  return file ? evidenceView(file as unknown as StoredFile) : undefined;
}

/** Removes one committed file of an institution's own answers; undefined when there is none. */
export async function removeEvidence(edition: string, institution: string, fileId: string): Promise<EvidenceFile | undefined> {
  const file = await findEvidence(edition, institution, fileId, 'answers');
  if (file) await discard(BUCKETS.evidence, file.id);
  return file;
}
