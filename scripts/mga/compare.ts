/**
 * `mga compare`: two editions' per-institution results files compared without a server. Institutions
 * are linked by the exact match on (entity, type, normalised name); fuzzy candidates are only used
 * when a person decided them (--crosswalk, the admin page's CSV) or when --accept-fuzzy accepts the
 * mutual-best ones above a threshold. Prints one row per group of the base file: n of each side, the
 * linked pairs, and per node the whole-sample means and the mean change over the linked pairs.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { parseDecisionsCsv, resolveDecisions } from '../../scoring/crosswalkFile.js';
import { scoreInstitutions } from '../../scoring/engine.js';
import { IMPORT_PRESETS, IMPORT_PRESET_IDS, parseResultsTable, TEXT_ENCODINGS, type ImportError, type ImportedRow } from '../../scoring/import/index.js';
import { acceptMutualBest, matchInstitutions, type MatchRecord } from '../../scoring/matching.js';
import { panelComparison, PANEL_GROUPINGS, type PanelComparison, type PanelSide } from '../../scoring/panel.js';
import { formatValue, summaryColumns, toCsv } from '../../scoring/recalc.js';
import { roundHalfUp } from '../../scoring/rounding.js';
import { CliError, oneOf, type CliIo, type Subcommand } from './cli.js';
import { describeImportError, inputFormat, readInput } from './input.js';

const OUTPUT_FORMATS = ['csv', 'json'] as const;
const MAX_ROUND = 15;
const ERRORS_SHOWN = 3;

const usage = `usage: mga compare --base <file.csv|file.xlsx> --other <file.csv|file.xlsx> --by ${PANEL_GROUPINGS.join('|')}
                  [--preset ${IMPORT_PRESET_IDS.join('|')}] [--format ${OUTPUT_FORMATS.join('|')}] [--round N]
                  [--crosswalk decisions.csv] [--accept-fuzzy 0.9] [--encoding ${TEXT_ENCODINGS.join('|')}]
CSV columns: group,n_base,n_other,n_matched, then <node>_base,<node>_other,<node>_delta_matched per node
(<node>_base/_other: whole-sample means; _delta_matched: mean change over the institutions in both files)`;

function problems(flag: string, file: string, errors: readonly ImportError[]): CliError {
  const shown = errors.slice(0, ERRORS_SHOWN).map(describeImportError).join('; ');
  const more = errors.length > ERRORS_SHOWN ? `; and ${errors.length - ERRORS_SHOWN} more` : '';
  return new CliError(`--${flag}: ${errors.length} error(s) in ${file}, nothing compared: ${shown}${more}`);
}

const records = (rows: readonly ImportedRow[], prefix: string): MatchRecord[] => rows.map((r, i) => ({ key: `${prefix}${i}`, name: r.name, entity: r.entity, type: r.type, level: r.level }));

/** The CSV table: the exact header the issue fixed, one row per base group, unrounded unless --round. */
export function compareTable(panel: PanelComparison, round?: number): string[][] {
  return [
    ['group', 'n_base', 'n_other', 'n_matched', ...panel.nodes.flatMap((n) => [`${n}_base`, `${n}_other`, `${n}_delta_matched`])],
    ...panel.groups.map((g) => [
      g.group,
      String(g.nBase),
      String(g.nOther),
      String(g.nMatched),
      ...panel.nodes.flatMap((n) => {
        const v = g.nodes[n]!;
        return [formatValue(v.base, round), formatValue(v.other, round), formatValue(v.deltaMatched, round)];
      }),
    ]),
  ];
}

