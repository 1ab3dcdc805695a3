import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticInstitutions, syntheticMethodology } from '../../bench/synthetic.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { scoreColumns, toColumns } from '../../scoring/columnar.js';
import { factorize, groupMeansColumns, groupMeansColumnsMany } from '../../scoring/columnarGroups.js';
import { scoreInstitutions, ScoreInputError } from '../../scoring/engine.js';
import { groupBy } from '../../scoring/grouping.js';
import { parseResultsTable } from '../../scoring/import/index.js';
import { applyVariant } from '../../scoring/variants.js';
import { DATA_2017, REPO_ROOT } from './helpers.js';

describe('columnar engine', () => {
  it('gives the row engine\'s values, sources and discrepancies bit for bit (2017 data, a geometric variant, a synthetic edition)', async () => {
    const m = loadBuiltinMethodology('mga-2017');
    const { rows } = await parseResultsTable(readFileSync(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m });
    const synthetic = syntheticMethodology(5);
    const cases = [
      { methodology: m, givens: rows.map((r) => r.values) },
      { methodology: applyVariant(m, { aggregation: { GA: 'geometric', P: 'harmonic' } }).methodology, givens: rows.map((r) => ({ TG: r.values.TG!, TC: r.values.TC!, PG: r.values.PG!, PC: r.values.PC!, GA: r.values.GA! })) },
      { methodology: synthetic, givens: syntheticInstitutions(synthetic, 500).map((i) => i.values) },
    ];
    for (const { methodology, givens } of cases) {
      const rowWise = scoreInstitutions(methodology, givens);
      const columnar = scoreColumns(methodology, toColumns(methodology, givens));
      const nodeCount = rowWise.compiled.nodeIds.length;
      for (let i = 0; i < nodeCount; i++) {
        for (let row = 0; row < givens.length; row++) {
          expect(Object.is(columnar.columns[i]![row], rowWise.values[row * nodeCount + i]), `${rowWise.compiled.nodeIds[i]} row ${row}`).to.equal(true);
          expect(columnar.sources[i]![row]).to.equal(rowWise.sources[row * nodeCount + i]);
        }
      }
      expect(columnar.discrepancies).to.deep.equal(rowWise.discrepancies);
    }
  });

  it('group means agree with grouping.ts to a few units in the last place', async () => {
    const m = loadBuiltinMethodology('mga-2017');
    const { rows } = await parseResultsTable(readFileSync(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m });
    const scores = scoreColumns(m, toColumns(m, rows.map((r) => r.values)));
    for (const by of ['entity', 'type', 'level'] as const) {
      const expected = groupBy(scoreInstitutions(m, rows.map((r) => r.values)), rows, by);
      const groups = factorize(rows.map((r) => r[by]));
      const got = groupMeansColumns(scores, groups);
      for (const group of expected.groups) {
        const g = got.names.indexOf(group.name);
        expect(got.sizes[g]).to.equal(group.n);
        scores.compiled.nodeIds.forEach((id, i) => {
          const want = group.values[id] ?? null;
          if (want === null) expect(got.means[i]![g], `${group.name} ${id}`).to.be.NaN;
          else expect(got.means[i]![g], `${group.name} ${id}`).to.be.closeTo(want, 4e-16 * Math.max(1, want));
          expect(got.counts[i]![g]).to.equal(group.nPerNode[id]);
        });
      }
    }
    const national = groupMeansColumns(scores);
    const expected = groupBy(scoreInstitutions(m, rows.map((r) => r.values)), rows, 'national').groups[0]!;
    expect(national.means[scores.compiled.nodeIndex.get('GA')!]![0]).to.be.closeTo(expected.values.GA!, 4e-16);
  });

  it('several groupings at once give what each gives alone; the national mean from their sums agrees with its own pass', () => {
    const m = syntheticMethodology(5);
    const institutions = syntheticInstitutions(m, 3000);
    // Some values missing, so counts differ between nodes and groups.
    const givens = institutions.map((i, row) => (row % 7 === 3 ? Object.fromEntries(Object.entries(i.values).filter(([id]) => !id.endsWith('V2'))) : i.values));
    const scores = scoreColumns(m, toColumns(m, givens));
    const groupings = (['entity', 'type', 'level'] as const).map((by) => factorize(institutions.map((i) => i[by])));
    const together = groupMeansColumnsMany(scores, [groupings[0]!, null, groupings[1]!, groupings[2]!]);
    const alone = [groupMeansColumns(scores, groupings[0]), groupMeansColumns(scores), groupMeansColumns(scores, groupings[1]), groupMeansColumns(scores, groupings[2])];
    expect(together.map((g) => g.names)).to.deep.equal(alone.map((g) => g.names));
    together.forEach((got, k) => {
      const want = alone[k]!;
      expect([...got.sizes]).to.deep.equal([...want.sizes]);
      got.means.forEach((means, node) => {
        expect([...got.counts[node]!], `counts of node ${node}`).to.deep.equal([...want.counts[node]!]);
        means.forEach((mean, g) => expect(mean, `grouping ${k}, node ${node}, group ${g}`).to.be.closeTo(want.means[node]![g]!, 2e-16));
      });
    });
    const missing = scores.compiled.nodeIndex.get('TG.V2')!;
    expect(together[1]!.counts[missing]![0]).to.equal(3000 - Math.ceil((3000 - 3) / 7));
  });

  it('refuses unknown nodes and values outside [0, 1], naming the row', () => {
    const m = loadBuiltinMethodology('mga-2017');
    expect(() => toColumns(m, [{ TG: 0.5 }, { Nope: 0.1 }])).to.throw(ScoreInputError, /institution 1: node "Nope"/);
    expect(() => scoreColumns(m, { rowCount: 2, columns: { TG: Float64Array.of(0.5, 1.5) } })).to.throw(ScoreInputError, /institution 1: node "TG".*outside/);
  });
});
