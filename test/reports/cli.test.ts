/**
 * `mga report` as a user runs it (a child process, no server), on the 2017 edition in a real MongoDB
 * reached through MONGODB_URI.
 */
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { REPO_ROOT } from '../scoring/helpers.js';
import { useTestDatabase } from '../setup/database.js';
import { pdfFacts } from './fixtures.js';
import { createSmallEdition } from './smallEdition.js';

const DB_NAME = 'test_reports_cli';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function mongodbUri(): string {
  const url = new URL(process.env.MGA_TEST_MONGODB_URI!);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

function report(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/mga.ts', 'report', ...args],
      { cwd: REPO_ROOT, encoding: 'utf-8', env: { ...process.env, MONGODB_URI: mongodbUri(), LOG_LEVEL: 'silent', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, ms: performance.now() - started }),
    );
  });
}

describe('mga report (command line, real MongoDB)', function () {
  this.timeout(180_000);
  let dir: string;

  before(async () => {
    await useTestDatabase('reports_cli');
    await loadReferenceEditions(() => {});
    await createSmallEdition();
    dir = await mkdtemp(join(tmpdir(), 'mga-report-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('bad flags: exit code 2 and one line naming the flag', async () => {
    const out = () => join(dir, 'x.pdf');
    const cases: [string[], RegExp][] = [
      [['--kind', 'regional', '--format', 'pdf', '--out', out()], /--kind must be one of national, entity, institution, got "regional"/],
      [['--format', 'pdf', '--out', out()], /--kind is required/],
      [['--kind', 'national', '--format', 'docx', '--out', out()], /--format must be one of pdf, xlsx/],
      [['--kind', 'national', '--format', 'pdf'], /--out is required/],
      [['--kind', 'national', '--format', 'pdf', '--out', out(), '--compare', '2019;2021'], /--compare must be edition years/],
      [['--kind', 'entity', '--format', 'pdf', '--out', out()], /--entity is required/],
      [['--kind', 'entity', '--format', 'xlsx', '--entity', 'Jalisco', '--out', out()], /--format xlsx is only for --kind national/],
      [['--kind', 'national', '--all', '--out', dir], /--all applies only to --kind institution/],
      [['--kind', 'national', '--format', 'pdf', '--out', out(), '--colour', 'red'], /Unknown option '--colour'/],
      [['--kind', 'national', '--format', 'pdf', '--out', join(dir, 'no-such-folder', 'x.pdf')], /--out: folder .*no-such-folder does not exist/],
      // Checked against the database:
      [['--kind', 'national', '--format', 'pdf', '--out', out(), '--edition', 'mga-1999'], /--edition: edition "mga-1999" does not exist/],
      [['--kind', 'national', '--format', 'pdf', '--out', out(), '--edition', 'mga-2017', '--compare', '2015'], /--compare: no published national figures for 2015; available: 2019, 2021/],
      [['--kind', 'entity', '--format', 'pdf', '--out', out(), '--edition', 'mga-2017', '--entity', 'Atlantis'], /--entity: unknown entity "Atlantis"/],
      [['--kind', 'institution', '--format', 'pdf', '--out', out(), '--edition', 'mga-2017', '--institution', 'No Existe'], /--institution: no institution named "No Existe"/],
    ];
    for (const [args, reason] of cases) {
      const run = await report(args);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stdout, args.join(' ')).to.equal('');
      expect(run.stderr, args.join(' ')).to.match(/^mga report: [^\n]+\n$/);
      expect(run.stderr, args.join(' ')).to.match(reason);
    }
  });

  it('a browser that is not there: exit 2 and one line naming it and CHROMIUM_PATH, before any work', async () => {
    const file = join(dir, 'sin-navegador.pdf');
    const run = await report(['--kind', 'national', '--edition', 'mga-2017', '--format', 'pdf', '--out', file], { CHROMIUM_PATH: join(dir, 'no-such-chromium') });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/^mga report: Chromium not found at .*no-such-chromium .*CHROMIUM_PATH[^\n]*\n$/);
    expect(await readFile(file).catch(() => undefined)).to.equal(undefined);
  });

  it('national PDF 2017/2019/2021 and the edition workbook', async () => {
    const file = join(dir, 'nacional.pdf');
    const run = await report(['--kind', 'national', '--edition', 'mga-2017', '--compare', '2019,2021', '--format', 'pdf', '--out', file]);
    expect(run.stderr).to.equal('');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^wrote .*nacional\.pdf \(\d+ kB, [\d.]+ s\)\n$/);
    console.log(`      CLI national PDF (process start to exit): ${run.ms.toFixed(0)} ms`);
    const { text, pages } = await pdfFacts(await readFile(file), 'cli-national');
    expect(pages).to.be.greaterThan(3);
    expect(text.replace(/\s+/g, ' ')).to.include('El Índice de Gobierno Abierto nacional fue de 0.39 en 2017, 0.52 en 2019 y 0.48 en 2021');

    const xlsx = join(dir, 'edicion.xlsx');
    const book = await report(['--kind', 'national', '--format', 'xlsx', '--out', xlsx, '--edition', 'mga-2017']);
    expect(book.code, book.stderr).to.equal(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile(xlsx)) as unknown as ExcelJS.Buffer);
    expect(workbook.getWorksheet('Sujetos obligados')!.actualRowCount).to.equal(1 + 908);
    expect(workbook.getWorksheet('Por entidad')!.actualRowCount).to.equal(1 + 33 + 1);
  });

  it('entity report and an institution card chosen by name', async () => {
    const entity = join(dir, 'cdmx.pdf');
    expect((await report(['--kind', 'entity', '--entity', 'cdmx', '--format', 'pdf', '--out', entity, '--edition', 'mga-2017'])).code).to.equal(0);
    expect((await pdfFacts(await readFile(entity), 'cli-entity')).text).to.include('Ciudad de México');

    const card = join(dir, 'asf.pdf');
    const run = await report(['--kind', 'institution', '--institution', 'asf', '--format', 'pdf', '--out', card, '--edition', 'mga-2017']);
    expect(run.code, run.stderr).to.equal(0);
    expect((await pdfFacts(await readFile(card), 'cli-card')).text).to.include('ASF');
  });

  it('--all writes every institution card of an edition into a folder', async () => {
    const out = join(dir, 'fichas');
    await writeFile(join(dir, 'a-file'), '');
    const notAFolder = await report(['--kind', 'institution', '--all', '--out', join(dir, 'a-file'), '--edition', 'mga-prueba']);
    expect(notAFolder.code).to.equal(2);
    expect(notAFolder.stderr).to.match(/^mga report: --out: .*a-file is a file; --all writes into a folder\n$/);

    const run = await report(['--kind', 'institution', '--all', '--out', out, '--edition', 'mga-prueba']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^wrote 3 institution cards of mga-prueba to .*fichas/);
    expect(run.stderr).to.include('3/3 institution cards');
    const files = (await readdir(out)).sort();
    expect(files).to.have.length(3);
    // Rows in a fixed order: by INEGI code (Guanajuato 11, Jalisco 14), then by name.
    expect(files).to.deep.equal(['1-11-guanajuato-leon.pdf', '2-14-cmd-calc-a0.pdf', '3-14-jalisco-auditoria-superior.pdf']);
    for (const f of files) expect((await readFile(join(out, f))).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
  });
});
