/**
 * Command line of the MGA service: `tsx scripts/mga.ts <subcommand> [flags]`.
 * A thin shell over scoring/: it reads files and prints; all logic lives in the library.
 * Exit codes: 0 success, 2 bad usage or bad input (one line on stderr), 1 unexpected failure.
 */
import { CliError, isParseArgsError, type CliIo, type Subcommand } from './mga/cli.js';
import { recalc } from './mga/recalc.js';
import { createUserCommand } from './mga/createUser.js';
import { reportCommand } from './mga/report.js';
import { exportCommand } from './mga/export.js';
import { coherenceCommand, sensitivityCommand, uncertaintyCommand, whatIfCommand } from './mga/analysis.js';
import { compareCommand } from './mga/compare.js';

const SUBCOMMANDS: Record<string, Subcommand> = {
  recalc,
  compare: compareCommand,
  'what-if': whatIfCommand,
  uncertainty: uncertaintyCommand,
  sensitivity: sensitivityCommand,
  coherence: coherenceCommand,
  export: exportCommand,
  'create-user': createUserCommand,
  report: reportCommand,
};

function overview(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: mga <subcommand> [flags]\nsubcommands:\n${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(`mga: missing subcommand; available: ${Object.keys(SUBCOMMANDS).join(', ')} (mga --help for more)\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return 0;
  }
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!subcommand) {
    io.stderr(`mga: unknown subcommand "${name}"; available: ${Object.keys(SUBCOMMANDS).join(', ')}\n`);
    return 2;
  }
  try {
    return await subcommand.run(args, io);
  } catch (error) {
    if (error instanceof CliError || isParseArgsError(error)) {
      io.stderr(`mga ${name}: ${oneLine(error.message)}\n`);
      return 2;
    }
    io.stderr(`mga ${name}: unexpected failure: ${oneLine(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
