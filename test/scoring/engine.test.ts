import { expect } from 'chai';
import {
  compileMethodology,
  rowValues,
  scoreInstitution,
  scoreInstitutions,
  ScoreInputError,
  type InstitutionScore,
} from '../../scoring/engine.js';
import { methodologyHash } from '../../scoring/methodology.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';

const m = loadBuiltinMethodology('mga-2017');
const EPS = 1e-12;

// Variable values and the expectations computed by hand from METHODOLOGY.md §2.
const TG_VARS = { 'TG.AI': 0.8, 'TG.TR': 0.5, 'TG.TP': 0.25, 'TG.DA': 0.1 }; // 0.4 + 0.1 + 0.05 + 0.01 = 0.56
const TC_VARS = { 'TC.Disp': 1, 'TC.Clar': 0.5, 'TC.Comp': 0.75, 'TC.Cel': 0.25 }; // 2.5 / 4 = 0.625
const PG_VARS = { 'PG.Mec': 1, 'PG.Act': 0.33, 'PG.Fun': 1, 'PG.Form': 0, 'PG.Seg': 0 }; // 0.2 + 0.033 + 0.3 = 0.533
const PC_VARS = { 'PC.Met': 1, 'PC.Recep': 1, 'PC.Act': 0, 'PC.Cel': 0.5 }; // 0.2 + 0.3 + 0 + 0.1 = 0.6
const ALL_VARS = { ...TG_VARS, ...TC_VARS, ...PG_VARS, ...PC_VARS };
const EXPECTED = {
  TG: 0.56,
  TC: 0.625,
  PG: 0.533,
  PC: 0.6,
  T: (0.56 + 0.625) / 2, // 0.5925
  P: (0.533 + 0.6) / 2, // 0.5665
  GAg: (0.56 + 0.533) / 2, // 0.5465
  GAc: (0.625 + 0.6) / 2, // 0.6125
  GA: 0.5795,
};

function valueOf(score: InstitutionScore, id: string): number {
  const node = score.nodes[id];
  expect(node, `node ${id} should have a value`).to.not.equal(undefined);
  return node!.value;
}

