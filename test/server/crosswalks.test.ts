/**
 * Crosswalks over HTTP and in the reports (real MongoDB): a synthetic 2025 edition made from the 2017
 * file, matched to 2017; the admin page and API confirm, reject and undo pairs (one by one, in bulk,
 * by CSV); panels and each institution's previous edition follow the links.
 */
import { expect } from 'chai';
import { closeBrowser } from '../../reports/browser.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { CrosswalkDecisionModel, CrosswalkModel } from '../../server/models/crosswalk.js';
import { AuditEntryModel } from '../../server/models/audit.js';
import { createEdition } from '../../server/services/editions.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { importEditionResults } from '../../server/services/results.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { crosswalk, decide } from '../../server/services/crosswalks.js';
import { HttpProblem } from '../../server/http/problem.js';
import { normalizeEntity } from '../../scoring/catalogue.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { pdfFacts } from '../reports/fixtures.js';
import { syntheticLaterEdition, type SyntheticEdition } from '../scoring/syntheticEdition.js';

const flat = (text: string) => text.replace(/\s+/g, ' ');
const LATER = 'mga-2025';

describe('crosswalks between editions (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let admin: Client;
  let syn: SyntheticEdition;
  const ids = new Map<string, string>(); // "scope|entity|name" → id
  /** The stored id of an institution by edition, entity (any spelling) and name: names repeat across entities. */
  const idOf = (scope: string, entity: string, name: string) => ids.get(`${scope}|${normalizeEntity(entity).name}|${name}`)!;

  before(async () => {
    await useTestDatabase('crosswalks');
    await loadReferenceEditions(() => {});
    syn = syntheticLaterEdition();
    await createEdition({ editionId: LATER, year: 2025, title: 'Métrica de Gobierno Abierto 2025 (sintética)', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
    await importEditionResults(LATER, Buffer.from(syn.csv), { format: 'csv', preset: 'mga-2017', fileName: 'sintetica-2025.csv' });
    // Through the state machine (the preflight passes: every institution has imported results).
    for (const next of ['collecting', 'review', 'published'] as const) await changeStatus(LATER, next, { actor: SYSTEM_ACTOR });
    for (const i of await InstitutionModel.find({}, { scope: 1, entity: 1, name: 1 }).lean()) ids.set(`${i.scope}|${i.entity}|${i.name}`, String(i._id));
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
  });
  after(async () => {
    await server?.close();
    await closeBrowser();
  });

  const fuzzyPairs = () =>
    syn.institutions.filter((i) => i.respelling === 'fuzzy').map((i) => ({ base: idOf('mga-2017', i.entity, i.from!), other: idOf(LATER, i.entity, i.name), name: i.name }));

  it('computes and stores the crosswalk: exact links, mutual-best candidates, the unmatched on both sides', async () => {
    const view = await crosswalk('mga-2017', LATER);
    const expectedExact = syn.institutions.filter((i) => i.respelling === 'same' || i.respelling === 'folding').length;
    expect(view.result.counts).to.include({ base: 908, other: syn.institutions.length, exact: expectedExact, confirmed: 0 });
    const fuzzy = fuzzyPairs();
    const proposed = fuzzy.filter((f) => view.result.candidates.some((c) => c.base === f.base && c.other === f.other && c.mutualBest)).length;
    expect(proposed / fuzzy.length).to.be.at.least(0.95);
    for (const so of syn.dropped) expect(view.result.unmatchedBase).to.include(idOf('mga-2017', syn.base.get(so)!.entity, so));
    const stored = await CrosswalkModel.findOne({ baseEdition: 'mga-2017', otherEdition: LATER }).lean();
    expect(stored!.computed!.links).to.have.length(expectedExact);
    expect(stored!.computed!.counts.exact).to.equal(expectedExact);
  });

  it('the admin page: accept, reject and undo one pair; a pair whose institution is already linked is refused, in Spanish, nothing changed', async () => {
    const path = `/admin/correspondencias/mga-2017/${LATER}`;
    const html = flat(await admin.page(path));
    expect(html).to.include('Correspondencias 2017 → 2025');
    expect(html).to.include('Propuestas por confirmar');
    expect(html).to.match(/mejor propuesta/);
    const [a, b] = fuzzyPairs();
    let res = await admin.request('POST', `${path}/decisiones`, { form: { base: a!.base, other: a!.other, decision: 'accept' } });
    expect(res.status).to.equal(303);
    // The page lists the pair among the confirmed ones, with a button to undo it.
    expect(flat(await admin.page(path))).to.match(new RegExp(`Parejas confirmadas \\(1\\).*?<input type="hidden" name="base" value="${a!.base}"><input type="hidden" name="other" value="${a!.other}"><button type="submit" name="decision" value="undo"`));
    res = await admin.request('POST', `${path}/decisiones`, { form: { base: b!.base, other: b!.other, decision: 'reject' } });
    expect(res.status).to.equal(303);
    let view = await crosswalk('mga-2017', LATER);
    expect(view.result.links.some((l) => l.base === a!.base && l.other === a!.other && l.method === 'confirmed')).to.equal(true);
    expect(view.result.candidates.some((c) => c.base === b!.base && c.other === b!.other), 'a rejected pair is not proposed again').to.equal(false);

    // The base institution of `a` is linked: accepting it with b's other institution is a conflict.
    await admin.page(path);
    res = await admin.request('POST', `${path}/decisiones`, { form: { base: a!.base, other: b!.other, decision: 'accept' }, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(409);
    const refused = flat(await res.text());
    expect(refused).to.match(/ya está vinculado \(confirmado\) con otro sujeto obligado; deshaga ese vínculo primero/);
    expect(await CrosswalkDecisionModel.countDocuments({ base: a!.base, other: b!.other })).to.equal(0);

    await admin.page(path);
    res = await admin.request('POST', `${path}/decisiones`, { form: { base: b!.base, other: b!.other, decision: 'undo' } });
    expect(res.status).to.equal(303);
    view = await crosswalk('mga-2017', LATER);
    expect(view.result.candidates.some((c) => c.base === b!.base && c.other === b!.other), 'proposed again after undo').to.equal(true);

    // Each decision is in the later edition's audit trail, on its institution, with the admin, old and new state; the refusal is not.
    const entries = await AuditEntryModel.find({ edition: LATER, action: 'crosswalk.decide' }).sort({ at: 1, _id: 1 }).lean();
    expect(entries.map((e) => [String(e.institution), e.oldValue, e.newValue])).to.deep.equal([
      [a!.other, null, 'accepted'],
      [b!.other, null, 'rejected'],
      [b!.other, 'rejected', null],
    ]);
    expect(entries.every((e) => e.actor.kind === 'user' && e.actor.role === 'admin')).to.equal(true);
    expect(entries[0]!.subject).to.include(`mga-2017 → ${LATER}`).and.include(a!.name);
    const csv = await (await admin.get(`/api/v1/editions/${LATER}/audit.csv`)).text();
    expect(csv).to.include('Decisión de correspondencia entre ediciones').and.include('Pareja aceptada (vinculados)').and.include('Pareja rechazada');
  });

  it('two admins accepting pairs that share an institution at the same time: exactly one wins, every time', async () => {
    const view = await crosswalk('mga-2017', LATER);
    const freeOthers = view.result.unmatchedOther;
    const freeBases = view.result.candidates.filter((c) => c.mutualBest).map((c) => c.base);
    for (let round = 0; round < 6; round++) {
      const base = freeBases[round]!;
      const [o1, o2] = [freeOthers[2 * round + 40]!, freeOthers[2 * round + 41]!];
      const outcomes = await Promise.allSettled([decide('mga-2017', LATER, { base, other: o1, decision: 'accept' }, SYSTEM_ACTOR, 'api'), decide('mga-2017', LATER, { base, other: o2, decision: 'accept' }, SYSTEM_ACTOR, 'api')]);
      expect(outcomes.filter((o) => o.status === 'fulfilled'), `round ${round}`).to.have.length(1);
      const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(failure.reason).to.be.instanceOf(HttpProblem);
      expect((failure.reason as HttpProblem).status).to.equal(409);
      expect(await CrosswalkDecisionModel.countDocuments({ baseEdition: 'mga-2017', otherEdition: LATER, base, accepted: true })).to.equal(1);
      // Put it back for the next tests.
      await CrosswalkDecisionModel.deleteMany({ baseEdition: 'mga-2017', otherEdition: LATER, base });
      await CrosswalkModel.updateOne({ baseEdition: 'mga-2017', otherEdition: LATER }, { $inc: { version: 1 } });
    }
  });

  it('bulk acceptance above a similarity, then the CSV round trip: download, change, upload; a bad file changes nothing and names its row', async () => {
    const path = `/admin/correspondencias/mga-2017/${LATER}`;
    await admin.page(path);
    let res = await admin.request('POST', `${path}/aceptar-propuestas`, { form: { threshold: '0.9' } });
    expect(res.status).to.equal(303);
    const html = flat(await admin.page(path));
    expect(html).to.match(/\d{3} exactos \+ \d{3} confirmados, de 908/);
    const view = await crosswalk('mga-2017', LATER);
    const fuzzy = fuzzyPairs();
    const right = view.result.links.filter((l) => l.method === 'confirmed' && fuzzy.some((f) => f.base === l.base && f.other === l.other)).length;
    expect(right / fuzzy.length).to.be.at.least(0.9);

    const csv = await (await admin.get(`${path}/correspondencias.csv`)).text();
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).to.equal('base_id,base_name,base_entity,other_id,other_name,other_entity,similarity,decision');
    expect(lines.filter((l) => l.endsWith(',accept'))).to.have.length(view.result.links.length);
    // Reject one confirmed link by file, with a broken second row: nothing applies.
    const confirmed = view.result.links.find((l) => l.method === 'confirmed')!;
    const header = 'base_id,other_id,decision';
    const broken = `${header}\n${confirmed.base},${confirmed.other},rechazar\n${confirmed.base},000000000000000000000000,aceptar\n`;
    const upload = async (text: string) => {
      await admin.page(path);
      const form = new FormData();
      form.append('_csrf', admin.csrfToken!);
      form.append('archivo', new Blob([text], { type: 'text/csv' }), 'decisiones.csv');
      return admin.request('POST', `${path}/archivo`, { body: form, headers: { accept: 'text/html' }, csrf: false });
    };
    res = await upload(broken);
    expect(res.status).to.equal(400);
    expect(flat(await res.text())).to.match(/Fila 3: ningún sujeto obligado de la edición posterior tiene este identificador/);
    expect((await crosswalk('mga-2017', LATER)).result.links.some((l) => l.base === confirmed.base)).to.equal(true);
    res = await upload(`${header}\n${confirmed.base},${confirmed.other},rechazar\n`);
    expect(res.status).to.equal(303);
    expect((await crosswalk('mga-2017', LATER)).result.links.some((l) => l.base === confirmed.base)).to.equal(false);
  });

  it('the API: admins only; the crosswalk with its schema fields; decisions as JSON; pairs in the wrong order or unknown are 4xx', async () => {
    const anonymous = new Client(server.url);
    expect((await anonymous.get(`/api/v1/crosswalks/mga-2017/${LATER}`)).status).to.equal(401);
    const evaluator = await loggedIn(server.url, 'evaluator');
    expect((await evaluator.get(`/api/v1/crosswalks/mga-2017/${LATER}`)).status).to.equal(403);
    const res = await admin.get(`/api/v1/crosswalks/mga-2017/${LATER}`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { counts: { exact: number }; links: { base: { name: string }; method: string }[]; unmatchedBase: unknown[]; unmatchedOther: unknown[]; candidates: unknown[] };
    expect(body.links.length).to.be.greaterThan(body.counts.exact);
    expect(body.links[0]!.base).to.have.keys(['id', 'name', 'entity', 'type', 'level']);
    expect(body.unmatchedBase.length).to.be.greaterThan(0);
    expect(body.unmatchedOther.length).to.be.greaterThan(0);
    const [pair] = fuzzyPairs().filter((f) => !body.links.some((l) => (l as unknown as { other: { id: string } }).other.id === f.other));
    if (pair) {
      const decided = await admin.request('POST', `/api/v1/crosswalks/mga-2017/${LATER}/decisions`, { json: { base: pair.base, other: pair.other, decision: 'reject' } });
      expect(decided.status).to.equal(200);
      expect(await decided.json()).to.have.keys(['applied', 'counts']);
    }
    const wrongOrder = await admin.get(`/api/v1/crosswalks/${LATER}/mga-2017`);
    expect(wrongOrder.status).to.equal(400);
    const wrong = (await wrongOrder.json()) as { detail: string; code: string };
    expect(wrong.detail).to.match(/base edition must be the earlier one/);
    expect(wrong.code).to.equal('base-not-earlier');
    // A pair whose base institution is already linked: 409 with its code, nothing written.
    const linked = body.links.find((l) => l.method === 'exact') as unknown as { base: { id: string }; other: { id: string } };
    const other = body.links.find((l) => l.method === 'exact' && (l as unknown as { base: { id: string } }).base.id !== linked.base.id) as unknown as { other: { id: string } };
    const conflict = await admin.request('POST', `/api/v1/crosswalks/mga-2017/${LATER}/decisions`, { json: { base: linked.base.id, other: other.other.id, decision: 'accept' } });
    expect(conflict.status).to.equal(409);
    expect(conflict.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(((await conflict.json()) as { code: string }).code).to.equal('already-linked');
    expect((await admin.get('/api/v1/crosswalks/mga-2017/mga-1999')).status).to.equal(404);
    const bad = await admin.request('POST', `/api/v1/crosswalks/mga-2017/${LATER}/decisions`, { json: { base: 'x', other: 'y', decision: 'maybe' } });
    expect(bad.status).to.equal(400);
  });

  it('panel comparison: the API, the national page and the national PDF show the change over the same institutions beside the whole-sample change', async () => {
    const res = await fetch(`${server.url}/api/v1/editions/${LATER}/panel?with=mga-2017&by=national`);
    expect(res.status).to.equal(200);
    const panel = (await res.json()) as { baseEdition: string; otherEdition: string; groups: { group: string; nBase: number; nOther: number; nMatched: number; nodes: Record<string, { deltaMatched: number; deltaAll: number }>; warnings: { kind: string }[] }[] };
    expect(panel).to.include({ baseEdition: '2017', otherEdition: '2025' });
    const national = panel.groups[0]!;
    expect(national).to.include({ group: 'Nacional', nBase: 908, nOther: syn.institutions.length });
    const kept = syn.institutions.filter((i) => i.from !== null);
    const expectedTG = kept.reduce((s, i) => s + (i.TG - syn.base.get(i.from!)!.TG), 0) / kept.length;
    expect(national.nodes.TG!.deltaMatched).to.be.closeTo(expectedTG, 0.005);
    expect(national.nodes.TG!.deltaAll).to.be.lessThan(national.nodes.TG!.deltaMatched - 0.01);
    expect(national.warnings.map((w) => w.kind)).to.deep.equal(['size', 'composition']);
    expect((await fetch(`${server.url}/api/v1/editions/${LATER}/panel?with=${LATER}`)).status).to.equal(400);
    expect((await fetch(`${server.url}/api/v1/editions/${LATER}/panel?with=mga-2017&by=estado`)).status).to.equal(400);

    const page = flat(await (await fetch(`${server.url}/resultados/${LATER}`, { headers: { accept: 'text/html' } })).text());
    expect(page).to.include('Los mismos sujetos obligados en dos ediciones');
    expect(page).to.match(/<caption>IGA: 2017 → 2025<\/caption>.*?<th scope="row">Nacional<\/th><td class="num">908<\/td><td class="num">920<\/td>/);
    expect(page).to.match(/solo \d+ sujetos obligados están en ambas ediciones \(de 908 y 920\)/);

    const pdf = await fetch(`${server.url}/api/v1/reports/national.pdf?edition=mga-2017`);
    const { text, layout } = await pdfFacts(Buffer.from(await pdf.arrayBuffer()), 'crosswalk-national');
    expect(flat(text)).to.include('Los mismos sujetos obligados en dos ediciones');
    expect(layout).to.match(/Nacional\s+908\s+920\s+\d{3}\s+0\.39/);
  });

  it('an institution linked to 2017: its page and card show the 2017 figures and the change; the API gives them too', async () => {
    const same = syn.institutions.find((i) => i.respelling === 'same')!;
    const id = idOf(LATER, same.entity, same.name);
    const page = flat(await (await fetch(`${server.url}/resultados/${LATER}/sujetos/${id}`, { headers: { accept: 'text/html' } })).text());
    expect(page).to.include('Edición anterior: 2017');
    const prev = syn.base.get(same.from!)!;
    const TG2017 = prev.TG.toFixed(2);
    expect(page).to.match(new RegExp(`Transparencia desde la perspectiva gubernamental \\(TG\\)</th><td class="num">${TG2017.replace('.', '\\.')}</td><td class="num">[0-9.]+</td><td class="num"><strong>\\+0\\.06</strong>`));
    const api = await fetch(`${server.url}/api/v1/editions/${LATER}/institutions/${id}/previous`);
    expect(api.status).to.equal(200);
    const body = (await api.json()) as { previous: { edition: string; link: { method: string }; delta: Record<string, number> } };
    expect(body.previous).to.include({ edition: '2017' });
    expect(body.previous.link.method).to.equal('exact');
    expect(body.previous.delta.TG).to.be.closeTo(0.06, 1e-9);
    const card = await fetch(`${server.url}/api/v1/reports/editions/${LATER}/institutions/${id}.pdf`);
    const { text } = await pdfFacts(Buffer.from(await card.arrayBuffer()), 'crosswalk-card');
    expect(flat(text)).to.include('Edición anterior');
    expect(flat(text)).to.include('vinculado por coincidencia del nombre, la entidad y el tipo');
    // A 2017 institution has no earlier edition.
    const asf2017 = idOf('mga-2017', 'Federal', 'ASF');
    expect((await fetch(`${server.url}/api/v1/editions/mga-2017/institutions/${asf2017}/previous`)).status).to.equal(404);
  });

  it('the published series and an entity across editions through the API: 2023 with its sources and null where it published nothing', async () => {
    const res = await fetch(`${server.url}/api/v1/editions/mga-2017/evolution`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { editions: { edition: string; n: number; values: Record<string, number | null>; missing: string[]; sources: string[]; about: string | null }[] };
    const e2023 = body.editions.find((e) => e.edition === '2023')!;
    expect(e2023).to.deep.include({ n: 2043, missing: ['TG', 'TC', 'PG', 'PC'] });
    expect(e2023.values).to.deep.equal({ GA: 0.46, T: 0.6, P: 0.32, TG: null, TC: null, PG: null, PC: null });
    expect(e2023.sources[0]).to.match(/dossierdeprensa/);
    expect(e2023.about).to.match(/El Colegio de México/);
    const gto = await fetch(`${server.url}/api/v1/editions/mga-2017/entities/guanajuato/evolution`);
    const evolution = (await gto.json()) as { series: { code: string; points: { edition: string; value: number | null; rank: { place: number; stated: boolean } | null }[] }[] };
    const iga = evolution.series.find((s) => s.code === 'IGA')!;
    expect(iga.points.find((p) => p.edition === '2021')).to.deep.include({ value: 0.65, rank: { place: 1, of: null, stated: true } });
    expect(iga.points.find((p) => p.edition === '2019')!.value).to.equal(null);
  });
});
