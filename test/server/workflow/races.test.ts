/**
 * Races, each run at least 20 times against the real database: a submission racing a background
 * save is never undone; a stale save changes nothing; of two racing review actions exactly one
 * succeeds; approving twice never makes a second score.
 */
import { expect } from 'chai';
import { assignEditionToEvaluators } from '../../setup/assignments.js';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn, type Client } from '../../setup/client.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';
import { apiRespondent, json, pageRespondent, repeat, stored, type Problem } from '../../setup/workflow.js';
import { AuditEntryModel } from '../../../server/models/audit.js';
import { ScoreModel } from '../../../server/models/result.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../../questionnaires/demo-answers.js';

const RUNS = 20;

describe('workflow races, each at least 20 times (real MongoDB)', function () {
  this.timeout(600_000);
  let server: TestServer;
  let pilot: Pilot;
  let evaluator: Client;
  let otherEvaluator: Client;
  let next = 0;
  const institution = () => {
    const inst = pilot.institutions[next++];
    if (!inst) throw new Error('not enough institutions in the race edition');
    return inst;
  };

  before(async () => {
    await useTestDatabase('workflow_races');
    server = await startTestServer();
    pilot = await createPilot('piloto-carreras', manyMunicipalities(6 * RUNS + 5));
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    otherEvaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
  });
  after(() => server.close());

  async function submitted(inst: { id: string; token: string }) {
    const res = await apiRespondent(server.url, inst.token).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    expect(res.status).to.equal(200);
    return json<{ revision: number }>(res);
  }

  it('a submission racing a background save of another tab: no acknowledged submission is undone', async () => {
    const outcomes = { submitFirst: 0, saveFirst: 0 };
    await repeat(RUNS, async () => {
      const inst = institution();
      const tab = await pageRespondent(server.url, inst.token);
      const api = apiRespondent(server.url, inst.token);
      // The other tab has no revision to send (an old page): the server must still never reopen a submission.
      const [submit, autosave] = await Promise.all([
        api.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } }),
        tab.client.request('POST', '/responder/borrador', { form: { aiUnit: 'no', aiStaffCount: '1' }, headers: { accept: 'application/json' } }),
      ]);
      const doc = await stored(inst.id);
      if (submit.status === 200) {
        expect(doc!.status, 'an acknowledged submission stays submitted').to.equal('submitted');
        if (autosave.status === 200) outcomes.saveFirst++;
        else {
          expect(autosave.status).to.equal(409);
          expect((await json<Problem>(autosave)).code).to.equal('response_state');
          outcomes.submitFirst++;
        }
      } else {
        // The save came first and the submission was computed from another revision: it retried or was refused, never half-applied.
        expect(submit.status).to.be.oneOf([200, 409]);
        expect(doc!.status).to.equal('draft');
      }
    });
    expect(outcomes.submitFirst + outcomes.saveFirst).to.equal(RUNS);
    console.log(`      outcomes: submission first ${outcomes.submitFirst}, background save first ${outcomes.saveFirst}`);
  });

  it('a form submission (with confirmation) racing a background save with the same revision: the save is refused or the confirmation is', async () => {
    await repeat(RUNS, async () => {
      const inst = institution();
      const tab = await pageRespondent(server.url, inst.token);
      const first = await tab.client.request('POST', '/responder', { form: { ...formOf(DEMO_GOVERNMENT_ANSWERS), action: 'submit', baseRevision: String(tab.revision) }, headers: { accept: 'text/html' } });
      expect(first.status).to.equal(303);
      expect(first.headers.get('location')).to.equal('/responder/enviar');
      const confirmPage = await tab.client.page('/responder/enviar');
      const revision = Number(/name="baseRevision" value="(\d+)"/.exec(confirmPage)![1]);
      const [confirm, autosave] = await Promise.all([
        tab.client.request('POST', '/responder/enviar', { form: { confirmar: 'si', baseRevision: String(revision) }, headers: { accept: 'text/html' } }),
        tab.client.request('POST', '/responder/borrador', { form: { ...formOf(DEMO_GOVERNMENT_ANSWERS), aiStaffCount: '99', baseRevision: String(revision) }, headers: { accept: 'application/json' } }),
      ]);
      const doc = await stored(inst.id);
      const acknowledged = confirm.status === 303 && confirm.headers.get('location') === '/responder/acuse';
      if (acknowledged) {
        expect(doc!.status).to.equal('submitted');
        expect(autosave.status, 'the save after the submission is refused').to.equal(409);
        expect(doc!.answers).to.have.property('aiStaffCount', 3);
      } else {
        expect(autosave.status).to.equal(200);
        expect(doc!.status).to.equal('draft');
        expect(doc!.answers).to.have.property('aiStaffCount', 99);
      }
    });
  });

  it('two saves from the same revision: exactly one is stored, the other gets 409 and changes nothing', async () => {
    await repeat(RUNS, async () => {
      const inst = institution();
      const api = apiRespondent(server.url, inst.token);
      await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' }, baseRevision: 0 } });
      const [a, b] = await Promise.all([
        api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', aiStaffCount: 1 }, baseRevision: 1 } }),
        api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', aiStaffCount: 2 }, baseRevision: 1 } }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      const winner = a.status === 200 ? 1 : 2;
      const loser = await json<Problem>(a.status === 409 ? a : b);
      expect(loser.code).to.equal('stale_revision');
      expect(loser.currentRevision).to.equal(2);
      const doc = await stored(inst.id);
      expect(doc!.revision).to.equal(2);
      expect(doc!.answers).to.deep.equal({ aiUnit: 'yes', aiStaffCount: winner });
    });
  });

  it('approve and return at once: exactly one succeeds, the other gets 409 with the current state; comments never vanish', async () => {
    const wins = { approve: 0, return: 0 };
    await repeat(RUNS, async () => {
      const inst = institution();
      await submitted(inst);
      const base = `/api/v1/editions/${pilot.editionId}/institutions/${inst.id}`;
      const [approve, ret] = await Promise.all([
        evaluator.request('POST', `${base}/approve`, { json: {} }),
        otherEvaluator.request('POST', `${base}/return`, { json: { comments: [{ item: 'tpUrl', comment: 'La liga no abre.' }] } }),
      ]);
      expect([approve.status, ret.status].sort()).to.deep.equal([200, 409]);
      const doc = await stored(inst.id);
      const loser = await json<Problem>(approve.status === 409 ? approve : ret);
      expect(loser.code).to.equal('response_state');
      expect(loser.responseStatus).to.equal(doc!.status);
      if (approve.status === 200) {
        wins.approve++;
        expect(doc!.status).to.equal('approved');
        expect(await ScoreModel.countDocuments({ institution: inst.id })).to.equal(1);
      } else {
        wins.return++;
        expect(doc!.status).to.equal('returned');
        expect(doc!.comments.map((c) => c.comment)).to.deep.equal(['La liga no abre.']);
        expect(await ScoreModel.countDocuments({ institution: inst.id })).to.equal(0);
      }
    });
    expect(wins.approve + wins.return).to.equal(RUNS);
    console.log(`      winners: approve ${wins.approve}, return ${wins.return}`);
  });

  it('ten parallel approvals: exactly one succeeds, one score and one audit entry', async () => {
    await repeat(RUNS, async () => {
      const inst = institution();
      const { revision } = await submitted(inst);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? evaluator : otherEvaluator).request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${inst.id}/approve`, { json: {} })),
      );
      expect(results.filter((r) => r.status === 200)).to.have.length(1);
      expect(results.filter((r) => r.status === 409)).to.have.length(9);
      expect((await stored(inst.id))!.revision).to.equal(revision + 1);
      expect(await ScoreModel.countDocuments({ institution: inst.id })).to.equal(1);
      expect(await AuditEntryModel.countDocuments({ institution: inst.id, action: 'answers.approve' })).to.equal(1);
      const again = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${inst.id}/approve`, { json: {} });
      expect(again.status, 'approving twice is a 409').to.equal(409);
    });
  });
});

/** Answers in the shape of a posted form (lists as repeated fields, numbers as text). */
function formOf(answers: Record<string, unknown>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
}
