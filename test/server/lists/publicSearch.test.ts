import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loadReferenceEditions } from '../../../server/services/referenceData.js';

const page = async (server: TestServer, path: string) => {
  const res = await fetch(server.url + path, { headers: { accept: 'text/html' }, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
};
const rows = (html: string) => [...html.matchAll(/<tr><td class="num">([^<]*)<\/td><td><a href="\/resultados\/mga-2017\/sujetos\/([0-9a-f]{24})">([^<]+)<\/a>/g)].map((m) => ({ rank: m[1], id: m[2], name: m[3] }));

describe('public institution search: filters, scores, pagination, no silent cut (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  before(async () => {
    await useTestDatabase('lists_public_search');
    await loadReferenceEditions(() => {});
    server = await startTestServer();
  });
  after(() => server.close());

  it('lists every institution a page at a time with the true total, past the old 100-result cut', async () => {
    const first = await page(server, '/resultados/mga-2017/sujetos?q=de');
    expect(first.status).to.equal(200);
    const total = Number(/Mostrando [\d,]+ a [\d,]+ de ([\d,]+)/.exec(first.html)![1]!.replace(/,/g, ''));
    expect(total).to.be.greaterThan(100);
    expect(rows(first.html)).to.have.length(50);
    expect(first.html).to.include('Mostrando 1 a 50 de');
    const lastOffset = Math.floor((total - 1) / 50) * 50;
    const last = await page(server, `/resultados/mga-2017/sujetos?q=de&sort=name&offset=${lastOffset}`);
    expect(rows(last.html)).to.have.length(total - lastOffset);
    const all = await fetch(`${server.url}/resultados/mga-2017/sujetos?q=de&format=csv`);
    expect(all.headers.get('content-type')).to.match(/text\/csv/);
    const lines = (await all.text()).trim().split('\r\n');
    expect(lines).to.have.length(total + 1);
    expect(lines[0]).to.match(/^\uFEFF?id,sujeto_obligado,entidad,tipo,nivel,lugar_nacional,/);
  });

  it('filters by entity, type and level and shows the rank and the scores', async () => {
    const all = await page(server, '/resultados/mga-2017/sujetos');
    const everyone = Number(/Mostrando [\d,]+ a [\d,]+ de ([\d,]+)/.exec(all.html)![1]!.replace(/,/g, ''));
    expect(everyone).to.equal(908);
    const filtered = await page(server, `/resultados/mga-2017/sujetos?entity=${encodeURIComponent('Jalisco')}&level=Municipal&sort=score`);
    const found = rows(filtered.html);
    expect(found.length).to.be.greaterThan(0);
    expect(filtered.html).to.not.include('<td>Federal</td>');
    const ranks = found.map((r) => Number(r.rank)).filter(Number.isFinite);
    expect(ranks).to.deep.equal([...ranks].sort((a, b) => a - b));
    expect(filtered.html).to.match(/<td class="num">0\.\d\d<\/td>/);
  });

  it('refuses a bad parameter naming it, and the README address /sujetos?q= leads to the latest edition', async () => {
    const bad = await fetch(`${server.url}/resultados/mga-2017/sujetos?sort=rank`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field).to.equal('sort');
    const tooMany = await fetch(`${server.url}/resultados/mga-2017/sujetos?limit=501`);
    expect(tooMany.status).to.equal(400);
    const short = await page(server, '/sujetos?q=auditoria');
    expect(short.status).to.equal(302);
    expect(short.location).to.equal('/resultados/mga-2017/sujetos?q=auditoria');
  });
});
