/**
 * The bodies of `mga uncertainty`, `sensitivity`, `coherence` and `what-if` (loaded on demand by
 * analysis.ts so that other subcommands start fast). Every JSON output starts with its parameters.
 */
import { parseArgs } from 'node:util';
import { runCoherence } from '../../scoring/analysis/coherence.js';
import { AnalysisInputError, buildModel } from '../../scoring/analysis/model.js';
import { MAX_SEED } from '../../scoring/analysis/random.js';
import { runSensitivity, SENSITIVITY_CSV_HEADER, DEFAULT_BOOTSTRAP } from '../../scoring/analysis/sensitivity.js';
import { runUncertainty, uncertaintyCsvRows } from '../../scoring/analysis/uncertainty.js';
import { institutionLabel, runWhatIf, WHAT_IF_GROUPINGS, type WhatIfGrouping } from '../../scoring/analysis/whatif.js';
import { DEFAULT_WEIGHTS_RANGE } from '../../scoring/analysis/assumptions.js';
import type { ImportedRow } from '../../scoring/import/index.js';
import { NotRecomputableError } from '../../scoring/recompute.js';
import { toCsv } from '../../scoring/recalc.js';
import { formatFixed } from '../../scoring/rounding.js';
import { VARIANT_RULES, type VariantRule } from '../../scoring/variants.js';
import { CliError, oneOf, type CliIo } from './cli.js';
import { ANALYSIS_USAGES } from './analysis.js';
import { INPUT_OPTIONS, INPUT_USAGE, loadInput } from './input.js';

const FORMATS = ['csv', 'json'] as const;
const ANALYSIS_GROUPINGS = WHAT_IF_GROUPINGS;

const ANALYSIS_OPTIONS = {
  ...INPUT_OPTIONS,
  by: { type: 'string', default: 'entity' },
  runs: { type: 'string' },
  seed: { type: 'string', default: '1' },
  'weights-range': { type: 'string', default: String(DEFAULT_WEIGHTS_RANGE) },
  aggregations: { type: 'string' },
  'leave-one-out': { type: 'boolean', default: false },
  bootstrap: { type: 'string', default: String(DEFAULT_BOOTSTRAP) },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new CliError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

function weightsRange(text: string): number {
  const value = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(value >= 0 && value < 1)) throw new CliError(`--weights-range must be a number from 0 to below 1, got "${text}"`);
  return value;
}

function aggregations(text: string | undefined): VariantRule[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim());
  for (const rule of list) if (!(VARIANT_RULES as readonly string[]).includes(rule)) throw new CliError(`--aggregations: unknown rule "${rule}"; expected some of ${VARIANT_RULES.join(', ')}`);
  return [...new Set(list)] as VariantRule[];
}

function modelFor(rows: readonly ImportedRow[], methodology: Parameters<typeof buildModel>[0]['methodology'], by: WhatIfGrouping) {
  return buildModel({
    methodology,
    givens: rows.map((r) => r.values),
    ...(by === 'institution' ? { rowLabels: rows.map(institutionLabel) } : { groupOfRow: rows.map((r) => r[by]) }),
  });
}

async function parse(args: string[], usage: string, io: CliIo) {
  const { values: flags } = parseArgs({ args, strict: true, allowPositionals: false, options: ANALYSIS_OPTIONS });
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return undefined;
  }
  const by = oneOf('by', flags.by, ANALYSIS_GROUPINGS)!;
  const input = await loadInput(flags);
  return { flags, by, input };
}

function guard<T>(task: () => T): T {
  try {
    return task();
  } catch (error) {
    if (error instanceof AnalysisInputError || error instanceof NotRecomputableError) throw new CliError(error.message);
    throw error;
  }
}


