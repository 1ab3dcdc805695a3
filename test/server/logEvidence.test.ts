/**
 * Evidence files on the items of the citizen logs' rows (information requests, participation
 * proposals): attached by evaluators on the review page (multipart, no script) and through the API,
 * kept with their row by the row's key, shown and downloadable where the logs are read, refused with
 * the question and the row named, removed with their row.
 */
import { expect } from 'chai';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { ResponseModel } from '../../server/models/response.js';
import { AuditEntryModel } from '../../server/models/audit.js';
import { DEMO_CITIZEN_ANSWERS } from '../../questionnaires/demo-answers.js';

interface Problem {
  status: number;
  code?: string;
  detail?: string;
  message?: string;
  errors?: { field: string; reason: string; message?: string }[];
}
interface StoredFileJson {
  id: string;
  item: string;
  row?: string;
  name: string;
  contentType: string;
}

const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

async function pdf(text = 'Respuesta a la solicitud'): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setTitle(text);
  doc.addPage([200, 200]);
  return Buffer.concat([Buffer.from(await doc.save()), randomBytes(16)]);
}

type Rows = readonly Record<string, unknown>[];
const REQUESTS = DEMO_CITIZEN_ANSWERS.requests as Rows;

/** The logs' page form as a browser sends it: every row's fields ("requests[0][topic]"), other fields, then the files. */
function logsForm(fields: Record<string, string>, groups: Record<string, Rows>, files: { field: string; name: string; bytes: Buffer }[] = []): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const [group, rows] of Object.entries(groups)) {
    rows.forEach((row, index) => {
      for (const [child, value] of Object.entries(row)) for (const v of Array.isArray(value) ? value : [value]) form.append(`${group}[${index}][${child}]`, String(v));
    });
  }
  for (const file of files) form.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: 'application/pdf' }), file.name);
  return form;
}

/** One row of the logs' form on a page: from its legend to the next row (its questions have fieldsets of their own). */
function rowHtml(page: string, legend: string): string {
  const start = page.indexOf(`<legend>${legend}</legend>`);
  expect(start, legend).to.be.greaterThan(-1);
  const next = page.indexOf('class="q-row"', start);
  return page.slice(start, next < 0 ? undefined : next);
}

async function storedCounts() {
  const db = mongoose.connection.db!;
  return { files: await db.collection('evidence.files').countDocuments(), chunks: await db.collection('evidence.chunks').countDocuments() };
}

