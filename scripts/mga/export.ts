/** `mga export`: the open data package (Frictionless) of a results file, written into a folder. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDataPackage, publishedFigureRows } from '../../reports/datapackage.js';
import { checkDataPackage } from '../../reports/datapackageCheck.js';
import { scoreInstitutions } from '../../scoring/engine.js';
import { groupBy } from '../../scoring/grouping.js';
import { parsePublishedAggregates } from '../../scoring/published.js';
import { CliError, type CliIo, type Subcommand } from './cli.js';
import { INPUT_OPTIONS, loadInput } from './input.js';

const PUBLISHED = fileURLToPath(new URL('../../data/published/national_results.csv', import.meta.url));

const usage = `usage: mga export --input <file.csv|file.xlsx> [--preset mga-2017] [--encoding utf-8|latin1|auto] --out DIR
                 [--year YYYY] [--title TEXT]
writes datapackage.json, datos/*.csv, metodologia.json, libro_de_codigos.md and codebook.en.md into DIR
(--year defaults to the preset's year; the published figures of that year come from data/published/)`;

export const exportCommand: Subcommand = {
  summary: 'write the open data package (Frictionless Data Package, Spanish and English codebook) of a results file',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: flags } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { ...INPUT_OPTIONS, out: { type: 'string' }, year: { type: 'string' }, title: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (flags.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!flags.out) throw new CliError('--out is required (a folder)');
    if (flags.weights || flags.methodology) throw new CliError('export publishes the official methodology: --weights and --methodology do not apply');
    const existing = await stat(flags.out).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new CliError(`--out: ${flags.out} is a file; give a folder`);
    const yearText = flags.year ?? /\d{4}/.exec(flags.preset ?? '')?.[0];
    if (!yearText || !/^\d{4}$/.test(yearText)) throw new CliError(`--year must be a four-digit year, got "${flags.year ?? ''}"`);
    const year = Number(yearText);

    const input = await loadInput(flags, 'exported');
    const { rows, methodology } = input;
    const scores = scoreInstitutions(methodology, rows.map((r) => r.values));
    const published = parsePublishedAggregates(await readFile(PUBLISHED), { methodology });
    const figures = publishedFigureRows(published.data, String(year));
    const files = buildDataPackage({
      edition: { id: `mga-${year}`, year, title: flags.title ?? `Métrica de Gobierno Abierto ${year}` },
      methodology,
      institutions: rows,
      scores,
      groupings: ['entity', 'type', 'level', 'national'].map((by) => groupBy(scores, rows, by)),
      published: figures,
      sources: [{ title: `Resultados por sujeto obligado del archivo ${basename(flags.input!)}` }, ...[...new Set(figures.map((f) => f.source))].map((title) => ({ title }))],
      created: new Date().toISOString(),
    });
    const problems = checkDataPackage(files);
    if (problems.length > 0) throw new Error(`the package does not check: ${problems.slice(0, 3).join('; ')}`);
    for (const file of files) {
      const path = join(flags.out, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
    io.stdout(`${files.length} files written to ${flags.out} (${rows.length} institutions, ${figures.length} published figures of ${year})\n`);
    return 0;
  },
};
