/**
 * Drafts keep every valid answer; revisions make a stale save a 409 that stores nothing; the
 * «su versión / versión guardada» choice. Real MongoDB, through HTTP.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';
import { apiRespondent, json, pageRespondent, pageText, revisionIn, stored, type Problem } from '../../setup/workflow.js';

describe('workflow: drafts keep every valid answer; revisions (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let next = 0;
  const institution = () => pilot.institutions[next++]!;

  before(async () => {
    await useTestDatabase('workflow_drafts');
    server = await startTestServer();
    pilot = await createPilot('piloto-borradores', manyMunicipalities(20));
  });
  after(() => server.close());

  it('the rejected-draft scenario: three answers are stored, the link without scheme is reported and kept in its field', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    expect(revision).to.equal(0);
    const res = await client.request('POST', '/responder', {
      form: { aiUnit: 'yes', 'aiUnit:evidence': 'www.hermosillo.gob.mx/pnt', aiHead: 'yes', aiStaffCount: '3', action: 'save', baseRevision: String(revision) },
      headers: { accept: 'text/html' },
    });
    expect(res.status).to.equal(400);
    const html = await res.text();
    const text = pageText(html);
    expect(text).to.include('Se guardaron 3 respuestas; 1 no se guardó:');
    expect(text).to.include('"www.hermosillo.gob.mx/pnt" no es una dirección http:// o https:// válida');
    expect(html, 'the invalid text stays in its field').to.match(/name="aiUnit:evidence" type="url" value="www\.hermosillo\.gob\.mx\/pnt"[^>]*aria-invalid="true"/);
    expect(html, 'focus goes to the error summary').to.match(/<div class="error-summary" role="alert" tabindex="-1" id="resumen-errores" autofocus>/);
    expect(text).to.match(/\d+ de 12 preguntas obligatorias respondidas/);
    const doc = await stored(inst.id);
    expect(doc!.answers).to.deep.equal({ aiUnit: 'yes', aiHead: 'yes', aiStaffCount: 3 });
    expect(doc!.revision).to.equal(1);
    expect(revisionIn(html), 'the page continues from the stored revision').to.equal(1);

    // Reopening the link shows what was stored.
    const again = await pageRespondent(server.url, inst.token);
    expect(again.html).to.match(/id="f-aiUnit-yes" name="aiUnit" value="yes" checked/);
    expect(again.html).to.match(/name="aiStaffCount" type="number" inputmode="decimal" value="3"/);
  });

  it('an invalid value never erases the stored one', async () => {
    const inst = institution();
    const api = apiRespondent(server.url, inst.token);
    expect((await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { tpUrl: 'https://municipio.example/proactiva', aiStaffCount: 2 } } })).status).to.equal(200);
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const res = await client.request('POST', '/responder', { form: { tpUrl: 'municipio.example/otra', aiStaffCount: '5', action: 'save', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(400);
    expect((await stored(inst.id))!.answers).to.deep.equal({ tpUrl: 'https://municipio.example/proactiva', aiStaffCount: 5 });
  });

  it('background saves store the valid answers and list the rejected ones with their question text', async () => {
    const inst = institution();
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const res = await client.request('POST', '/responder/borrador', { form: { aiUnit: 'yes', aiStaffCount: '-4', 'aiUnit:evidence': 'https://municipio.example/acta.pdf', baseRevision: String(revision) }, headers: { accept: 'application/json' } });
    expect(res.status).to.equal(200);
    const body = await json<{ revision: number; saved: number; rejected: { field: string; label: string; reason: string }[] }>(res);
    expect(body.revision).to.equal(revision + 1);
    expect(body.saved).to.equal(1);
    expect(body.rejected).to.have.length(1);
    expect(body.rejected[0]).to.include({ field: 'aiStaffCount', label: 'Número de personas adscritas a la Unidad de Transparencia' });
    expect((await stored(inst.id))!.answers).to.deep.equal({ aiUnit: 'yes', 'aiUnit:evidence': 'https://municipio.example/acta.pdf' });
  });

  it('the JSON API stays all or nothing and lists every error', async () => {
    const inst = institution();
    const api = apiRespondent(server.url, inst.token);
    const res = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', aiStaffCount: -1, tpUrl: 'nope', aiHead: 'maybe' } } });
    expect(res.status).to.equal(400);
    const problem = await json<Problem>(res);
    expect(problem.errors!.map((e) => e.field).sort()).to.deep.equal(['aiHead', 'aiStaffCount', 'tpUrl']);
    expect(await stored(inst.id)).to.equal(null);
  });

  it('every response has a revision: 0 before the first save, +1 per change, none for a save that changes nothing', async () => {
    const inst = institution();
    const api = apiRespondent(server.url, inst.token);
    const start = await json<{ revision: number }>(await api.get('/api/v1/respondent/questionnaire'));
    expect(start.revision).to.equal(0);
    const first = await json<{ revision: number }>(await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' }, baseRevision: 0 } }));
    expect(first.revision).to.equal(1);
    const same = await json<{ revision: number }>(await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' }, baseRevision: 1 } }));
    expect(same.revision, 'nothing changed, nothing written').to.equal(1);
    const second = await json<{ revision: number }>(await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'no' }, baseRevision: 1 } }));
    expect(second.revision).to.equal(2);
    const autosave = await pageRespondent(server.url, inst.token);
    expect(autosave.revision).to.equal(2);
  });

  it('a stale save gets 409 problem+json with the current revision and answers, and stores nothing', async () => {
    const inst = institution();
    const api = apiRespondent(server.url, inst.token);
    await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', aiStaffCount: 4 }, baseRevision: 0 } });
    const before = await stored(inst.id);
    const res = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'no' }, baseRevision: 0 } });
    expect(res.status).to.equal(409);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const problem = await json<Problem>(res);
    expect(problem).to.include({ code: 'stale_revision', currentRevision: 1, responseStatus: 'draft', status: 409 });
    expect(problem.answers).to.deep.equal({ aiUnit: 'yes', aiStaffCount: 4 });
    expect(await stored(inst.id)).to.deep.equal(before);

    const { client } = await pageRespondent(server.url, inst.token);
    const autosave = await client.request('POST', '/responder/borrador', { form: { aiUnit: 'no', baseRevision: '0' }, headers: { accept: 'application/json' } });
    expect(autosave.status).to.equal(409);
    expect((await json<Problem>(autosave)).code).to.equal('stale_revision');
    expect(await stored(inst.id)).to.deep.equal(before);
  });

  it('a stale form shows each differing item as «su versión / versión guardada», and stores the versions chosen', async () => {
    const inst = institution();
    const tab1 = await pageRespondent(server.url, inst.token);
    const tab2 = await pageRespondent(server.url, inst.token);
    // Tab 1 saves first.
    const saved = await tab1.client.request('POST', '/responder', { form: { aiUnit: 'yes', aiStaffCount: '7', aiTraining: 'yes', action: 'save', baseRevision: String(tab1.revision) }, headers: { accept: 'text/html' } });
    expect(saved.status).to.equal(303);
    // Tab 2 still shows revision 0.
    const stale = await tab2.client.request('POST', '/responder', { form: { aiUnit: 'yes', aiStaffCount: '9', aiCommittee: 'no', action: 'save', baseRevision: String(tab2.revision) }, headers: { accept: 'text/html' } });
    expect(stale.status).to.equal(409);
    const html = await stale.text();
    const text = pageText(html);
    expect(text).to.include('Sus respuestas cambiaron mientras las editaba');
    expect(text).to.include('Su versión').and.include('Versión guardada');
    const items = [...html.matchAll(/<tr data-item="([A-Za-z]+)">/g)].map((m) => m[1]);
    expect(items).to.deep.equal(['aiStaffCount', 'aiCommittee', 'aiTraining']);
    expect((await stored(inst.id))!.answers, 'nothing overwritten').to.deep.equal({ aiUnit: 'yes', aiStaffCount: 7, aiTraining: 'yes' });

    // Keep my staff count and committee, the saved training answer.
    const mine = /name="mine" value="([^"]+)"/.exec(html)![1]!.replace(/&quot;|&#x22;/g, '"').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const chosen = await tab2.client.request('POST', '/responder/conflicto', {
      form: { mine, baseRevision: String(revisionIn(html)), 'choice[aiStaffCount]': 'mine', 'choice[aiCommittee]': 'mine', 'choice[aiTraining]': 'saved' },
      headers: { accept: 'text/html' },
    });
    expect(chosen.status).to.equal(303);
    const doc = await stored(inst.id);
    expect(doc!.answers).to.deep.equal({ aiUnit: 'yes', aiStaffCount: 9, aiCommittee: 'no', aiTraining: 'yes' });
    expect(doc!.revision).to.equal(2);
  });
});
