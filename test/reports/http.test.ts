/**
 * Reports over HTTP and the results pages, on the 2017 edition loaded into a real MongoDB as on
 * first start: PDFs read back with pdfjs-dist, the workbook with exceljs, bad parameters as problems.
 */
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { closeBrowser } from '../../reports/browser.js';
import { ENTITIES } from '../../scoring/catalogue.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { pdfFacts } from './fixtures.js';
import { createSmallEdition } from './smallEdition.js';

const flat = (text: string) => text.replace(/\s+/g, ' ');
/** Express quotes the file name only when it needs quoting. */
const attachment = (name: string) => `attachment; filename=${name}`;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function problemOf(res: Response): Promise<{ status: number; detail: string; errors?: { field: string; reason: string }[] }> {
  expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  return (await res.json()) as { status: number; detail: string; errors?: { field: string; reason: string }[] };
}

describe('reports over HTTP and the results pages (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let get: (path: string, accept?: string) => Promise<Response>;

  before(async () => {
    await useTestDatabase('reports_http');
    await loadReferenceEditions(() => {});
    await createSmallEdition();
    await createSmallEdition('mga-borrador', 'draft');
    server = await startTestServer();
    get = (path, accept) => fetch(server.url + path, accept ? { headers: { accept } } : {});
  });
  after(async () => {
    await server?.close();
    await closeBrowser();
  });

  it('national PDF 2017/2019/2021: the index of each edition, the 33-entity table and charts', async () => {
    const started = performance.now();
    const res = await get('/api/v1/reports/national.pdf?edition=mga-2017&compare=2019,2021');
    const ms = performance.now() - started;
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    expect(res.headers.get('content-disposition')).to.equal(attachment('mga-2017-reporte-nacional.pdf'));
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const { text, layout, pages } = await pdfFacts(pdf, 'http-national');
    const t = flat(text);
    console.log(`      national PDF over HTTP: ${ms.toFixed(0)} ms, ${pages} pages, ${(pdf.length / 1024).toFixed(0)} kB`);
    expect(pages).to.be.greaterThan(3);
    for (const figure of ['0.39', '0.52', '0.48']) expect(t).to.include(figure);
    expect(t).to.include('El Índice de Gobierno Abierto nacional fue de 0.39 en 2017, 0.52 en 2019 y 0.48 en 2021');
    expect(layout).to.match(/2019\s+0\.52\s+sin dato\s+1,243 /);
    // The entity table: one ranked row per entity (place, name, n, IGA …), then the national total.
    for (const entity of ENTITIES) {
      const name = entity.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(layout, entity.name).to.match(new RegExp(`^\\s*\\d+\\s+${name}\\s+\\d+\\s+0\\.\\d\\d\\s+0\\.\\d\\d`, 'm'));
    }
    expect(layout).to.match(/1\s+Ciudad de México\s+26\s+0\.51/);
    expect(layout).to.match(/Nacional\s+908\s+0\.39\s+0\.50\s+0\.28\s+0\.46\s+0\.54\s+0\.23\s+0\.32/);
    // Charts: their labels are text in the PDF (SVG), e.g. the national mean line of the entity chart.
    expect(t).to.include('Media nacional: 0.39');
    // The 2019 inconsistency is a visible warning, the published figure kept.
    expect(t).to.match(/PG sería 0\.24 \(publicado 0\.19\)/);
    expect(t).to.include('Cifras publicadas: INAI Resumen Ejecutivo MGA 2017 p.14');
    expect(t).to.include('BSO2017');
  });

  it('national PDF: compare only 2019; edition defaults to the latest published', async () => {
    const res = await get('/api/v1/reports/national.pdf?compare=2019');
    expect(res.status).to.equal(200);
    // mga-prueba (2030) is the latest published edition in this database.
    expect(res.headers.get('content-disposition')).to.equal(attachment('mga-prueba-reporte-nacional.pdf'));
    const res2017 = await get('/api/v1/reports/national.pdf?edition=mga-2017&compare=2019');
    const { text } = await pdfFacts(Buffer.from(await res2017.arrayBuffer()), 'http-national-2019');
    expect(flat(text)).to.include('El Índice de Gobierno Abierto nacional fue de 0.39 en 2017 y 0.52 en 2019.');
  });

  it('national XLSX is the edition workbook: every institution row, formula text escaped', async () => {
    const res = await get('/api/v1/reports/national.xlsx?edition=mga-2017');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal(XLSX_TYPE);
    expect(res.headers.get('content-disposition')).to.equal(attachment('mga-2017-resultados.xlsx'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await res.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const sheet = workbook.getWorksheet('Sujetos obligados')!;
    expect(sheet.actualRowCount).to.equal(1 + 908);
    const names = new Set<string>();
    sheet.eachRow((row, n) => n > 1 && names.add(String(row.getCell(1).value)));
    const stored = await InstitutionModel.find({ scope: 'mga-2017' }, { name: 1 }).lean();
    expect(names).to.deep.equal(new Set(stored.map((i) => i.name)));
    const meta = workbook.getWorksheet('Metadatos')!;
    expect(meta.getRow(2).getCell(2).value).to.equal('2017');

    const small = await get('/api/v1/reports/editions/mga-prueba/workbook.xlsx?compare=');
    expect(small.status).to.equal(200);
    expect(small.headers.get('content-disposition')).to.equal(attachment('mga-prueba-resultados.xlsx'));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await small.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const cells: unknown[] = [];
    book.getWorksheet('Sujetos obligados')!.eachRow((row) => cells.push(row.getCell(1).value));
    expect(cells).to.include("'=CMD|calc!A0");
    expect(cells.filter((v) => typeof v === 'string' && v.startsWith('='))).to.deep.equal([]);
  });

  it('entity PDF and institution report card', async () => {
    const res = await get(`/api/v1/reports/editions/mga-2017/entities/${encodeURIComponent('Ciudad de México')}.pdf`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    expect(res.headers.get('content-disposition')).to.equal(attachment('mga-2017-entidad-ciudad-de-mexico.pdf'));
    const entity = await pdfFacts(Buffer.from(await res.arrayBuffer()), 'http-entity');
    expect(flat(entity.text)).to.include('Métrica de Gobierno Abierto 2017: Ciudad de México');
    expect(entity.layout).to.match(/IGA\s+Índice de Gobierno Abierto\s+0\.51\s+0\.39\s+\+0\.12\s+1 de 33/);
    // Its published 2021 IGA (0.55) beside the computed 2017 one, in the «Evolución» section.
    expect(entity.layout).to.match(/IGA\s+0\.51 · 1\.º de 33\s+sin dato\s+0\.55\s+sin dato/);
    const gto = await get('/api/v1/reports/editions/mga-2017/entities/Guanajuato.pdf');
    expect((await pdfFacts(Buffer.from(await gto.arrayBuffer()), 'http-entity-gto')).layout).to.match(/IGA\s+0\.48 · 2\.º de 33\s+sin dato\s+0\.65 · 1\.º lugar \(según la fuente\)/);
    expect((await get('/api/v1/reports/editions/mga-2017/entities/jalisco.pdf')).status).to.equal(200);

    const asf = await InstitutionModel.findOne({ scope: 'mga-2017', name: 'ASF' }).lean();
    const card = await get(`/api/v1/reports/editions/mga-2017/institutions/${asf!._id}.pdf`);
    expect(card.status).to.equal(200);
    expect(card.headers.get('content-disposition')).to.equal(attachment('mga-2017-ficha-fed-asf.pdf'));
    const { text } = await pdfFacts(Buffer.from(await card.arrayBuffer()), 'http-card');
    expect(flat(text)).to.include('IGA = 0.5 × T + 0.5 × P IGA = 0.5 × 0.6778 + 0.5 × 0.3330 = 0.5054 ✓ coincide');
  });

  it('unknown or unpublished edition, entity or institution: 404 problem', async () => {
    const otherId = '0123456789abcdef01234567';
    for (const path of [
      '/api/v1/reports/national.pdf?edition=mga-1999',
      '/api/v1/reports/national.xlsx?edition=mga-borrador',
      '/api/v1/reports/editions/mga-1999/workbook.xlsx',
      '/api/v1/reports/editions/mga-2017/entities/Atlantis.pdf',
      '/api/v1/reports/editions/mga-prueba/entities/Oaxaca.pdf',
      `/api/v1/reports/editions/mga-2017/institutions/${otherId}.pdf`,
      '/api/v1/reports/editions/mga-2017/institutions/ASF.pdf',
    ]) {
      const res = await get(path);
      expect(res.status, path).to.equal(404);
      await problemOf(res);
    }
  });

  it('bad query values: 400 problem naming the parameter', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/v1/reports/national.pdf?edition=mga-2017&compare=2019;2021', 'compare', /pattern/],
      ['/api/v1/reports/national.pdf?edition=mga-2017&compare=2015', 'compare', /no published national figures for 2015; available: 2019, 2021/],
      ['/api/v1/reports/national.xlsx?edition=MGA_2017', 'edition', /pattern/],
      ['/api/v1/reports/national.pdf?edicion=mga-2017', 'edicion', /unknown query field/],
      ['/api/v1/reports/editions/mga-2017/entities/Jalisco.pdf?format=docx', 'format', /unknown query field/],
      ['/api/v1/reports/editions/mga-2017/workbook.xlsx?compare=dos', 'compare', /pattern/],
    ];
    for (const [path, field, reason] of cases) {
      const res = await get(path);
      expect(res.status, path).to.equal(400);
      const problem = await problemOf(res);
      expect(problem.errors?.[0]?.field, path).to.equal(field);
      expect(problem.errors?.[0]?.reason, path).to.match(reason);
    }
  });

  it('the OpenAPI document lists the report operations as public', async () => {
    const doc = (await (await get('/api/v1/openapi.json')).json()) as { paths: Record<string, { get?: { security?: unknown[]; tags: string[] } }> };
    for (const path of ['/api/v1/reports/national.pdf', '/api/v1/reports/national.xlsx', '/api/v1/reports/editions/{edition}/workbook.xlsx', '/api/v1/reports/editions/{edition}/entities/{entity}.pdf', '/api/v1/reports/editions/{edition}/institutions/{id}.pdf']) {
      expect(doc.paths[path]?.get, path).to.deep.include({ security: [], tags: ['reports'] });
    }
  });

  describe('results pages', () => {
    const page = async (path: string) => {
      const res = await get(path, 'text/html');
      expect(res.status, path).to.equal(200);
      const html = await res.text();
      expect(html, `${path}: no inline script`).not.to.match(/<script(?![^>]*\bsrc=)/);
      return html;
    };
    const links = (html: string) => [...html.matchAll(/<a class="download" href="([^"]+)"/g)].map((m) => m[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));

    it('national: edition comparison with deltas and "sin dato", charts, download links that work', async () => {
      const html = await page('/resultados/mga-2017');
      expect(html).to.include('Comparación entre ediciones');
      expect(html).to.match(/<svg class="chart" role="img" aria-label="IGA 2017 por entidad federativa"[^>]*><title>IGA 2017 por entidad federativa<\/title>/);
      expect((html.match(/<svg class="chart"/g) ?? []).length).to.equal(3);
      // IGA row: 2017, 2019, 2021, 2023 and the changes between them (consecutive, then from 2017); 2021 and 2023 did not publish TG.
      expect(flat(html)).to.match(
        /<abbr title="Índice de Gobierno Abierto">IGA<\/abbr>.*?<td class="num">0\.39<\/td><td class="num">0\.52<\/td><td class="num">0\.48<\/td><td class="num">0\.46<\/td><td class="num">\+0\.13<\/td><td class="num">−0\.04<\/td><td class="num">−0\.02<\/td><td class="num">\+0\.09<\/td><td class="num">\+0\.07<\/td>/,
      );
      expect(flat(html)).to.match(/>TG<\/abbr>.*?<td class="num">0\.46<\/td><td class="num">0\.72<\/td><td class="num missing">sin dato<\/td><td class="num missing">sin dato<\/td>/);
      expect(html).to.include('Advertencias sobre las cifras publicadas');
      // The map: IGA 2017 by default, every shape labelled with its entity and value, the ranked table beside it.
      expect(html).to.match(/<svg class="map"[^>]*role="group" aria-labelledby="mapa-2017-GA-titulo"[^>]*><title id="mapa-2017-GA-titulo">IGA 2017 por entidad federativa<\/title>/);
      expect(html).to.include('aria-label="Ciudad de México: IGA 0.51"');
      expect(html).to.include('<title>Federal: IGA 0.46</title>');
      expect(flat(html)).to.match(/Tabla del mapa: IGA 2017 por entidad federativa, de mayor a menor<\/summary>.*?<td class="num">1<\/td><th scope="row">Ciudad de México<\/th><td class="num">0\.51<\/td>/);
      const p2021 = flat(await page('/resultados/mga-2017?indice=P&edicion=2021'));
      expect(p2021).to.include('aria-label="Guanajuato: P 0.62"');
      expect(p2021).to.include('aria-label="Sonora: P sin dato"');
      expect(p2021).to.match(/<option value="P" selected>/);
      expect(p2021).to.match(/<option value="2021" selected>/);
      const fallback = flat(await page('/resultados/mga-2017?indice=TG&edicion=2021'));
      expect(fallback).to.include('2021 no publicó TG por entidad; se muestra IGA 2021.');
      expect(fallback).to.include('aria-label="Guanajuato: IGA 0.65"');
      expect(html).to.match(/2019, Nacional: PG publicado 0\.19/);
      expect(html).to.include('href="/resultados/mga-2017/tipos/Legislativo"');
      expect(html).to.include('href="/resultados/mga-2017/niveles/Municipal"');
      const downloads = links(html);
      expect(downloads).to.deep.equal(['/api/v1/reports/national.pdf?edition=mga-2017', '/api/v1/reports/national.xlsx?edition=mga-2017']);
      const xlsx = await get(downloads[1]!);
      expect(xlsx.status).to.equal(200);
      expect(xlsx.headers.get('content-type')).to.equal(XLSX_TYPE);
    });

    it('entity, type, level and institution pages have charts and their downloads', async () => {
      const entity = await page(`/resultados/mga-2017/entidades/${encodeURIComponent('Jalisco')}`);
      expect(entity).to.include('<svg class="chart" role="img"');
      expect(links(entity)).to.deep.equal(['/api/v1/reports/editions/mga-2017/entities/Jalisco.pdf', '/api/v1/reports/editions/mga-2017/workbook.xlsx']);
      expect(entity).to.match(/Lugar 4 de 33/);

      // Guanajuato: its published 2021 figures beside the computed 2017 ones, with the trend chart.
      const gto = flat(await page('/resultados/mga-2017/entidades/Guanajuato'));
      expect(gto).to.include('Evolución entre ediciones');
      expect(gto).to.match(/<svg class="chart" role="img" aria-label="Guanajuato: IGA, T, P por edición, frente al IGA nacional"/);
      expect(gto).to.match(/<abbr title="Índice de Gobierno Abierto">IGA<\/abbr><\/th><td class="num">0\.48<br><span class="hint">2\.º de 33<\/span><\/td><td class="num missing">sin dato<\/td><td class="num">0\.65<br><span class="hint">1\.º lugar, según la fuente<\/span><\/td><td class="num missing">sin dato<\/td>/);
      expect(gto).to.match(/<abbr title="Índice de Participación">P<\/abbr><\/th><td class="num">0\.37<br>.*?<td class="num">0\.62<br>/);
      expect(gto).to.include('no cuadra con T y P publicados');

      const type = await page(`/resultados/mga-2017/tipos/${encodeURIComponent('Autónomo')}`);
      expect(type).to.include('<h1>Autónomo</h1>');
      expect((type.match(/<svg class="chart"/g) ?? []).length).to.equal(2);
      expect(await page('/resultados/mga-2017/niveles/municipal')).to.include('<h1>Municipal</h1>');
      expect((await get('/resultados/mga-2017/tipos/Monarquia', 'text/html')).status).to.equal(404);

      const asf = await InstitutionModel.findOne({ scope: 'mga-2017', name: 'ASF' }).lean();
      const institution = await page(`/resultados/mga-2017/sujetos/${asf!._id}`);
      expect(institution).to.include('<svg class="chart" role="img"');
      const [pdf] = links(institution);
      expect(pdf).to.equal(`/api/v1/reports/editions/mga-2017/institutions/${asf!._id}.pdf`);
      const card = await get(pdf!);
      expect(card.status).to.equal(200);
      expect(card.headers.get('content-type')).to.equal('application/pdf');
    });

    it('an unpublished edition has no pages', async () => {
      expect((await get('/resultados/mga-borrador', 'text/html')).status).to.equal(404);
    });
  });
});
