import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csv2017, DATA_2017, line2017, runCli } from './helpers.js';
import { syntheticLaterEdition, type SyntheticEdition } from './syntheticEdition.js';

const HEADER = 'group,n_base,n_other,n_matched,GA_base,GA_other,GA_delta_matched,T_base,T_other,T_delta_matched,P_base,P_other,P_delta_matched,TG_base,TG_other,TG_delta_matched,TC_base,TC_other,TC_delta_matched,PG_base,PG_other,PG_delta_matched,PC_base,PC_other,PC_delta_matched';

describe('mga compare (no server)', function () {
  // Each run starts a TypeScript process (about 4 s here, more when the machine is busy).
  this.timeout(240_000);
  let dir: string;
  let later: string;
  let syn: SyntheticEdition;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mga-compare-test-'));
    syn = syntheticLaterEdition();
    later = join(dir, 'later.csv');
    writeFileSync(later, syn.csv);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--by entity: the exact header, one row per group of the base file, exact links only by default', async () => {
    const run = await runCli(['compare', '--base', DATA_2017, '--other', later, '--by', 'entity']);
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal(HEADER);
    expect(lines).to.have.length(34);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).to.include.members(['Federal', 'Ciudad de México', 'Zacatecas']);
    expect(rows.reduce((s, r) => s + Number(r[1]), 0)).to.equal(908);
    expect(rows.reduce((s, r) => s + Number(r[2]), 0)).to.equal(syn.institutions.length);
    const exact = syn.institutions.filter((i) => i.respelling === 'same' || i.respelling === 'folding').length;
    expect(rows.reduce((s, r) => s + Number(r[3]), 0)).to.equal(exact);
    expect(run.stderr).to.match(new RegExp(`^mga compare: ${exact} institutions linked \\(${exact} exact, 0 confirmed\\) of 908 in sujetos_obligados_2017\\.csv and ${syn.institutions.length} in later\\.csv;`));
    expect(run.stderr).to.match(/fuzzy candidates not used \(decide them with --crosswalk, or --accept-fuzzy 0\.9\)/);
    expect(run.stderr).to.match(/warning: the samples differ in size or composition in \d+ of 33 groups/);
  });

  it('--by national --accept-fuzzy: panel change of TG = the shift applied, whole-sample change lower, JSON with warnings', async () => {
    const run = await runCli(['compare', '--base', DATA_2017, '--other', later, '--by', 'national', '--accept-fuzzy', '0.85', '--format', 'json']);
    expect(run.code, run.stderr).to.equal(0);
    const json = JSON.parse(run.stdout);
    const kept = syn.institutions.filter((i) => i.from !== null);
    expect(json.matching.counts.exact + json.matching.counts.confirmed).to.be.within(kept.length - 3, kept.length);
    const national = json.groups[0];
    expect(national).to.include({ group: 'Nacional', nBase: 908, nOther: syn.institutions.length });
    const expectedTG = kept.reduce((s, i) => s + (i.TG - syn.base.get(i.from!)!.TG), 0) / kept.length;
    expect(national.nodes.TG.deltaMatched).to.be.closeTo(expectedTG, 0.002);
    expect(national.nodes.TG.deltaAll).to.be.lessThan(national.nodes.TG.deltaMatched - 0.01);
    expect(national.warnings.map((w: { kind: string }) => w.kind)).to.deep.equal(['size', 'composition']);
    expect(json.matching.unmatchedBase.map((i: { name: string }) => i.name)).to.include.members(syn.dropped);
  });

  it('--crosswalk: a person\'s decisions link respelled institutions; unrounded values, identical files give zero change', async () => {
    const base = join(dir, 'base.csv');
    const other = join(dir, 'other.csv');
    writeFileSync(base, csv2017(line2017('Jalisco-Instituto de Transparencia', 'Jalisco', 'Estatal', 'Autonomo'), line2017('Jalisco-Congreso', 'Jalisco', 'Estatal', 'Legislativo')));
    writeFileSync(other, csv2017(line2017('Instituto de Trasparencia del Estado', 'Jalisco', 'Estatal', 'Autonomo'), line2017('CONGRESO', 'Jalisco', 'Estatal', 'Legislativo')));
    const decisions = join(dir, 'decisions.csv');
    writeFileSync(decisions, 'base_name,base_entity,other_name,other_entity,decision\nJalisco-Instituto de Transparencia,Jalisco,Instituto de Trasparencia del Estado,Jalisco,aceptar\n');
    const plain = await runCli(['compare', '--base', base, '--other', other, '--by', 'type']);
    expect(plain.stdout.split('\n')[1]!.split(',').slice(0, 4)).to.deep.equal(['Autónomo', '1', '1', '0']);
    const decided = await runCli(['compare', '--base', base, '--other', other, '--by', 'type', '--crosswalk', decisions]);
    expect(decided.code, decided.stderr).to.equal(0);
    expect(decided.stdout).to.equal(`${HEADER}\nAutónomo,1,1,1,0.5054,0.5054,0,0.6778,0.6778,0,0.333,0.333,0,0.5556,0.5556,0,0.8,0.8,0,0.466,0.466,0,0.2,0.2,0\nLegislativo,1,1,1,0.5054,0.5054,0,0.6778,0.6778,0,0.333,0.333,0,0.5556,0.5556,0,0.8,0.8,0,0.466,0.466,0,0.2,0.2,0\n`);
    expect(decided.stderr).to.match(/2 institutions linked \(1 exact, 1 confirmed\)/);
    expect(decided.stderr).not.to.include('warning');
  });

  it('bad flags and bad input: exit 2 with one line naming the problem', async () => {
    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, csv2017('Jalisco-Uno,Jalisco,Estatal,Autonomo,0.3,x,0.4,0.5,0.3,0.1,0.3'));
    const badDecisions = join(dir, 'bad-decisions.csv');
    writeFileSync(badDecisions, 'base_name,base_entity,other_name,other_entity,decision\nNadie,Jalisco,Tampoco,Jalisco,accept\n');
    const cases: [string[], RegExp][] = [
      [['compare', '--other', later, '--by', 'entity'], /^mga compare: --base is required/],
      [['compare', '--base', DATA_2017, '--by', 'entity'], /^mga compare: --other is required/],
      [['compare', '--base', DATA_2017, '--other', later], /^mga compare: --by is required \(entity, type, level, national\)/],
      [['compare', '--base', DATA_2017, '--other', later, '--by', 'estado'], /^mga compare: --by must be one of entity, type, level, national, got "estado"/],
      [['compare', '--base', DATA_2017, '--other', later, '--by', 'entity', '--format', 'xml'], /^mga compare: --format must be one of csv, json/],
      [['compare', '--base', 'nowhere.csv', '--other', later, '--by', 'entity'], /^mga compare: --base: input file not found: nowhere\.csv/],
      [['compare', '--base', DATA_2017, '--other', 'notes.txt', '--by', 'entity'], /^mga compare: --other: cannot tell the format of "notes\.txt"/],
      [['compare', '--base', DATA_2017, '--other', broken, '--by', 'entity'], /^mga compare: --other: 1 error\(s\) in .*broken\.csv, nothing compared: row 2, column "P"/],
      [['compare', '--base', DATA_2017, '--other', later, '--by', 'entity', '--accept-fuzzy', 'mucho'], /^mga compare: --accept-fuzzy must be a similarity from 0\.5 to 1/],
      [['compare', '--base', DATA_2017, '--other', later, '--by', 'entity', '--crosswalk', badDecisions], /^mga compare: --crosswalk: 2 error\(s\) in .*bad-decisions\.csv, nothing compared: row 2, column "base_name", value "Nadie": no base institution of Jalisco is named "Nadie"/],
      [['compare', '--base', DATA_2017, '--other', later, '--by', 'entity', '--colour'], /^mga compare: Unknown option '--colour'/],
    ];
    for (const [args, expected] of cases) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stdout, args.join(' ')).to.equal('');
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).to.have.length(1);
      expect(run.stderr, args.join(' ')).to.match(expected);
    }
  });
});