export const compareCommand: Subcommand = {
  summary: 'compare two editions\' institution results: whole-sample means and the change over the institutions in both',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: flags } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        base: { type: 'string' },
        other: { type: 'string' },
        preset: { type: 'string', default: 'mga-2017' },
        by: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        round: { type: 'string' },
        crosswalk: { type: 'string' },
        'accept-fuzzy': { type: 'string' },
        encoding: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (flags.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!flags.base) throw new CliError('--base is required (the earlier edition\'s results file)');
    if (!flags.other) throw new CliError('--other is required (the later edition\'s results file)');
    const by = oneOf('by', flags.by, PANEL_GROUPINGS);
    if (!by) throw new CliError(`--by is required (${PANEL_GROUPINGS.join(', ')})`);
    const preset = oneOf('preset', flags.preset, IMPORT_PRESET_IDS)!;
    const outputFormat = oneOf('format', flags.format, OUTPUT_FORMATS)!;
    const encoding = oneOf('encoding', flags.encoding, TEXT_ENCODINGS)!;
    let round: number | undefined;
    if (flags.round !== undefined) {
      if (!/^\d+$/.test(flags.round) || Number(flags.round) > MAX_ROUND) throw new CliError(`--round must be an integer from 0 to ${MAX_ROUND}, got "${flags.round}"`);
      round = Number(flags.round);
    }
    let acceptFuzzy: number | undefined;
    if (flags['accept-fuzzy'] !== undefined) {
      acceptFuzzy = Number(flags['accept-fuzzy']);
      if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(flags['accept-fuzzy']) || acceptFuzzy < 0.5) throw new CliError(`--accept-fuzzy must be a similarity from 0.5 to 1, e.g. 0.9; got "${flags['accept-fuzzy']}"`);
    }
    const flagged = async <T>(flag: string, work: () => T | Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof CliError && !error.message.startsWith('--')) throw new CliError(`--${flag}: ${error.message}`);
        throw error;
      }
    };
    const baseFormat = await flagged('base', () => inputFormat(flags.base!));
    const otherFormat = await flagged('other', () => inputFormat(flags.other!));

    const methodology = loadBuiltinMethodology(IMPORT_PRESETS[preset].methodologyId);
    const parse = async (flag: 'base' | 'other', file: string, format: typeof baseFormat) => {
      const parsed = await parseResultsTable(await flagged(flag, () => readInput(file)), { format, preset, encoding, methodology });
      if (parsed.errors.length > 0) throw problems(flag, file, parsed.errors);
      if (parsed.rows.length === 0) throw new CliError(`--${flag}: ${file} has no data rows`);
      return parsed.rows;
    };
    const baseRows = await parse('base', flags.base, baseFormat);
    const otherRows = await parse('other', flags.other, otherFormat);
    const baseRecords = records(baseRows, 'b');
    const otherRecords = records(otherRows, 'o');

    let decisions = flags.crosswalk === undefined ? [] : await (async () => {
      const parsed = parseDecisionsCsv(await flagged('crosswalk', () => readInput(flags.crosswalk!)));
      if (parsed.errors.length > 0) throw problems('crosswalk', flags.crosswalk!, parsed.errors);
      const resolved = resolveDecisions(parsed.rows, baseRecords, otherRecords);
      if (resolved.errors.length > 0) throw problems('crosswalk', flags.crosswalk!, resolved.errors);
      return resolved.decisions;
    })();
    let match = matchInstitutions(baseRecords, otherRecords, { decisions });
    if (acceptFuzzy !== undefined) {
      decisions = [...decisions, ...acceptMutualBest(match, acceptFuzzy)];
      match = matchInstitutions(baseRecords, otherRecords, { decisions });
    }

    const side = (file: string, rows: readonly ImportedRow[], recs: readonly MatchRecord[]): PanelSide => ({
      edition: basename(file),
      institutions: rows.map((r, i) => ({ key: recs[i]!.key, entity: r.entity, type: r.type, level: r.level })),
      scores: scoreInstitutions(methodology, rows.map((r) => r.values)),
    });
    const panel = panelComparison(side(flags.base, baseRows, baseRecords), side(flags.other, otherRows, otherRecords), match.links, by, summaryColumns(methodology));

    if (outputFormat === 'json') {
      const rounded = (v: number | null) => (v === null || round === undefined ? v : roundHalfUp(v, round));
      const nameOf = new Map([...baseRecords, ...otherRecords].map((r) => [r.key, { name: r.name, entity: r.entity }]));
      io.stdout(
        `${JSON.stringify(
          {
            methodology: { id: methodology.id, version: methodology.version },
            base: { file: flags.base, institutions: baseRows.length },
            other: { file: flags.other, institutions: otherRows.length },
            by,
            round: round ?? null,
            matching: {
              counts: match.counts,
              unmatchedBase: match.unmatchedBase.map((k) => nameOf.get(k)),
              unmatchedOther: match.unmatchedOther.map((k) => nameOf.get(k)),
              candidates: match.candidates.map((c) => ({ base: nameOf.get(c.base), other: nameOf.get(c.other), similarity: c.similarity, sameType: c.sameType, mutualBest: c.mutualBest })),
            },
            groups: panel.groups.map((g) => ({
              group: g.group,
              nBase: g.nBase,
              nOther: g.nOther,
              nMatched: g.nMatched,
              nodes: Object.fromEntries(Object.entries(g.nodes).map(([id, v]) => [id, { base: rounded(v.base), other: rounded(v.other), deltaAll: rounded(v.deltaAll), deltaMatched: rounded(v.deltaMatched), nMatched: v.nMatched }])),
              warnings: g.warnings.map((w) => ({ kind: w.kind, message: w.message.en })),
            })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(toCsv(compareTable(panel, round)));
    }

    const c = match.counts;
    const unused = match.candidates.filter((x) => x.mutualBest).length;
    io.stderr(
      `mga compare: ${c.exact + c.confirmed} institutions linked (${c.exact} exact, ${c.confirmed} confirmed) of ${c.base} in ${basename(flags.base)} and ${c.other} in ${basename(flags.other)}; ` +
        `unmatched: ${c.unmatchedBase} and ${c.unmatchedOther}` +
        (unused > 0 ? `; ${unused} fuzzy candidates not used (decide them with --crosswalk, or --accept-fuzzy 0.9)` : acceptFuzzy !== undefined ? `; mutual-best fuzzy candidates at ${acceptFuzzy} or above were accepted without review` : '') +
        '\n',
    );
    const warned = panel.groups.filter((g) => g.warnings.length > 0);
    if (warned.length > 0) {
      const first = warned[0]!.warnings.find((w) => w.kind !== 'size') ?? warned[0]!.warnings[0]!;
      io.stderr(`mga compare: warning: the samples differ in size or composition in ${warned.length} of ${panel.groups.length} groups; a change of sample is not a change of openness: read the *_delta_matched columns (first: ${first.message.en})\n`);
    }
    for (const p of match.problems.filter((x) => x.kind === 'ambiguous')) io.stderr(`mga compare: warning: ${p.side} file: ${p.reason}; not linked exactly\n`);
    return 0;
  },
};
