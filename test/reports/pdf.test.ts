import { expect } from 'chai';
import { closeBrowser, getBrowser, ChromiumNotFoundError, footerTemplate } from '../../reports/browser.js';
import { buildEntityReportData, buildInstitutionReportData, buildNationalReportData } from '../../reports/data.js';
import { formatScore } from '../../reports/format.js';
import {
  renderEntityReportHtml,
  renderEntityReportPdf,
  renderInstitutionReportHtml,
  renderInstitutionReportPdf,
  renderNationalReportHtml,
  renderNationalReportPdf,
} from '../../reports/render.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { GENERATED_AT, load2017, pdfFacts, SAMPLE_SIZES, type Fixture } from './fixtures.js';

/** A long name may wrap onto a second line: compare with white space collapsed. */
const flat = (text: string) => text.replace(/\s+/g, ' ');
const svgCount = (html: string) => (html.match(/<svg\b/g) ?? []).length;

describe('PDF reports', () => {
  let fx: Fixture;
  before(async () => {
    fx = await load2017();
  });
  after(closeBrowser);

  it('national comparative report 2017/2019/2021/2023 from the real 2017 data', async () => {
    const data = buildNationalReportData(fx.results, fx.published, { generatedAt: GENERATED_AT, sampleSizes: SAMPLE_SIZES });
    const html = renderNationalReportHtml(data);
    expect(svgCount(html), 'charts in the HTML').to.be.at.least(4);
    const pdf = await renderNationalReportPdf(data);
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    expect(pdf.length, 'PDF size').to.be.greaterThan(100_000);
    const { text, layout, pages } = await pdfFacts(pdf, 'national');
    const t = flat(text);
    expect(pages).to.be.greaterThan(1);
    expect(t).to.include('Índice de Gobierno Abierto');
    for (const figure of ['0.39', '0.52', '0.48', '0.46']) expect(t).to.include(figure);
    expect(t).to.include('El Índice de Gobierno Abierto nacional fue de 0.39 en 2017, 0.52 en 2019, 0.48 en 2021 y 0.46 en 2023');
    // Table "Índice de Gobierno Abierto por edición": edition, published, computed, n.
    expect(layout).to.match(/2017\s+0\.39\s+0\.39\s+908 /);
    expect(layout).to.match(/2019\s+0\.52\s+sin dato\s+1,243 /);
    expect(layout).to.match(/2021\s+0\.48\s+sin dato\s+1,365 /);
    expect(layout).to.match(/2023\s+0\.46\s+sin dato\s+2,043 /);
    expect(layout).to.match(/1\s+Ciudad de México\s+26\s+0\.51/);
    expect(layout).to.match(/Nacional\s+908\s+0\.39\s+0\.50\s+0\.28\s+0\.46\s+0\.54\s+0\.23\s+0\.32/);
    for (const entity of ENTITIES) expect(t, entity.name).to.include(entity.name);
    expect(t).to.include(`Página 1 de ${pages}`);
    expect(t).to.include('sha256 c12f3f914976');
    expect(t).to.match(/PG sería 0\.24 \(publicado 0\.19\)/);
    expect(t).to.include('Participación desde la perspectiva gubernamental');
  });

  it('entity report: its index, rank among the 33 and institutions', async () => {
    const data = buildEntityReportData(fx.results, 'Jalisco', { generatedAt: GENERATED_AT });
    const html = renderEntityReportHtml(data);
    expect(svgCount(html)).to.equal(2);
    const { text, layout, pages } = await pdfFacts(await renderEntityReportPdf(data), 'entity');
    const t = flat(text);
    expect(pages).to.be.greaterThan(1);
    expect(t).to.include('Métrica de Gobierno Abierto 2017: Jalisco');
    expect(formatScore(data.values.GA)).to.equal('0.45');
    // Index, entity, national, difference, rank among the 33.
    expect(layout).to.match(/IGA\s+Índice de Gobierno Abierto\s+0\.45\s+0\.39\s+\+0\.06\s+4 de 33/);
    expect(t).to.include('de 33 · de mayor a menor');
    expect(t).to.include('Jalisco-Zapopan');
    expect(t).to.include('Mayores brechas');
  });

  it('institution report card: index against national, entity and type means, rank, explanation, improvements', async () => {
    const data = buildInstitutionReportData(fx.results, { name: 'ASF' }, { generatedAt: GENERATED_AT });
    const html = renderInstitutionReportHtml(data);
    expect(svgCount(html)).to.equal(1);
    const pdf = await renderInstitutionReportPdf(data);
    const { text, layout } = await pdfFacts(pdf, 'institution');
    const t = flat(text);
    expect(t).to.include('ASF');
    // Index, institution, national, entity and type means, difference from national.
    expect(layout).to.match(/IGA\s+Índice de Gobierno Abierto\s+0\.51\s+0\.39\s+0\.46\s+0\.51\s+\+0\.12/);
    expect(layout).to.match(/LUGAR EN SU TIPO[\s\S]*?\n\s*0\.51\s+35\s+21\s+290\s*\n\s*media nacional 0\.39\s+de 66 · Legislativo/);
    expect(t).to.include('IGA = 0.5 × T + 0.5 × P IGA = 0.5 × 0.6778 + 0.5 × 0.3330 = 0.5054 ✓ coincide');
    expect(t).to.include('Qué elevaría más su índice');
    expect(t).to.include('Participación desde la perspectiva ciudadana (PC)');
  });

  it('escapes text from the data in the HTML', () => {
    const data = buildInstitutionReportData(fx.results, 0, { generatedAt: GENERATED_AT });
    data.institution.name = '<script>alert(1)</script>';
    data.meta.title = '<b>x</b>';
    const html = renderInstitutionReportHtml(data);
    expect(html).not.to.include('<script>alert(1)</script>');
    expect(html).not.to.include('<b>x</b>');
    expect(footerTemplate({ generatedAt: GENERATED_AT, sources: ['<img src=x>'] })).not.to.include('<img');
  });

  it('says clearly when Chromium is missing', async () => {
    await closeBrowser();
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      const error = await getBrowser().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ChromiumNotFoundError);
      expect((error as Error).message).to.match(/Chromium not found at \/nonexistent\/chromium.*CHROMIUM_PATH/);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });
});
