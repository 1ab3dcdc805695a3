/**
 * Editions gate the work: the state machine, what each state allows, the deadline, the publish
 * preflight, «reabrir publicación», and publishing racing a review action. Real MongoDB, over HTTP.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { Client, loggedIn } from '../../setup/client.js';
import { manyMunicipalities } from '../../setup/pilot.js';
import { apiRespondent, json, pageRespondent, pageText, repeat, stored, type Problem } from '../../setup/workflow.js';
import { EditionModel } from '../../../server/models/edition.js';
import { AuditEntryModel } from '../../../server/models/audit.js';
import { changeStatus } from '../../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../../server/services/audit.js';
import { createEdition } from '../../../server/services/editions.js';
import { assignEditionToEvaluators } from '../../setup/assignments.js';
import { importEditionSample } from '../../../server/services/results.js';
import { issueInvitations } from '../../../server/services/invitations.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../../questionnaires/demo-answers.js';

describe('workflow: editions gate the work (real MongoDB)', function () {
  this.timeout(300_000);
  let server: TestServer;
  let admin: Client;
  let evaluator: Client;

  before(async () => {
    await useTestDatabase('workflow_lifecycle');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
    // One evaluator for every edition of this file: sign-ins are rate limited per address.
    evaluator = await loggedIn(server.url, 'evaluator', ['con-plazo', 'a-publicar', 'con-exclusion', ...Array.from({ length: 20 }, (_, i) => `carrera-publicar-${i}`)]);
  });
  after(() => server.close());

  const patch = (editionId: string, body: object) => admin.request('PATCH', `/api/v1/editions/${editionId}`, { json: body });

  async function draftEdition(editionId: string, sample = manyMunicipalities(3)) {
    await createEdition({ editionId, year: 2026, title: `Edición ${editionId}`, methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
    await importEditionSample(editionId, new TextEncoder().encode(sample), { format: 'csv' });
    const issued = await issueInvitations(editionId, { baseUrl: server.url, expiresInDays: 10, actor: SYSTEM_ACTOR });
    await assignEditionToEvaluators(editionId);
    return issued.map((i) => ({ id: i.institutionId, token: i.link.split('/').pop()! }));
  }

  it('follows draft → collecting → review → published; anything else is a 409 that says why', async () => {
    await draftEdition('ciclo-estados');
    const skip = await patch('ciclo-estados', { status: 'published' });
    expect(skip.status).to.equal(409);
    expect((await json<Problem>(skip)).code).to.equal('invalid_transition');
    expect((await patch('ciclo-estados', { status: 'collecting' })).status).to.equal(200);
    expect((await patch('ciclo-estados', { status: 'review' })).status).to.equal(200);
    const back = await patch('ciclo-estados', { status: 'collecting' });
    expect(back.status, 'going back needs a reason').to.equal(400);
    expect((await json<Problem>(back)).errors![0]!.field).to.equal('reason');
    expect((await patch('ciclo-estados', { status: 'collecting', reason: 'Faltan respuestas de dos municipios' })).status).to.equal(200);
    const audit = await AuditEntryModel.find({ edition: 'ciclo-estados', action: 'edition.status' }).sort({ at: 1 }).lean();
    expect(audit.map((a) => `${a.oldValue}→${a.newValue}`)).to.deep.equal(['draft→collecting', 'collecting→review', 'review→collecting']);
    expect(audit[2]!.reason).to.equal('Faltan respuestas de dos municipios');
    expect(audit[2]!.actor.role).to.equal('admin');
  });

  it('respondents save and submit only while collecting: 409 with a Spanish explanation on the page otherwise', async () => {
    const [inst] = await draftEdition('solo-en-captura');
    const api = apiRespondent(server.url, inst!.token);
    const tryAll = async (expected: string) => {
      const put = await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } });
      expect(put.status).to.equal(409);
      expect((await json<Problem>(put)).code).to.equal(expected);
      const submit = await api.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
      expect(submit.status).to.equal(409);
      return pageRespondent(server.url, inst!.token);
    };
    // draft
    let { html } = await tryAll('edition_state');
    expect(pageText(html)).to.include('La captura de esta edición todavía no se abre');
    expect(html, 'read-only: no form').not.to.include('id="cuestionario"');
    // collecting: works
    await changeStatus('solo-en-captura', 'collecting', { actor: SYSTEM_ACTOR });
    expect((await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } })).status).to.equal(200);
    // A page opened while collecting, posted after the capture closed.
    const page = await pageRespondent(server.url, inst!.token);
    await changeStatus('solo-en-captura', 'review', { actor: SYSTEM_ACTOR });
    const post = await page.client.request('POST', '/responder', { form: { aiUnit: 'no', action: 'save', baseRevision: String(page.revision) }, headers: { accept: 'text/html' } });
    expect(post.status).to.equal(409);
    expect(pageText(await post.text())).to.include('No se guardó nada').and.include('La captura de esta edición ya cerró');
    // review and published: closed
    ({ html } = await tryAll('edition_state'));
    expect(pageText(html)).to.include('La captura de esta edición ya cerró');
    expect((await stored(inst!.id))!.answers).to.deep.equal({ aiUnit: 'yes' });
  });

  it('a deadline closes saving and submitting for respondents, not for evaluators', async () => {
    const [inst, other] = await draftEdition('con-plazo');
    await changeStatus('con-plazo', 'collecting', { actor: SYSTEM_ACTOR });
    await apiRespondent(server.url, other!.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    const past = new Date(Date.now() - 60_000).toISOString();
    const set = await patch('con-plazo', { deadline: past });
    expect(set.status).to.equal(200);
    const res = await apiRespondent(server.url, inst!.token).request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } });
    expect(res.status).to.equal(409);
    expect((await json<Problem>(res)).code).to.equal('deadline_passed');
    const { html } = await pageRespondent(server.url, inst!.token);
    expect(pageText(html)).to.include('El plazo para responder venció el');
    expect((await evaluator.request('POST', `/api/v1/editions/con-plazo/institutions/${other!.id}/approve`, { json: {} })).status, 'review continues').to.equal(200);
    expect((await patch('con-plazo', { deadline: null })).status).to.equal(200);
    expect((await apiRespondent(server.url, inst!.token).request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } })).status).to.equal(200);
    expect(await AuditEntryModel.countDocuments({ edition: 'con-plazo', action: 'edition.deadline' })).to.equal(2);
  });

  it('publishing runs the preflight; decisions with a reason unblock it; a published edition is read-only; «reabrir publicación» takes it off the public pages', async () => {
    const insts = await draftEdition('a-publicar', manyMunicipalities(4));
    const [approved, pending, excluded, noScore] = insts as [{ id: string; token: string }, { id: string; token: string }, { id: string; token: string }, { id: string; token: string }];
    await changeStatus('a-publicar', 'collecting', { actor: SYSTEM_ACTOR });
    for (const inst of [approved, pending]) {
      expect((await apiRespondent(server.url, inst.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } })).status).to.equal(200);
    }
    expect((await evaluator.request('POST', `/api/v1/editions/a-publicar/institutions/${approved.id}/approve`, { json: {} })).status).to.equal(200);
    await changeStatus('a-publicar', 'review', { actor: SYSTEM_ACTOR });

    const check = await json<{ ready: boolean; blockers: { code: string; institutions: { id: string }[] }[] }>(await admin.get('/api/v1/editions/a-publicar/preflight'));
    expect(check.ready).to.equal(false);
    expect(check.blockers.map((b) => [b.code, b.institutions.map((i) => i.id).sort()])).to.deep.equal([
      ['pending_review', [pending.id]],
      ['not_approved', [excluded.id, noScore.id].sort()],
    ]);
    const refused = await patch('a-publicar', { status: 'published' });
    expect(refused.status).to.equal(409);
    expect((await json<Problem>(refused)).code).to.equal('preflight_failed');
    await admin.page('/admin/ediciones/a-publicar/publicar');
    const preflightPage = pageText(await (await admin.get('/admin/ediciones/a-publicar/publicar', { accept: 'text/html' })).text());
    expect(preflightPage).to.include('Todavía no se puede publicar').and.include('Un envío espera revisión').and.include('2 sujetos obligados no tienen respuestas aprobadas: apruebe sus respuestas, o exclúyalos');

    const noReason = await admin.request('POST', `/api/v1/editions/a-publicar/institutions/${excluded.id}/publication`, { json: { decision: 'excluded', reason: '' } });
    expect(noReason.status).to.equal(400);
    expect((await admin.request('POST', `/api/v1/editions/a-publicar/institutions/${excluded.id}/publication`, { json: { decision: 'excluded', reason: 'No respondió en el plazo' } })).status).to.equal(200);
    // From the page: publish without a score.
    const form = await admin.request('POST', `/admin/ediciones/a-publicar/sujetos/${noScore.id}/publicacion`, { form: { decision: 'sin-calificacion', reason: 'Sin portal en funcionamiento' }, headers: { accept: 'text/html' } });
    expect(form.status).to.equal(303);
    expect((await evaluator.request('POST', `/api/v1/editions/a-publicar/institutions/${pending.id}/approve`, { json: {} })).status).to.equal(200);

    expect((await patch('a-publicar', { status: 'published' })).status).to.equal(200);
    const publicList = await json<{ editions: { editionId: string }[] }>(await new Client(server.url).get('/api/v1/editions'));
    expect(publicList.editions.map((e) => e.editionId)).to.include('a-publicar');

    // Published: review actions and imports refused.
    const reopenScore = await evaluator.request('POST', `/api/v1/editions/a-publicar/institutions/${approved.id}/reopen`, { json: { reason: 'Revisar la liga' } });
    expect(reopenScore.status).to.equal(409);
    expect((await json<Problem>(reopenScore)).code).to.equal('edition_published');
    const reviewPage = pageText(await (await evaluator.get(`/evaluacion/a-publicar/sujetos/${approved.id}`, { accept: 'text/html' })).text());
    expect(reviewPage).to.include('La edición está publicada y no se puede cambiar');
    const sample = await admin.request('POST', '/api/v1/editions/a-publicar/sample', { body: manyMunicipalities(1), headers: { 'content-type': 'text/csv' } });
    expect(sample.status).to.equal(409);

    // «Reabrir publicación»: needs a reason, is audited, and the results leave the public pages.
    expect((await patch('a-publicar', { status: 'review' })).status).to.equal(400);
    expect((await patch('a-publicar', { status: 'review', reason: 'Corrección de una calificación' })).status).to.equal(200);
    const anonymous = new Client(server.url);
    expect((await anonymous.get('/api/v1/editions/a-publicar/results?by=national')).status).to.equal(404);
    expect((await anonymous.get('/resultados/a-publicar', { accept: 'text/html' })).status).to.equal(404);
    const reopened = await AuditEntryModel.findOne({ edition: 'a-publicar', action: 'edition.publication' }).lean();
    expect(reopened).to.include({ oldValue: 'published', newValue: 'review', reason: 'Corrección de una calificación' });
    expect((await evaluator.request('POST', `/api/v1/editions/a-publicar/institutions/${approved.id}/reopen`, { json: { reason: 'Revisar la liga' } })).status).to.equal(200);
  });

  it('an institution excluded with a reason leaves the edition\'s results even with an approved score', async () => {
    const [kept, dropped] = await draftEdition('con-exclusion', manyMunicipalities(2));
    await changeStatus('con-exclusion', 'collecting', { actor: SYSTEM_ACTOR });
    for (const inst of [kept!, dropped!]) {
      await apiRespondent(server.url, inst.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
      expect((await evaluator.request('POST', `/api/v1/editions/con-exclusion/institutions/${inst.id}/approve`, { json: {} })).status).to.equal(200);
    }
    await changeStatus('con-exclusion', 'review', { actor: SYSTEM_ACTOR });
    expect((await admin.request('POST', `/api/v1/editions/con-exclusion/institutions/${dropped!.id}/publication`, { json: { decision: 'excluded', reason: 'Respondió fuera del marco de la muestra' } })).status).to.equal(200);
    expect((await patch('con-exclusion', { status: 'published' })).status).to.equal(200);
    const national = await json<{ groups: { n: number }[] }>(await new Client(server.url).get('/api/v1/editions/con-exclusion/results?by=national'));
    expect(national.groups[0]!.n).to.equal(1);
  });

  it('publishing racing a reopened approval, 20 times: never a published edition with answers that are not approved', async () => {
    const outcomes = { published: 0, reopened: 0 };
    await repeat(20, async (i) => {
      const editionId = `carrera-publicar-${i}`;
      const [inst] = await draftEdition(editionId, manyMunicipalities(1));
      await changeStatus(editionId, 'collecting', { actor: SYSTEM_ACTOR });
      await apiRespondent(server.url, inst!.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
      expect((await evaluator.request('POST', `/api/v1/editions/${editionId}/institutions/${inst!.id}/approve`, { json: {} })).status).to.equal(200);
      await changeStatus(editionId, 'review', { actor: SYSTEM_ACTOR });
      // The reopening starts up to 40 ms later, so both orders happen.
      const [publish, reopen] = await Promise.all([
        patch(editionId, { status: 'published' }),
        new Promise((resolve) => setTimeout(resolve, (i * 7) % 41)).then(() =>
          evaluator.request('POST', `/api/v1/editions/${editionId}/institutions/${inst!.id}/reopen`, { json: { reason: 'Revisar la liga' } }),
        ),
      ]);
      const edition = await EditionModel.findOne({ editionId }).lean();
      const response = await stored(inst!.id);
      expect([publish.status, reopen.status].filter((s) => s === 200), 'exactly one wins').to.have.length(1);
      if (edition!.status === 'published') {
        outcomes.published++;
        expect(response!.status).to.equal('approved');
        expect((await json<Problem>(reopen)).code).to.equal('edition_published');
      } else {
        outcomes.reopened++;
        expect(response!.status).to.equal('returned');
        expect((await json<Problem>(publish)).code).to.equal('preflight_failed');
      }
    });
    console.log(`      outcomes: published first ${outcomes.published}, reopened first ${outcomes.reopened}`);
  });
});

