import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { runCoherence } from '../../scoring/analysis/coherence.js';
import { AnalysisInputError, buildModel } from '../../scoring/analysis/model.js';
import { histogramPercentile, rankValues, Ranker } from '../../scoring/analysis/ranking.js';
import { runSensitivity } from '../../scoring/analysis/sensitivity.js';
import { runUncertainty, uncertaintyCsvRows, type UncertaintyResult } from '../../scoring/analysis/uncertainty.js';
import { runWhatIf } from '../../scoring/analysis/whatif.js';
import { parseResultsTable, type ImportedRow } from '../../scoring/import/index.js';
import { validateMethodology, type Methodology, type TreeNode } from '../../scoring/methodology.js';
import { toCsv } from '../../scoring/recalc.js';
import { applyVariant } from '../../scoring/variants.js';
import { DATA_2017, REPO_ROOT } from './helpers.js';

const DATE = '2025-01-01T00:00:00.000Z';
const label = (text: string) => ({ es: text, en: text });
const variable = (id: string, weight: number): TreeNode => ({ id, kind: 'variable', label: label(id), weight });

/** GA = wA·A + wB·B, two variables, weights 0.5 each. */
const twoVariables: Methodology = validateMethodology({
  id: 'toy-two',
  version: '1',
  title: label('two variables'),
  source: { citation: 'test' },
  tree: { id: 'GA', kind: 'index', label: label('GA'), aggregation: 'weighted-mean', children: [variable('A', 0.5), variable('B', 0.5)] },
  equivalentPaths: [],
});

/** GA = (T + P)/2, T = (a + b)/2, P = (c + d)/2. */
const twoLevels: Methodology = validateMethodology({
  id: 'toy-levels',
  version: '1',
  title: label('two levels'),
  source: { citation: 'test' },
  tree: {
    id: 'GA',
    kind: 'index',
    label: label('GA'),
    aggregation: 'weighted-mean',
    children: [
      { id: 'T', kind: 'dimension', label: label('T'), weight: 0.5, aggregation: 'weighted-mean', children: [variable('a', 0.5), variable('b', 0.5)] },
      { id: 'P', kind: 'dimension', label: label('P'), weight: 0.5, aggregation: 'weighted-mean', children: [variable('c', 0.5), variable('d', 0.5)] },
    ],
  },
  equivalentPaths: [],
});

