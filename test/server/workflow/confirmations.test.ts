/**
 * Confirmations that work without JavaScript, the submission receipt (folio unique in the edition,
 * date and time, PDF), and reopening an approval. Real MongoDB, over HTTP.
 */
import { expect } from 'chai';
import { assignEditionToEvaluators } from '../../setup/assignments.js';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn, type Client } from '../../setup/client.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';
import { apiRespondent, json, pageRespondent, pageText, stored, type Problem } from '../../setup/workflow.js';
import { pdfFacts } from '../../reports/fixtures.js';
import { closeBrowser } from '../../../reports/browser.js';
import { ScoreModel } from '../../../server/models/result.js';
import { editionTable } from '../../../server/services/results.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../../questionnaires/demo-answers.js';

function formOf(answers: Record<string, unknown>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
}

describe('workflow: confirmations, receipts and reopening (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;
  let evaluator: Client;
  let next = 0;
  const institution = () => pilot.institutions[next++]!;

  before(async () => {
    await useTestDatabase('workflow_confirmations');
    server = await startTestServer();
    pilot = await createPilot('piloto-acuses', manyMunicipalities(20));
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
  });
  after(async () => {
    await closeBrowser();
    await server.close();
  });

  it('submitting from the page asks for confirmation first; without the box checked nothing is submitted', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const first = await client.request('POST', '/responder', { form: { ...formOf(DEMO_GOVERNMENT_ANSWERS), action: 'submit', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    expect(first.status).to.equal(303);
    expect(first.headers.get('location')).to.equal('/responder/enviar');
    expect((await stored(inst.id))!.status, 'only the draft is stored').to.equal('draft');
    const confirmPage = await client.page('/responder/enviar');
    expect(pageText(confirmPage)).to.include('Confirme el envío').and.include('no podrá cambiarlas');
    const base = /name="baseRevision" value="(\d+)"/.exec(confirmPage)![1]!;
    const unchecked = await client.request('POST', '/responder/enviar', { form: { baseRevision: base }, headers: { accept: 'text/html' } });
    expect(unchecked.status).to.equal(400);
    expect(pageText(await unchecked.text())).to.include('marque la casilla para confirmar');
    expect((await stored(inst.id))!.status).to.equal('draft');
    const confirmed = await client.request('POST', '/responder/enviar', { form: { baseRevision: base, confirmar: 'si' }, headers: { accept: 'text/html' } });
    expect(confirmed.status).to.equal(303);
    expect(confirmed.headers.get('location')).to.equal('/responder/acuse');
    const receiptPage = pageText(await client.page('/responder/acuse'));
    const doc = await stored(inst.id);
    expect(doc!.status).to.equal('submitted');
    const folio = doc!.receipts.at(-1)!.folio;
    expect(folio).to.match(/^PILOTO-ACUSES-\d{5}$/);
    expect(receiptPage).to.include(folio).and.include('Fecha y hora de envío').and.include('Descargar el acuse en PDF');
  });

  it('an incomplete questionnaire is saved as a draft and the page says what is missing; it is not submitted', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const res = await client.request('POST', '/responder', { form: { aiUnit: 'yes', action: 'submit', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(400);
    expect(pageText(await res.text())).to.include('Se guardó el borrador, pero todavía no se puede enviar').and.include('esta pregunta es obligatoria');
    const doc = await stored(inst.id);
    expect(doc!.status).to.equal('draft');
    expect(doc!.answers).to.deep.equal({ aiUnit: 'yes' });
  });

  it('folios are unique in the edition, also for submissions at the same time; the receipt PDF names the folio, date and answers', async () => {
    const insts = Array.from({ length: 8 }, () => institution());
    const results = await Promise.all(insts.map((i) => apiRespondent(server.url, i.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } })));
    expect(results.map((r) => r.status)).to.deep.equal(insts.map(() => 200));
    const bodies = await Promise.all(results.map((r) => json<{ receipt: { folio: string; at: string } }>(r)));
    const folios = bodies.map((b) => b.receipt.folio);
    expect(new Set(folios).size).to.equal(folios.length);

    const api = apiRespondent(server.url, insts[0]!.token);
    const pdf = await api.get('/api/v1/respondent/receipt.pdf');
    expect(pdf.status).to.equal(200);
    expect(pdf.headers.get('content-type')).to.equal('application/pdf');
    expect(pdf.headers.get('content-disposition')).to.include(`acuse-${folios[0]}.pdf`);
    const { text } = await pdfFacts(Buffer.from(await pdf.arrayBuffer()), 'acuse');
    const flat = text.replace(/\s+/g, ' ');
    expect(flat.toLowerCase()).to.include('acuse de envío');
    expect(flat).to.include(folios[0]!).and.include('Fecha y hora de envío').and.include('Municipio de prueba');
    expect(flat).to.include('¿La institución cuenta con una Unidad de Transparencia formal');

    const none = await apiRespondent(server.url, institution().token).get('/api/v1/respondent/receipt.pdf');
    expect(none.status).to.equal(404);
    expect((await json<Problem>(none)).code).to.equal('no_receipt');
  });

  it('review actions from the page need their confirmation box; a refusal is said on the page', async () => {
    const inst = institution();
    await apiRespondent(server.url, inst.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    const path = `/evaluacion/${pilot.editionId}/sujetos/${inst.id}`;
    const html = await evaluator.page(path);
    const revision = /action="[^"]*\/aprobar"[\s\S]*?name="baseRevision" value="(\d+)"/.exec(html)![1]!;
    const unchecked = await evaluator.request('POST', `${path}/aprobar`, { form: { baseRevision: revision }, headers: { accept: 'text/html' } });
    expect(unchecked.status).to.equal(400);
    expect(pageText(await unchecked.text())).to.include('Marque la casilla para confirmar que quiere aprobar');
    expect((await stored(inst.id))!.status).to.equal('submitted');
    const approved = await evaluator.request('POST', `${path}/aprobar`, { form: { baseRevision: revision, confirmar: 'si' }, headers: { accept: 'text/html' } });
    expect(approved.status).to.equal(303);
    expect((await stored(inst.id))!.status).to.equal('approved');
    // A second page still open approves again: refused, said plainly.
    const twice = await evaluator.request('POST', `${path}/aprobar`, { form: { baseRevision: revision, confirmar: 'si' }, headers: { accept: 'text/html' } });
    expect(twice.status).to.equal(409);
    expect(pageText(await twice.text())).to.include('No se hizo el cambio: otra persona actuó antes').and.include('Ahora las respuestas están «Aprobado»');
  });

  it('reopening an approval needs a reason; the score leaves the results until approved again; the respondent sees why', async () => {
    const inst = institution();
    const respondent = apiRespondent(server.url, inst.token);
    await respondent.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    const base = `/api/v1/editions/${pilot.editionId}/institutions/${inst.id}`;
    expect((await evaluator.request('POST', `${base}/approve`, { json: {} })).status).to.equal(200);
    expect(await ScoreModel.countDocuments({ institution: inst.id })).to.equal(1);
    expect((await editionTable(pilot.editionId)).institutions.map((i) => i.id)).to.include(inst.id);

    const noReason = await evaluator.request('POST', `${base}/reopen`, { json: { reason: '' } });
    expect(noReason.status).to.equal(400);
    const reopened = await evaluator.request('POST', `${base}/reopen`, { json: { reason: 'La evidencia del comité no corresponde al municipio' } });
    expect(reopened.status).to.equal(200);
    expect(await json(reopened)).to.include({ status: 'returned' });
    expect(await ScoreModel.countDocuments({ institution: inst.id }), 'score withdrawn').to.equal(0);
    expect((await editionTable(pilot.editionId)).institutions.map((i) => i.id)).not.to.include(inst.id);
    expect((await evaluator.request('POST', `${base}/reopen`, { json: { reason: 'otra vez' } })).status, 'only approved answers reopen').to.equal(409);

    const seen = await json<{ status: string; reopenReason: string }>(await respondent.get('/api/v1/respondent/questionnaire'));
    expect(seen).to.include({ status: 'returned', reopenReason: 'La evidencia del comité no corresponde al municipio' });
    const { html } = await pageRespondent(server.url, inst.token);
    expect(pageText(html)).to.include('reabrió sus respuestas aprobadas').and.include('La evidencia del comité no corresponde al municipio');

    // The page button is behind a confirmation.
    const page = await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${inst.id}`);
    expect(page).not.to.include('id="form-reabrir"');
    await respondent.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS, reason: 'Sin cambios' } });
    await evaluator.request('POST', `${base}/approve`, { json: {} });
    expect(await ScoreModel.countDocuments({ institution: inst.id }), 'back after re-approval').to.equal(1);
    const approvedPage = await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${inst.id}`);
    expect(approvedPage).to.include('id="form-reabrir"').and.include('Confirmo que quiero reabrir la aprobación');
    const unconfirmed = await evaluator.request('POST', `/evaluacion/${pilot.editionId}/sujetos/${inst.id}/reabrir`, { form: { reason: 'x y z' }, headers: { accept: 'text/html' } });
    expect(unconfirmed.status).to.equal(400);
    expect((await stored(inst.id))!.status).to.equal('approved');
  });
});
