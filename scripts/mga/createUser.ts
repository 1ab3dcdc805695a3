/** `mga create-user`: an admin, evaluator or viewer account, on the service's database. */
import { parseArgs } from 'node:util';
import { CliError, oneOf, type Subcommand } from './cli.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { openDatabaseForTool } from '../../server/db/connection.js';
import { createUser } from '../../server/auth/users.js';
import { ROLES } from '../../server/models/user.js';

const usage = 'mga create-user --email EMAIL --name NAME --role admin|evaluator|viewer [--editions mga-2025,...]  (password from MGA_NEW_PASSWORD or standard input)';

async function readPassword(): Promise<string> {
  if (process.env.MGA_NEW_PASSWORD) return process.env.MGA_NEW_PASSWORD;
  // A terminal would echo it: ask for the variable or a pipe instead.
  if (process.stdin.isTTY) throw new CliError('set MGA_NEW_PASSWORD or pipe the password on standard input');
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

export const createUserCommand: Subcommand = {
  summary: 'create an admin, evaluator or viewer account (the first admin, for instance)',
  usage,
  async run(args, io) {
    const { values } = parseArgs({ args, strict: true, options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, editions: { type: 'string' } } });
    for (const flag of ['email', 'name', 'role'] as const) if (!values[flag]) throw new CliError(`--${flag} is required; usage: ${usage}`);
    const role = oneOf('role', values.role, ROLES)!;
    const password = await readPassword();
    const logger = createLogger(process.env.LOG_LEVEL || 'warn');
    const database = await openDatabaseForTool(loadConfig(), logger);
    try {
      const user = await createUser({ email: values.email!, name: values.name!, role, password, editions: values.editions ? values.editions.split(',').map((e) => e.trim()).filter(Boolean) : [] });
      io.stdout(`created ${user.role} ${user.email}\n`);
      return 0;
    } catch (error) {
      const e = error as { field?: string; code?: number; message: string; errors?: Record<string, { message: string }> };
      if (e.field) throw new CliError(`--${e.field}: ${e.message}`);
      if (e.code === 11000) throw new CliError(`--email: an account with ${values.email} already exists`);
      if (e.errors) throw new CliError(Object.entries(e.errors).map(([k, v]) => `--${k}: ${v.message}`).join('; '));
      throw error;
    } finally {
      await database.close();
    }
  },
};
