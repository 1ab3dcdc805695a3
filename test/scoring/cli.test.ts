import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { methodologyHash } from '../../scoring/methodology.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { csv2017, DATA_2017, HEADER_2017, line2017, runCli, type CliRun } from './helpers.js';

describe('mga CLI', function () {
  // Up to 14 CLI processes start at once in one hook: allow for a loaded machine.
  this.timeout(240_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mga-cli-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('recalc', () => {
    it('--by national --round 2 prints the published national figures', async () => {
      const run = await runCli(['recalc', '--input', DATA_2017, '--by', 'national', '--round', '2']);
      expect(run).to.deep.equal({ code: 0, stdout: 'group,n,GA,T,P,TG,TC,PG,PC\nNacional,908,0.39,0.50,0.28,0.46,0.54,0.23,0.32\n', stderr: '' });
    });

    it('--by entity prints 33 groups sorted in Spanish, full precision without --round', async () => {
      const run = await runCli(['recalc', '--input', DATA_2017, '--by', 'entity']);
      expect(run.code).to.equal(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).to.equal('group,n,GA,T,P,TG,TC,PG,PC');
      expect(lines).to.have.length(34);
      const names = lines.slice(1).map((l) => l.split(',')[0]!);
      expect(names).to.deep.equal([...names].sort((a, b) => a.localeCompare(b, 'es')));
      const cdmx = lines.find((l) => l.startsWith('Ciudad de México,'))!.split(',');
      expect(cdmx[1]).to.equal('26');
      expect(cdmx[2]!.length).to.be.greaterThan(6); // unrounded
    });

    it('--format json gives all nodes, n, the national method and the methodology hash', async () => {
      const run = await runCli(['recalc', '--input', DATA_2017, '--by', 'national', '--national-method', 'entities', '--format', 'json', '--round', '2']);
      expect(run.code).to.equal(0);
      const json = JSON.parse(run.stdout);
      const m = loadBuiltinMethodology('mga-2017');
      expect(json.methodology).to.deep.equal({ id: 'mga-2017', version: m.version, hash: methodologyHash(m) });
      expect(json).to.deep.include({ by: 'national', nationalMethod: 'entities', round: 2, discrepancies: [] });
      expect(json.groups[0]).to.deep.include({ group: 'Nacional', n: 908, entityCount: 33 });
      expect(json.groups[0].values).to.include({ GA: 0.39, T: 0.5, GAg: 0.34, GAc: 0.43, 'TG.AI': null });
      expect(json.groups[0].nPerNode).to.include({ GA: 908, 'TG.AI': 0 });
    });

    it('reads XLSX input', async () => {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('datos');
      sheet.addRow(HEADER_2017.split(','));
      sheet.addRow(['Autónomo-Uno', 'Jalisco', 'Estatal', 'Autonomo', 0.3, 0.2, 0.4, 0.5, 0.3, 0.1, 0.3]);
      sheet.addRow(['Autónomo-Dos', 'Jalisco', 'Estatal', 'Autonomo', 0.4, 0.3, 0.5, 0.6, 0.4, 0.2, 0.4]);
      const file = join(dir, 'datos.xlsx');
      writeFileSync(file, Buffer.from(await workbook.xlsx.writeBuffer()));
      const run = await runCli(['recalc', '--input', file, '--by', 'type', '--round', '3']);
      expect(run).to.deep.equal({ code: 0, stdout: 'group,n,GA,T,P,TG,TC,PG,PC\nAutónomo,2,0.350,0.450,0.250,0.550,0.350,0.150,0.350\n', stderr: '' });
    });

    it('warns on stderr about given values that disagree with their formulas', async () => {
      const file = join(dir, 'inconsistent.csv');
      writeFileSync(file, csv2017('A,Jalisco,Estatal,Partido,0.9,0.333,0.6778,0.5556,0.8,0.466,0.2'));
      const run = await runCli(['recalc', '--input', file, '--by', 'entity', '--round', '2']);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.equal('group,n,GA,T,P,TG,TC,PG,PC\nJalisco,1,0.90,0.68,0.33,0.56,0.80,0.47,0.20\n');
      expect(run.stderr).to.match(/^mga recalc: warning: 3 given value\(s\) disagree.*row 2, GA = 0.9/);
    });
  });

  describe('exit code 2 with a one-line reason', () => {
    // Each case spawns a process; they run concurrently in `before` and are checked one by one.
    const badCsv = () => join(dir, 'bad.csv');
    const cases: { title: string; args: () => string[]; reason: RegExp }[] = [
      { title: 'no subcommand', args: () => [], reason: /^mga: missing subcommand; available: recalc/ },
      { title: 'unknown subcommand', args: () => ['frobnicate'], reason: /unknown subcommand "frobnicate"; available: recalc/ },
      { title: 'missing --input', args: () => ['recalc', '--by', 'national'], reason: /--input is required/ },
      { title: 'missing --by', args: () => ['recalc', '--input', DATA_2017], reason: /--by is required/ },
      { title: 'unknown flag', args: () => ['recalc', '--input', DATA_2017, '--by', 'national', '--colour'], reason: /Unknown option '--colour'/ },
      { title: 'bad --by', args: () => ['recalc', '--input', DATA_2017, '--by', 'region'], reason: /--by must be one of entity, type, level, national, got "region"/ },
      { title: 'bad --round', args: () => ['recalc', '--input', DATA_2017, '--by', 'national', '--round', 'two'], reason: /--round must be an integer/ },
      { title: 'bad --format', args: () => ['recalc', '--input', DATA_2017, '--by', 'national', '--format', 'xml'], reason: /--format must be one of csv, json/ },
      { title: 'bad --preset', args: () => ['recalc', '--input', DATA_2017, '--by', 'national', '--preset', 'mga-2019'], reason: /--preset must be one of mga-2017/ },
      {
        title: '--national-method without --by national',
        args: () => ['recalc', '--input', DATA_2017, '--by', 'entity', '--national-method', 'entities'],
        reason: /applies only to --by national/,
      },
      { title: 'missing file', args: () => ['recalc', '--input', '/nonexistent/file.csv', '--by', 'national'], reason: /input file not found: \/nonexistent\/file.csv$/ },
      { title: 'unsupported extension', args: () => ['recalc', '--input', DATA_2017.replace(/\.csv$/, '.txt'), '--by', 'national'], reason: /expected a \.csv or \.xlsx file$/ },
      {
        title: 'import errors: the first few with row, column, value and reason, and the count',
        args: () => ['recalc', '--input', badCsv(), '--by', 'national'],
        reason:
          /^mga recalc: 5 import error\(s\) in .*bad\.csv, nothing recalculated: row 2, column "edo", value "Atlantis": unknown entity "Atlantis"; expected one of: .*; row 3, column "GA", value "x": not a number; row 4, column "niv", value "Regional": unknown level .*; and 2 more$/,
      },
      { title: 'empty input file', args: () => ['recalc', '--input', join(dir, 'empty.csv'), '--by', 'national'], reason: /1 import error\(s\) in .*empty\.csv, nothing recalculated: empty file$/ },
      { title: 'unreadable XLSX', args: () => ['recalc', '--input', join(dir, 'broken.xlsx'), '--by', 'national'], reason: /not a readable XLSX workbook/ },
    ];
    const runs = new Map<string, CliRun>();

    before(async () => {
      writeFileSync(
        badCsv(),
        csv2017(line2017('A', 'Atlantis'), 'B,Jalisco,Estatal,Partido,x,0.1,0.1,0.1,0.1,0.1,0.1', line2017('C', 'Jalisco', 'Regional'), line2017('D', 'Jalisco', 'Estatal', 'Club'), line2017('A', 'Atlantis')),
      );
      writeFileSync(join(dir, 'empty.csv'), '');
      writeFileSync(join(dir, 'broken.xlsx'), 'not a zip');
      const results = await Promise.all(cases.map((c) => runCli(c.args())));
      cases.forEach((c, i) => runs.set(c.title, results[i]!));
    });

    for (const { title, reason } of cases) {
      it(title, () => {
        const run = runs.get(title)!;
        expect(run.code, run.stderr).to.equal(2);
        expect(run.stdout).to.equal('');
        expect(run.stderr.endsWith('\n')).to.equal(true);
        expect(run.stderr.trimEnd().split('\n'), run.stderr).to.have.length(1);
        expect(run.stderr.trimEnd()).to.match(reason);
      });
    }
  });
});
