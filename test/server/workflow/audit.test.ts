/**
 * The audit trail: every change by anyone is an append-only entry (who, role, when, what, old, new,
 * reason) with items named by their question text; viewable per institution and per edition; CSV
 * with formula cells escaped; and no code path updates or deletes an entry.
 */
import { expect } from 'chai';
import { assignEditionToEvaluators } from '../../setup/assignments.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { Client, loggedIn } from '../../setup/client.js';
import { createPilot, type Pilot } from '../../setup/pilot.js';
import { apiRespondent, json, pageText } from '../../setup/workflow.js';
import { AUDIT_REFUSED_OPERATIONS, AppendOnlyError, AuditEntryModel } from '../../../server/models/audit.js';
import { AUDIT_CSV_HEADER } from '../../../server/services/auditView.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../../questionnaires/demo-answers.js';
import { REPO_ROOT } from '../../scoring/helpers.js';

async function entriesDigest(): Promise<string> {
  const all = await AuditEntryModel.find({}).sort({ _id: 1 }).lean();
  return createHash('sha256').update(JSON.stringify(all)).digest('hex');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

describe('workflow: the audit trail (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;
  let admin: Client;
  let evaluator: Client;
  let zapopan: { id: string; token: string };

  before(async () => {
    await useTestDatabase('workflow_audit');
    server = await startTestServer();
    pilot = await createPilot('piloto-bitacora');
    zapopan = pilot.institutions.find((i) => i.name === 'Municipio de Zapopan')!;
    admin = await loggedIn(server.url, 'admin');
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
  });
  after(() => server.close());

  it('records every change: answers after submission, submission, return with comments, approval, reopening, citizen logs, edition states, imports, invitations, accounts', async () => {
    const respondent = apiRespondent(server.url, zapopan.token);
    const base = `/api/v1/editions/${pilot.editionId}/institutions/${zapopan.id}`;
    expect((await respondent.request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes' } } })).status).to.equal(200);
    expect((await respondent.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } })).status).to.equal(200);
    expect((await evaluator.request('POST', `${base}/return`, { json: { comments: [{ item: 'tpUrl', comment: 'La liga no abre.' }] } })).status).to.equal(200);
    const fixed = { ...DEMO_GOVERNMENT_ANSWERS, generalComments: '=HYPERLINK("http://x.example","clic")', tpUrl: 'https://transparencia.municipio.example/proactiva' };
    expect((await respondent.request('POST', '/api/v1/respondent/submit', { json: { answers: fixed, reason: 'Liga corregida' } })).status).to.equal(200);
    expect((await evaluator.request('POST', `${base}/approve`, { json: {} })).status).to.equal(200);
    expect((await evaluator.request('POST', `${base}/reopen`, { json: { reason: 'La evidencia no corresponde' } })).status).to.equal(200);
    expect((await evaluator.request('PUT', `${base}/citizen-logs`, { json: { answers: DEMO_CITIZEN_ANSWERS, complete: true } })).status).to.equal(200);
    const user = await json<{ id: string }>(await admin.request('POST', '/api/v1/users', { json: { email: 'nueva@example.org', name: 'Nueva Persona', role: 'viewer', password: 'una contraseña larga', editions: [] } }));
    expect((await admin.request('PATCH', `/api/v1/users/${user.id}`, { json: { active: false } })).status).to.equal(200);
    const issued = await json<{ invitations: { invitationId: string }[] }>(await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations`, { json: { expiresInDays: 5, institutionIds: [zapopan.id] } }));
    expect((await admin.request('POST', `/api/v1/editions/${pilot.editionId}/invitations/${issued.invitations[0]!.invitationId}/revoke`)).status).to.equal(204);
    expect((await admin.request('PATCH', `/api/v1/editions/${pilot.editionId}`, { json: { status: 'review' } })).status).to.equal(200);

    const actions = new Set((await AuditEntryModel.find({}, { action: 1 }).lean()).map((e) => e.action));
    for (const action of ['edition.create', 'sample.import', 'invitation.issue', 'invitation.revoke', 'edition.status', 'answers.submit', 'answers.return', 'answers.change', 'answers.approve', 'answers.reopen', 'logs.change', 'logs.complete', 'account.create', 'account.change']) {
      expect(actions, action).to.include(action);
    }
    const change = await AuditEntryModel.findOne({ action: 'answers.change', institution: zapopan.id, item: 'tpUrl' }).lean();
    expect(change).to.include({ item: 'tpUrl', itemLabel: 'Dirección donde se publica la información proactiva', reason: 'Liga corregida', newValue: 'https://transparencia.municipio.example/proactiva' });
    expect(change!.actor).to.include({ kind: 'respondent', role: 'respondent' });
    const returned = await AuditEntryModel.findOne({ action: 'answers.return' }).lean();
    expect(returned).to.include({ item: 'tpUrl', newValue: 'La liga no abre.' });
    expect(returned!.actor.role).to.equal('evaluator');
    const reopen = await AuditEntryModel.findOne({ action: 'answers.reopen' }).lean();
    expect(reopen).to.include({ reason: 'La evidencia no corresponde', oldValue: 'approved', newValue: 'returned' });
    expect((await AuditEntryModel.findOne({ action: 'account.change' }).lean())!.newValue).to.include({ active: false });
    // No draft before the first submission is audited.
    expect(await AuditEntryModel.countDocuments({ action: 'answers.change', item: 'aiUnit' })).to.equal(0);
  });

  it('is viewable per institution and per edition, and exported as CSV with question texts and formula cells escaped', async () => {
    const perInstitution = await json<{ total: number; entries: { action: string; itemLabel?: string; actor: { role: string } }[] }>(
      await evaluator.get(`/api/v1/editions/${pilot.editionId}/audit?institution=${zapopan.id}`),
    );
    expect(perInstitution.total).to.be.greaterThan(5);
    expect(perInstitution.entries.every((e) => e.action)).to.equal(true);
    const perEdition = await json<{ total: number }>(await evaluator.get(`/api/v1/editions/${pilot.editionId}/audit`));
    expect(perEdition.total).to.be.greaterThan(perInstitution.total);

    const page = pageText(await (await evaluator.get(`/evaluacion/${pilot.editionId}/sujetos/${zapopan.id}`, { accept: 'text/html' })).text());
    expect(page).to.include('Bitácora de cambios').and.include('Dirección donde se publica la información proactiva').and.include('Liga corregida').and.include('Aprobación reabierta');
    const editionPage = pageText(await (await evaluator.get(`/evaluacion/${pilot.editionId}/auditoria`, { accept: 'text/html' })).text());
    expect(editionPage).to.include('Muestra importada').and.include('Invitación emitida').and.include('Cambio de estado de la edición');

    const csv = await evaluator.get(`/api/v1/editions/${pilot.editionId}/audit.csv`);
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)], 'UTF-8 byte order mark').to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith(AUDIT_CSV_HEADER.join(','))).to.equal(true);
    expect(text).to.include('Dirección donde se publica la información proactiva');
    expect(text, 'a formula becomes text').to.include(`"'=HYPERLINK(""http://x.example"",""clic"")"`);
    expect(text).not.to.match(/(^|,)=HYPERLINK/m);

    const viewerElsewhere = await loggedIn(server.url, 'viewer', []);
    expect((await viewerElsewhere.get(`/api/v1/editions/${pilot.editionId}/audit.csv`)).status).to.equal(404);
    const leon = pilot.institutions.find((i) => i.name === 'Municipio de León')!;
    expect((await apiRespondent(server.url, leon.token).get(`/api/v1/editions/${pilot.editionId}/audit`)).status).to.equal(403);
  });

  it('refuses every update and delete through the model', async () => {
    const digest = await entriesDigest();
    const one = await AuditEntryModel.findOne({});
    const attempts: [string, () => Promise<unknown>][] = [
      ['updateOne', () => AuditEntryModel.updateOne({ _id: one!._id }, { $set: { reason: 'x' } })],
      ['updateMany', () => AuditEntryModel.updateMany({}, { $set: { reason: 'x' } })],
      ['findOneAndUpdate', () => AuditEntryModel.findOneAndUpdate({}, { $set: { reason: 'x' } })],
      ['findOneAndReplace', () => AuditEntryModel.findOneAndReplace({}, { action: 'answers.change' })],
      ['replaceOne', () => AuditEntryModel.replaceOne({}, { action: 'answers.change' })],
      ['deleteOne', () => AuditEntryModel.deleteOne({})],
      ['deleteMany', () => AuditEntryModel.deleteMany({})],
      ['findOneAndDelete', () => AuditEntryModel.findOneAndDelete({})],
      ['findByIdAndUpdate', () => AuditEntryModel.findByIdAndUpdate(one!._id, { $set: { reason: 'x' } })],
      ['findByIdAndDelete', () => AuditEntryModel.findByIdAndDelete(one!._id)],
      ['document save', () => (one!.set('reason', 'x'), one!.save())],
      ['document deleteOne', () => one!.deleteOne()],
      ['bulkWrite', () => AuditEntryModel.bulkWrite([{ deleteOne: { filter: {} } }])],
    ];
    for (const [name, attempt] of attempts) {
      let refused: unknown;
      try {
        await attempt();
      } catch (error) {
        refused = error;
      }
      expect(refused, name).to.be.instanceOf(AppendOnlyError);
    }
    expect(AUDIT_REFUSED_OPERATIONS.length).to.be.greaterThan(6);
    expect(await entriesDigest(), 'nothing changed').to.equal(digest);
  });

  it('no code path updates or deletes an entry: no source file writes the audit collection other than by insertion', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles(join(REPO_ROOT, 'server')), ...sourceFiles(join(REPO_ROOT, 'scripts')), ...sourceFiles(join(REPO_ROOT, 'reports'))]) {
      const text = readFileSync(file, 'utf8');
      if (/audit_entries/.test(text) && !file.endsWith(join('models', 'audit.ts'))) offenders.push(`${file}: names the collection`);
      for (const match of text.matchAll(/AuditEntryModel(?:\.collection)?\s*\.\s*(\w+)/g)) {
        if (!['find', 'findOne', 'countDocuments', 'insertMany', 'create', 'schema', 'aggregate', 'estimatedDocumentCount'].includes(match[1]!)) offenders.push(`${file}: AuditEntryModel.${match[1]}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it('entries stay as written while the workflow goes on', async () => {
    const before = await AuditEntryModel.find({}).sort({ _id: 1 }).lean();
    const respondent = apiRespondent(server.url, pilot.institutions.find((i) => i.name === 'Municipio de León')!.token);
    await admin.request('PATCH', `/api/v1/editions/${pilot.editionId}`, { json: { status: 'collecting', reason: 'Otra ronda' } });
    await respondent.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    const after = await AuditEntryModel.find({ _id: { $in: before.map((e) => e._id) } }).sort({ _id: 1 }).lean();
    expect(JSON.stringify(after)).to.equal(JSON.stringify(before));
    expect(await AuditEntryModel.countDocuments()).to.be.greaterThan(before.length);
  });
});
