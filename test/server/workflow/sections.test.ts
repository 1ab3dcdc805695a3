/**
 * The questionnaire one section per page, and the reasons of changed answers after a return: a
 * section's save keeps the other sections' answers; the index shows progress per section; the
 * returned questionnaire starts with the commented items; each changed answer carries its own
 * reason into the audit trail and the review. Real MongoDB, through HTTP.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';
import { loggedIn } from '../../setup/client.js';
import { assignEditionToEvaluators } from '../../setup/assignments.js';
import { apiRespondent, json, pageRespondent, pageText, revisionIn, stored, type Problem } from '../../setup/workflow.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../../questionnaires/demo-answers.js';
import { AuditEntryModel } from '../../../server/models/audit.js';

const SECTION_1 = { aiUnit: 'yes', aiHead: 'yes', aiStaffCount: '3' };
const STORED_1 = { aiUnit: 'yes', aiHead: 'yes', aiStaffCount: 3 };

describe('workflow: the questionnaire by sections; reasons beside changed answers (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let next = 0;
  const institution = () => pilot.institutions[next++]!;

  before(async () => {
    await useTestDatabase('workflow_sections');
    server = await startTestServer();
    pilot = await createPilot('piloto-secciones', manyMunicipalities(12));
  });
  after(() => server.close());

  /** Submitted with the demo answers, then returned by an evaluator with a comment on tpUrl. */
  async function returned() {
    const inst = institution();
    const api = apiRespondent(server.url, inst.token);
    expect((await api.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } })).status).to.equal(200);
    const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    const back = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${inst.id}/return`, { json: { comments: [{ item: 'tpUrl', comment: 'La liga no abre.' }] } });
    expect(back.status, await back.clone().text()).to.equal(200);
    return { inst, api, evaluator };
  }

  it('saving one section keeps the answers of the others (page post and background save); a missing answer of that section is cleared', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const first = await client.request('POST', '/responder', { form: { ...SECTION_1, aiRequestsLastYear: '10', seccion: '1', action: 'next', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    expect(first.status).to.equal(303);
    expect(first.headers.get('location'), '«Guardar y seguir» leads to the next section').to.equal('/responder/seccion/2');
    const section3 = await client.page('/responder/seccion/3');
    expect(section3).to.include('name="seccion" value="3"').and.include('name="tpPublishes"').and.not.include('name="aiUnit"');
    const saved = await client.request('POST', '/responder', { form: { tpPublishes: 'no', seccion: '3', action: 'save', baseRevision: String(revisionIn(section3)) }, headers: { accept: 'text/html' } });
    expect(saved.status).to.equal(303);
    expect(saved.headers.get('location')).to.equal('/responder/seccion/3');
    expect((await stored(inst.id))!.answers).to.deep.equal({ ...STORED_1, aiRequestsLastYear: 10, tpPublishes: 'no' });

    // The page script's background save of section 1 without aiRequestsLastYear: only section 1 changes.
    const page1 = await client.page('/responder/seccion/1');
    const background = await client.request('POST', '/responder/borrador', { form: { ...SECTION_1, aiStaffCount: '4', seccion: '1', baseRevision: String(revisionIn(page1)) }, headers: { accept: 'application/json' } });
    expect(background.status, await background.clone().text()).to.equal(200);
    expect((await stored(inst.id))!.answers).to.deep.equal({ ...STORED_1, aiStaffCount: 4, tpPublishes: 'no' });
  });

  it('a section that does not exist is a 400 naming the field, and nothing is stored', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    await client.request('POST', '/responder', { form: { ...SECTION_1, seccion: '1', action: 'save', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    const before = await stored(inst.id);
    for (const bad of ['99', 'x']) {
      const page = await client.request('POST', '/responder', { form: { tpPublishes: 'yes', seccion: bad, action: 'save', baseRevision: String(before!.revision) }, headers: { accept: 'text/html' } });
      expect(page.status).to.equal(400);
      expect(pageText(await page.text())).to.include(`Sección: el cuestionario no tiene una sección «${bad}»`);
      const background = await client.request('POST', '/responder/borrador', { form: { tpPublishes: 'yes', seccion: bad, baseRevision: String(before!.revision) }, headers: { accept: 'application/json' } });
      expect(background.status).to.equal(400);
      expect((await json<Problem>(background)).errors![0]!.field).to.equal('seccion');
    }
    expect((await client.get('/responder/seccion/99', { accept: 'text/html' })).status).to.equal(404);
    expect(await stored(inst.id)).to.deep.equal(before);
  });

  it('a stale section post stores nothing and shows only that section\'s differences', async () => {
    const inst = institution();
    const tab1 = await pageRespondent(server.url, inst.token);
    const tab2 = await pageRespondent(server.url, inst.token);
    await tab1.client.request('POST', '/responder', { form: { ...SECTION_1, seccion: '1', action: 'save', baseRevision: String(tab1.revision) }, headers: { accept: 'text/html' } });
    const before = await stored(inst.id);
    const stale = await tab2.client.request('POST', '/responder', { form: { tpPublishes: 'yes', seccion: '3', action: 'save', baseRevision: String(tab2.revision) }, headers: { accept: 'text/html' } });
    expect(stale.status).to.equal(409);
    const html = await stale.text();
    expect(html).to.include('data-item="tpPublishes"').and.not.include('data-item="aiUnit"');
    expect(await stored(inst.id)).to.deep.equal(before);
  });

  it('the index shows each section with answered of total questions; the whole questionnaire stays one link away', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    await client.request('POST', '/responder', { form: { ...SECTION_1, seccion: '1', action: 'save', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    const index = await client.page('/responder');
    const text = pageText(index);
    expect(index).to.include('data-testid="indice-secciones"').and.include('href="/responder/seccion/1"').and.include('href="/responder/seccion/6"');
    // Section 1 shows 10 questions once its first is «Sí» (3 answered, 6 required still missing).
    expect(index).to.match(/data-testid="avance-seccion-1">3 de 10 respondidas</);
    expect(index).to.match(/data-testid="avance-seccion-3">0 de 1 respondidas</);
    expect(text).to.include('Faltan 6 obligatorias').and.include('Comentarios 0 de 1 respondidas · Opcional').and.include('Ver todas las preguntas en una sola página');
    expect(index).to.not.include('name="aiUnit"');
  });

  it('without script, conditions are said once per section (institutions) and once per group (citizen logs), never on each field', async () => {
    const inst = institution();
    const { client } = await pageRespondent(server.url, inst.token);
    const section1 = pageText(await client.page('/responder/seccion/1'));
    expect(section1).to.not.include('Se responde cuando');
    expect(section1.match(/Algunas preguntas de esta sección se responden solo según otra respuesta/g)).to.have.length(1);
    expect(section1).to.include('Cuando «¿La institución cuenta con una Unidad de Transparencia formalmente constituida?» es «Sí»: «¿La Unidad de Transparencia tiene una persona titular designada?»');
    const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    const review = await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${inst.id}`);
    const text = pageText(review);
    expect(text).to.not.include('Se responde cuando');
    expect(text.match(/En cada registro, algunas preguntas se responden solo según otra respuesta del mismo registro/g), 'one note per group (requests, proposals)').to.have.length(2);
    expect(review).to.include('/static/conditions.js');
  });

  it('the returned questionnaire starts with the commented items, each linked to its question on its section page', async () => {
    const { inst } = await returned();
    const { client } = await pageRespondent(server.url, inst.token);
    const index = await client.page('/responder');
    const list = index.indexOf('Respuestas con comentarios del evaluador');
    expect(list).to.be.greaterThan(0);
    expect(list, 'before the sections').to.be.lessThan(index.indexOf('Secciones del cuestionario'));
    expect(index).to.include('href="/responder/seccion/3#pregunta-tpUrl"').and.include('La liga no abre.');
    const section3 = await client.page('/responder/seccion/3');
    expect(section3).to.include('id="pregunta-tpUrl"').and.include('href="#pregunta-tpUrl"');
    expect(section3).to.match(/id="pregunta-tpUrl"[\s\S]*Comentario del evaluador:<\/strong> La liga no abre\./);
    expect(section3, 'a reason field beside the answer').to.include('name="motivo[tpUrl]"');
  });

  it('a changed answer needs its own reason on the page (400 naming it, nothing stored); the reason goes with the change to the audit trail and the review', async () => {
    const { inst, evaluator } = await returned();
    const { client } = await pageRespondent(server.url, inst.token);
    const section3 = await client.page('/responder/seccion/3');
    const form = { tpPublishes: 'yes', tpKinds: ['frequent_requests', 'visualisations'], tpOutreach: 'no', tpUrl: 'https://municipio.example/proactiva-nueva', seccion: '3', action: 'save', baseRevision: String(revisionIn(section3)) };
    const before = await stored(inst.id);
    const missing = await client.request('POST', '/responder', { form, headers: { accept: 'text/html' } });
    expect(missing.status).to.equal(400);
    const html = await missing.text();
    expect(pageText(html)).to.include('Dirección donde se publica la información proactiva › motivo del cambio: diga por qué cambia esta respuesta');
    expect(html).to.include('href="#f-tpUrl-motivo"').and.match(/<details class="change-reason has-error" open/);
    expect(await stored(inst.id)).to.deep.equal(before);

    const ok = await client.request('POST', '/responder', { form: { ...form, 'motivo[tpUrl]': 'La liga cambió de dirección.' }, headers: { accept: 'text/html' } });
    expect(ok.status, await ok.clone().text()).to.equal(303);
    const entries = await AuditEntryModel.find({ institution: inst.id, action: 'answers.change' }).lean();
    expect(entries.map((e) => [e.item, e.reason])).to.deep.equal([['tpUrl', 'La liga cambió de dirección.']]);
    // The reason field starts with the reason given, open, on the next visit.
    expect(await client.page('/responder/seccion/3')).to.match(/<details class="change-reason" open data-change-reason>[\s\S]*>La liga cambió de dirección\.<\/textarea>/);

    const review = await json<{ answers: { changesSinceReturn: { since: string; items: { item: string; before: string; after: string; reasons: { text: string }[] }[] } } }>(
      await evaluator.get(`/api/v1/editions/${pilot.editionId}/institutions/${inst.id}/review`),
    );
    expect(review.answers.changesSinceReturn.since).to.be.a('string');
    expect(review.answers.changesSinceReturn.items).to.have.length(1);
    const change = review.answers.changesSinceReturn.items[0]!;
    expect(change.item).to.equal('tpUrl');
    expect(change.after).to.equal('https://municipio.example/proactiva-nueva');
    expect(change.reasons.map((r) => r.text)).to.deep.equal(['La liga cambió de dirección.']);
    const page = pageText(await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${inst.id}`));
    expect(page).to.include('Respuestas cambiadas después de la devolución').and.include('Motivo del sujeto obligado: La liga cambió de dirección.');
  });

  it('the API takes reasons per item; without any reason it still names the general field (as before)', async () => {
    const { inst, api } = await returned();
    const answers = { ...DEMO_GOVERNMENT_ANSWERS, aiRequestsLastYear: 500, aiTraining: 'yes' };
    const none = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers } });
    expect(none.status).to.equal(400);
    expect((await json<Problem>(none)).errors!.map((e) => e.field)).to.deep.equal(['reason']);
    const partly = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers, reasons: { aiTraining: 'Se dio la capacitación.' } } });
    expect(partly.status).to.equal(400);
    expect((await json<Problem>(partly)).errors!.map((e) => e.field)).to.deep.equal(['aiRequestsLastYear:motivo']);
    const badName = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers, reasons: { 'no válido': 'x' } } });
    expect(badName.status).to.equal(400);
    const both = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers, reason: 'Cifras actualizadas.', reasons: { aiTraining: 'Se dio la capacitación.' } } });
    expect(both.status, await both.clone().text()).to.equal(200);
    const entries = await AuditEntryModel.find({ institution: inst.id, action: 'answers.change' }).sort({ item: 1 }).lean();
    expect(entries.map((e) => [e.item, e.reason])).to.deep.equal([
      ['aiRequestsLastYear', 'Cifras actualizadas.'],
      ['aiTraining', 'Se dio la capacitación.'],
    ]);
  });
});
