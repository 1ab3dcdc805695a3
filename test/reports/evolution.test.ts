import { expect } from 'chai';
import { buildEntityEvolution, placeText } from '../../reports/models/evolution.js';
import { buildEntityReportData } from '../../reports/models/entity.js';
import { renderEntityReportHtml, renderEntityReportPdf } from '../../reports/render.js';
import { closeBrowser } from '../../reports/browser.js';
import { trendChart } from '../../reports/trendChart.js';
import { GENERATED_AT, load2017, pdfFacts, type Fixture } from './fixtures.js';

const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('editions over time: an entity in every edition', () => {
  let fx: Fixture;
  before(async () => {
    fx = await load2017();
  });
  after(closeBrowser);

  it('Guanajuato: computed 2017 figures with their place, the published 2021 IGA, T and P with the place the source states, «sin dato» elsewhere', () => {
    const evolution = buildEntityEvolution(fx.results, fx.published, 'guanajuato');
    expect(evolution.editions).to.deep.equal(['2017', '2019', '2021', '2023']);
    const byCode = new Map(evolution.series.map((s) => [s.code, s]));
    const iga = byCode.get('IGA')!;
    expect(iga.points.map((p) => p.value)).to.deep.equal([fx.results.byEntity.groups.find((g) => g.name === 'Guanajuato')!.values.GA, null, 0.65, null]);
    expect(iga.points.map((p) => p.origin)).to.deep.equal(['computed', null, 'published', null]);
    expect(iga.points[0]!.rank).to.deep.equal({ place: 2, of: 33, stated: false });
    expect(iga.points[2]!.rank).to.deep.equal({ place: 1, of: null, stated: true });
    expect(placeText(iga.points[2]!.rank!)).to.equal('1.º lugar');
    expect(byCode.get('T')!.points[2]!.value).to.equal(0.73);
    expect(byCode.get('P')!.points[2]!.value).to.equal(0.62);
    // Sub-indices were never published for entities after 2017: missing, never zero.
    expect(byCode.get('TG')!.points.slice(1).map((p) => p.value)).to.deep.equal([null, null, null]);
    // The national series beside it: published figures of each edition.
    expect(iga.national.slice(1)).to.deep.equal([0.52, 0.48, 0.46]);
    expect(evolution.editionsWithFigures).to.deep.equal(['2021']);
    expect(evolution.sources).to.have.length(1);
    expect(evolution.sources[0]).to.match(/heraldodemexico/);
    // IGA 0.65 is not the mean of T 0.73 and P 0.62: shown as published, with a warning.
    expect(evolution.warningTexts).to.have.length(1);
    expect(evolution.warningTexts[0]).to.match(/^2021: el IGA publicado \(0\.65\) no cuadra con T y P publicados, que darían 0\.675/);
    expect(evolution.notes.join('\n')).to.match(/2019: no se publicaron cifras de Guanajuato \(sin dato\)/);
  });

  it('a place is printed only where the source states it: Guerrero last, Federal without a place', () => {
    const guerrero = buildEntityEvolution(fx.results, fx.published, 'Guerrero').series[0]!.points[2]!;
    expect(guerrero).to.include({ value: 0.35, origin: 'published' });
    expect(placeText(guerrero.rank!)).to.equal('último lugar');
    const federal = buildEntityEvolution(fx.results, fx.published, 'Federal').series[0]!.points[2]!;
    expect(federal).to.include({ value: 0.57, rank: null });
  });

  it('an entity no later edition published: only its 2017 figures, the rest «sin dato»', () => {
    const sonora = buildEntityEvolution(fx.results, fx.published, 'Sonora', { editionAbout: { '2023': '4.ª edición, del INAI y El Colegio de México' } });
    expect(sonora.editionsWithFigures).to.deep.equal([]);
    expect(sonora.series.every((s) => s.points.slice(1).every((p) => p.value === null && p.rank === null))).to.equal(true);
    expect(sonora.notes.join('\n')).to.include('2023: no se publicaron cifras de Sonora (sin dato); 4.ª edición, del INAI y El Colegio de México.');
    expect(sonora.warnings).to.deep.equal([]);
  });

  it('the trend chart: one line per series, no point where an edition has no figure', () => {
    const svg = trendChart({ title: 'prueba', editions: ['2017', '2019', '2021'], series: [{ label: 'IGA', values: [0.4, null, 0.65] }, { label: 'IGA nacional', values: [0.39, 0.52, 0.48], role: 'reference' }] }).data.toString('utf-8');
    const texts = new Set([...svg.matchAll(/>([^<>]+)<\/text>/g)].map((m) => m[1]));
    // Point labels of the main series are text; a missing figure has no label (never "0.00").
    expect([...texts].filter((t) => /^\d\.\d\d$/.test(t!)).sort()).to.deep.equal(['0.40', '0.65']);
    expect(texts.has('IGA nacional')).to.equal(true);
  });

  it('Guanajuato entity PDF: the «Evolución» section with the 2021 figures, their place and sources', async () => {
    const data = buildEntityReportData(fx.results, 'Guanajuato', { generatedAt: GENERATED_AT, published: fx.published });
    expect((renderEntityReportHtml(data).match(/<svg\b/g) ?? []).length, 'reference, trend and institutions charts').to.equal(3);
    const { text, layout } = await pdfFacts(await renderEntityReportPdf(data), 'entity-guanajuato');
    const t = flat(text);
    expect(t).to.include('Evolución entre ediciones');
    expect(layout).to.match(/IGA\s+0\.48 · 2\.º de 33\s+sin dato\s+0\.65 · 1\.º lugar \(según la fuente\)\s+sin dato/);
    expect(layout).to.match(/P\s+0\.37 · 3\.º de 33\s+sin dato\s+0\.62 · 1\.º lugar \(según la fuente\)/);
    expect(layout).to.match(/IGA nacional\s+0\.39\s+0\.52\s+0\.48\s+0\.46/);
    expect(t).to.include('Cifras publicadas: https://heraldodemexico.com.mx/nacional/2022/4/19/destaca-guanajuato');
    expect(t).to.include('no cuadra con T y P publicados');
  });
});
