/** `mga recalc`: group results from a CSV or XLSX file and print the group means. */
import { parseArgs } from 'node:util';
import { NATIONAL_METHODS } from '../../scoring/grouping.js';
import { NotRecomputableError } from '../../scoring/recompute.js';
import { groupingTable, recalcJson, recalculate, RECALC_GROUPINGS, summaryColumns, toCsv } from '../../scoring/recalc.js';
import { CliError, oneOf, type CliIo, type Subcommand } from './cli.js';
import { INPUT_OPTIONS, INPUT_USAGE, loadInput, recomputes } from './input.js';

const OUTPUT_FORMATS = ['csv', 'json'] as const;
const MAX_ROUND = 15;

const usage = `usage: mga recalc ${INPUT_USAGE}
                 --by ${RECALC_GROUPINGS.join('|')} [--national-method ${NATIONAL_METHODS.join('|')}]
                 [--round N] [--format ${OUTPUT_FORMATS.join('|')}]
(--weights applies a methodology variant, --methodology uses a whole methodology; either recomputes the tree from the data)`;

export const recalc: Subcommand = {
  summary: 'recalculate group means (entity, type, level or national) from institution results',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: flags } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...INPUT_OPTIONS,
        by: { type: 'string' },
        'national-method': { type: 'string' },
        round: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (flags.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const by = oneOf('by', flags.by, RECALC_GROUPINGS);
    if (!by) throw new CliError(`--by is required (${RECALC_GROUPINGS.join(', ')})`);
    const nationalMethod = oneOf('national-method', flags['national-method'], NATIONAL_METHODS);
    if (nationalMethod && by !== 'national') throw new CliError('--national-method applies only to --by national');
    const outputFormat = oneOf('format', flags.format, OUTPUT_FORMATS)!;
    let round: number | undefined;
    if (flags.round !== undefined) {
      if (!/^\d+$/.test(flags.round) || Number(flags.round) > MAX_ROUND) throw new CliError(`--round must be an integer from 0 to ${MAX_ROUND}, got "${flags.round}"`);
      round = Number(flags.round);
    }

    const input = await loadInput(flags, 'recalculated');
    const { methodology, rows } = input;
    let result;
    try {
      result = recalculate(methodology, rows, { by, ...(nationalMethod && { nationalMethod }), ...(recomputes(input) && { recompute: { changed: input.changed } }) });
    } catch (error) {
      if (error instanceof NotRecomputableError) throw new CliError(error.message);
      throw error;
    }
    const parsed = { rows };
    for (const skipped of input.derived?.skippedEquivalences ?? []) {
      io.stderr(`mga recalc: note: equivalence check "${skipped.path}" of ${skipped.node} skipped for this variant (${skipped.reason})\n`);
    }
    if (input.derived && input.derived.zeroRuleNodes.length > 0) {
      io.stderr(`mga recalc: note: geometric or harmonic means (${input.derived.zeroRuleNodes.join(', ')}) are 0 whenever one of their components is 0; no small constant is added\n`);
    }
    if (outputFormat === 'json') {
      const json = {
        ...recalcJson(result, parsed.rows, round),
        ...(methodology.derivedFrom && { derivedFrom: { id: methodology.derivedFrom.id, version: methodology.derivedFrom.version, hash: methodology.derivedFrom.hash } }),
        ...(input.derived && { variant: input.derived.variant, changed: input.derived.changed, dropped: input.derived.dropped, skippedEquivalences: input.derived.skippedEquivalences }),
      };
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    }
    else io.stdout(toCsv(groupingTable(result.grouping, summaryColumns(methodology), round)));

    const { discrepancies } = result.scores;
    if (discrepancies.length > 0) {
      const first = discrepancies[0]!;
      io.stderr(
        `mga recalc: warning: ${discrepancies.length} given value(s) disagree with their formulas beyond the tolerance; given values were kept ` +
          `(first: row ${parsed.rows[first.row]?.rowNumber}, ${first.node} = ${first.reported} vs ${first.computed} via ${first.via})\n`,
      );
    }
    return 0;
  },
};
