import { expect } from 'chai';
import { scoreInstitutions } from '../../scoring/engine.js';
import { gapAnalysis, groupBy, groupByKeys, nationalScores, NATIONAL_GROUP_NAME } from '../../scoring/grouping.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';

const m = loadBuiltinMethodology('mga-2017');
const EPS = 1e-12;

// Four institutions in two entities; sub-index values only, as in the 2017 data.
const institutions = [
  { entity: 'Jalisco', type: 'Municipio', level: 'Municipal', values: { TG: 0.4, TC: 0.6, PG: 0.2, PC: 0.0 } },
  { entity: 'Jalisco', type: 'Partido', level: 'Estatal', values: { TG: 0.8, TC: 0.2, PG: 0.4, PC: 0.6 } },
  { entity: 'Jalisco', type: 'Partido', level: 'Estatal', values: { TG: 0.3, TC: 0.1, PG: 0.0, PC: 0.3 } },
  { entity: 'Colima', type: 'Municipio', level: 'Municipal', values: { TG: 1.0, TC: 1.0, PG: 1.0, PC: 1.0 } },
];
const table = scoreInstitutions(m, institutions.map((i) => i.values));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('grouping', () => {
  it('gives each group the unweighted mean of its institutions, for every node', () => {
    const grouping = groupBy(table, institutions, 'entity');
    expect(grouping.by).to.equal('entity');
    expect(grouping.nationalMethod).to.equal(undefined);
    expect(grouping.groups.map((g) => [g.name, g.n])).to.deep.equal([['Colima', 1], ['Jalisco', 3]]);
    const jalisco = grouping.groups[1]!;
    expect(jalisco.values.TG).to.be.closeTo(0.5, EPS);
    expect(jalisco.values.PC).to.be.closeTo(0.3, EPS);
    // T of each institution: 0.5, 0.5, 0.2 → mean 0.4; GA: 0.3, 0.5, 0.175 → mean 0.325
    expect(jalisco.values.T).to.be.closeTo(0.4, EPS);
    expect(jalisco.values.GA).to.be.closeTo(mean([0.3, 0.5, 0.175]), EPS);
    expect(jalisco.values.GAg).to.be.closeTo(mean([0.3, 0.6, 0.15]), EPS);
    expect(jalisco.values['TG.AI']).to.equal(null);
    expect(jalisco.nPerNode).to.include({ TG: 3, GA: 3, 'TG.AI': 0 });
  });

  it('groups by type, level or any attribute', () => {
    expect(groupBy(table, institutions, 'type').groups.map((g) => [g.name, g.n])).to.deep.equal([['Municipio', 2], ['Partido', 2]]);
    expect(groupBy(table, institutions, 'level').groups.map((g) => [g.name, g.n])).to.deep.equal([['Estatal', 2], ['Municipal', 2]]);
    const regions = institutions.map((_, i) => ({ region: ['Zona', 'Ártico', 'Bajío', 'Ártico'][i] }));
    // Spanish collation: accents do not push "Ártico" after "Zona" as code-unit order would.
    expect(groupBy(table, regions, 'region').groups.map((g) => g.name)).to.deep.equal(['Ártico', 'Bajío', 'Zona']);
  });

  it('counts institutions per node when some lack a node', () => {
    const partial = scoreInstitutions(m, [{ GA: 0.2 }, { TG: 0.4, TC: 0.6, PG: 0.2, PC: 0.0 }]);
    const [group] = groupByKeys(partial, ['x', 'x'], 'test').groups;
    expect(group!.n).to.equal(2);
    expect(group!.nPerNode).to.include({ GA: 2, TG: 1, T: 1 });
    expect(group!.values.GA).to.be.closeTo((0.2 + 0.3) / 2, EPS);
    expect(group!.values.TG).to.be.closeTo(0.4, EPS);
  });

  it('national: mean over institutions by default, method recorded', () => {
    const grouping = groupBy(table, institutions, 'national');
    expect(grouping.nationalMethod).to.equal('institutions');
    expect(grouping.groups).to.have.length(1);
    const [national] = grouping.groups;
    expect(national!.name).to.equal(NATIONAL_GROUP_NAME);
    expect(national!.n).to.equal(4);
    expect(national!.values.TG).to.be.closeTo(mean([0.4, 0.8, 0.3, 1.0]), EPS);
  });

  it('national: mean of the entity means when asked', () => {
    const grouping = groupBy(table, institutions, 'national', { nationalMethod: 'entities' });
    expect(grouping.nationalMethod).to.equal('entities');
    const [national] = grouping.groups;
    expect(national!.n).to.equal(4);
    expect(national!.entityCount).to.equal(2);
    expect(national!.values.TG).to.be.closeTo((0.5 + 1.0) / 2, EPS);
    expect(national!.values.GA).to.be.closeTo((mean([0.3, 0.5, 0.175]) + 1.0) / 2, EPS);
    expect(national!.nPerNode.TG).to.equal(4);
    expect(() => nationalScores(table, { method: 'entities' })).to.throw(TypeError, /entity/);
  });

  it('refuses institutions without the grouping attribute', () => {
    expect(() => groupBy(table, institutions.map((i, n) => (n === 2 ? { ...i, type: '' } : i)), 'type')).to.throw(TypeError, /institution 2.*"type"/);
    expect(() => groupBy(table, institutions.slice(1), 'type')).to.throw(RangeError);
  });

  describe('gap analysis', () => {
    // The 2017 national means of the topics (REx2017 pp.16–18), as one institution's variables.
    const topicMeans = {
      'TG.AI': 0.67, 'TG.TR': 0.45, 'TG.TP': 0.15, 'TG.DA': 0.05,
      'TC.Disp': 0.67, 'TC.Clar': 0.39, 'TC.Comp': 0.65, 'TC.Cel': 0.47,
      'PG.Mec': 0.36, 'PG.Act': 0.33, 'PG.Fun': 0.32, 'PG.Form': 0.1, 'PG.Seg': 0.06,
      'PC.Met': 0.74, 'PC.Recep': 0.34, 'PC.Act': 0.16, 'PC.Cel': 0.13,
    };

    it('is weight inside the sub-index × (1 − mean), ranked, and reproduces the REx2017 p.29 ranking', () => {
      const national = nationalScores(scoreInstitutions(m, [topicMeans]));
      const [gaps] = gapAnalysis(national, m);
      expect(gaps!.group).to.equal(NATIONAL_GROUP_NAME);
      expect(gaps!.unavailable).to.deep.equal([]);
      const seg = gaps!.ranked.find((g) => g.variable === 'PG.Seg')!;
      expect(seg).to.deep.include({ parent: 'PG', weight: 0.3, n: 1, rank: 1 });
      expect(seg.gap).to.be.closeTo(0.3 * (1 - 0.06), EPS);
      const top = (parents: string[]) => gaps!.ranked.filter((g) => parents.includes(g.parent)).slice(0, 3).map((g) => [g.variable, Number(g.gap.toFixed(4))]);
      // Published: Seguimiento 0.280, Activación 0.250, Funcionamiento 0.200 (from unrounded means).
      expect(top(['PG', 'PC'])).to.deep.equal([['PG.Seg', 0.282], ['PC.Act', 0.252], ['PG.Fun', 0.204]]);
      // Published: Proactiva 0.170, Acceso 0.165, Claridad 0.153.
      expect(top(['TG', 'TC'])).to.deep.equal([['TG.TP', 0.17], ['TG.AI', 0.165], ['TC.Clar', 0.1525]]);
      expect(gaps!.ranked.map((g) => g.rank)).to.deep.equal(gaps!.ranked.map((_, i) => i + 1));
    });

    it('works per group on group means', () => {
      const rows = [{ 'TG.AI': 0.2 }, { 'TG.AI': 0.6 }, { 'TG.AI': 1 }];
      const grouping = groupByKeys(scoreInstitutions(m, rows), ['A', 'A', 'B'], 'test');
      const [a, b] = gapAnalysis(grouping, m);
      expect(a!.ranked).to.have.length(1);
      expect(a!.ranked[0]!.gap).to.be.closeTo(0.5 * (1 - 0.4), EPS);
      expect(b!.ranked[0]!.gap).to.equal(0);
    });

    it('reports the variables without values instead of inventing gaps', () => {
      const [gaps] = gapAnalysis(groupBy(table, institutions, 'national'), m);
      expect(gaps!.ranked).to.deep.equal([]);
      expect(gaps!.unavailable).to.have.length(17);
      expect(gaps!.unavailable).to.include.members(['TG.AI', 'PC.Cel']);
    });
  });
});
