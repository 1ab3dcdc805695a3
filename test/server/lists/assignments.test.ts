import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { Client, TEST_PASSWORD, loggedIn, makeUser } from '../../setup/client.js';
import { createPilot, type Pilot } from '../../setup/pilot.js';
import { UserModel } from '../../../server/models/user.js';
import { AssignmentModel } from '../../../server/models/assignment.js';
import { AuditEntryModel } from '../../../server/models/audit.js';

interface Problem {
  status: number;
  errors: { field: string; row?: number; reason: string }[];
}

describe('assignments: evaluators see and act only on their institutions (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let admin: Client;
  let viewer: Client;
  let evaluatorA: Client;
  let evaluatorB: Client;
  let idA: string;
  let idB: string;
  let emailA: string;
  let zapopan: string;
  let tonala: string;
  let leon: string;
  const assignments = (body: unknown, path = '') => admin.request('POST', `/api/v1/editions/${pilot.editionId}/assignments${path}`, { json: body });

  before(async () => {
    await useTestDatabase('lists_assignments');
    server = await startTestServer();
    pilot = await createPilot();
    const idOf = (name: string) => pilot.institutions.find((i) => i.name === name)!.id;
    [zapopan, tonala, leon] = [idOf('Municipio de Zapopan'), idOf('Municipio de Tonalá'), idOf('Municipio de León')];
    admin = await loggedIn(server.url, 'admin');
    viewer = await loggedIn(server.url, 'viewer', [pilot.editionId]);
    const a = await makeUser('evaluator', [pilot.editionId]);
    const b = await makeUser('evaluator', []);
    emailA = a.email;
    idA = String((await UserModel.findOne({ email: a.email }).lean())!._id);
    idB = String((await UserModel.findOne({ email: b.email }).lean())!._id);
    evaluatorA = new Client(server.url);
    await evaluatorA.apiLogin(a.email, TEST_PASSWORD);
    evaluatorB = new Client(server.url);
    await evaluatorB.apiLogin(b.email, TEST_PASSWORD);
  });
  after(() => server.close());

  it('assigns one institution by id and a whole entity, keeping pairs that already exist, and records each in the audit trail', async () => {
    const one = await assignments({ evaluatorId: idA, institutionIds: [zapopan] });
    expect(one.status, await one.clone().text()).to.equal(200);
    expect(await one.json()).to.deep.include({ institutions: 1, changed: 1 });
    const again = await assignments({ evaluatorId: idA, institutionIds: [zapopan] });
    expect(await again.json()).to.deep.include({ institutions: 1, changed: 0 });
    const entity = await assignments({ evaluatorId: idB, entity: 'guanajuato' });
    expect(await entity.json()).to.deep.include({ institutions: 1, changed: 1 });
    expect(await AssignmentModel.countDocuments({ edition: pilot.editionId })).to.equal(2);
    // Evaluator B had no edition: assigning gives it.
    expect((await UserModel.findById(idB).lean())!.editions).to.include(pilot.editionId);
    const audited = await AuditEntryModel.find({ edition: pilot.editionId, action: 'assignment.add' }).lean();
    expect(audited.map((e) => String(e.institution)).sort()).to.deep.equal([zapopan, leon].sort());
    expect(audited[0]!.actor.role).to.equal('admin');
  });

  it('an unassigned evaluator gets 403 on another institution: its review, answers, audit trail and every action', async () => {
    expect((await evaluatorA.get(`/api/v1/editions/${pilot.editionId}/institutions/${zapopan}/review`)).status).to.equal(200);
    for (const [method, path] of [
      ['GET', `/api/v1/editions/${pilot.editionId}/institutions/${leon}/review`],
      ['GET', `/evaluacion/${pilot.editionId}/sujetos/${leon}`],
      ['POST', `/api/v1/editions/${pilot.editionId}/institutions/${leon}/approve`],
      ['POST', `/api/v1/editions/${pilot.editionId}/institutions/${leon}/return`],
      ['PUT', `/api/v1/editions/${pilot.editionId}/institutions/${leon}/citizen-logs`],
    ] as const) {
      const res = await evaluatorA.request(method, path, { ...(method === 'GET' ? {} : { json: method === 'PUT' ? { answers: {} } : { comments: [{ item: 'aiUnit', comment: 'x' }] } }), headers: { accept: 'application/json' } });
      expect(res.status, `${method} ${path}`).to.equal(403);
    }
    expect((await evaluatorB.get(`/api/v1/editions/${pilot.editionId}/institutions/${zapopan}/review`)).status).to.equal(403);
    expect((await evaluatorB.get(`/api/v1/editions/${pilot.editionId}/institutions/${leon}/review`)).status).to.equal(200);
  });

  it('the queue of an evaluator holds only its institutions; admins and viewers see all', async () => {
    const mine = (await (await evaluatorA.get(`/api/v1/editions/${pilot.editionId}/review`)).json()) as { total: number; items: { id: string }[]; dashboard: { total: number } };
    expect(mine.total).to.equal(1);
    expect(mine.items.map((i) => i.id)).to.deep.equal([zapopan]);
    expect(mine.dashboard.total).to.equal(1);
    const all = (await (await viewer.get(`/api/v1/editions/${pilot.editionId}/review`)).json()) as { total: number };
    expect(all.total).to.equal(3);
    expect((await viewer.get(`/api/v1/editions/${pilot.editionId}/institutions/${leon}/review`)).status).to.equal(200);
    const unassigned = (await (await admin.get(`/api/v1/editions/${pilot.editionId}/review?assignee=none`)).json()) as { items: { id: string }[] };
    expect(unassigned.items.map((i) => i.id)).to.deep.equal([tonala]);
    const ofA = (await (await admin.get(`/api/v1/editions/${pilot.editionId}/review?assignee=${idA}`)).json()) as { items: { id: string; assignees: { id: string }[] }[] };
    expect(ofA.items.map((i) => i.id)).to.deep.equal([zapopan]);
    expect(ofA.items[0]!.assignees.map((a) => a.id)).to.deep.equal([idA]);
  });

  it('refuses bad requests naming the field, and assigns nothing', async () => {
    const viewerId = String((await UserModel.findOne({ role: 'viewer' }).lean())!._id);
    for (const [body, field] of [
      [{ evaluatorId: viewerId, institutionIds: [tonala] }, 'evaluatorId'],
      [{ evaluatorId: 'f'.repeat(24), institutionIds: [tonala] }, 'evaluatorId'],
      [{ evaluatorId: idA, institutionIds: [tonala], entity: 'Jalisco' }, 'entity'],
      [{ evaluatorId: idA }, 'institutionIds'],
      [{ evaluatorId: idA, institutionIds: [tonala, 'a'.repeat(24)] }, 'institutionIds[1]'],
      [{ evaluatorId: idA, entity: 'Texas' }, 'entity'],
      [{ evaluatorId: idA, entity: 'Yucatán' }, 'entity'],
      [{ evaluatorId: idA, institutionIds: [tonala], extra: 1 }, 'extra'],
    ] as const) {
      const res = await assignments(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(((await res.json()) as Problem).errors.map((e) => e.field), JSON.stringify(body)).to.include(field);
    }
    expect(await AssignmentModel.countDocuments({ edition: pilot.editionId })).to.equal(2);
    expect((await evaluatorA.request('POST', `/api/v1/editions/${pilot.editionId}/assignments`, { json: { evaluatorId: idA, institutionIds: [tonala] } })).status).to.equal(403);
  });

  it('assigns from a CSV file all or nothing, naming row and column', async () => {
    const bad = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/assignments/import`, {
      body: `evaluador,sujeto_obligado,entidad\n${emailA},Municipio de Tonalá,Jalisco\nnadie@example.org,Municipio de León,Guanajuato\n${emailA},Municipio de Nada,Jalisco\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.status).to.equal(400);
    const problem = (await bad.json()) as Problem;
    expect(problem.errors.map((e) => [e.row, e.field])).to.deep.equal([[3, 'evaluador'], [4, 'sujeto_obligado']]);
    expect(await AssignmentModel.countDocuments({ edition: pilot.editionId })).to.equal(2);
    const ok = await admin.request('POST', `/api/v1/editions/${pilot.editionId}/assignments/import`, { body: `evaluador,institution_id\n${emailA.toUpperCase()},${tonala}\n${emailA},${zapopan}\n`, headers: { 'content-type': 'text/csv' } });
    expect(ok.status, await ok.clone().text()).to.equal(200);
    expect(await ok.json()).to.deep.equal({ rows: 2, changed: 1 });
    expect((await evaluatorA.get(`/api/v1/editions/${pilot.editionId}/institutions/${tonala}/review`)).status).to.equal(200);
  });

  it('lists assignments a page at a time and as CSV; removing one takes the access away, audited', async () => {
    const list = (await (await admin.get(`/api/v1/editions/${pilot.editionId}/assignments?evaluator=${idA}&sort=name`)).json()) as { total: number; items: { institution: { name: string } }[] };
    expect(list.total).to.equal(2);
    expect(list.items.map((i) => i.institution.name)).to.deep.equal(['Municipio de Tonalá', 'Municipio de Zapopan']);
    const csv = await (await admin.get(`/api/v1/editions/${pilot.editionId}/assignments?format=csv`)).text();
    expect(csv.trim().split('\r\n')).to.have.length(4);
    const removed = await assignments({ evaluatorId: idA, institutionIds: [tonala] }, '/remove');
    expect(await removed.json()).to.deep.include({ changed: 1 });
    expect((await evaluatorA.get(`/api/v1/editions/${pilot.editionId}/institutions/${tonala}/review`)).status).to.equal(403);
    expect(await AuditEntryModel.countDocuments({ edition: pilot.editionId, action: 'assignment.remove', institution: tonala })).to.equal(1);
  });

  it('the page assigns a whole entity and removes one assignment without JavaScript', async () => {
    const html = await admin.page(`/admin/ediciones/${pilot.editionId}/asignaciones`);
    expect(html).to.include('Asignación de evaluadores');
    const byEntity = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/asignaciones`, { form: { modo: 'entidad', evaluatorId: idA, entity: 'Jalisco', volver: '' } });
    expect(byEntity.status).to.equal(303);
    const after = await admin.page(`/admin/ediciones/${pilot.editionId}/asignaciones?entity=Jalisco`);
    expect(after).to.match(/2 sujetos obligados asignados|1 sujeto obligado asignado/);
    const missing = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/asignaciones`, { form: { modo: 'sujetos', evaluatorId: '', volver: '' }, headers: { accept: 'text/html' } });
    expect(missing.status).to.equal(400);
    expect(await missing.text()).to.include('Evaluador: elija a quién asignar');
    const remove = await admin.request('POST', `/admin/ediciones/${pilot.editionId}/asignaciones/quitar`, { form: { quitar: `${idA}:${zapopan}`, volver: '?entity=Jalisco' } });
    expect(remove.status).to.equal(303);
    expect(remove.headers.get('location')).to.equal(`/admin/ediciones/${pilot.editionId}/asignaciones?entity=Jalisco`);
    expect(await AssignmentModel.exists({ edition: pilot.editionId, evaluator: idA, institution: zapopan })).to.equal(null);
  });
});
