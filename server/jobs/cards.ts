/**
 * Job kind "edition-cards": every institution report card of an edition, as one zip of PDFs.
 *
 * Plan: parts of CARDS_PER_PART cards (one print each), pinned to the edition's results version and
 * to one printed date, so a part redone after a takeover prints the same cards. A part renders its
 * cards in one print (reports/cards.ts) and stores them back to back in one file, with each card's
 * offset in its output. Finish: the zip, written entry by entry (one part's file in memory at a
 * time) straight into GridFS; entries are stored, not deflated (PDFs are compressed already).
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JSONSchemaType } from 'ajv';
import yazl from 'yazl';
import { editionForUser } from '../auth/access.js';
import { institutionCardFileName } from '../../reports/bulk.js';
import { renderInstitutionCardPdfs, CARDS_PER_PRINT } from '../../reports/cards.js';
import { pagePool } from '../../reports/pages.js';
import { institutionCardsData, loadEditionResults } from '../services/reports.js';
import { defineJobKind, JobError } from './kind.js';

export const CARDS_JOB = 'edition-cards';

/** Cards per part (MGA_CARDS_PER_PART, default 12): one print each. A part is also what is redone after a worker dies. */
export function cardsPerPart(): number {
  const raw = process.env.MGA_CARDS_PER_PART;
  const value = raw ? Number(raw) : CARDS_PER_PRINT;
  if (!Number.isInteger(value) || value < 1 || value > 200) throw new Error(`MGA_CARDS_PER_PART must be an integer from 1 to 200, got "${raw}"`);
  return value;
}

export interface CardsInput {
  edition: string;
}

export interface CardsParams extends CardsInput {
  /** The edition's results version when the job was submitted; a part refuses any other. */
  resultsVersion: number;
  /** Printed on every card (ISO date); the same on a card redone after a takeover. */
  generatedAt: string;
  /** Institutions with results when the job was submitted. */
  count: number;
}

export interface CardsPartOutput {
  fileId: string;
  cards: { name: string; offset: number; length: number }[];
}

const inputSchema: JSONSchemaType<CardsInput> = {
  type: 'object',
  properties: { edition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' } },
  required: ['edition'],
  additionalProperties: false,
};

/** Zip folder and file name. */
export const cardsZipName = (edition: string) => `${edition}-fichas`;

export const editionCardsJob = defineJobKind<CardsParams, CardsInput>({
  kind: CARDS_JOB,
  label: 'Fichas de una edición',
  paramsSchema: inputSchema,

  async plan(input, user) {
    const edition = await editionForUser(user, input.edition, 'read');
    const loaded = await loadEditionResults(edition.editionId, { publishedOnly: false });
    const count = loaded.results.institutions.length;
    const size = cardsPerPart();
    const parts = [];
    for (let from = 0; from < count; from += size) parts.push({ total: Math.min(size, count - from), input: { from, to: Math.min(count, from + size) } });
    return {
      title: `Fichas de la edición ${edition.editionId} (${count.toLocaleString('es-MX')} sujetos obligados)`,
      params: { edition: edition.editionId, resultsVersion: loaded.edition.resultsVersion, generatedAt: new Date().toISOString(), count },
      parts,
    };
  },

  async runPart(ctx) {
    const { edition, resultsVersion, generatedAt, count } = ctx.job.params;
    const loaded = await loadEditionResults(edition, { publishedOnly: false }).catch((error: unknown) => {
      throw new JobError('edition-gone', `edition ${edition} has no results any more (${(error as Error).message})`, 'La edición ya no existe o no tiene resultados.');
    });
    if (loaded.edition.resultsVersion !== resultsVersion || loaded.ids.length !== count) {
      throw new JobError('edition-changed', `the results of edition ${edition} changed while its cards were being made (version ${resultsVersion} → ${loaded.edition.resultsVersion}); start the job again`, 'Los resultados de la edición cambiaron mientras se generaban las fichas; vuelva a generarlas.');
    }
    const { from, to } = ctx.part.input as { from: number; to: number };
    const rows = Array.from({ length: to - from }, (_, i) => from + i);
    const cards = await institutionCardsData(loaded, rows, new Date(generatedAt));
    ctx.signal.throwIfAborted();
    const pdfs = await renderInstitutionCardPdfs(cards, { priority: 'background', signal: ctx.signal });
    ctx.progress(rows.length);
    let offset = 0;
    const index = pdfs.map((pdf, i) => {
      const entry = { name: institutionCardFileName(loaded.results, rows[i]!), offset, length: pdf.length };
      offset += pdf.length;
      return entry;
    });
    const fileId = await ctx.storePartFile(`${cardsZipName(edition)}-${from + 1}-${to}.pdfs`, Buffer.concat(pdfs), { cards: rows.length });
    return { fileId: String(fileId), cards: index } satisfies CardsPartOutput;
  },

  async finish(ctx) {
    const { edition, generatedAt } = ctx.job.params;
    const outputs = ctx.outputs as CardsPartOutput[];
    const mtime = new Date(generatedAt);
    const zip = new yazl.ZipFile();
    // Entries are read one after the other; each part's file is fetched when its first card is.
    let current: { fileId: string; bytes: Promise<Buffer> } | undefined;
    const partBytes = (fileId: string): Promise<Buffer> => {
      if (current?.fileId !== fileId) {
        const stream = ctx.readPartFile(fileId);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        current = { fileId, bytes: once(stream, 'end').then(() => Buffer.concat(chunks)) };
      }
      return current.bytes;
    };
    for (const output of outputs) {
      for (const card of output.cards) {
        zip.addReadStreamLazy(`${cardsZipName(edition)}/${card.name}`, { compress: false, mtime, size: card.length }, (callback) => {
          partBytes(output.fileId).then(
            (bytes) => callback(null, Readable.from([bytes.subarray(card.offset, card.offset + card.length)])),
            (error: Error) => callback(error, undefined as never),
          );
        });
      }
    }
    zip.end();
    await ctx.storeResult({ fileName: `${cardsZipName(edition)}.zip`, contentType: 'application/zip' }, (out) => pipeline(zip.outputStream, out));
  },

  /** One part per page of the worker's browser. */
  partsAtOnce: () => pagePool().options.pages,
});