describe('robustness analyses', () => {
  describe('ranking', () => {
    it('competition ranking, 1 = highest, ties share the lowest number', () => {
      expect(Array.from(rankValues([0.2, 0.9, 0.5, 0.9, 0.1]))).to.deep.equal([4, 1, 3, 1, 5]);
      const out = new Int32Array(5);
      const ranker = new Ranker(5);
      for (const values of [[0.2, 0.9, 0.5, 0.9, 0.1], [0.9, 0.2, 0.2, 0.2, 0.95], [0.3, 0.3, 0.3, 0.3, 0.3]]) {
        ranker.rank(values, out);
        expect(Array.from(out)).to.deep.equal(Array.from(rankValues(values)));
      }
    });

    it('values a few units in the last place apart are tied', () => {
      expect(Array.from(rankValues([0.3, 0.1 + 0.2, 0.5]))).to.deep.equal([2, 2, 1]);
    });

    it('nearest-rank percentiles from rank counts', () => {
      // ranks 1 ×3, 2 ×1, 3 ×6 over 10 runs
      const counts = [3, 1, 6];
      expect(histogramPercentile(counts, 0, 3, 10, 5)).to.equal(1);
      expect(histogramPercentile(counts, 0, 3, 10, 30)).to.equal(1);
      expect(histogramPercentile(counts, 0, 3, 10, 40)).to.equal(2);
      expect(histogramPercentile(counts, 0, 3, 10, 50)).to.equal(3);
      expect(histogramPercentile(counts, 0, 3, 10, 95)).to.equal(3);
    });
  });

  describe('uncertainty', () => {
    let rows: ImportedRow[];
    const m = loadBuiltinMethodology('mga-2017');
    before(async () => {
      rows = (await parseResultsTable(readFileSync(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m })).rows;
    });
    const entityModel = () => buildModel({ methodology: m, givens: rows.map((r) => r.values), groupOfRow: rows.map((r) => r.entity) });

    it('on the 2017 data, GA, T and P are recomputed from the four sub-indices', () => {
      const model = entityModel();
      expect(model.slotIds).to.deep.equal(['TG', 'TC', 'PG', 'PC', 'T', 'P', 'GA']);
      expect(model.unitCount).to.equal(33);
    });

    it('R = 0 gives zero-width intervals equal to the nominal ranks', () => {
      for (const model of [entityModel(), buildModel({ methodology: m, givens: rows.map((r) => r.values), rowLabels: rows.map((r) => r.name) })]) {
        const result = runUncertainty(model, { runs: 300, seed: 3, weightsRange: 0, by: 'x', date: DATE });
        for (const g of result.groups) {
          expect([g.medianRank, g.p05Rank, g.p95Rank, g.meanAbsShift], g.group).to.deep.equal([g.nominalRank, g.nominalRank, g.nominalRank, 0]);
        }
      }
    });

    it('nominal ranks follow the official entity means of GA (Ciudad de México first)', () => {
      const result = runUncertainty(entityModel(), { runs: 10, seed: 1, weightsRange: 0.25, by: 'entity', date: DATE });
      expect(result.groups[0]!.group).to.equal('Ciudad de México');
      expect(result.groups.map((g) => g.nominalRank)).to.deep.equal([...result.groups.map((g) => g.nominalRank)].sort((a, b) => a - b));
    });

    it('the same seed gives a byte-identical CSV; another seed another one; parameters are recorded', () => {
      const csv = (seed: number) => toCsv(uncertaintyCsvRows(runUncertainty(entityModel(), { runs: 2500, seed, weightsRange: 0.25, aggregations: ['arithmetic', 'geometric'], by: 'entity', date: DATE })));
      const first = csv(11);
      expect(first.split('\n')[0]).to.equal('group,nominal_rank,median_rank,p05_rank,p95_rank,mean_abs_shift');
      expect(csv(11)).to.equal(first);
      expect(csv(12)).to.not.equal(first);
      const result = runUncertainty(entityModel(), { runs: 10, seed: 5, weightsRange: 0.1, by: 'entity', date: DATE });
      expect(result.parameters).to.include({ analysis: 'uncertainty', runs: 10, seed: 5, weightsRange: 0.1, by: 'entity', date: DATE, target: 'GA', percentiles: 'nearest-rank' });
      expect(result.parameters.methodology.hash).to.match(/^[0-9a-f]{64}$/);
    });

    it('a hand-made three-institution case has the known rank distribution', () => {
      // X = (1, 0), Y = (0, 1), Z = (0.5, 0.5): all tie at 0.5 nominally (rank 1). With weights m1·0.5 and
      // m2·0.5 renormalised, X is first and Y third when m1 > m2 (probability ½), the other way round
      // otherwise; Z is always second, so its shift is exactly 1.
      const model = buildModel({ methodology: twoVariables, givens: [{ A: 1, B: 0 }, { A: 0, B: 1 }, { A: 0.5, B: 0.5 }], rowLabels: ['X', 'Y', 'Z'] });
      const runs = 4000;
      const result: UncertaintyResult = runUncertainty(model, { runs, seed: 9, weightsRange: 0.5, by: 'institution', date: DATE });
      const byName = Object.fromEntries(result.groups.map((g) => [g.group, g]));
      expect(result.groups.map((g) => g.nominalRank)).to.deep.equal([1, 1, 1]);
      expect(byName.Z).to.include({ medianRank: 2, p05Rank: 2, p95Rank: 2, meanAbsShift: 1 });
      for (const name of ['X', 'Y']) {
        expect(byName[name]).to.include({ p05Rank: 1, p95Rank: 3 });
        // mean shift = 2 × P(rank 3) ≈ 1, within 4 standard errors (2 × 0.5/√runs each way).
        expect(byName[name]!.meanAbsShift).to.be.closeTo(1, 4 * (1 / Math.sqrt(runs)));
      }
      // X and Y are never third together: their shifts add up to exactly 2.
      expect(byName.X!.meanAbsShift + byName.Y!.meanAbsShift).to.be.closeTo(2, 1e-12);
    });

    it('refuses data that cannot carry the analysis, with a reason', () => {
      expect(() => buildModel({ methodology: twoVariables, givens: [{ A: 1 }, { A: 0.5, B: 0.2 }] })).to.throw(AnalysisInputError, /cannot be recomputed/);
      expect(() => buildModel({ methodology: twoVariables, givens: [{ A: 1, B: 0 }] })).to.throw(AnalysisInputError, /at least two/);
      const model = buildModel({ methodology: twoVariables, givens: [{ A: 1, B: 0 }, { A: 0, B: 1 }] });
      expect(() => runUncertainty(model, { runs: 0, seed: 1, weightsRange: 0.2, by: 'x', date: DATE })).to.throw(AnalysisInputError, /runs/);
      expect(() => runUncertainty(model, { runs: 5, seed: 1, weightsRange: 1.5, by: 'x', date: DATE })).to.throw(AnalysisInputError, /weights range/);
    });
  });

  describe('sensitivity', () => {
    // a = b in every institution: the weights inside T have no effect on any rank.
    const givens = Array.from({ length: 12 }, (_, i) => {
      const t = ((i * 7) % 12) / 12;
      return { a: t, b: t, c: ((i * 5) % 12) / 11, d: ((i * 11) % 12) / 13 };
    });
    const model = buildModel({ methodology: twoLevels, givens, rowLabels: givens.map((_, i) => `I${i}`) });

    it('an assumption without effect has indices ~0; the ones with effect do not', () => {
      const result = runSensitivity(model, { runs: 2000, seed: 4, weightsRange: 0.4, bootstrap: 200, by: 'institution', date: DATE });
      const byFactor = Object.fromEntries(result.factors.map((f) => [f.factor, f]));
      expect(Object.keys(byFactor)).to.deep.equal(['weights:T', 'weights:P', 'weights:GA']);
      expect(byFactor['weights:T']!.total).to.be.closeTo(0, 1e-12);
      expect(Math.abs(byFactor['weights:T']!.first!)).to.be.lessThan(0.15);
      expect(byFactor['weights:P']!.total).to.be.greaterThan(0.05);
      expect(byFactor['weights:GA']!.total).to.be.greaterThan(0.05);
      const interval = byFactor['weights:P']!.totalInterval!;
      expect(interval[0]).to.be.at.most(byFactor['weights:P']!.total!);
      expect(interval[1]).to.be.at.least(byFactor['weights:P']!.total!);
      expect(result.evaluations).to.equal(2000 * 5);
      expect(result.parameters).to.include({ analysis: 'sensitivity', runs: 2000, seed: 4, bootstrap: 200 });
    });

    it('is reproducible from the seed', () => {
      const run = () => JSON.stringify(runSensitivity(model, { runs: 300, seed: 8, weightsRange: 0.3, aggregations: ['arithmetic', 'harmonic'], by: 'institution', date: DATE }));
      expect(run()).to.equal(run());
    });
  });

  describe('what-if and coherence on the 2017 data', () => {
    let rows: ImportedRow[];
    const m = loadBuiltinMethodology('mga-2017');
    before(async () => {
      rows = (await parseResultsTable(readFileSync(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m })).rows;
    });

    it('what-if with the official weights changes no rank; with GA = 0.7·T + 0.3·P it matches a hand recomputation', () => {
      const same = runWhatIf(m, applyVariant(m, { GA: { T: 0.5, P: 0.5 } }), rows, { by: 'entity', date: DATE });
      expect(same.groups.every((g) => g.rankChange === 0)).to.equal(true);
      const result = runWhatIf(m, applyVariant(m, { GA: { T: 0.7, P: 0.3 } }), rows, { by: 'entity', date: DATE });
      expect(result.groups).to.have.length(33);
      const jalisco = rows.filter((r) => r.entity === 'Jalisco');
      const mean = (f: (r: ImportedRow) => number) => jalisco.reduce((s, r) => s + f(r), 0) / jalisco.length;
      const t = mean((r) => (r.values.TG! + r.values.TC!) / 2);
      const p = mean((r) => (r.values.PG! + r.values.PC!) / 2);
      const group = result.groups.find((g) => g.group === 'Jalisco')!;
      expect(group.variant.value).to.be.closeTo(0.7 * t + 0.3 * p, 1e-12);
      expect(group.official.value).to.be.closeTo(0.5 * t + 0.5 * p, 1e-12);
      expect(group.rankChange).to.equal(group.official.rank! - group.variant.rank!);
      expect(result.skippedEquivalences.map((s) => s.path)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
    });

    it('coherence: correlations, alpha and PCA of the four sub-indices, with flags in Spanish', () => {
      const result = runCoherence(m, rows.map((r) => r.values), { date: DATE });
      expect(result.nodes.map((n) => n.id)).to.include.members(['GA', 'T', 'P', 'TG', 'TC', 'PG', 'PC']);
      const x = result.nodes.findIndex((n) => n.id === 'TG');
      expect(result.pearson[x]![x]).to.equal(1);
      expect(result.pca!.nodes).to.deep.equal(['TG', 'TC', 'PG', 'PC']);
      const explained = result.pca!.explainedVariance;
      expect(explained.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
      expect(explained[0]).to.be.greaterThan(explained[1]!);
      expect(result.alpha.map((a) => a.node)).to.deep.equal(['T', 'P', 'GA']);
      for (const flag of result.flags) expect(flag.message.es).to.match(/[«»]/);
      expect(result.parameters).to.include({ analysis: 'coherence', nearDuplicate: 0.92, weakAlpha: 0.7 });
    });
  });
});

describe('uncertainty over worker threads', function () {
  this.timeout(120_000);
  it('gives the same result as one thread, byte for byte', async () => {
    const { runUncertaintyParallel } = await import('../../server/analysis/uncertaintyParallel.js');
    const m = loadBuiltinMethodology('mga-2017');
    const { rows } = await parseResultsTable(readFileSync(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m });
    const input = { methodology: m, givens: rows.map((r) => r.values), groupOfRow: rows.map((r) => r.type) };
    const options = { runs: 5000, seed: 77, weightsRange: 0.3, aggregations: ['arithmetic', 'harmonic'] as ('arithmetic' | 'harmonic')[], by: 'type', date: DATE };
    const progress: number[] = [];
    const parallel = await runUncertaintyParallel(input, options, { threads: 2, onProgress: (done) => progress.push(done) });
    const single = runUncertainty(buildModel(input), options);
    expect(toCsv(uncertaintyCsvRows(parallel))).to.equal(toCsv(uncertaintyCsvRows(single)));
    expect(progress.at(-1)).to.equal(5000);
  });
});
