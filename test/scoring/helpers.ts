/** Shared fixtures of the scoring tests: paths, a CSV builder and a CLI runner. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DATA_2017 = 'data/mga-2017/sujetos_obligados_2017.csv';
export const HEADER_2017 = 'SO,edo,niv,ts,GA,P,T,TG,TC,PG,PC';

/** A 2017-layout CSV from data lines (without header). */
export function csv2017(...lines: string[]): Buffer {
  return Buffer.from([HEADER_2017, ...lines].join('\n') + '\n', 'utf-8');
}

/** A consistent 2017-layout line for an institution (values from the published first row, ASF). */
export function line2017(name: string, entity = 'Federal', level = 'Federal', type = 'Legislativo'): string {
  return `${name},${entity},${level},${type},0.5054,0.333,0.6778,0.5556,0.8,0.466,0.2`;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx scripts/mga.ts …` from the repository root. */
export function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/mga.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf-8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
