import { expect } from 'chai';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { ResponseModel, AuditEntryModel } from '../../server/models/response.js';
import { ScoreModel } from '../../server/models/result.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { DEMO_SCORE } from '../questionnaires/demoScore.js';

interface Problem {
  status: number;
  errors?: { field: string; reason: string }[];
}

const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

function respondent(server: TestServer, token: string): Client {
  const client = new Client(server.url);
  client.bearer = token;
  return client;
}

async function snapshot() {
  const responses = await ResponseModel.find({}, { _id: 0, createdAt: 0, updatedAt: 0 }).sort({ institution: 1, 'questionnaire.id': 1 }).lean();
  return JSON.stringify({ responses, audit: await AuditEntryModel.countDocuments(), scores: await ScoreModel.countDocuments() });
}

describe('questionnaires over the API: respond, review, score (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  let evaluator: Client;

  before(async () => {
    await useTestDatabase('questionnaires_api');
    server = await startTestServer();
    pilot = await createPilot();
    const byName = (name: string) => pilot.institutions.find((i) => i.name === name)!;
    a = byName('Municipio de Zapopan');
    b = byName('Municipio de Tonalá');
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
  });
  after(() => server.close());

  it('a respondent sees its own questionnaire, saves a draft and gets field-level errors when submitting too early', async () => {
    const client = respondent(server, a.token);
    const start = await json<{ status: string; institution: { id: string }; questionnaire: { id: string; hash: string } }>(await client.get('/api/v1/respondent/questionnaire'));
    expect(start.status).to.equal('draft');
    expect(start.institution.id).to.equal(a.id);
    expect(start.questionnaire.hash).to.match(/^[0-9a-f]{64}$/);

    const draft = await client.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', aiStaffCount: 3 } } });
    expect(draft.status).to.equal(200);
    expect((await json<{ answers: Record<string, unknown> }>(draft)).answers).to.deep.equal({ aiUnit: 'yes', aiStaffCount: 3 });

    const early = await client.request('POST', '/api/v1/respondent/submit', { json: { answers: { aiUnit: 'yes' } } });
    expect(early.status).to.equal(400);
    const problem = await json<Problem>(early);
    expect(problem.errors!.map((e) => e.field)).to.include.members(['aiHead', 'aiElectronicSystem', 'trObligations']);
    expect(problem.errors!.find((e) => e.field === 'aiHead')!.reason).to.match(/obligatoria/);
    expect((await ResponseModel.findOne({ institution: a.id }).lean())!.status).to.equal('draft');
  });

  it('submits; the answers are read-only until the evaluators return them', async () => {
    const client = respondent(server, a.token);
    const submitted = await client.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    expect(submitted.status, await submitted.clone().text()).to.equal(200);
    expect((await json<{ status: string }>(submitted)).status).to.equal('submitted');
    const again = await client.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'no' } } });
    expect(again.status).to.equal(409);
    expect((await ResponseModel.findOne({ institution: a.id }).lean())!.answers).to.have.property('aiUnit', 'yes');
  });

  it('the evaluator sees it first in the queue, and returns one item with a comment', async () => {
    const queue = await json<{ dashboard: { statuses: { status: string; count: number }[] }; items: { id: string; answers: string }[] }>(await evaluator.get(`/api/v1/editions/${pilot.editionId}/review`));
    expect(queue.items[0]).to.include({ id: a.id, answers: 'submitted' });
    expect(queue.dashboard.statuses.find((s) => s.status === 'submitted')!.count).to.equal(1);
    expect(queue.dashboard.statuses.find((s) => s.status === 'none')!.count).to.equal(2);

    const bad = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/return`, { json: { comments: [{ item: 'noSuchItem', comment: 'x' }] } });
    expect(bad.status).to.equal(400);
    expect((await json<Problem>(bad)).errors![0]!.field).to.equal('comments[0].item');

    const returned = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/return`, { json: { comments: [{ item: 'tpUrl', comment: 'La liga no abre; corríjala.' }] } });
    expect(returned.status).to.equal(200);
    const seen = await json<{ status: string; comments: { item: string; comment: string }[] }>(await respondent(server, a.token).get('/api/v1/respondent/questionnaire'));
    expect(seen.status).to.equal('returned');
    expect(seen.comments).to.deep.equal([{ item: 'tpUrl', comment: 'La liga no abre; corríjala.' }]);
  });

  it('a change after the first submission needs a reason and is recorded in the append-only audit trail', async () => {
    const client = respondent(server, a.token);
    const fixed = { ...DEMO_GOVERNMENT_ANSWERS, tpUrl: 'https://transparencia.municipio.example/proactiva' };
    const noReason = await client.request('POST', '/api/v1/respondent/submit', { json: { answers: fixed } });
    expect(noReason.status).to.equal(400);
    expect((await json<Problem>(noReason)).errors![0]!.field).to.equal('reason');
    const ok = await client.request('POST', '/api/v1/respondent/submit', { json: { answers: fixed, reason: 'Liga corregida' } });
    expect(ok.status).to.equal(200);
    const audit = await AuditEntryModel.find({ institution: a.id, action: 'answers.change' }).lean();
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ item: 'tpUrl', itemLabel: 'Dirección donde se publica la información proactiva', oldValue: 'https://transparencia.municipio.example/transparencia-proactiva', newValue: 'https://transparencia.municipio.example/proactiva', reason: 'Liga corregida' });
    expect(audit[0]!.actor.kind).to.equal('respondent');
    let refused = false;
    try {
      await AuditEntryModel.updateOne({ _id: audit[0]!._id }, { $set: { reason: 'rewritten' } });
    } catch {
      refused = true;
    }
    expect(refused, 'audit entries cannot be changed').to.equal(true);
  });

  it('approval and complete citizen logs give the score computed by hand, with its hash and explanation', async () => {
    const approved = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/approve`);
    expect(approved.status).to.equal(200);
    const incomplete = await evaluator.request('PUT', `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/citizen-logs`, { json: { answers: { requests: [{ topic: 'x' }] }, complete: true } });
    expect(incomplete.status).to.equal(400);
    expect((await json<Problem>(incomplete)).errors!.map((e) => e.field)).to.include('requests[0].dateFiled');

    const logs = await evaluator.request('PUT', `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/citizen-logs`, { json: { answers: DEMO_CITIZEN_ANSWERS, complete: true } });
    expect(logs.status, await logs.clone().text()).to.equal(200);
    const review = await json<{ score: { nodes: Record<string, { value: number }>; methodology: { hash: string } }; explanation: { explanation: Record<string, { items: { item: string }[] }> } }>(
      await evaluator.get(`/api/v1/editions/${pilot.editionId}/institutions/${a.id}/review`),
    );
    for (const node of ['TG', 'TC', 'PG', 'PC', 'GA'] as const) expect(review.score.nodes[node]!.value).to.be.closeTo(DEMO_SCORE[node], 1e-9);
    expect(review.score.methodology.hash).to.match(/^[0-9a-f]{64}$/);
    expect(review.explanation.explanation['TG.AI']!.items.map((i) => i.item)).to.include('aiUnit');
  });

  it('a score computed from complete citizen logs alone is withdrawn when the logs are reopened as a draft', async () => {
    const c = pilot.institutions.find((i) => i.name === 'Municipio de León')!;
    const logs = `/api/v1/editions/${pilot.editionId}/institutions/${c.id}/citizen-logs`;
    expect((await evaluator.request('PUT', logs, { json: { answers: DEMO_CITIZEN_ANSWERS, complete: true } })).status).to.equal(200);
    expect(await ScoreModel.countDocuments({ institution: c.id })).to.equal(1);
    const reopened = await evaluator.request('PUT', logs, { json: { answers: DEMO_CITIZEN_ANSWERS, complete: false } });
    expect(reopened.status).to.equal(200);
    expect(await ScoreModel.countDocuments({ institution: c.id })).to.equal(0);
  });

  describe('authorization: every operation', () => {
    const path = (template: string, institution: string) => template.replace(':edition', pilot.editionId).replace(':id', institution).replace('{edition}', pilot.editionId).replace('{id}', institution);
    const institutionOperations = [
      ['GET', '/api/v1/editions/:edition/institutions/:id/review'],
      ['POST', '/api/v1/editions/:edition/institutions/:id/return'],
      ['POST', '/api/v1/editions/:edition/institutions/:id/approve'],
      ['PUT', '/api/v1/editions/:edition/institutions/:id/citizen-logs'],
    ] as const;

    it('the OpenAPI document lists every operation; only the open ones have security: []', async () => {
      const doc = await json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(await new Client(server.url).get('/api/v1/openapi.json'));
      const operations = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, open: Array.isArray(op.security) && op.security.length === 0 })));
      const keys = operations.map((o) => o.key);
      for (const [method, p] of [...institutionOperations, ['GET', '/api/v1/respondent/questionnaire'], ['PUT', '/api/v1/respondent/answers'], ['POST', '/api/v1/respondent/submit'], ['GET', '/api/v1/editions/:edition/review']]) {
        expect(keys).to.include(`${method} ${p.replace(':edition', '{edition}').replace(':id', '{id}')}`);
      }
      expect(operations.filter((o) => o.open).map((o) => o.key)).to.not.include.members(['GET /api/v1/respondent/questionnaire', 'POST /api/v1/editions']);
    });

    it('calls without credentials get 401 on every protected operation of the document', async () => {
      const doc = await json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(await new Client(server.url).get('/api/v1/openapi.json'));
      const anonymous = new Client(server.url);
      let checked = 0;
      for (const [template, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (Array.isArray(op.security) && op.security.length === 0) continue;
          const url = template.replace('{edition}', pilot.editionId).replace(/\{[A-Za-z_]+\}/g, b.id);
          const res = await anonymous.request(method.toUpperCase(), url, { json: method === 'get' ? undefined : {} });
          expect(res.status, `${method.toUpperCase()} ${url}`).to.equal(401);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(12);
    });

    it('a respondent of institution A gets 403 or 404 on every operation about institution B, and on admin operations', async () => {
      const client = respondent(server, a.token);
      const before = await snapshot();
      for (const [method, template] of [
        ...institutionOperations,
        ['GET', '/api/v1/editions/:edition/review'],
        ['GET', '/api/v1/editions/:edition/invitations'],
        ['POST', '/api/v1/editions/:edition/invitations'],
        ['PATCH', '/api/v1/editions/:edition'],
        ['POST', '/api/v1/editions/:edition/sample'],
        ['POST', '/api/v1/editions'],
      ] as const) {
        const res = await client.request(method, path(template, b.id), { json: method === 'GET' ? undefined : { answers: { aiUnit: 'no' }, comments: [{ item: 'aiUnit', comment: 'x' }] } });
        expect([403, 404], `${method} ${template}`).to.include(res.status);
      }
      // Its own endpoints are bound to its invitation: there is no parameter that names another institution.
      const own = await json<{ institution: { id: string } }>(await client.get(`/api/v1/respondent/questionnaire?institution=${b.id}`));
      expect(own.institution.id).to.equal(a.id);
      expect(await snapshot()).to.equal(before);
    });

    it('a respondent session cannot open another institution\'s review pages, and a revoked or forged token is 401', async () => {
      const page = new Client(server.url);
      const opened = await page.get(`/responder/${b.token}`);
      expect(opened.status).to.equal(303);
      const html = await page.page('/responder');
      expect(html, html.replace(/\s+/g, ' ').slice(0, 3000)).to.include('Municipio de Tonalá').and.not.include('Municipio de Zapopan');
      const review = await page.get(`/evaluacion/${pilot.editionId}/sujetos/${a.id}`, { accept: 'application/json' });
      expect(review.status).to.equal(403);
      const forged = respondent(server, 'inv_' + 'A'.repeat(43));
      expect((await forged.get('/api/v1/respondent/questionnaire')).status).to.equal(401);
    });

    it('an evaluator of another edition gets 404, a viewer gets 404 or 403 on changes', async () => {
      const other = await loggedIn(server.url, 'evaluator', ['otra-edicion']);
      expect((await other.get(`/api/v1/editions/${pilot.editionId}/institutions/${b.id}/review`)).status).to.equal(404);
      expect((await other.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${b.id}/approve`)).status).to.equal(404);
      const viewer = await loggedIn(server.url, 'viewer', [pilot.editionId]);
      expect((await viewer.get(`/api/v1/editions/${pilot.editionId}/institutions/${b.id}/review`)).status).to.equal(200);
      expect((await viewer.request('PUT', `/api/v1/editions/${pilot.editionId}/institutions/${b.id}/citizen-logs`, { json: { answers: {} } })).status).to.equal(404);
    });

    it('forms without a CSRF token are refused (403) and change nothing', async () => {
      const before = await snapshot();
      const page = new Client(server.url);
      await page.get(`/responder/${b.token}`);
      const res = await page.request('POST', '/responder', { form: { aiUnit: 'yes', action: 'save' }, csrf: false });
      expect(res.status).to.equal(403);
      const autosave = await page.request('POST', '/responder/borrador', { form: { aiUnit: 'yes' }, csrf: false });
      expect(autosave.status).to.equal(403);
      const apiWithSession = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${b.id}/approve`, { csrf: false });
      expect(apiWithSession.status).to.equal(403);
      const evaluatorForm = await evaluator.request('POST', `/evaluacion/${pilot.editionId}/sujetos/${b.id}/bitacora`, { form: { 'requests[0][topic]': 'x' }, csrf: false });
      expect(evaluatorForm.status).to.equal(403);
      expect(await snapshot()).to.equal(before);
    });
  });

  describe('hostile and bad answers: 4xx with field-level messages, nothing changed, never 5xx', () => {
    const cases: [string, unknown, string][] = [
      ['wrong type', { answers: { aiUnit: 42 } }, 'aiUnit'],
      ['unknown item', { answers: { notAnItem: 'yes' } }, 'notAnItem'],
      ['out-of-range number', { answers: { aiStaffCount: -5 } }, 'aiStaffCount'],
      ['invalid choice', { answers: { aiStaffing: 'everyone' } }, 'aiStaffing'],
      ['invalid date', { answers: { pgLastSession: '2016-02-30' } }, 'pgLastSession'],
      ['javascript: URL', { answers: { tpUrl: 'javascript:alert(1)' } }, 'tpUrl'],
      ['operator object in a value', { answers: { aiUnit: { $gt: '' } } }, 'aiUnit'],
      ['operator key at the top', { answers: { $where: 'sleep(1000)' } }, '$where'],
      ['operator object as the answers', { answers: { $gt: '' } }, '$gt'],
      ['answers not an object', { answers: 'yes' }, ''],
      ['unknown body field', { answers: {}, status: 'approved' }, 'status'],
      ['reason of wrong type', { answers: {}, reason: { $ne: 1 } }, 'reason'],
    ];
    for (const [name, body, field] of cases) {
      it(`${name}`, async () => {
        const before = await snapshot();
        const res = await respondent(server, b.token).request('PUT', '/api/v1/respondent/answers', { json: body });
        expect(res.status).to.be.within(400, 499);
        const problem = await json<Problem>(res);
        if (field) expect(problem.errors!.map((e) => e.field)).to.include(field);
        expect(await snapshot()).to.equal(before);
      });
    }

    it('a missing required item on submit names the item', async () => {
      const { aiHead: _dropped, ...answers } = DEMO_GOVERNMENT_ANSWERS;
      const res = await respondent(server, b.token).request('POST', '/api/v1/respondent/submit', { json: { answers } });
      expect(res.status).to.equal(400);
      expect((await json<Problem>(res)).errors).to.deep.include({ field: 'aiHead', reason: 'esta pregunta es obligatoria' });
    });

    it('operator objects in query parameters and path ids are 4xx, never 5xx', async () => {
      for (const url of [
        `/api/v1/editions/${pilot.editionId}/review?estado[$ne]=x`,
        `/api/v1/editions/${pilot.editionId}/institutions/%7B%22$gt%22:%22%22%7D/review`,
        `/api/v1/editions/%24where/review`,
        `/evaluacion/${pilot.editionId}?estado[$gt]=`,
        `/evaluacion/${pilot.editionId}?estado=hackeado`,
      ]) {
        const res = await evaluator.get(url, { accept: 'application/json' });
        expect(res.status, url).to.be.within(200, 499);
        expect(res.status, url).to.not.equal(500);
      }
      expect((await evaluator.get(`/evaluacion/${pilot.editionId}?estado=hackeado`, { accept: 'application/json' })).status).to.equal(400);
    });

    it('an oversized body is 413 and changes nothing', async () => {
      const before = await snapshot();
      const res = await respondent(server, b.token).request('PUT', '/api/v1/respondent/answers', { json: { answers: { generalComments: 'x'.repeat(3_000_000) } } });
      expect(res.status).to.equal(413);
      expect(await snapshot()).to.equal(before);
    });

    it('a hostile form post re-renders the page with an error summary and stores nothing', async () => {
      const before = await snapshot();
      const page = new Client(server.url);
      await page.get(`/responder/${b.token}`);
      await page.page('/responder');
      const res = await page.request('POST', '/responder', { form: { aiStaffCount: '-3', aiUnit: 'quizá', 'requests[0][topic]': 'x', action: 'save' }, headers: { accept: 'text/html' } });
      expect(res.status).to.equal(400);
      const html = await res.text();
      expect(html).to.include('error-summary').and.include('href="#f-aiStaffCount"').and.include('href="#f-aiUnit"');
      expect(await snapshot()).to.equal(before);
    });
  });
});
