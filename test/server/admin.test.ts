import { expect } from 'chai';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { InvitationModel } from '../../server/models/invitation.js';
import { tokenHash } from '../../server/auth/access.js';

interface Problem {
  errors?: { field: string; row?: number; reason: string }[];
}

describe('admin API: editions, samples, invitations (real MongoDB)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let admin: Client;
  before(async () => {
    await useTestDatabase('admin_api');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
  });
  after(() => server.close());

  it('creates an edition from a methodology and its instruments, pinned by hash; refuses duplicates and bad fields by name', async () => {
    const res = await admin.request('POST', '/api/v1/editions', { json: { editionId: 'mga-2025-piloto', year: 2025, title: 'Piloto 2025', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] } });
    expect(res.status).to.equal(201);
    const edition = (await res.json()) as { instruments: { id: string; hash: string }[] };
    expect(edition.instruments.map((i) => i.hash)).to.satisfy((hashes: string[]) => hashes.every((h) => /^[0-9a-f]{64}$/.test(h)));
    expect((await admin.request('POST', '/api/v1/editions', { json: { editionId: 'mga-2025-piloto', year: 2025, title: 'Otra', methodology: 'mga-2017', instruments: [] } })).status).to.equal(409);
    const bad = await admin.request('POST', '/api/v1/editions', { json: { editionId: 'Mal Id', year: 1800, title: 'x', methodology: { $ne: 1 }, instruments: ['nope'] } });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as Problem).errors!.map((e) => e.field)).to.include.members(['editionId', 'year', 'title', 'methodology']);
    const unknownInstrument = await admin.request('POST', '/api/v1/editions', { json: { editionId: 'otra', year: 2025, title: 'Otra edición', methodology: 'mga-2017', instruments: ['nope'] } });
    expect(unknownInstrument.status).to.equal(400);
    expect(((await unknownInstrument.json()) as Problem).errors![0]!.field).to.equal('instruments');
  });

  it('imports the sample all or nothing, naming row, column and reason', async () => {
    const bad = await admin.request('POST', '/api/v1/editions/mga-2025-piloto/sample', { body: 'name,entity,level,type\nMunicipio de Colima,Colima,municipal,Municipio\nAlgo,Texas,municipal,Municipio\n', headers: { 'content-type': 'text/csv' } });
    expect(bad.status).to.equal(400);
    const problem = (await bad.json()) as Problem;
    expect(problem.errors![0]).to.include({ row: 3 });
    expect(problem.errors![0]!.reason).to.match(/Texas/);
    expect(await InstitutionModel.countDocuments({ scope: 'mga-2025-piloto' })).to.equal(0);
    const ok = await admin.request('POST', '/api/v1/editions/mga-2025-piloto/sample', { body: 'name,entity,level,type\nMunicipio de Colima,Colima,municipal,Municipio\n"=HYPERLINK(""x"")",Colima,municipal,Municipio\n', headers: { 'content-type': 'text/csv' } });
    expect(ok.status, await ok.clone().text()).to.equal(200);
    expect(await InstitutionModel.countDocuments({ scope: 'mga-2025-piloto' })).to.equal(2);
  });

  it('issues one link per institution as CSV with formula cells escaped, stores only token hashes, and revokes', async () => {
    const res = await admin.request('POST', '/api/v1/editions/mga-2025-piloto/invitations', { json: { expiresInDays: 10 }, headers: { accept: 'text/csv' } });
    expect(res.status).to.equal(200);
    const csv = await res.text();
    const lines = csv.trim().split(/\r\n/);
    expect(lines).to.have.length(3);
    expect(csv).to.include(`"'=HYPERLINK(""x"")"`);
    const token = /\/responder\/(inv_[A-Za-z0-9_-]+)/.exec(csv)![1]!;
    const stored = await InvitationModel.find({}).lean();
    expect(stored.map((i) => i.tokenHash)).to.not.include(token);
    expect(JSON.stringify(stored)).to.not.include(token);

    const again = (await (await admin.request('POST', '/api/v1/editions/mga-2025-piloto/invitations', { json: { expiresInDays: 10 } })).json()) as { invitations: unknown[] };
    expect(again.invitations, 'institutions with an active link get none').to.have.length(0);

    const respondent = new Client(server.url);
    respondent.bearer = token;
    expect((await respondent.get('/api/v1/respondent/questionnaire')).status).to.equal(200);
    const list = (await (await admin.get('/api/v1/editions/mga-2025-piloto/invitations')).json()) as { items: { id: string; state: string }[] };
    const hash = tokenHash(token);
    const id = String((await InvitationModel.findOne({ tokenHash: hash }).lean())!._id);
    expect(list.items.find((i) => i.id === id)!.state).to.equal('active');
    expect((await admin.request('POST', `/api/v1/editions/mga-2025-piloto/invitations/${id}/revoke`)).status).to.equal(204);
    expect((await respondent.get('/api/v1/respondent/questionnaire')).status).to.equal(401);
  });

  it('evaluators and viewers cannot use admin operations', async () => {
    const evaluator = await loggedIn(server.url, 'evaluator', ['mga-2025-piloto']);
    expect((await evaluator.request('POST', '/api/v1/editions', { json: {} })).status).to.equal(403);
    expect((await evaluator.get('/api/v1/editions/mga-2025-piloto/invitations')).status).to.equal(403);
  });

  it('admins create accounts, assign editions and deactivate them; bad fields are named', async () => {
    const created = await admin.request('POST', '/api/v1/users', { json: { email: 'ana@example.org', name: 'Ana Evaluadora', role: 'evaluator', password: 'una contraseña larga' } });
    expect(created.status, await created.clone().text()).to.equal(201);
    const ana = (await created.json()) as { id: string; editions: string[]; passwordHash?: string };
    expect(ana.editions).to.deep.equal([]);
    expect(ana).to.not.have.property('passwordHash');
    expect((await admin.request('POST', '/api/v1/users', { json: { email: 'ANA@example.org', name: 'Otra', role: 'viewer', password: 'una contraseña larga' } })).status).to.equal(409);
    const bad = await admin.request('POST', '/api/v1/users', { json: { email: 'no-es-correo', name: 'X', role: { $ne: 'viewer' }, password: 'corta' } });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as Problem).errors!.map((e) => e.field)).to.include.members(['email', 'name', 'role', 'password']);

    const evaluator = new Client(server.url);
    await evaluator.apiLogin('ana@example.org', 'una contraseña larga');
    expect((await evaluator.get('/api/v1/editions/mga-2025-piloto/review')).status).to.equal(404);
    expect((await admin.request('PATCH', `/api/v1/users/${ana.id}`, { json: { editions: ['mga-2025-piloto'] } })).status).to.equal(200);
    expect((await evaluator.get('/api/v1/editions/mga-2025-piloto/review')).status).to.equal(200);

    const me = (await (await admin.get('/api/v1/auth/me')).json()) as { user?: { id: string }; id?: string };
    const myId = me.user?.id ?? me.id;
    expect((await admin.request('PATCH', `/api/v1/users/${myId}`, { json: { active: false } })).status).to.equal(409);
    expect((await admin.request('PATCH', `/api/v1/users/${ana.id}`, { json: { active: false } })).status).to.equal(200);
    expect((await evaluator.get('/api/v1/editions/mga-2025-piloto/review')).status).to.equal(401);
  });
});
