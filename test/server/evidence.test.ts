import { expect } from 'chai';
import mongoose from 'mongoose';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import ExcelJS from 'exceljs';
import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { ResponseModel } from '../../server/models/response.js';
import { AuditEntryModel } from '../../server/models/audit.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';

interface Problem {
  status: number;
  code?: string;
  detail?: string;
}

const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

/** A real PDF, followed by `extra` random bytes (readers ignore what follows %%EOF). */
async function pdf(text = 'Acuerdo de creación', extra = 0): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setTitle(text);
  doc.addPage([200, 200]);
  return Buffer.concat([Buffer.from(await doc.save()), randomBytes(extra)]);
}

async function xlsx(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('Personal').addRow(['Nombre', 'Cargo']);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** A multipart body: fields in order, then the file in "archivo" (or the named field). */
function multipart(fields: Record<string, string>, file?: { field?: string; name: string; bytes: Buffer; type?: string }, fileFirst = false): FormData {
  const form = new FormData();
  const addFile = () => file && form.append(file.field ?? 'archivo', new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'application/octet-stream' }), file.name);
  if (fileFirst) addFile();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (!fileFirst) addFile();
  return form;
}

async function storedCounts() {
  const db = mongoose.connection.db!;
  return { files: await db.collection('evidence.files').countDocuments(), chunks: await db.collection('evidence.chunks').countDocuments() };
}

