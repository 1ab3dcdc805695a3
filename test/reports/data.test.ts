import { expect } from 'chai';
import {
  buildEntityReportData,
  buildInstitutionReportData,
  buildNationalReportData,
  improvementGaps,
} from '../../reports/data.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { roundHalfUp } from '../../scoring/rounding.js';
import { GENERATED_AT, load2017, SAMPLE_SIZES, type Fixture } from './fixtures.js';

describe('report data builders (2017 edition)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await load2017();
  });

  it('national: published IGA per edition, computed 2017 reproduces the published figures, 33 entities ranked', () => {
    const data = buildNationalReportData(fx.results, fx.published, { generatedAt: GENERATED_AT, sampleSizes: SAMPLE_SIZES });
    expect(data.editions).to.deep.equal(['2017', '2019', '2021', '2023']);
    expect(data.editionSummaries.map((s) => s.published)).to.deep.equal([0.39, 0.52, 0.48, 0.46]);
    expect(data.editionSummaries.map((s) => s.n)).to.deep.equal([908, 1243, 1365, 2043]);
    expect(data.reproduction.every((r) => r.matches === true)).to.equal(true);
    const tg = data.comparison.groups[0]!.nodes.TG!;
    expect(tg.values['2021']).to.equal(null);
    expect(tg.missing).to.deep.equal(['2021', '2023']);
    expect(data.base.byEntity.map((r) => r.name).sort()).to.deep.equal(ENTITIES.map((e) => e.name).sort());
    expect(data.base.byEntity[0]).to.include({ name: 'Ciudad de México', rank: 1 });
    expect(data.base.byType).to.have.length(11);
    expect(data.base.byLevel.map((r) => r.n).sort((a, b) => a - b)).to.deep.equal([46, 160, 702]);
    expect(data.publishedWarnings.some((w) => w.edition === '2019' && w.measure === 'PG')).to.equal(true);
    expect(data.notes.join('\n')).to.match(/2021: solo hay cifras nacionales publicadas \(IGA, T y P\)/);
    expect(data.notes.join('\n')).to.match(/2023: solo hay cifras nacionales publicadas \(IGA, T y P\); no hay datos por sujeto obligado; no se publicaron TG, TC, PG y PC/);
    expect(data.notes.join('\n')).to.match(/PG sería 0\.24 \(publicado 0\.19\)/);
    expect(data.entityComparison!.comparison.groups.map((g) => g.group)).to.include('Guanajuato');
  });

  it('national without published figures: one edition, computed values, no warnings', () => {
    const data = buildNationalReportData(fx.results, undefined, { generatedAt: GENERATED_AT });
    expect(data.editions).to.deep.equal(['2017']);
    expect(data.comparison.groups[0]!.nodes.GA!.values['2017']).to.equal(fx.results.national.values.GA);
    expect(data.reproduction.every((r) => r.matches === null)).to.equal(true);
    expect(data.entityComparison).to.equal(null);
    expect(data.publishedWarnings).to.deep.equal([]);
  });

  it('gaps: with sub-indices only, each sub-index weighs 1/4 in the IGA', () => {
    const data = buildNationalReportData(fx.results, fx.published, { generatedAt: GENERATED_AT });
    const gaps = data.base.gaps;
    expect(gaps.map((g) => g.node)).to.deep.equal(['PG', 'PC', 'TG', 'TC']);
    expect(gaps.every((g) => g.weightInIndex === 0.25)).to.equal(true);
    expect(roundHalfUp(gaps[0]!.gap, 3)).to.equal(0.193);
    expect(data.base.variableGaps).to.deep.equal([]);
  });

  it('gaps: with variables, at the variable level weighted down the tree', () => {
    const values = { GA: 0.5, T: 0.5, P: 0.5, TG: 0.5, 'TG.AI': 0.4, 'TG.TR': 0.5, 'TG.TP': 0.6, 'TG.DA': 0.7, TC: 0.5, PG: 0.5, PC: 0.5 };
    const gaps = improvementGaps(values, loadBuiltinMethodology('mga-2017'));
    const ai = gaps.find((g) => g.node === 'TG.AI')!;
    expect(ai.weightInIndex).to.equal(0.125);
    expect(ai.gap).to.be.closeTo(0.075, 1e-12);
    expect(ai.potentialIndex).to.be.closeTo(0.575, 1e-12);
    expect(gaps.map((g) => g.node)).to.include.members(['TC', 'PG', 'PC']);
    expect(gaps.map((g) => g.node)).not.to.include('TG');
  });

  it('entity: values against the national mean, rank among 33, its institutions ranked', () => {
    const data = buildEntityReportData(fx.results, 'jalisco', { generatedAt: GENERATED_AT });
    expect(data.entity).to.deep.equal({ name: 'Jalisco', code: '14' });
    expect(data.n).to.equal(27);
    expect(data.ranks.GA).to.deep.equal({ rank: 4, of: 33 });
    expect(data.institutions).to.have.length(27);
    expect(data.institutions[0]!.rank).to.equal(1);
    const ga = data.institutions.map((i) => i.values.GA!);
    expect(ga).to.deep.equal([...ga].sort((a, b) => b - a));
    expect(data.byType.reduce((sum, t) => sum + t.n, 0)).to.equal(27);
    expect(data.gaps).to.have.length(4);
  });

  it('institution: references, rank in its type, explanation from the engine and improvements', () => {
    const data = buildInstitutionReportData(fx.results, { name: 'ASF' }, { generatedAt: GENERATED_AT });
    expect(data.institution).to.include({ name: 'ASF', entity: 'Federal', type: 'Legislativo', level: 'Federal' });
    expect(data.values.GA).to.equal(0.5054);
    expect(data.ranks.inType).to.deep.equal({ rank: 35, of: 66 });
    expect(roundHalfUp(data.references.national.GA!, 2)).to.equal(0.39);
    const ga = data.explanation.find((e) => e.node === 'GA')!;
    expect(ga.source).to.equal('given');
    expect(ga.formula!.expression).to.equal('0.5·T + 0.5·P');
    expect(ga.alternatives.map((f) => f.path)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
    expect(ga.alternatives.every((f) => f.agrees)).to.equal(true);
    expect(data.explanation.find((e) => e.node === 'GAg')).to.include({ source: 'computed' });
    expect(data.improvements[0]).to.include({ node: 'PC', rank: 1 });
    expect(data.improvements[0]!.gap).to.be.closeTo(0.2, 1e-12);
    expect(data.undetermined).to.have.length(17);
  });
});
