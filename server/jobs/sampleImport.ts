/**
 * Big sample imports as a job: the route stores the uploaded file in GridFS and answers 202; a
 * worker reads it back and runs the same import as the synchronous path (streaming, caps, the
 * model's validation, one transaction). The job's result is the import's summary (JSON), the same
 * body the synchronous path answers with.
 */
import type { JSONSchemaType } from 'ajv';
import { Types } from 'mongoose';
import { defineJobKind, JobError } from './kind.js';
import { BUCKETS, discard, download, upload } from '../files/gridfs.js';
import { HttpProblem } from '../http/problem.js';
import { userActor, type UserPrincipal } from '../auth/access.js';
import { assertAllows, loadEdition } from '../services/editionLifecycle.js';
import { importEditionSample } from '../services/results.js';
import { importLimits } from '../services/importSettings.js';
import type { Actor } from '../services/audit.js';
import { IMPORT_PRESET_IDS, type ImportPresetId } from '../../scoring/import/index.js';

export interface SampleImportInput {
  edition: string;
  fileId: string;
  format: 'csv' | 'xlsx';
  fileName: string;
  preset?: string;
}

export interface SampleImportParams extends SampleImportInput {
  actor: Actor;
}

const inputSchema: JSONSchemaType<SampleImportInput> = {
  type: 'object',
  properties: {
    edition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
    fileId: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    format: { type: 'string', enum: ['csv', 'xlsx'] },
    fileName: { type: 'string', maxLength: 300 },
    preset: { type: 'string', enum: [...IMPORT_PRESET_IDS], nullable: true },
  },
  required: ['edition', 'fileId', 'format', 'fileName'],
  additionalProperties: false,
};

/** Progress of the single part, in percent. */
const PERCENT = 100;

async function readAll(fileId: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of download(BUCKETS.jobs, fileId)) {
    length += (chunk as Buffer).length;
    if (length > limit) throw new JobError('import-too-large', `the uploaded file is larger than ${limit} bytes`, `El archivo pasa del tamaño máximo permitido (${limit} bytes).`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export const sampleImportJob = defineJobKind<SampleImportParams, SampleImportInput>({
  kind: 'sample-import',
  label: 'Importación de la muestra',
  paramsSchema: inputSchema,
  async plan(input, submitter: UserPrincipal) {
    if (submitter.role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'only admins import samples');
    assertAllows(await loadEdition(input.edition), 'sample');
    return {
      title: `Importación de la muestra de ${input.edition} (${input.fileName})`,
      params: { ...input, actor: userActor(submitter) },
      parts: [{ total: PERCENT }],
    };
  },
  async runPart(ctx) {
    const { edition, fileId, format, fileName, preset, actor } = ctx.job.params;
    const bytes = await readAll(fileId, importLimits().maxUploadBytes);
    ctx.signal.throwIfAborted();
    try {
      const summary = await importEditionSample(edition, bytes, {
        format,
        fileName,
        actor,
        ...(preset && { preset: preset as ImportPresetId }),
        onProgress: (fraction) => ctx.progress(Math.min(PERCENT - 1, Math.floor(fraction * PERCENT))),
      });
      ctx.progress(PERCENT);
      return summary;
    } catch (error) {
      if (error instanceof HttpProblem && error.status < 500) {
        // Bad data or the edition's state: nothing to retry; the file is not needed any more.
        await discard(BUCKETS.jobs, fileId).catch(() => undefined);
        const rows = (error.errors ?? []).slice(0, 5).map((e) => `${e.row ? `fila ${e.row}, ` : ''}${e.field}: ${e.reason}`).join('; ');
        throw new JobError(error.code ?? 'import-rejected', error.detail ?? error.title, `No se importó nada. ${error.pageMessage ?? ''}${rows ? ` ${rows}` : ''}`.trim());
      }
      throw error;
    }
  },
  async finish(ctx) {
    const summary = ctx.outputs[0];
    await ctx.storeResult({ fileName: `importacion-${ctx.job.params.edition}.json`, contentType: 'application/json' }, async (out) => {
      out.end(JSON.stringify(summary));
    });
    await discard(BUCKETS.jobs, ctx.job.params.fileId).catch(() => undefined);
  },
  maxAttempts: 2,
});

/** Stores an uploaded table for a sample-import job; returns the file's id. */
export async function storeUpload(editionId: string, bytes: Uint8Array, fileName: string): Promise<string> {
  const id = new Types.ObjectId();
  await upload(BUCKETS.jobs, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { id, filename: `muestra-${editionId}-${fileName}`, metadata: { kind: 'sample-upload', edition: editionId } });
  return String(id);
}