describe('evidence files on the citizen logs\' rows (review page and API, real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let zapopan: { id: string; token: string };
  let tonala: { id: string; token: string };
  let evaluator: Client;
  let reviewPath: string;
  let apiBase: string;

  const storedRows = async (institution: string, group = 'requests') => ((await ResponseModel.findOne({ institution, 'questionnaire.id': 'mga-2017-ciudadano' }).lean())?.answers as Record<string, Rows> | undefined)?.[group] ?? [];
  const filesOf = async (institution: string) =>
    mongoose.connection.db!.collection('evidence.files').find({ 'metadata.institution': new mongoose.Types.ObjectId(institution), 'metadata.committed': true }).toArray();

  /** Posts the logs' form of a page the evaluator just opened (its CSRF token). */
  async function postLogs(client: Client, path: string, fields: Record<string, string>, groups: Record<string, Rows>, files: { field: string; name: string; bytes: Buffer }[] = []) {
    await client.page(path);
    const form = logsForm({ _csrf: client.csrfToken!, ...fields }, groups, files);
    return client.request('POST', `${path}/bitacora`, { body: form, csrf: false, headers: { accept: 'text/html' } });
  }

  before(async () => {
    await useTestDatabase('log_evidence');
    server = await startTestServer();
    pilot = await createPilot('piloto-bitacora-archivos');
    const byName = (name: string) => pilot.institutions.find((i) => i.name === name)!;
    zapopan = byName('Municipio de Zapopan');
    tonala = byName('Municipio de Tonalá');
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    reviewPath = `/evaluacion/${pilot.editionId}/sujetos/${zapopan.id}`;
    apiBase = `/api/v1/editions/${pilot.editionId}/institutions/${zapopan.id}`;
  });
  after(() => server.close());

  it('the logs\' form sends files: a file field on each row item that asks for evidence, none on the others', async () => {
    const html = await evaluator.page(reviewPath);
    expect(html).to.match(/action="\/evaluacion\/[^"]+\/bitacora" enctype="multipart\/form-data"/);
    expect(html).to.include('name="archivo:requests[0].dateAnswered" type="file"').and.include('name="archivo:requests[0].delivered" type="file"');
    expect(html).to.include('name="archivo:proposals[0].receiptAcknowledged" type="file"').and.include('name="archivo:proposals[0].dateResponse" type="file"');
    expect(html).to.not.include('name="archivo:requests[0].topic"');
  });

  it('a page post (no script) saves the rows and a file for a row\'s item; the file keeps the row\'s key, shows in its row with a download link, and downloads for the evaluator', async () => {
    const bytes = await pdf();
    const res = await postLogs(evaluator, reviewPath, { action: 'save' }, { requests: REQUESTS.slice(0, 2) }, [
      { field: 'archivo:requests[1].dateAnswered', name: 'Respuesta solicitud 00123516.pdf', bytes },
      // File inputs left empty, as browsers send them.
      { field: 'archivo:requests[0].dateAnswered', name: '', bytes: Buffer.alloc(0) },
      { field: 'archivo:requests[2].delivered', name: '', bytes: Buffer.alloc(0) },
    ]);
    expect(res.status, (await res.clone().text()).slice(0, 2000)).to.equal(303);
    const rows = await storedRows(zapopan.id);
    expect(rows).to.have.length(2);
    const keys = rows.map((r) => r._key as string);
    expect(keys[0]).to.match(/^[A-Za-z0-9_-]{12}$/);
    expect(keys[1]).to.match(/^[A-Za-z0-9_-]{12}$/).and.not.equal(keys[0]);
    const [file] = await filesOf(zapopan.id);
    expect(file!.metadata).to.include({ item: 'requests.dateAnswered', row: keys[1], contentType: 'application/pdf', committed: true });

    const page = await evaluator.page(reviewPath);
    expect(page).to.include('Se adjuntó 1 archivo.');
    // In the second row's fieldset, beside its question, with a link to the download route.
    const secondRow = rowHtml(page, 'Solicitud 2');
    expect(secondRow).to.include(`href="/api/v1/editions/${pilot.editionId}/institutions/${zapopan.id}/evidence/${String(file!._id)}"`).and.include('Respuesta solicitud 00123516.pdf');
    expect(secondRow).to.include(`name="requests[1][_key]" value="${keys[1]}"`);
    const firstRow = rowHtml(page, 'Solicitud 1');
    expect(firstRow).to.not.include('Respuesta solicitud 00123516.pdf');

    const download = await evaluator.get(`${apiBase}/evidence/${String(file!._id)}`);
    expect(download.status).to.equal(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).to.equal(true);
    const audit = await AuditEntryModel.find({ action: 'evidence.attach', institution: new mongoose.Types.ObjectId(zapopan.id) }).lean();
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ itemLabel: 'Fecha de la respuesta (Solicitud 2)', newValue: 'Respuesta solicitud 00123516.pdf', subject: `requests[${keys[1]}].dateAnswered` });
  });

  it('the API attaches a file to a row by its key (201 with item and row); readers of the edition download it, nobody else', async () => {
    const review = await json<{ logs: { answers: { requests: { _key: string }[] } } }>(await evaluator.get(`${apiBase}/review`));
    const key = review.logs.answers.requests[0]!._key;
    const form = new FormData();
    form.append('item', 'requests.delivered');
    form.append('row', key);
    form.append('archivo', new Blob([new Uint8Array(await pdf('Información entregada'))]), 'entrega.pdf');
    const res = await evaluator.request('POST', `${apiBase}/citizen-logs/evidence`, { body: form });
    expect(res.status, await res.clone().text()).to.equal(201);
    const stored = await json<StoredFileJson>(res);
    expect(stored).to.include({ item: 'requests.delivered', row: key, name: 'entrega.pdf', contentType: 'application/pdf' });
    const url = `${apiBase}/evidence/${stored.id}`;

    const admin = await loggedIn(server.url, 'admin');
    const viewer = await loggedIn(server.url, 'viewer', [pilot.editionId]);
    for (const [who, client] of [['evaluator', evaluator], ['admin', admin], ['viewer', viewer]] as const) expect((await client.get(url)).status, who).to.equal(200);
    expect((await new Client(server.url).get(url)).status).to.equal(401);
    const respondentClient = Object.assign(new Client(server.url), { bearer: zapopan.token });
    expect((await respondentClient.get(url)).status).to.equal(403);
    // The respondent never sees the evaluators' files of the logs.
    const own = await json<{ files: StoredFileJson[] }>(await respondentClient.get('/api/v1/respondent/evidence'));
    expect(own.files.map((f) => f.id)).to.not.include(stored.id);
    expect((await respondentClient.request('DELETE', `/api/v1/respondent/evidence/${stored.id}`)).status).to.equal(404);
    const otherEdition = await loggedIn(server.url, 'evaluator', ['otra-edicion']);
    expect([403, 404]).to.include((await otherEdition.get(url)).status);
    // An evaluator of the edition not assigned to this institution.
    const unassigned = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    expect((await unassigned.get(url)).status).to.equal(403);
    // The review page shows it in the first row, and viewers read it with its link.
    const readOnly = await viewer.page(reviewPath);
    expect(readOnly).to.include('entrega.pdf').and.include(`href="${url}"`);
  });

  it('others cannot attach: 401 without credentials, 403 for a respondent or an unassigned evaluator, 404 for a viewer; nothing written', async () => {
    const before = await storedCounts();
    const key = ((await storedRows(zapopan.id))[0]!._key as string);
    const form = async () => {
      const f = new FormData();
      f.append('item', 'requests.delivered');
      f.append('row', key);
      f.append('archivo', new Blob([new Uint8Array(await pdf())]), 'a.pdf');
      return f;
    };
    expect((await new Client(server.url).request('POST', `${apiBase}/citizen-logs/evidence`, { body: await form() })).status).to.equal(401);
    const respondentClient = Object.assign(new Client(server.url), { bearer: zapopan.token });
    expect((await respondentClient.request('POST', `${apiBase}/citizen-logs/evidence`, { body: await form() })).status).to.equal(403);
    const unassigned = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    expect((await unassigned.request('POST', `${apiBase}/citizen-logs/evidence`, { body: await form() })).status).to.equal(403);
    const viewer = await loggedIn(server.url, 'viewer', [pilot.editionId]);
    expect((await viewer.request('POST', `${apiBase}/citizen-logs/evidence`, { body: await form() })).status).to.equal(404);
    expect(await storedCounts()).to.deep.equal(before);
  });

  it('a file of another type is refused naming the question and the row, on the page and in the API; nothing of the post is stored', async () => {
    const before = await storedCounts();
    const answersBefore = await storedRows(zapopan.id);
    const keys = answersBefore.map((r) => r._key as string);
    const text = Buffer.from('Esto es texto plano, no un PDF.\n'.repeat(20));
    const changed = [{ _key: keys[0], ...REQUESTS[0], folio: 'CAMBIADO' }, { _key: keys[1], ...REQUESTS[1] }];
    const res = await postLogs(evaluator, reviewPath, { action: 'save' }, { requests: changed }, [{ field: 'archivo:requests[1].dateAnswered', name: 'respuesta.txt', bytes: text }]);
    expect(res.status).to.equal(400);
    const html = await res.text();
    expect(html).to.include('El archivo «respuesta.txt» para «Fecha de la respuesta» (Solicitud 2) no es de un tipo aceptado');
    expect(html).to.include('href="#f-requests-1--dateAnswered-archivo"').and.include('No se guardó nada');
    expect(html).to.not.include('requests.dateAnswered');
    expect(await storedCounts()).to.deep.equal(before);
    expect(await storedRows(zapopan.id)).to.deep.equal(answersBefore);

    const form = new FormData();
    form.append('item', 'requests.dateAnswered');
    form.append('row', keys[1]!);
    form.append('archivo', new Blob([new Uint8Array(text)], { type: 'application/pdf' }), 'respuesta.pdf');
    const api = await evaluator.request('POST', `${apiBase}/citizen-logs/evidence`, { body: form });
    expect(api.status).to.equal(415);
    const problem = await json<Problem>(api);
    expect(problem.code).to.equal('evidence_type_not_allowed');
    expect(problem.detail).to.match(/^[\x20-\x7e]+$/);
    // The Spanish words ride with the field error, for clients that show them.
    expect(problem.errors![0]!.message).to.include('«Fecha de la respuesta» (Solicitud 2)').and.include('no es de un tipo aceptado');
    expect(await storedCounts()).to.deep.equal(before);
  });

  it('a file for a row that does not exist is refused: an empty new row on the page, an unknown key in the API; nothing stored', async () => {
    const before = await storedCounts();
    const answersBefore = await storedRows(zapopan.id);
    const rows = answersBefore.map((r) => ({ ...r }));
    const page = await postLogs(evaluator, reviewPath, { action: 'save' }, { requests: rows }, [{ field: `archivo:requests[${rows.length}].dateAnswered`, name: 'huerfano.pdf', bytes: await pdf() }]);
    expect(page.status).to.equal(400);
    expect(await page.text()).to.include(`El archivo «huerfano.pdf» es para «Fecha de la respuesta» (Solicitud ${rows.length + 1}), pero esa fila no tiene respuestas`);
    const form = new FormData();
    form.append('item', 'requests.dateAnswered');
    form.append('row', 'no-existe');
    form.append('archivo', new Blob([new Uint8Array(await pdf())]), 'a.pdf');
    const api = await evaluator.request('POST', `${apiBase}/citizen-logs/evidence`, { body: form });
    expect(api.status).to.equal(404);
    expect((await json<Problem>(api)).code).to.equal('evidence_unknown_row');
    expect(await storedCounts()).to.deep.equal(before);
    expect(await storedRows(zapopan.id)).to.deep.equal(answersBefore);
  });

  it('removing a row on the page removes its files (audited); the files of the rows after it stay with their rows', async () => {
    const page = await evaluator.page(reviewPath);
    expect(page).to.include('Quitar Solicitud 1 al guardar, con sus archivos de evidencia');
    const rows = await storedRows(zapopan.id);
    const keys = rows.map((r) => r._key as string);
    const firstRowFiles = (await filesOf(zapopan.id)).filter((f) => f.metadata!.row === keys[0]);
    expect(firstRowFiles).to.have.length(1);
    const res = await postLogs(evaluator, reviewPath, { action: 'save', 'requests[0][_quitar]': 'si' }, { requests: rows });
    expect(res.status, (await res.clone().text()).slice(0, 2000)).to.equal(303);
    const after = await storedRows(zapopan.id);
    expect(after.map((r) => r._key)).to.deep.equal([keys[1]]);
    const files = await filesOf(zapopan.id);
    expect(files.map((f) => f.metadata!.row)).to.deep.equal([keys[1]]);
    const gone = String(firstRowFiles[0]!._id);
    expect(await mongoose.connection.db!.collection('evidence.chunks').countDocuments({ files_id: firstRowFiles[0]!._id })).to.equal(0);
    expect(await mongoose.connection.db!.collection('evidence.files').countDocuments({ _id: firstRowFiles[0]!._id })).to.equal(0);
    const removal = await AuditEntryModel.findOne({ action: 'evidence.remove', summary: new RegExp(gone) }).lean();
    expect(removal).to.include({ itemLabel: '¿Se entregó la información solicitada? (Solicitud 1)', oldValue: 'entrega.pdf', subject: `requests[${keys[0]}].delivered` });
    // The remaining file now shows in «Solicitud 1», the row it always belonged to.
    const reloaded = await evaluator.page(reviewPath);
    const firstRow = rowHtml(reloaded, 'Solicitud 1');
    expect(firstRow).to.include('Respuesta solicitud 00123516.pdf').and.not.include('entrega.pdf');
  });

  it('the API: a PUT of the logs without a row removes that row\'s files; «Quitar» on a file removes only it', async () => {
    const rows = [...(await storedRows(zapopan.id)), { ...REQUESTS[2] }];
    const put = await evaluator.request('PUT', `${apiBase}/citizen-logs`, { json: { answers: { requests: rows } } });
    expect(put.status, await put.clone().text()).to.equal(200);
    const keys = (await storedRows(zapopan.id)).map((r) => r._key as string);
    expect(keys).to.have.length(2);
    const form = new FormData();
    form.append('item', 'requests.delivered');
    form.append('row', keys[1]!);
    form.append('archivo', new Blob([new Uint8Array(await pdf())]), 'inexistencia.pdf');
    const added = await json<StoredFileJson>(await evaluator.request('POST', `${apiBase}/citizen-logs/evidence`, { body: form }));
    expect(added.row).to.equal(keys[1]);

    // One file removed by itself.
    const first = (await filesOf(zapopan.id)).find((f) => f.metadata!.row === keys[0])!;
    expect((await evaluator.request('DELETE', `${apiBase}/citizen-logs/evidence/${String(first._id)}`)).status).to.equal(204);
    expect((await evaluator.request('DELETE', `${apiBase}/citizen-logs/evidence/${String(first._id)}`)).status).to.equal(404);
    expect((await filesOf(zapopan.id)).map((f) => f.metadata!.row)).to.deep.equal([keys[1]]);

    // The second row dropped from the answers: its file goes with it.
    const keep = (await storedRows(zapopan.id)).slice(0, 1);
    const dropped = await evaluator.request('PUT', `${apiBase}/citizen-logs`, { json: { answers: { requests: keep } } });
    expect(dropped.status).to.equal(200);
    expect(await filesOf(zapopan.id)).to.have.length(0);
    expect(await mongoose.connection.db!.collection('evidence.files').countDocuments({ _id: new mongoose.Types.ObjectId(added.id) })).to.equal(0);
    const audit = await AuditEntryModel.find({ action: 'evidence.remove', institution: new mongoose.Types.ObjectId(zapopan.id) }).lean();
    expect(audit.map((e) => e.oldValue)).to.include.members(['entrega.pdf', 'Respuesta solicitud 00123516.pdf', 'inexistencia.pdf']);
  });

  it('files of another institution\'s rows are not this institution\'s (404 on its download route)', async () => {
    const put = await evaluator.request('PUT', `/api/v1/editions/${pilot.editionId}/institutions/${tonala.id}/citizen-logs`, { json: { answers: { requests: REQUESTS.slice(0, 1) } } });
    expect(put.status).to.equal(200);
    const key = (await storedRows(tonala.id))[0]!._key as string;
    const form = new FormData();
    form.append('item', 'requests.dateAnswered');
    form.append('row', key);
    form.append('archivo', new Blob([new Uint8Array(await pdf())]), 'tonala.pdf');
    const added = await json<StoredFileJson>(await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${tonala.id}/citizen-logs/evidence`, { body: form }));
    expect((await evaluator.get(`${apiBase}/evidence/${added.id}`)).status).to.equal(404);
    expect((await evaluator.get(`/api/v1/editions/${pilot.editionId}/institutions/${tonala.id}/evidence/${added.id}`)).status).to.equal(200);
  });

  it('«Quitar» beside a row\'s file on the page removes that file and leaves complete logs complete', async () => {
    const logs = `/api/v1/editions/${pilot.editionId}/institutions/${tonala.id}/citizen-logs`;
    const rows = await storedRows(tonala.id);
    const complete = await evaluator.request('PUT', logs, { json: { answers: { ...DEMO_CITIZEN_ANSWERS, requests: [rows[0], ...REQUESTS.slice(1)] }, complete: true } });
    expect(complete.status, await complete.clone().text()).to.equal(200);
    const path = `/evaluacion/${pilot.editionId}/sujetos/${tonala.id}`;
    const html = await evaluator.page(path);
    const [file] = await filesOf(tonala.id);
    expect(rowHtml(html, 'Solicitud 1')).to.include(`name="quitarArchivo" value="${String(file!._id)}"`);
    const stored = { requests: await storedRows(tonala.id), proposals: await storedRows(tonala.id, 'proposals') };
    const res = await postLogs(evaluator, path, { quitarArchivo: String(file!._id) }, stored);
    expect(res.status, (await res.clone().text()).slice(0, 2000)).to.equal(303);
    expect(await filesOf(tonala.id)).to.have.length(0);
    const after = await evaluator.page(path);
    expect(after).to.include('Se quitó el archivo «tonala.pdf»');
    expect(/data-testid="estado-bitacora">([^<]+)</.exec(after)![1]).to.equal('Completa');
  });
});