describe('evidence files: upload, limits, sniffed types, download rights (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  let leon: { id: string; token: string };
  const respondent = (token: string) => Object.assign(new Client(server.url), { bearer: token });
  const upload = (token: string, form: FormData) => respondent(token).request('POST', '/api/v1/respondent/evidence', { body: form });
  const savedMaxMb = process.env.MGA_EVIDENCE_MAX_MB;

  before(async () => {
    process.env.MGA_EVIDENCE_MAX_MB = '0.05'; // 51,200 bytes: small files reach the limit
    await useTestDatabase('evidence');
    server = await startTestServer();
    pilot = await createPilot();
    const byName = (name: string) => pilot.institutions.find((i) => i.name === name)!;
    a = byName('Municipio de Zapopan');
    b = byName('Municipio de Tonalá');
    leon = byName('Municipio de León');
  });
  after(async () => {
    if (savedMaxMb === undefined) delete process.env.MGA_EVIDENCE_MAX_MB;
    else process.env.MGA_EVIDENCE_MAX_MB = savedMaxMb;
    await server.close();
  });

  it('stores a PDF for an item that asks for evidence (201 { id }) and lists it; the declared name and type are not trusted', async () => {
    const bytes = await pdf();
    const res = await upload(a.token, multipart({ item: 'aiUnit' }, { name: '../../acuerdo creación.exe', bytes, type: 'text/plain' }));
    expect(res.status, await res.clone().text()).to.equal(201);
    const body = await json<{ id: string; item: string; name: string; size: number; contentType: string }>(res);
    expect(body.id).to.match(/^[0-9a-f]{24}$/);
    expect(body).to.include({ item: 'aiUnit', name: 'acuerdo creación.pdf', size: bytes.length, contentType: 'application/pdf' });
    const listed = await json<{ files: { id: string }[] }>(await respondent(a.token).get('/api/v1/respondent/evidence'));
    expect(listed.files.map((f) => f.id)).to.deep.equal([body.id]);
    // Another institution does not see it.
    expect((await json<{ files: unknown[] }>(await respondent(b.token).get('/api/v1/respondent/evidence'))).files).to.have.length(0);
  });

  it('accepts an Excel workbook by its content, with the item sent after the file', async () => {
    const res = await upload(a.token, multipart({ item: 'trObligations' }, { name: 'plantilla', bytes: await xlsx() }, true));
    expect(res.status, await res.clone().text()).to.equal(201);
    expect(await json(res)).to.include({ contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', name: 'plantilla.xlsx' });
  });

  const refusals: [string, () => Promise<FormData>, number, string][] = [
    ['text dressed as a PDF', async () => multipart({ item: 'aiUnit' }, { name: 'acuerdo.pdf', bytes: Buffer.from('%PDX no es un PDF\n'.repeat(20)), type: 'application/pdf' }), 415, 'evidence_type_not_allowed'],
    ['an HTML page', async () => multipart({ item: 'aiUnit' }, { name: 'acuerdo.pdf', bytes: Buffer.from('<!doctype html><html><script>alert(1)</script></html>'), type: 'application/pdf' }), 415, 'evidence_type_not_allowed'],
    ['a file over the limit', async () => multipart({ item: 'aiUnit' }, { name: 'grande.pdf', bytes: await pdf('grande', 60_000) }), 413, 'evidence_too_large'],
    ['a file far over the limit (cut off by the parser)', async () => multipart({ item: 'aiUnit' }, { name: 'enorme.pdf', bytes: await pdf('enorme', 400_000) }), 413, 'evidence_too_large'],
    ['an unknown item', async () => multipart({ item: 'noSuchItem' }, { name: 'a.pdf', bytes: await pdf() }), 400, 'evidence_unknown_item'],
    ['an item that asks for no evidence', async () => multipart({ item: 'aiStaffCount' }, { name: 'a.pdf', bytes: await pdf() }), 400, 'evidence_unknown_item'],
    ['no item at all', async () => multipart({}, { name: 'a.pdf', bytes: await pdf() }), 400, 'evidence_unknown_item'],
    ['no file', async () => multipart({ item: 'aiUnit' }), 400, 'evidence_file_missing'],
    ['the file in another field', async () => multipart({ item: 'aiUnit' }, { field: 'documento', name: 'a.pdf', bytes: await pdf() }), 400, 'evidence_file_missing'],
  ];
  for (const [name, body, status, code] of refusals) {
    it(`refuses ${name}: ${status} ${code}, English detail, nothing written`, async () => {
      const before = await storedCounts();
      const res = await upload(b.token, await body());
      expect(res.status, await res.clone().text()).to.equal(status);
      expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
      const problem = await json<Problem>(res);
      expect(problem.code).to.equal(code);
      expect(problem.detail).to.match(/^[\x20-\x7e]+$/);
      expect(await storedCounts()).to.deep.equal(before);
    });
  }

  it('without credentials: 401; a signed-in user is not a respondent: 403; nothing written', async () => {
    const before = await storedCounts();
    const anonymous = await new Client(server.url).request('POST', '/api/v1/respondent/evidence', { body: multipart({ item: 'aiUnit' }, { name: 'a.pdf', bytes: await pdf() }) });
    expect(anonymous.status).to.equal(401);
    const admin = await loggedIn(server.url, 'admin');
    const asAdmin = await admin.request('POST', '/api/v1/respondent/evidence', { body: multipart({ item: 'aiUnit' }, { name: 'a.pdf', bytes: await pdf() }) });
    expect(asAdmin.status).to.equal(403);
    expect(await storedCounts()).to.deep.equal(before);
  });

  it('admins and the edition\'s evaluators and viewers download it; others get 401, 403 or 404', async () => {
    const listed = await json<{ files: { id: string; item: string }[] }>(await respondent(a.token).get('/api/v1/respondent/evidence'));
    const file = listed.files.find((f) => f.item === 'aiUnit')!;
    const url = `/api/v1/editions/${pilot.editionId}/institutions/${a.id}/evidence/${file.id}`;
    for (const role of ['admin', 'evaluator', 'viewer'] as const) {
      const client = await loggedIn(server.url, role, [pilot.editionId]);
      if (role === 'evaluator') await assignEditionToEvaluators(pilot.editionId);
      const res = await client.get(url);
      expect(res.status, role).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/octet-stream');
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="acuerdo creacion\.pdf"; filename\*=UTF-8''acuerdo%20creaci%C3%B3n\.pdf$/);
      expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString()).to.equal('%PDF-');
      const list = await json<{ files: { id: string }[] }>(await client.get(`/api/v1/editions/${pilot.editionId}/institutions/${a.id}/evidence`));
      expect(list.files.map((f) => f.id)).to.include(file.id);
    }
    expect((await new Client(server.url).get(url)).status).to.equal(401);
    expect((await respondent(a.token).get(url)).status).to.equal(403);
    expect((await respondent(b.token).get(url)).status).to.equal(403);
    const otherEdition = await loggedIn(server.url, 'evaluator', ['otra-edicion']);
    expect([403, 404]).to.include((await otherEdition.get(url)).status);
    const admin = await loggedIn(server.url, 'admin');
    expect((await admin.get(`/api/v1/editions/${pilot.editionId}/institutions/${b.id}/evidence/${file.id}`)).status).to.equal(404);
    expect((await admin.get(`/api/v1/editions/${pilot.editionId}/institutions/${a.id}/evidence/0123456789abcdef01234567`)).status).to.equal(404);
    expect((await admin.get(`/api/v1/editions/${pilot.editionId}/institutions/${a.id}/evidence/no-es-un-id`)).status).to.equal(404);
  });

  it('the questionnaire page has a file field on the items that ask for evidence, and a form that sends files without script', async () => {
    const page = new Client(server.url);
    await page.get(`/responder/${leon.token}`);
    const html = await page.page('/responder/todas');
    expect(html).to.match(/<form method="post" action="\/responder" enctype="multipart\/form-data"/);
    expect(html).to.include('name="archivo:aiUnit" type="file"').and.include('name="archivo:pgEvidence" type="file"');
    expect(html).to.not.include('name="archivo:aiStaffCount"');
  });

  it('a page post saves the answers and the attached file together (no script), and «Quitar» removes it', async () => {
    const page = new Client(server.url);
    await page.get(`/responder/${leon.token}`);
    await page.page('/responder/todas');
    const form = multipart({ _csrf: page.csrfToken!, aiUnit: 'yes', action: 'save' }, { field: 'archivo:aiUnit', name: 'Acuerdo de creación.pdf', bytes: await pdf() });
    form.append('archivo:pgEvidence', new Blob([]), ''); // an empty file input, as browsers send it
    const res = await page.request('POST', '/responder', { body: form, csrf: false, headers: { accept: 'text/html' } });
    expect(res.status, await res.clone().text()).to.equal(303);
    const after = await page.page('/responder/todas');
    expect(after).to.include('Acuerdo de creación.pdf').and.include('Se adjuntó 1 archivo.');
    expect((await ResponseModel.findOne({ institution: leon.id }).lean())!.answers).to.have.property('aiUnit', 'yes');
    const id = /name="quitarArchivo" value="([0-9a-f]{24})"/.exec(after)![1]!;
    const removeForm = multipart({ _csrf: page.csrfToken!, aiUnit: 'yes', quitarArchivo: id });
    const removed = await page.request('POST', '/responder', { body: removeForm, csrf: false, headers: { accept: 'text/html' } });
    expect(removed.status).to.equal(303);
    const final = await page.page('/responder/todas');
    expect(final).to.include('Se quitó el archivo «Acuerdo de creación.pdf»').and.not.include(`value="${id}"`);
  });

  it('a page post with a refused file says why in Spanish beside the item and keeps nothing of the post', async () => {
    const page = new Client(server.url);
    await page.get(`/responder/${leon.token}`);
    await page.page('/responder/todas');
    const answersBefore = (await ResponseModel.findOne({ institution: leon.id }).lean())!.answers;
    const before = await storedCounts();
    const form = multipart({ _csrf: page.csrfToken!, aiUnit: 'no', action: 'save' }, { field: 'archivo:aiUnit', name: 'virus.pdf', bytes: Buffer.from('MZ no es un documento'.repeat(10)) });
    const res = await page.request('POST', '/responder', { body: form, csrf: false, headers: { accept: 'text/html' } });
    expect(res.status, await res.clone().text()).to.equal(400);
    const html = await res.text();
    expect(html).to.include('error-summary').and.include('El archivo «virus.pdf» no es de un tipo aceptado');
    expect(html).to.include('href="#f-aiUnit-archivo"');
    expect(await storedCounts()).to.deep.equal(before);
    expect((await ResponseModel.findOne({ institution: leon.id }).lean())!.answers).to.deep.equal(answersBefore);

    const tooBig = multipart({ _csrf: page.csrfToken!, aiUnit: 'no', action: 'save' }, { field: 'archivo:aiUnit', name: 'grande.pdf', bytes: await pdf('grande', 60_000) });
    const big = await page.request('POST', '/responder', { body: tooBig, csrf: false, headers: { accept: 'text/html' } });
    expect(big.status).to.equal(400);
    expect(await big.text()).to.include('El archivo «grande.pdf» pasa del límite de 0.1 MB');
    const huge = multipart({ _csrf: page.csrfToken!, aiUnit: 'no', action: 'save' }, { field: 'archivo:aiUnit', name: 'enorme.pdf', bytes: await pdf('enorme', 400_000) });
    const cut = await page.request('POST', '/responder', { body: huge, csrf: false, headers: { accept: 'text/html' } });
    expect(cut.status).to.equal(413);
    expect(await cut.text()).to.include('El envío se interrumpió porque un archivo es mucho más grande que el límite');
    expect(await storedCounts()).to.deep.equal(before);
    expect((await ResponseModel.findOne({ institution: leon.id }).lean())!.answers).to.deep.equal(answersBefore);
  });

  it('a page post without its CSRF token is refused (403) and its file removed', async () => {
    const page = new Client(server.url);
    await page.get(`/responder/${leon.token}`);
    await page.page('/responder/todas');
    const before = await storedCounts();
    const form = multipart({ aiUnit: 'no', action: 'save' }, { field: 'archivo:aiUnit', name: 'a.pdf', bytes: await pdf() });
    const res = await page.request('POST', '/responder', { body: form, csrf: false, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(403);
    expect(await storedCounts()).to.deep.equal(before);
  });

  it('after submission the files cannot change (409 answers-locked); the confirmation, the receipt and the review page show them, with links only for readers', async () => {
    const client = respondent(a.token);
    const confirming = new Client(server.url);
    await confirming.get(`/responder/${a.token}`);
    const confirmation = await confirming.page('/responder/enviar');
    expect(confirmation, 'the confirmation lists what will be sent, files included').to.include('Archivos de evidencia').and.include('acuerdo creación.pdf').and.include('plantilla.xlsx');
    const submitted = await client.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    expect(submitted.status, await submitted.clone().text()).to.equal(200);
    const before = await storedCounts();
    const late = await upload(a.token, multipart({ item: 'aiUnit' }, { name: 'tarde.pdf', bytes: await pdf() }));
    expect(late.status).to.equal(409);
    expect((await json<Problem>(late)).code).to.equal('response_state');
    const listed = await json<{ files: { id: string }[] }>(await client.get('/api/v1/respondent/evidence'));
    const removal = await client.request('DELETE', `/api/v1/respondent/evidence/${listed.files[0]!.id}`);
    expect(removal.status).to.equal(409);
    expect(await storedCounts()).to.deep.equal(before);

    const page = new Client(server.url);
    await page.get(`/responder/${a.token}`);
    const receipt = await page.page('/responder/todas');
    expect(receipt).to.include('acuerdo creación.pdf').and.include('plantilla.xlsx').and.not.include('/evidence/');
    const acuse = await page.page('/responder/acuse');
    expect(acuse).to.include('Acuse de envío').and.include('acuerdo creación.pdf').and.include('plantilla.xlsx');

    const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    const review = await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${a.id}`);
    expect(review).to.include(`href="/api/v1/editions/${pilot.editionId}/institutions/${a.id}/evidence/${listed.files[0]!.id}"`);
    expect(review).to.include('acuerdo creación.pdf');
  });

  it('a respondent removes its own file through the API while it may still change its answers', async () => {
    const added = await json<{ id: string }>(await upload(b.token, multipart({ item: 'aiUnit' }, { name: 'a.pdf', bytes: await pdf() })));
    expect((await respondent(a.token).request('DELETE', `/api/v1/respondent/evidence/${added.id}`)).status).to.equal(404);
    expect((await respondent(b.token).request('DELETE', `/api/v1/respondent/evidence/${added.id}`)).status).to.equal(204);
    expect((await json<{ files: unknown[] }>(await respondent(b.token).get('/api/v1/respondent/evidence'))).files).to.have.length(0);
    expect(await mongoose.connection.db!.collection('evidence.chunks').countDocuments({ files_id: new mongoose.Types.ObjectId(added.id) })).to.equal(0);
    // Both are in the audit trail, with the file's name.
    const audit = await AuditEntryModel.find({ action: { $in: ['evidence.attach', 'evidence.remove'] }, institution: new mongoose.Types.ObjectId(b.id) }).lean();
    expect(audit.map((e) => e.action).sort()).to.deep.equal(['evidence.attach', 'evidence.remove']);
  });
});
