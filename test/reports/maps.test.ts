import { expect } from 'chai';
import { choroplethMap, classBreaks, legendDecimals, MAP_ATTRIBUTION, mapShapes } from '../../reports/maps.js';
import { buildNationalReportData } from '../../reports/models/national.js';
import { renderNationalReportHtml, renderNationalReportPdf } from '../../reports/render.js';
import { closeBrowser } from '../../reports/browser.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { GENERATED_AT, load2017, pdfFacts, SAMPLE_SIZES, type Fixture } from './fixtures.js';

const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('choropleth maps (server-side SVG)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await load2017();
  });
  after(closeBrowser);

  it('the geometry package has the 32 states, each mapped to its catalogue entity', () => {
    const shapes = mapShapes();
    expect(shapes).to.have.length(32);
    expect(shapes.map((s) => s.entity).sort()).to.deep.equal(ENTITIES.filter((e) => e.code !== 'FED').map((e) => e.name).sort());
    expect(shapes.find((s) => s.code === '09')!.entity).to.equal('Ciudad de México');
    expect(shapes.find((s) => s.code === '15')!.entity).to.equal('Estado de México');
  });

  it('every shape and the Federal box carry the entity name and value; the legend has the class breaks', () => {
    const values = Object.fromEntries(fx.results.byEntity.groups.map((g) => [g.name, g.values.GA]));
    const map = choroplethMap({ title: 'IGA 2017 por entidad federativa', measure: 'IGA', values });
    expect(map.missing).to.deep.equal([]);
    expect(map.classes).to.have.length(5);
    expect(map.classes.reduce((s, c) => s + c.count, 0)).to.equal(33);
    for (let i = 1; i < map.classes.length; i++) expect(map.classes[i]!.from).to.be.greaterThan(map.classes[i - 1]!.to);
    const titles = [...map.svg.matchAll(/<title[^>]*>([^<]+)<\/title>/g)].map((m) => m[1]);
    expect(titles[0]).to.equal('IGA 2017 por entidad federativa');
    expect(titles).to.include('Ciudad de México: IGA 0.51');
    expect(titles).to.include('Federal: IGA 0.46');
    expect(titles).to.have.length(1 + 33);
    expect((map.svg.match(/<path [^>]*role="img" aria-label="[^"]+: IGA \d\.\d\d"/g) ?? []).length).to.equal(32);
    // Legend: a range per class with its count, darkest first.
    expect(map.svg).to.match(/0\.461 – 0\.511 \(3\)/);
    // No script, no external reference: it renders offline and in a PDF.
    expect(map.svg).not.to.match(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('entities without a figure are hatched «sin dato», never coloured as a value', () => {
    const map = choroplethMap({ title: 'IGA 2021', measure: 'IGA', values: { Guanajuato: 0.65, Federal: 0.57, Guerrero: 0.35 }, idPrefix: 'm21' });
    expect(map.missing).to.have.length(30);
    expect(map.svg).to.include('aria-label="Sonora: IGA sin dato"');
    expect((map.svg.match(/fill="url\(#m21-sin-dato\)"/g) ?? []).length).to.equal(30 + 1); // 30 states + the legend swatch
    expect(map.svg).to.include('sin dato (30)');
  });

  it('class breaks: up to five Ckmeans classes, two values per class at least; three decimals when two would blur a boundary', () => {
    expect(classBreaks([])).to.deep.equal([]);
    expect(classBreaks([0.5]).map((c) => [c.from, c.to, c.count])).to.deep.equal([[0.5, 0.5, 1]]);
    expect(classBreaks([0.62, 0.6, 0.57, 0.56, 0.56])).to.have.length(3);
    expect(classBreaks([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 0.15, 0.25])).to.have.length(5);
    expect(legendDecimals([{ from: 0.33, to: 0.3558, colour: '', count: 1 }, { from: 0.363, to: 0.38, colour: '', count: 1 }])).to.equal(3);
    expect(legendDecimals([{ from: 0.33, to: 0.34, colour: '', count: 1 }, { from: 0.36, to: 0.38, colour: '', count: 1 }])).to.equal(2);
  });

  it('national PDF: compares 2017, 2019, 2021 and 2023; «Evolución» with the entity series and the 2021 map; the 2017 map', async () => {
    const data = buildNationalReportData(fx.results, fx.published, { generatedAt: GENERATED_AT, sampleSizes: SAMPLE_SIZES });
    expect(data.editions).to.deep.equal(['2017', '2019', '2021', '2023']);
    expect(data.evolution.entities.map((e) => e.entity)).to.include.members(['Guanajuato', 'Guerrero', 'Federal', 'Jalisco']);
    expect(data.evolution.entities).to.have.length(13);
    expect(data.evolution.panels).to.deep.equal([]);
    const html = renderNationalReportHtml(data);
    expect((html.match(/<svg class="map"/g) ?? []).length, 'the 2017 map and the 2021 IGA map').to.equal(2);
    const { text, layout } = await pdfFacts(await renderNationalReportPdf(data), 'national-evolution');
    const t = flat(text);
    expect(t).to.include('Evolución');
    expect(t).to.include('0.39 en 2017, 0.52 en 2019, 0.48 en 2021 y 0.46 en 2023');
    expect(layout).to.match(/Guanajuato\s+0\.48\s+0\.65 \(1\.º\)\s+0\.58\s+0\.73 \(1\.º\)\s+0\.37\s+0\.62 \(1\.º\)/);
    expect(layout).to.match(/Guerrero\s+0\.37\s+0\.35 \(último\)/);
    // The maps' legends and the Federal box are text in the PDF.
    expect(t).to.include('0.461 – 0.511 (3)');
    expect(t).to.include('sin dato (25)');
    expect(t).to.include(MAP_ATTRIBUTION);
    expect(t).to.include('no hay comparación de los mismos sujetos obligados entre ediciones (panel)');
  });
});
