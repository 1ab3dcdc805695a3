import { expect } from 'chai';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { scoreInstitution } from '../../scoring/engine.js';
import { methodologyHash } from '../../scoring/methodology.js';
import { recomputeScores, NotRecomputableError } from '../../scoring/recompute.js';
import { applyVariant, parseVariant, VariantValidationError } from '../../scoring/variants.js';

const m = loadBuiltinMethodology('mga-2017');
/** Sub-indices of one institution: T = 0.5, P = 0.3 (official GA 0.4). */
const given = { TG: 0.4, TC: 0.6, PG: 0.2, PC: 0.4 };
const value = (methodology: typeof m, values: Record<string, number>, node: string) => scoreInstitution(methodology, values).nodes[node]!.value;

describe('methodology variants', () => {
  it('the short form {"GA": {"T": 0.7, "P": 0.3}} reweights GA: 0.7 × 0.5 + 0.3 × 0.3 = 0.44', () => {
    const derived = applyVariant(m, { GA: { T: 0.7, P: 0.3 } });
    expect(value(derived.methodology, given, 'GA')).to.be.closeTo(0.44, 1e-12);
    expect(value(derived.methodology, given, 'T')).to.be.closeTo(0.5, 1e-12);
    expect(derived.changed).to.deep.equal(['GA']);
  });

  it('records derivedFrom and gets its own hash; the same variant gives the same hash', () => {
    const a = applyVariant(m, { GA: { T: 0.7, P: 0.3 } });
    const b = applyVariant(m, { weights: { GA: { P: 0.3, T: 0.7 } } });
    expect(a.methodology.derivedFrom).to.include({ id: 'mga-2017', version: m.version, hash: methodologyHash(m) });
    expect(methodologyHash(a.methodology)).to.not.equal(methodologyHash(m));
    expect(methodologyHash(a.methodology)).to.equal(methodologyHash(b.methodology));
    expect(a.methodology.version).to.match(/^2017\.1\+variant\.[0-9a-f]{12}$/);
  });

  it('skips the equivalence checks that no longer hold, and says which', () => {
    const { skippedEquivalences, methodology } = applyVariant(m, { GA: { T: 0.7, P: 0.3 } });
    expect(skippedEquivalences.map((s) => s.path)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
    expect(skippedEquivalences[0]!.reason).to.match(/no longer holds/);
    expect(methodology.equivalentPaths).to.deep.equal([]);
    // Reweighting inside TG changes every path through TG alike: GA's equivalences still hold and are kept.
    const inner = applyVariant(m, { TG: { 'TG.AI': 0.25, 'TG.TR': 0.25, 'TG.TP': 0.25, 'TG.DA': 0.25 } });
    expect(inner.skippedEquivalences).to.deep.equal([]);
    expect(inner.methodology.equivalentPaths.map((p) => p.id)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
  });

  it('geometric mean: GA = √(0.5 × 0.3); a component at 0 gives 0, with no small constant added', () => {
    const derived = applyVariant(m, { aggregation: { GA: 'geometric' } });
    expect(value(derived.methodology, given, 'GA')).to.be.closeTo(Math.sqrt(0.15), 1e-12);
    expect(value(derived.methodology, { ...given, PG: 0, PC: 0 }, 'GA')).to.equal(0);
    expect(derived.zeroRuleNodes).to.deep.equal(['GA']);
  });

  it('weighted geometric and harmonic means by hand', () => {
    const geometric = applyVariant(m, { GA: { T: 0.75, P: 0.25 }, aggregation: { GA: 'geometric' } });
    expect(value(geometric.methodology, given, 'GA')).to.be.closeTo(0.5 ** 0.75 * 0.3 ** 0.25, 1e-12);
    const harmonic = applyVariant(m, { aggregation: { GA: 'harmonic' } });
    expect(value(harmonic.methodology, given, 'GA')).to.be.closeTo(1 / (0.5 / 0.5 + 0.5 / 0.3), 1e-12);
    expect(value(harmonic.methodology, { ...given, TG: 0, TC: 0 }, 'GA')).to.equal(0);
  });

  it('drop: TC left out, T = TG alone, GAc = PC alone, GA = 0.5 × 0.4 + 0.5 × 0.3 = 0.35', () => {
    const derived = applyVariant(m, { drop: ['TC'] });
    expect(derived.dropped).to.deep.equal(['TC', 'TC.Disp', 'TC.Clar', 'TC.Comp', 'TC.Cel']);
    const { TC: _tc, ...rest } = given;
    expect(value(derived.methodology, rest, 'T')).to.be.closeTo(0.4, 1e-12);
    expect(value(derived.methodology, rest, 'GAc')).to.be.closeTo(0.4, 1e-12);
    expect(value(derived.methodology, rest, 'GA')).to.be.closeTo(0.35, 1e-12);
    expect(derived.methodology.summaryNodes).to.not.include('TC');
    expect(derived.skippedEquivalences.find((s) => s.path === 'GA:subindices')!.reason).to.match(/"TC", which is left out/);
  });

  it('drop of a variable renormalises its siblings: TG without DA is 0.5/0.9·AI + 0.2/0.9·TR + 0.2/0.9·TP', () => {
    const derived = applyVariant(m, { drop: ['TG.DA'] });
    const tg = value(derived.methodology, { 'TG.AI': 1, 'TG.TR': 0, 'TG.TP': 0.5, TC: 0, PG: 0, PC: 0 }, 'TG');
    expect(tg).to.be.closeTo(0.5 / 0.9 + 0.1 / 0.9, 1e-12);
  });

  it('lists every problem with a pointer into the variant', () => {
    try {
      applyVariant(m, { GA: { T: 0.7 }, TG: { X: 1 }, P: { PG: 0.6, PC: 0.6 }, drop: ['GA', 'Nope'], aggregation: { 'TG.AI': 'geometric' } });
      expect.fail('should throw');
    } catch (error) {
      expect(error).to.be.instanceOf(VariantValidationError);
      const issues = (error as VariantValidationError).issues.map((i) => `${i.path}: ${i.message}`);
      expect(issues).to.include('/drop/0: "GA" is the root of the methodology and cannot be left out');
      expect(issues).to.include('/drop/1: unknown node "Nope"');
      expect(issues).to.include('/weights/GA: every component of "GA" needs a weight; missing: P');
      expect(issues).to.include('/weights/TG: "X" is not a component of "TG"');
      expect(issues).to.include('/weights/P: weights of "P" sum to 1.2, not 1');
      expect(issues).to.include('/aggregation/TG.AI: "TG.AI" is a variable: it aggregates nothing');
    }
  });

  it('the JSON Schema refuses unknown rules, negative weights and unknown keys', () => {
    expect(() => parseVariant({ aggregation: { GA: 'median' } })).to.throw(VariantValidationError, /allowed values/);
    expect(() => parseVariant({ GA: { T: -0.5, P: 1.5 } })).to.throw(VariantValidationError);
    expect(() => parseVariant({ drop: 'TC' })).to.throw(VariantValidationError, /must be array/);
    expect(() => parseVariant({ GA: { T: 0.5, P: 0.5 }, weights: { GA: { T: 0.5, P: 0.5 } } })).to.throw(VariantValidationError, /given twice/);
    expect(() => parseVariant([1])).to.throw(VariantValidationError);
  });

  it('recomputing with a variant whose changed node lacks data is refused, naming the node', () => {
    const derived = applyVariant(m, { TG: { 'TG.AI': 0.25, 'TG.TR': 0.25, 'TG.TP': 0.25, 'TG.DA': 0.25 } });
    expect(() => recomputeScores(derived.methodology, [given], derived.changed)).to.throw(NotRecomputableError, /"TG".*1 of 1/);
    const table = recomputeScores(applyVariant(m, { GA: { T: 0.7, P: 0.3 } }).methodology, [{ ...given, GA: 0.4, T: 0.5, P: 0.3 }], ['GA']);
    expect(table.values[table.compiled.nodeIndex.get('GA')!]).to.be.closeTo(0.44, 1e-12);
  });
});