export async function uncertainty(args: string[], io: CliIo): Promise<number> {
  const parsed = await parse(args, ANALYSIS_USAGES.uncertainty, io);
  if (!parsed) return 0;
  const { flags, by, input } = parsed;
  const format = oneOf('format', flags.format ?? 'csv', FORMATS)!;
  const aggs = aggregations(flags.aggregations);
  const result = guard(() =>
    runUncertainty(modelFor(input.rows, input.methodology, by), {
      runs: integer('runs', flags.runs ?? '1000', 1, 1_000_000),
      seed: integer('seed', flags.seed, 0, MAX_SEED),
      weightsRange: weightsRange(flags['weights-range']),
      ...(aggs && { aggregations: aggs }),
      leaveOneOut: flags['leave-one-out'],
      by,
      date: new Date().toISOString(),
      variant: input.derived?.variant ?? null,
    }),
  );
  io.stdout(format === 'csv' ? toCsv(uncertaintyCsvRows(result)) : `${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

export async function sensitivity(args: string[], io: CliIo): Promise<number> {
  const parsed = await parse(args, ANALYSIS_USAGES.sensitivity, io);
  if (!parsed) return 0;
  const { flags, by, input } = parsed;
  const format = oneOf('format', flags.format ?? 'csv', FORMATS)!;
  const aggs = aggregations(flags.aggregations);
  const result = guard(() =>
    runSensitivity(modelFor(input.rows, input.methodology, by), {
      runs: integer('runs', flags.runs ?? '1000', 2, 200_000),
      seed: integer('seed', flags.seed, 0, MAX_SEED),
      weightsRange: weightsRange(flags['weights-range']),
      ...(aggs && { aggregations: aggs }),
      leaveOneOut: flags['leave-one-out'],
      bootstrap: integer('bootstrap', flags.bootstrap, 0, 10_000),
      by,
      date: new Date().toISOString(),
      variant: input.derived?.variant ?? null,
    }),
  );
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatFixed(v, 4));
  io.stdout(
    format === 'csv'
      ? toCsv([
          [...SENSITIVITY_CSV_HEADER],
          ...result.factors.map((f) => [f.factor, cell(f.first), cell(f.firstInterval?.[0]), cell(f.firstInterval?.[1]), cell(f.total), cell(f.totalInterval?.[0]), cell(f.totalInterval?.[1])]),
        ])
      : `${JSON.stringify(result, null, 2)}\n`,
  );
  return 0;
}

export async function coherence(args: string[], io: CliIo): Promise<number> {
  const parsed = await parse(args, ANALYSIS_USAGES.coherence, io);
  if (!parsed) return 0;
  const { flags, input } = parsed;
  const format = oneOf('format', flags.format ?? 'json', FORMATS)!;
  const result = guard(() =>
    runCoherence(input.methodology, input.rows.map((r) => r.values), { date: new Date().toISOString(), variant: input.derived?.variant ?? null }),
  );
  if (format === 'json') {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const rows: string[][] = [['node_a', 'node_b', 'pearson', 'spearman']];
    const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatFixed(v, 4));
    result.nodes.forEach((a, x) => result.nodes.forEach((b, y) => y > x && rows.push([a.id, b.id, cell(result.pearson[x]![y]), cell(result.spearman[x]![y])])));
    io.stdout(toCsv(rows));
  }
  for (const flag of result.flags) io.stderr(`mga coherence: flag: ${flag.message.en}\n`);
  return 0;
}

export async function whatIf(args: string[], io: CliIo): Promise<number> {
  const parsed = await parse(args, ANALYSIS_USAGES.whatIf, io);
  if (!parsed) return 0;
  const { flags, by, input } = parsed;
  if (!input.derived) throw new CliError('--weights is required: the variant to compare with the official methodology');
  const format = oneOf('format', flags.format ?? 'csv', FORMATS)!;
  const derived = input.derived;
  const result = guard(() => runWhatIf(input.official, derived, input.rows, { by, date: new Date().toISOString() }));
  const cell = (v: number | null) => (v === null ? '' : String(v));
  io.stdout(
    format === 'csv'
      ? toCsv([
          ['group', 'n', 'official_value', 'official_rank', 'variant_value', 'variant_rank', 'rank_change'],
          ...result.groups.map((g) => [g.group, String(g.n), g.official.value === null ? '' : formatFixed(g.official.value, 4), cell(g.official.rank), g.variant.value === null ? '' : formatFixed(g.variant.value, 4), cell(g.variant.rank), cell(g.rankChange)]),
        ])
      : `${JSON.stringify(result, null, 2)}\n`,
  );
  return 0;
}
