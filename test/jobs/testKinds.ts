/**
 * A job kind for testing the framework: N parts of M units; each unit waits `delayMs`; each part
 * stores a small file naming its worker; finish concatenates them into the result. Parameters make a
 * part fail for good (JobError) or fail unexpectedly on its first attempts (retried).
 */
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JSONSchemaType } from 'ajv';
import { defineJobKind, JobError } from '../../server/jobs/kind.js';
import { registerJobKind } from '../../server/jobs/registry.js';

export interface TestParams {
  parts: number;
  units: number;
  delayMs: number;
  /** A part index whose run throws a JobError (the job fails). */
  failPart?: number;
  /** A part index whose first `flakyAttempts` attempts throw an unexpected error (retried like a crash). */
  flakyPart?: number;
  flakyAttempts?: number;
}

const schema: JSONSchemaType<TestParams> = {
  type: 'object',
  properties: {
    parts: { type: 'integer', minimum: 1, maximum: 100 },
    units: { type: 'integer', minimum: 1, maximum: 100 },
    delayMs: { type: 'integer', minimum: 0, maximum: 10_000 },
    failPart: { type: 'integer', nullable: true },
    flakyPart: { type: 'integer', nullable: true },
    flakyAttempts: { type: 'integer', minimum: 1, nullable: true },
  },
  required: ['parts', 'units', 'delayMs'],
  additionalProperties: false,
};

export interface TestPartOutput {
  fileId: string;
  worker: string;
}

export const testJobKind = defineJobKind<TestParams>({
  kind: 'test-lines',
  label: 'Prueba',
  paramsSchema: schema,
  async plan(params) {
    return { title: `Prueba de ${params.parts} partes`, params, parts: Array.from({ length: params.parts }, (_, i) => ({ total: params.units, input: { first: i * params.units } })) };
  },
  async runPart(ctx) {
    const { first } = ctx.part.input as { first: number };
    if (ctx.job.params.failPart === ctx.part.index) throw new JobError('test-failure', `part ${ctx.part.index} fails on purpose`, 'La parte falla a propósito.');
    if (ctx.job.params.flakyPart === ctx.part.index && ctx.part.attempt <= (ctx.job.params.flakyAttempts ?? 1)) throw new Error(`part ${ctx.part.index}, attempt ${ctx.part.attempt}: an unexpected error`);
    const lines: string[] = [];
    for (let u = 0; u < ctx.part.total; u++) {
      await sleep(ctx.job.params.delayMs, undefined, { signal: ctx.signal });
      lines.push(`unit ${first + u} by ${ctx.workerId}\n`);
      ctx.progress(u + 1);
    }
    const fileId = await ctx.storePartFile(`part-${ctx.part.index}.txt`, Buffer.from(lines.join('')));
    return { fileId: String(fileId), worker: ctx.workerId } satisfies TestPartOutput;
  },
  async finish(ctx) {
    await ctx.storeResult({ fileName: 'lines.txt', contentType: 'text/plain' }, async (out) => {
      for (const output of ctx.outputs as TestPartOutput[]) await pipeline(ctx.readPartFile(output.fileId), out, { end: false });
      out.end();
    });
  },
  partsAtOnce: () => 2,
});

registerJobKind(testJobKind);
