/**
 * Text hygiene: lone surrogates, control characters and bytes that are not UTF-8 are refused in
 * any text input, naming the field; nothing is silently changed or stored.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn } from '../../setup/client.js';
import { createPilot, type Pilot } from '../../setup/pilot.js';
import { apiRespondent, json, pageRespondent, pageText, stored, type Problem } from '../../setup/workflow.js';
import { UserModel } from '../../../server/models/user.js';
import mongoose from 'mongoose';

describe('workflow: text hygiene (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;

  before(async () => {
    await useTestDatabase('workflow_hygiene');
    server = await startTestServer();
    pilot = await createPilot('piloto-texto');
  });
  after(() => server.close());

  it('a lone UTF-16 surrogate in an answer is refused naming the field, not stored as U+FFFD', async () => {
    const inst = pilot.institutions[0]!;
    // JSON.stringify escapes the lone surrogate as \ud83d, which JSON.parse turns back into one.
    const res = await apiRespondent(server.url, inst.token).request('PUT', '/api/v1/respondent/answers', { json: { answers: { aiUnit: 'yes', generalComments: 'Bien \ud83d hecho' } } });
    expect(res.status).to.equal(400);
    const problem = await json<Problem>(res);
    expect(problem.code).to.equal('text_lone_surrogate');
    expect(problem.errors![0]!.field).to.equal('answers.generalComments');
    expect(problem.detail).to.include('answers.generalComments');
    expect(await stored(inst.id)).to.equal(null);
  });

  it('control characters are refused in answers, reasons and admin fields alike', async () => {
    const inst = pilot.institutions[0]!;
    const vt = await apiRespondent(server.url, inst.token).request('PUT', '/api/v1/respondent/answers', { json: { answers: { generalComments: 'línea\u000bvertical' } } });
    expect(vt.status).to.equal(400);
    expect((await json<Problem>(vt)).code).to.equal('text_control_character');
    const admin = await loggedIn(server.url, 'admin');
    const account = await admin.request('POST', '/api/v1/users', { json: { email: 'a@example.org', name: 'Ana\u0007', role: 'viewer', password: 'una contraseña larga', editions: [] } });
    expect(account.status).to.equal(400);
    expect((await json<Problem>(account)).errors![0]!.field).to.equal('name');
    expect(await UserModel.countDocuments({ email: 'a@example.org' })).to.equal(0);
    const query = await admin.get(`/api/v1/editions/${pilot.editionId}/review?estado=%01`);
    expect(query.status).to.equal(400);
  });

  it('a form with bytes that are not UTF-8 is refused with a page that names the field; a valid pair (emoji) is kept as is', async () => {
    const inst = pilot.institutions[1]!;
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const body = `_csrf=${encodeURIComponent(client.csrfToken!)}&baseRevision=${revision}&action=save&generalComments=%ED%A0%BD`;
    const res = await client.request('POST', '/responder', { body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } });
    expect(res.status).to.equal(400);
    expect(pageText(await res.text())).to.include('El campo «Comentarios u observaciones sobre las respuestas» no es texto válido').and.not.include('generalComments');
    expect(await stored(inst.id)).to.equal(null);
    const ok = await client.request('POST', '/responder', { form: { generalComments: 'Muy bien 👍 ñandú', action: 'save', baseRevision: String(revision) }, headers: { accept: 'text/html' } });
    expect(ok.status).to.equal(303);
    expect((await stored(inst.id))!.answers).to.deep.equal({ generalComments: 'Muy bien 👍 ñandú' });
  });

  it('a JSON body that is not UTF-8 is refused, not decoded with replacement characters', async () => {
    const inst = pilot.institutions[2]!;
    const raw = Buffer.concat([Buffer.from('{"answers":{"generalComments":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    const res = await apiRespondent(server.url, inst.token).request('PUT', '/api/v1/respondent/answers', { body: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(400);
    expect((await json<Problem>(res)).code).to.equal('text_not_utf8');
    expect(await stored(inst.id)).to.equal(null);
  });

  it('multipart forms (answers with evidence files) get the same check: refused naming the question, no answer and no file kept', async () => {
    const pdf = new Uint8Array(Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'));
    const files = () => mongoose.connection.db!.collection('evidence.files').countDocuments();
    const before = await files();
    const inst = pilot.institutions[2]!;
    const api = new FormData();
    api.append('item', 'aiUnit');
    api.append('note', 'acuerdo\u0007');
    api.append('archivo', new Blob([pdf], { type: 'application/pdf' }), 'acuerdo.pdf');
    const refused = await apiRespondent(server.url, inst.token).request('POST', '/api/v1/respondent/evidence', { body: api });
    expect(refused.status).to.equal(400);
    expect((await json<Problem>(refused)).code).to.equal('text_control_character');
    const { client, revision } = await pageRespondent(server.url, inst.token);
    const page = new FormData();
    page.append('_csrf', client.csrfToken!);
    page.append('baseRevision', String(revision));
    page.append('action', 'save');
    page.append('generalComments', 'línea\u000bvertical');
    page.append('archivo:aiUnit', new Blob([pdf], { type: 'application/pdf' }), 'acuerdo.pdf');
    const res = await client.request('POST', '/responder', { body: page, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(400);
    const text = pageText(await res.text());
    expect(text).to.include('El campo «Comentarios u observaciones sobre las respuestas» contiene un carácter de control').and.not.include('generalComments');
    expect(await stored(inst.id)).to.equal(null);
    expect(await files()).to.equal(before);
  });
});
