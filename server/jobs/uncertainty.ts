/**
 * Job kind "uncertainty": the Monte Carlo uncertainty analysis of a published edition
 * (scoring/analysis/uncertainty.ts). Parts are ranges of chunks of runs (each chunk draws from its
 * own jump of the seed's generator, so a part's tally does not depend on where or when it runs);
 * each part stores its rank counts as a file, `finish` adds them up and writes the JSON result with
 * its parameters. The edition's results version and the date are pinned at submission.
 */
import type { JSONSchemaType } from 'ajv';
import { buffer } from 'node:stream/consumers';
import { checkAssumptions } from '../../scoring/analysis/assumptions.js';
import { AnalysisInputError, buildModel, type ModelInput } from '../../scoring/analysis/model.js';
import { MAX_SEED, RUNS_PER_CHUNK } from '../../scoring/analysis/random.js';
import {
  checkRuns,
  chunkCount,
  emptyTally,
  finishUncertainty,
  mergeTallies,
  nominalRanks,
  tallyChunks,
  uncertaintyParameters,
  type RankTally,
  type UncertaintyOptions,
} from '../../scoring/analysis/uncertainty.js';
import { institutionLabel, WHAT_IF_GROUPINGS, type WhatIfGrouping } from '../../scoring/analysis/whatif.js';
import { NotRecomputableError } from '../../scoring/recompute.js';
import { applyVariant, VARIANT_RULES, VariantValidationError, type VariantRule } from '../../scoring/variants.js';
import { HttpProblem } from '../http/problem.js';
import { loadEditionResults } from '../services/reports.js';
import { defineJobKind, JobError } from './kind.js';

export interface UncertaintyJobInput {
  edition: string;
  by: WhatIfGrouping;
  runs: number;
  seed: number;
  weightsRange: number;
  aggregations?: VariantRule[];
  leaveOneOut?: boolean;
  /** A methodology variant to analyse instead of the official methodology. */
  variant?: Record<string, unknown>;
}

export interface UncertaintyJobParams extends UncertaintyJobInput {
  resultsVersion: number;
  date: string;
}

const paramsSchema: JSONSchemaType<UncertaintyJobInput> = {
  type: 'object',
  properties: {
    edition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
    by: { type: 'string', enum: [...WHAT_IF_GROUPINGS], default: 'entity' },
    runs: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10_000 },
    seed: { type: 'integer', minimum: 0, maximum: MAX_SEED, default: 1 },
    weightsRange: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.25 },
    aggregations: { type: 'array', items: { type: 'string', enum: [...VARIANT_RULES] }, minItems: 1, uniqueItems: true, nullable: true },
    leaveOneOut: { type: 'boolean', nullable: true },
    variant: { type: 'object', nullable: true, required: [] },
  },
  required: ['edition', 'by', 'runs', 'seed', 'weightsRange'],
  additionalProperties: false,
};

/** Chunks of 1,024 runs per part: about a second of work for the 908 institutions, cheap to redo. */
const CHUNKS_PER_PART = 8;

async function modelOf(params: UncertaintyJobInput) {
  const { edition, results } = await loadEditionResults(params.edition);
  const methodology = params.variant ? applyVariant(results.compiled.methodology, params.variant) : null;
  const input: ModelInput = {
    methodology: methodology?.methodology ?? results.compiled,
    givens: results.institutions.map((i) => i.values),
    ...(params.by === 'institution' ? { rowLabels: results.institutions.map(institutionLabel) } : { groupOfRow: results.institutions.map((i) => i[params.by as 'entity']) }),
  };
  if (methodology) {
    // The changed nodes must be recomputable from the data, as in a what-if.
    const { recomputeScores } = await import('../../scoring/recompute.js');
    recomputeScores(methodology.methodology, input.givens, methodology.changed);
  }
  return { edition, model: buildModel(input), variant: methodology?.variant ?? null };
}

function options(params: UncertaintyJobParams, variant: UncertaintyOptions['variant']): UncertaintyOptions {
  return {
    runs: params.runs,
    seed: params.seed,
    weightsRange: params.weightsRange,
    ...(params.aggregations && { aggregations: params.aggregations }),
    leaveOneOut: params.leaveOneOut ?? false,
    by: params.by,
    date: params.date,
    variant,
  };
}

