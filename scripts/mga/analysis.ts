/**
 * `mga what-if`, `uncertainty`, `sensitivity`, `coherence`: the robustness analyses of scoring/analysis/
 * over a results file. Their bodies (analysisRun.ts) load on demand, so other subcommands start fast.
 */
import type { CliIo, Subcommand } from './cli.js';
import { INPUT_USAGE } from './input.js';

const GROUPINGS = 'entity|type|level|institution';
const COMMON = `${INPUT_USAGE}
                 [--by ${GROUPINGS}] [--runs N] [--seed S] [--weights-range R]
                 [--aggregations arithmetic,geometric,harmonic] [--leave-one-out] [--format csv|json]`;

export const ANALYSIS_USAGES = {
  uncertainty: `usage: mga uncertainty ${COMMON}
defaults: --by entity --runs 1000 --seed 1 --weights-range 0.25; each node keeps its rule unless --aggregations
CSV: group,nominal_rank,median_rank,p05_rank,p95_rank,mean_abs_shift (sorted by nominal rank); JSON adds the parameters`,
  sensitivity: `usage: mga sensitivity ${COMMON} [--bootstrap B]
--runs is the base sample N (cost N × (factors + 2)); --bootstrap defaults to 500
CSV: factor,first_order,first_order_low,first_order_high,total_order,total_order_low,total_order_high`,
  coherence: `usage: mga coherence ${INPUT_USAGE} [--format json|csv]
JSON (default): the whole result; CSV: node_a,node_b,pearson,spearman for every pair; flags on stderr`,
  whatIf: `usage: mga what-if ${INPUT_USAGE} --weights VARIANT.json [--by ${GROUPINGS}] [--format csv|json]
CSV: group,n,official_value,official_rank,variant_value,variant_rank,rank_change (sorted by the variant's rank)`,
} as const;

type Body = (args: string[], io: CliIo) => Promise<number>;
const lazy = (summary: string, usage: string, pick: (m: typeof import('./analysisRun.js')) => Body): Subcommand => ({
  summary,
  usage,
  run: async (args, io) => pick(await import('./analysisRun.js'))(args, io),
});

export const whatIfCommand = lazy('results under a methodology variant with ranks and rank changes against the official methodology', ANALYSIS_USAGES.whatIf, (m) => m.whatIf);
export const uncertaintyCommand = lazy('rank intervals of groups or institutions when weights, rules and components vary (Monte Carlo)', ANALYSIS_USAGES.uncertainty, (m) => m.uncertainty);
export const sensitivityCommand = lazy('first- and total-order sensitivity indices of the rank shifts to each assumption (Saltelli/Jansen)', ANALYSIS_USAGES.sensitivity, (m) => m.sensitivity);
export const coherenceCommand = lazy('correlations between nodes, Cronbach alpha, PCA of the sub-indices, with plain-language flags', ANALYSIS_USAGES.coherence, (m) => m.coherence);
