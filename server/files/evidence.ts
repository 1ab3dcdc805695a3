/**
 * Evidence files: documents a respondent attaches to the items that ask for evidence, kept in the
 * GridFS bucket `evidence`. Uploads stream from the request into GridFS; the type is sniffed from the
 * first bytes (file-type), never taken from the name or the declared type; files past the size limit
 * are cut off and removed. A file is written as pending (`metadata.committed: false`) and becomes part
 * of the answers only when the route commits it, so a rejected request leaves nothing behind.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import { Types } from 'mongoose';
import mongoose from 'mongoose';
import { fileTypeStream } from 'file-type';
import { BUCKETS, bucket, discard, upload, type StoredFile } from './gridfs.js';
import type { QuestionnaireDefinition } from '../../questionnaires/engine.js';

// Lists by institution and item (GridFS's own indexes are declared in gridfs.ts).
mongoose.models[`${BUCKETS.evidence}.files`]!.schema.index({ 'metadata.edition': 1, 'metadata.institution': 1, 'metadata.item': 1 });

/** Page forms name their file inputs "<prefix><item id>"; the API sends the item in a field `item`. */
export const EVIDENCE_FILE_FIELD = 'archivo:';

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
  invitation: string;
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

export interface EvidenceFile {
  id: string;
  item: string;
  name: string;
  size: number;
  contentType: string;
  typeLabel: string;
  sizeLabel: string;
  uploadedAt: Date;
}

type EvidenceMetadata = { edition: string; institution: Types.ObjectId; item: string | null; contentType: string; committed: boolean; invitation?: string; uploadedAt: Date };

function evidenceView(file: StoredFile): EvidenceFile {
  const meta = file.metadata as unknown as EvidenceMetadata;
  return {
    id: String(file._id),
    item: meta.item ?? '',
    name: file.filename,
    size: file.length,
    contentType: meta.contentType,
    typeLabel: EVIDENCE_TYPES[meta.contentType]?.label ?? 'archivo',
    sizeLabel: file.length < 1024 * 1024 ? `${Math.max(1, Math.round(file.length / 1024))} KB` : megabytes(file.length),
    uploadedAt: file.uploadDate,
  };
}

const filesCollection = () => mongoose.connection.db!.collection(`${BUCKETS.evidence}.files`);

/** An institution's committed evidence files, oldest first. */
export async function listEvidence(edition: string, institution: string): Promise<EvidenceFile[]> {
  if (!Types.ObjectId.isValid(institution)) return [];
  const files = await bucket(BUCKETS.evidence)
    .find({ 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true }, { sort: { uploadDate: 1, _id: 1 } })
    .toArray();
  return files.map((f) => evidenceView(f as unknown as StoredFile));
}

/** Item id → its files, for pages. */
export function evidenceByItem(files: readonly EvidenceFile[]): Map<string, EvidenceFile[]> {
  const byItem = new Map<string, EvidenceFile[]>();
  for (const file of files) byItem.set(file.item, [...(byItem.get(file.item) ?? []), file]);
  return byItem;
}

export async function countEvidence(edition: string, institution: string, item: string): Promise<number> {
  return filesCollection().countDocuments({ 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.item': item, 'metadata.committed': true });
}

/** Makes pending files part of the answers of an item. Only files of this owner that are still pending. */
export async function commitEvidence(owner: EvidenceOwner, files: readonly { evidenceId: string; item: string }[]): Promise<void> {
  for (const file of files) {
    await filesCollection().updateOne(
      { _id: new Types.ObjectId(file.evidenceId), 'metadata.edition': owner.edition, 'metadata.institution': new Types.ObjectId(owner.institution), 'metadata.committed': false },
      { $set: { 'metadata.item': file.item, 'metadata.committed': true, 'metadata.committedAt': new Date() } },
    );
  }
}

/** Removes files received in a request that was refused. */
export async function discardReceived(files: readonly Partial<ReceivedEvidence>[] | undefined): Promise<void> {
  for (const file of files ?? []) if (file.evidenceId) await discard(BUCKETS.evidence, file.evidenceId);
}

/** One committed file of an institution, or undefined. */
export async function findEvidence(edition: string, institution: string, fileId: string): Promise<EvidenceFile | undefined> {
  if (!Types.ObjectId.isValid(fileId) || !Types.ObjectId.isValid(institution)) return undefined;
  const file = await bucket(BUCKETS.evidence)
    .find({ _id: new Types.ObjectId(fileId), 'metadata.edition': edition, 'metadata.institution': new Types.ObjectId(institution), 'metadata.committed': true })
    .next();
  return file ? evidenceView(file as unknown as StoredFile) : undefined;
}

/** Removes one committed file of an institution; false when there is none. */
export async function removeEvidence(edition: string, institution: string, fileId: string): Promise<EvidenceFile | undefined> {
  const file = await findEvidence(edition, institution, fileId);
  if (file) await discard(BUCKETS.evidence, file.id);
  return file;
}
