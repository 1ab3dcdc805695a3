/** Plumbing shared by the mga subcommands. */

/** A problem with the invocation or its input: exit code 2 and one line on stderr. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Subcommand {
  summary: string;
  usage: string;
  /** Returns the exit code; throws CliError for bad usage or input. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Options of node:util parseArgs report bad flags with these codes. */
export function isParseArgsError(error: unknown): error is Error {
  const code: unknown = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}