describe('scoring engine', () => {
  describe('formulas from variables', () => {
    it('TG = 0.5·AI + 0.2·TR + 0.2·TP + 0.1·DA', () => {
      const s = scoreInstitution(m, TG_VARS);
      expect(valueOf(s, 'TG')).to.be.closeTo(EXPECTED.TG, EPS);
      expect(s.nodes.TG!.source).to.equal('computed');
      expect(s.nodes.TG!.formula).to.deep.include({ path: 'tree', rule: 'weighted-mean', expression: '0.5·TG.AI + 0.2·TG.TR + 0.2·TG.TP + 0.1·TG.DA' });
      expect(s.nodes.TG!.formula!.terms).to.deep.equal([
        { node: 'TG.AI', weight: 0.5, value: 0.8 },
        { node: 'TG.TR', weight: 0.2, value: 0.5 },
        { node: 'TG.TP', weight: 0.2, value: 0.25 },
        { node: 'TG.DA', weight: 0.1, value: 0.1 },
      ]);
      // Nothing above TG can be determined without TC or PG.
      expect(s.undetermined).to.include.members(['TC', 'T', 'GAg', 'GA']);
      expect(s.nodes.T).to.equal(undefined);
    });

    it('TC = (Disp + Clar + Comp + Cel) / 4', () => {
      expect(valueOf(scoreInstitution(m, TC_VARS), 'TC')).to.be.closeTo(EXPECTED.TC, EPS);
    });

    it('PG = 0.2·Mec + 0.1·Act + 0.3·Fun + 0.1·Form + 0.3·Seg', () => {
      expect(valueOf(scoreInstitution(m, PG_VARS), 'PG')).to.be.closeTo(EXPECTED.PG, EPS);
    });

    it('PC = 0.2·Met + 0.3·Recep + 0.3·Act + 0.2·Cel', () => {
      expect(valueOf(scoreInstitution(m, PC_VARS), 'PC')).to.be.closeTo(EXPECTED.PC, EPS);
    });

    it('T, P, GAg, GAc and GA from all the variables', () => {
      const s = scoreInstitution(m, ALL_VARS);
      for (const [id, expected] of Object.entries(EXPECTED)) {
        expect(valueOf(s, id), id).to.be.closeTo(expected, EPS);
        expect(s.nodes[id]!.source, id).to.equal('computed');
      }
      expect(s.nodes.T!.formula!.expression).to.equal('0.5·TG + 0.5·TC');
      expect(s.nodes.P!.formula!.expression).to.equal('0.5·PG + 0.5·PC');
      expect(s.nodes.GAg!.formula).to.deep.include({ path: 'definition', expression: '0.5·TG + 0.5·PG' });
      expect(s.nodes.GAc!.formula).to.deep.include({ path: 'definition', expression: '0.5·TC + 0.5·PC' });
      expect(s.undetermined).to.deep.equal([]);
      expect(s.discrepancies).to.deep.equal([]);
      expect(s.methodology).to.deep.equal({ id: 'mga-2017', version: m.version, hash: methodologyHash(m) });
    });

    it('reports variables as given, without a formula', () => {
      const s = scoreInstitution(m, ALL_VARS);
      expect(s.nodes['TG.AI']).to.deep.equal({ value: 0.8, source: 'given' });
    });
  });

  describe('equivalent paths', () => {
    it('GA = mean(T, P) = mean(GAg, GAc) = mean(TG, TC, PG, PC), all computed and explained', () => {
      const s = scoreInstitution(m, ALL_VARS);
      const ga = s.nodes.GA!;
      expect(ga.formula!.path).to.equal('tree');
      expect(ga.otherPaths!.map((f) => f.path)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
      for (const formula of [ga.formula!, ...ga.otherPaths!]) expect(formula.value, formula.path).to.be.closeTo(EXPECTED.GA, EPS);
      expect(ga.otherPaths![1]!.terms.map((t) => t.value)).to.deep.equal([s.nodes.TG!.value, s.nodes.TC!.value, s.nodes.PG!.value, s.nodes.PC!.value]);
    });

    it('computes GA from the perspectives when only they are given', () => {
      const s = scoreInstitution(m, { GAg: 0.5465, GAc: 0.6125 });
      expect(valueOf(s, 'GA')).to.be.closeTo(0.5795, EPS);
      expect(s.nodes.GA!.formula!.path).to.equal('GA:perspectives');
      expect(s.undetermined).to.include.members(['T', 'P', 'TG']);
    });

    it('computes the perspectives from given sub-indices (the shape of the 2017 data)', () => {
      const s = scoreInstitution(m, { TG: 0.56, TC: 0.625, PG: 0.533, PC: 0.6, T: 0.5925, P: 0.5665, GA: 0.5795 });
      expect(valueOf(s, 'GAg')).to.be.closeTo(EXPECTED.GAg, EPS);
      expect(valueOf(s, 'GAc')).to.be.closeTo(EXPECTED.GAc, EPS);
      expect(s.nodes.GAg!.source).to.equal('computed');
      // Given and also computable: the value is the given one, with the computed alternative shown.
      expect(s.nodes.T).to.deep.include({ value: 0.5925, source: 'given' });
      expect(s.nodes.T!.formula!.value).to.be.closeTo(0.5925, EPS);
      expect(s.nodes.GA!.formula!.path).to.equal('tree');
      expect(s.discrepancies).to.deep.equal([]);
    });

    it('reports alternative computed paths that disagree when the node itself was not given', () => {
      const s = scoreInstitution(m, { T: 0.6, P: 0.4, GAg: 0.2, GAc: 0.3 });
      expect(s.nodes.GA).to.deep.include({ value: 0.5, source: 'computed' });
      expect(s.discrepancies).to.have.length(1);
      const [d] = s.discrepancies;
      expect(d).to.deep.include({ node: 'GA', reported: 0.5, reportedVia: 'tree', computed: 0.25, via: 'GA:perspectives', formula: '0.5·GAg + 0.5·GAc' });
      expect(d).not.to.have.property('given');
    });
  });

  describe('consistency check', () => {
    it('reports a given GA that disagrees with every path, keeping the given value', () => {
      const s = scoreInstitution(m, { ...ALL_VARS, GA: 0.6 });
      expect(s.nodes.GA).to.deep.include({ value: 0.6, source: 'given' });
      expect(s.nodes.GA!.formula!.value).to.be.closeTo(EXPECTED.GA, EPS);
      expect(s.discrepancies.map((d) => d.via)).to.deep.equal(['tree', 'GA:perspectives', 'GA:subindices']);
      for (const d of s.discrepancies) {
        expect(d).to.deep.include({ node: 'GA', given: 0.6, reported: 0.6, reportedVia: 'given' });
        expect(d.computed).to.be.closeTo(EXPECTED.GA, EPS);
        expect(d.difference).to.be.closeTo(0.6 - EXPECTED.GA, EPS);
      }
    });

    it('reports a given sub-index that disagrees with its variables', () => {
      const s = scoreInstitution(m, { ...TG_VARS, TG: 0.7 });
      expect(s.nodes.TG).to.deep.include({ value: 0.7, source: 'given' });
      expect(s.discrepancies).to.have.length(1);
      expect(s.discrepancies[0]).to.deep.include({ node: 'TG', given: 0.7, via: 'tree' });
      expect(s.discrepancies[0]!.computed).to.be.closeTo(0.56, EPS);
    });

    it('accepts differences within the tolerance (default 1e-4)', () => {
      expect(scoreInstitution(m, { ...ALL_VARS, GA: EXPECTED.GA + 5e-5 }).discrepancies).to.deep.equal([]);
      // Exactly the tolerance apart is not "more than" the tolerance, despite binary rounding.
      expect(scoreInstitution(m, { T: 0.6, P: 0.4, GA: 0.5001 }).discrepancies).to.deep.equal([]);
      expect(scoreInstitution(m, { T: 0.6, P: 0.4, GA: 0.50011 }).discrepancies).to.have.length(1);
    });

    it('takes the tolerance as an option', () => {
      expect(scoreInstitution(m, { ...ALL_VARS, GA: EXPECTED.GA + 5e-5 }, { tolerance: 1e-6 }).discrepancies).to.have.length(3);
      expect(scoreInstitution(m, { ...ALL_VARS, GA: 0.6 }, { tolerance: 0.1 }).discrepancies).to.deep.equal([]);
      expect(() => scoreInstitution(m, ALL_VARS, { tolerance: -1 })).to.throw(RangeError, /tolerance/);
    });
  });

  describe('input errors', () => {
    const rejects = (given: Record<string, unknown>, node: string, reason: RegExp) => {
      let thrown: unknown;
      try {
        scoreInstitution(m, given as Record<string, number>);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ScoreInputError);
      expect((thrown as ScoreInputError).node).to.equal(node);
      expect((thrown as Error).message).to.contain(`"${node}"`).and.match(reason);
    };

    it('refuses unknown node ids, naming them', () => rejects({ GA: 0.5, 'TG.XX': 0.1 }, 'TG.XX', /unknown node/));
    it('refuses values above 1', () => rejects({ TG: 1.2 }, 'TG', /outside \[0, 1\]/));
    it('refuses negative values', () => rejects({ PC: -0.01 }, 'PC', /outside \[0, 1\]/));
    it('refuses NaN', () => rejects({ T: NaN }, 'T', /not a finite number/));
    it('refuses infinities', () => rejects({ P: Infinity }, 'P', /not a finite number/));
    it('refuses non-numbers', () => rejects({ GA: '0.5' }, 'GA', /not a finite number/));
    it('accepts the bounds 0 and 1', () => {
      expect(scoreInstitution(m, { TG: 0, TC: 1 }).nodes.T!.value).to.equal(0.5);
    });
  });

  describe('batches', () => {
    it('scores many institutions into one table, discrepancies naming their row', () => {
      const table = scoreInstitutions(m, [ALL_VARS, { TG: 0.5, TC: 0.5, T: 0.9 }, {}]);
      expect(table.rowCount).to.equal(3);
      expect(rowValues(table, 0).GA).to.be.closeTo(EXPECTED.GA, EPS);
      expect(rowValues(table, 1)).to.deep.equal({ T: 0.9, TG: 0.5, TC: 0.5 });
      expect(rowValues(table, 2)).to.deep.equal({});
      expect(table.discrepancies).to.have.length(1);
      expect(table.discrepancies[0]).to.deep.include({ row: 1, node: 'T', given: 0.9, computed: 0.5 });
    });

    it('gives the same values as scoring one by one, whatever the key order', () => {
      const shuffled = Object.fromEntries(Object.entries(ALL_VARS).reverse());
      const table = scoreInstitutions(compileMethodology(m), [ALL_VARS, shuffled, { ...TG_VARS, GA: 0.3 }]);
      const single = scoreInstitution(m, ALL_VARS);
      for (const row of [0, 1]) {
        for (const [id, node] of Object.entries(single.nodes)) expect(rowValues(table, row)[id], id).to.equal(node.value);
      }
      expect(rowValues(table, 2).TG).to.be.closeTo(0.56, EPS);
    });

    it('names the institution and the node of a bad value', () => {
      expect(() => scoreInstitutions(m, [ALL_VARS, { ...ALL_VARS, 'PC.Cel': 2 }])).to.throw(ScoreInputError, /institution 1: node "PC.Cel".*outside/);
    });
  });
});