function tallyBytes(tally: RankTally): Buffer {
  const out = Buffer.alloc(8 + tally.counts.byteLength + tally.shiftSums.byteLength);
  out.writeDoubleLE(tally.runs, 0);
  Buffer.from(tally.counts.buffer, tally.counts.byteOffset, tally.counts.byteLength).copy(out, 8);
  Buffer.from(tally.shiftSums.buffer, tally.shiftSums.byteOffset, tally.shiftSums.byteLength).copy(out, 8 + tally.counts.byteLength);
  return out;
}

function tallyFrom(bytes: Buffer, units: number): RankTally {
  const copy = new Uint8Array(bytes).buffer;
  return {
    runs: new DataView(copy).getFloat64(0, true),
    counts: new Uint32Array(copy.slice(8, 8 + units * units * 4)),
    shiftSums: new Float64Array(copy.slice(8 + units * units * 4)),
  };
}

export const uncertaintyJob = defineJobKind<UncertaintyJobParams, UncertaintyJobInput>({
  kind: 'uncertainty',
  label: 'Análisis de incertidumbre',
  paramsSchema,
  async plan(input) {
    let loaded;
    try {
      checkAssumptions(input);
      checkRuns(input.runs);
      loaded = await modelOf(input);
    } catch (error) {
      if (error instanceof VariantValidationError) throw new HttpProblem(400, 'Bad Request', error.message.replace(/\n\s*/g, ' '), error.issues.map((i) => ({ field: `variant${i.path}`, reason: i.message })));
      if (error instanceof AnalysisInputError || error instanceof NotRecomputableError) throw new HttpProblem(422, 'Unprocessable Content', error.message, [{ field: 'body', reason: error.message }]);
      throw error;
    }
    const chunks = chunkCount(input.runs);
    const parts = [];
    for (let from = 0; from < chunks; from += CHUNKS_PER_PART) {
      const to = Math.min(chunks, from + CHUNKS_PER_PART);
      parts.push({ total: Math.min(input.runs, to * RUNS_PER_CHUNK) - from * RUNS_PER_CHUNK, input: { fromChunk: from, toChunk: to } });
    }
    return {
      title: `Análisis de incertidumbre de ${loaded.edition.editionId} por ${{ entity: 'entidad', type: 'tipo', level: 'nivel', institution: 'sujeto obligado' }[input.by]} (${input.runs.toLocaleString('es-MX')} corridas)`,
      params: { ...input, resultsVersion: loaded.edition.resultsVersion, date: new Date().toISOString() },
      parts,
    };
  },
  async runPart(ctx) {
    const params = ctx.job.params;
    const { edition, model, variant } = await modelOf(params).catch((error: unknown) => {
      throw new JobError('edition-gone', `edition ${params.edition} cannot be analysed: ${(error as Error).message}`, 'La edición ya no existe o no tiene resultados.');
    });
    if (edition.resultsVersion !== params.resultsVersion) throw new JobError('edition-changed', 'the edition results changed during the analysis', 'Los resultados de la edición cambiaron durante el análisis; vuelva a pedirlo.');
    const { fromChunk, toChunk } = ctx.part.input as { fromChunk: number; toChunk: number };
    const nominal = nominalRanks(model).ranks;
    const tally = emptyTally(model);
    for (let chunk = fromChunk; chunk < toChunk; chunk++) {
      ctx.signal.throwIfAborted();
      tallyChunks(model, options(params, variant), params.seed, params.runs, chunk, chunk + 1, nominal, tally);
      ctx.progress(tally.runs);
      await new Promise((resolve) => setImmediate(resolve)); // let the lease renew between chunks
    }
    const fileId = await ctx.storePartFile(`part-${ctx.part.index}.tally`, tallyBytes(tally));
    return { fileId: String(fileId), runs: tally.runs };
  },
  async finish(ctx) {
    const params = ctx.job.params;
    const { model, variant } = await modelOf(params);
    const nominal = nominalRanks(model);
    const tally = emptyTally(model);
    for (const output of ctx.outputs as { fileId: string }[]) {
      mergeTallies(tally, tallyFrom(await buffer(ctx.readPartFile(output.fileId)), model.unitCount));
    }
    const opts = options(params, variant);
    const result = finishUncertainty(model, opts, uncertaintyParameters(model, opts), nominal, tally);
    await ctx.storeResult({ fileName: `${params.edition}-incertidumbre-${params.by}.json`, contentType: 'application/json' }, async (out) => {
      out.end(JSON.stringify({ edition: params.edition, ...result }, null, 2));
    });
  },
  partsAtOnce: () => 1,
});
