import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './helpers.js';

const SCORING = join(REPO_ROOT, 'scoring');
/** Packages and built-ins that would tie the engine to I/O, the database or the web server. */
const FORBIDDEN_PACKAGES = /^(?:node:)?(?:fs|fs\/promises|child_process|net|http|https|dgram|cluster)$|^(?:mongoose|mongodb|express)(?:\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, dynamic import() and require(). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\bimport\(\s*'([^']+)'\s*\)/g, /\brequire\(\s*'([^']+)'\s*\)/g]) {
    for (const match of text.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

describe('scoring/ stays pure', () => {
  const files = sourceFiles(SCORING);

  it('finds the engine files', () => {
    expect(files.map((f) => relative(SCORING, f))).to.include.members(['engine.ts', 'methodology.ts', 'grouping.ts']);
  });

  it('imports nothing from outside scoring/ and no I/O, database or web packages', () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(file, 'utf-8'))) {
        const where = relative(REPO_ROOT, file);
        if (specifier.startsWith('.')) {
          const target = relative(SCORING, resolve(dirname(file), specifier));
          if (target.startsWith('..')) problems.push(`${where} imports ${specifier} (outside scoring/)`);
        } else if (FORBIDDEN_PACKAGES.test(specifier)) {
          problems.push(`${where} imports ${specifier}`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('the check itself catches an import from questionnaires/', () => {
    const sample = "import { x } from '../questionnaires/engine.js';\nconst y = await import('node:fs');";
    expect(specifiers(sample)).to.deep.equal(['../questionnaires/engine.js', 'node:fs']);
  });
});
