/**
 * The API documents what it returns: every operation of the OpenAPI document (built from the same
 * registry as the routes) declares a schema for each of its responses, and real responses of every
 * operation — successes and errors — are validated against those schemas with ajv. An operation
 * added without schemas, or without a call below, fails this test; so does a response that drifts
 * from its documentation (a field renamed, a status or content type not declared).
 */
import { readFileSync } from 'node:fs';
import { UserModel } from '../../server/models/user.js';
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { closeBrowser } from '../../reports/browser.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { EditionModel } from '../../server/models/edition.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';
import { createEdition } from '../../server/services/editions.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { importEditionResults } from '../../server/services/results.js';
import { Client, loggedIn, makeUser } from '../setup/client.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { createPilot, type Pilot } from '../setup/pilot.js';

// ajv-formats is CommonJS: its default export arrives wrapped under tsx.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

interface MediaType {
  schema?: Record<string, unknown>;
}
interface ResponseDoc {
  description: string;
  content?: Record<string, MediaType>;
}
interface OperationDoc {
  operationId: string;
  security?: unknown[];
  responses: Record<string, ResponseDoc>;
}
interface OpenApi {
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: Record<string, object> };
}

/** "get /api/v1/editions/{edition}" */
type OpKey = string;

const SMALL = 'mga-contrato';
const SMALL_INSTITUTIONS = 3;
const NO_ID = '0123456789abcdef01234567';

/** Replaces `$ref: '#/components/schemas/X'` by the component, so each response schema compiles on its own. */
function inlineRefs(schema: unknown, components: Record<string, object>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, components));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (typeof ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
    if (!name || !components[name]) throw new Error(`unresolvable $ref ${ref}`);
    return inlineRefs(components[name], components);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inlineRefs(v, components)]));
}

const mediaOf = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const isJson = (media: string) => media === 'application/json' || media.endsWith('+json');

describe('API contract: real responses of every operation match their documented schemas', function () {
  this.timeout(600_000);
  let server: TestServer;
  let doc: OpenApi;
  let pilot: Pilot;
  let worker: JobWorker | undefined;
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  ajv.addFormat('binary', true);
  const compiled = new Map<string, ValidateFunction>();
  /** What each operation answered: status codes seen, and the problems found. */
  const seen = new Map<OpKey, Set<number>>();
  const mismatches: string[] = [];

  /** The operation a concrete request path belongs to (path parameters match one segment, or a segment's stem before a suffix). */
  function operationFor(method: string, url: string): OpKey {
    const path = new URL(url, 'http://x').pathname;
    for (const [template, methods] of Object.entries(doc.paths)) {
      if (!methods[method]) continue;
      const pattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(path)) return `${method} ${template}`;
    }
    throw new Error(`no documented operation for ${method.toUpperCase()} ${path}`);
  }

  /** Checks one real response against the document: its status is declared, its content type too, and the body validates. */
  async function check(op: OpKey, res: Response): Promise<void> {
    const [method, template] = op.split(' ') as [string, string];
    const operation = doc.paths[template]![method]!;
    seen.set(op, (seen.get(op) ?? new Set()).add(res.status));
    const declared = operation.responses[String(res.status)] ?? operation.responses.default;
    const where = `${op} → ${res.status}`;
    const body = Buffer.from(await res.arrayBuffer());
    if (!declared) return void mismatches.push(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    if (!declared.content) {
      if (body.length > 0) mismatches.push(`${where}: a body of ${body.length} bytes, but no content is documented`);
      return;
    }
    const media = mediaOf(res.headers.get('content-type'));
    const entry = declared.content[media];
    if (!entry) return void mismatches.push(`${where}: content type ${media || '(none)'} not documented (documented: ${Object.keys(declared.content).join(', ')})`);
    if (!entry.schema) return void mismatches.push(`${where}: ${media} has no schema`);
    if (!isJson(media)) {
      if (body.length === 0) mismatches.push(`${where}: empty ${media} body`);
      return;
    }
    const key = `${where} ${media}`;
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(inlineRefs(entry.schema, doc.components.schemas) as object)));
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf-8'));
    } catch {
      return void mismatches.push(`${where}: ${media} body is not JSON`);
    }
    if (!validate(value)) mismatches.push(`${where}: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
  }

  /** Sends a request and checks its response; the status must be the expected one. */
  async function call(client: Client, method: string, path: string, expected: number, options: Parameters<Client['request']>[2] = {}): Promise<Response> {
    const res = await client.request(method.toUpperCase(), `/api/v1${path}`, options);
    const copy = res.clone();
    const op = operationFor(method.toLowerCase(), `/api/v1${path}`);
    expect(res.status, `${method.toUpperCase()} ${path}: ${res.status !== expected ? await copy.clone().text() : ''}`).to.equal(expected);
    await check(op, copy);
    return res;
  }
  const json = async <T>(res: Response) => (await res.json()) as T;

  before(async () => {
    await useTestDatabase('api_contract');
    await loadReferenceEditions(() => {});
    // A small published edition (for the report cards job and the crosswalk with 2017) and a pilot in collection.
    const lines = readFileSync('data/mga-2017/sujetos_obligados_2017.csv', 'utf-8').split(/\r?\n/).filter(Boolean);
    await createEdition({ editionId: SMALL, year: 2031, title: 'Edición pequeña para el contrato', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
    await importEditionResults(SMALL, Buffer.from(lines.slice(0, SMALL_INSTITUTIONS + 1).join('\n')), { format: 'csv', preset: 'mga-2017', fileName: 'pequena.csv' });
    await EditionModel.updateOne({ editionId: SMALL }, { $set: { status: 'published' } });
    pilot = await createPilot('piloto-contrato');
    server = await startTestServer();
    doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as OpenApi;
  });
  after(async () => {
    await worker?.stop();
    await server?.close();
    await closeBrowser();
  });

  it('every operation documents a schema for each response it declares, and at least one success', () => {
    const missing: string[] = [];
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const codes = Object.keys(operation.responses);
        if (!codes.some((c) => /^2\d\d$/.test(c))) missing.push(`${method} ${template}: no 2xx response`);
        for (const code of codes) {
          if (code === '204' || code === '304') continue; // no content, by definition (304 Not Modified: RFC 9110 15.4.5)
          const content = operation.responses[code]!.content;
          if (!content || Object.values(content).some((m) => !m.schema)) missing.push(`${method} ${template} → ${code}: no schema`);
        }
      }
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('every operation answers as documented: successes and errors validate against their schemas', async () => {
    const anon = new Client(server.url);
    const admin = await loggedIn(server.url, 'admin');
    const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    const viewer = await loggedIn(server.url, 'viewer');
    const [zapopan, tonala] = pilot.institutions as [Pilot['institutions'][number], Pilot['institutions'][number]];
    const respondent = new Client(server.url);
    respondent.bearer = zapopan.token;
    const smallIds = (await InstitutionModel.find({ scope: SMALL }, { _id: 1 }).sort({ _id: 1 }).lean()).map((i) => String(i._id));

    // Without credentials: every operation that needs them answers 401 as documented.
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (operation.security && operation.security.length === 0) continue;
        const path = template.replace('/api/v1', '').replace(/\{base\}/, 'mga-2017').replace(/\{other\}/, SMALL).replace(/\{edition\}/, SMALL).replace(/\{entity\}/, 'jalisco').replace(/\{[^}]+\}/g, NO_ID);
        await call(anon, method, path, 401, method === 'get' ? {} : { json: {} });
      }
    }

    // auth
    const fresh = new Client(server.url);
    await call(fresh, 'post', '/auth/login', 400, { json: { email: 'nobody@example.org' } });
    await call(fresh, 'post', '/auth/login', 401, { json: { email: 'nobody@example.org', password: 'wrong password here' } });
    const account = await makeUser('evaluator');
    await call(fresh, 'post', '/auth/login', 200, { json: account });
    await call(admin, 'get', '/auth/me', 200);

    // published results
    await call(anon, 'get', '/editions', 200);
    await call(anon, 'get', '/editions/mga-2017', 200);
    await call(anon, 'get', '/editions/mga-1999', 404);
    await call(anon, 'get', '/editions/mga-2017/results?by=entity&round=2', 200);
    await call(anon, 'get', '/editions/mga-2017/results?by=nowhere', 400);
    const asf = (await json<{ institutions: { id: string; name: string }[] }>(await call(anon, 'get', '/editions/mga-2017/institutions?q=ASF&entity=Federal', 200))).institutions.find((i) => i.name === 'ASF')!;
    await call(anon, 'get', '/editions/mga-2017/institutions?entity=Atlantis', 400);
    await call(anon, 'get', `/editions/mga-2017/institutions/${asf.id}/score`, 200);
    await call(anon, 'get', `/editions/mga-2017/institutions/${NO_ID}/score`, 404);

    // editions (admin)
    await call(admin, 'post', '/editions', 201, { json: { editionId: 'mga-contrato-nueva', year: 2032, title: 'Nueva', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] } });
    await call(admin, 'post', '/editions', 400, { json: { editionId: 'X' } });
    await call(viewer, 'post', '/editions', 403, { json: { editionId: 'mga-contrato-otra', year: 2033, title: 'Otra', methodology: 'mga-2017', instruments: [] } });
    await call(admin, 'post', '/editions/mga-contrato-nueva/sample', 200, { body: 'name,entity,level,type\nMunicipio de Colima,Colima,municipal,Municipio\nMunicipio de Armería,Colima,municipal,Municipio\n', headers: { 'content-type': 'text/csv' } });
    await call(admin, 'post', '/editions/mga-contrato-nueva/sample', 400, { body: 'name,entity\nMunicipio de Colima,Atlantis\n', headers: { 'content-type': 'text/csv' } });
    await call(admin, 'patch', '/editions/mga-contrato-nueva', 200, { json: { status: 'collecting' } });
    await call(admin, 'patch', '/editions/mga-1999', 404, { json: { status: 'collecting' } });
    // admin completeness: an institution's data and its removal, the edition's details, the sample template
    const [colima, armeria] = ['Municipio de Colima', 'Municipio de Armería'].map(async (name) => String((await InstitutionModel.findOne({ scope: 'mga-contrato-nueva', name }).lean())!._id));
    const colimaId = await colima!;
    const one = await json<{ institution: { revision: number } }>(await call(admin, 'get', `/editions/mga-contrato-nueva/institutions/${colimaId}`, 200));
    await call(admin, 'get', `/editions/mga-contrato-nueva/institutions/${NO_ID}`, 404);
    await call(admin, 'patch', `/editions/mga-contrato-nueva/institutions/${colimaId}`, 200, { json: { baseRevision: one.institution.revision, contactEmail: 'enlace@colima.example', reason: 'Enlace nuevo' } });
    await call(admin, 'patch', `/editions/mga-contrato-nueva/institutions/${colimaId}`, 409, { json: { baseRevision: one.institution.revision, contactEmail: 'otro@colima.example', reason: 'Otro enlace' } });
    await call(admin, 'patch', `/editions/mga-contrato-nueva/institutions/${colimaId}`, 400, { json: { baseRevision: one.institution.revision + 1, entity: 'Atlantis', reason: 'Corrección' } });
    await call(admin, 'patch', `/editions/mga-contrato-nueva/institutions/${NO_ID}`, 404, { json: { baseRevision: 0, reason: 'Corrección' } });
    await call(admin, 'post', `/editions/mga-contrato-nueva/institutions/${await armeria!}/remove`, 400, { json: {} });
    await call(admin, 'post', `/editions/mga-contrato-nueva/institutions/${await armeria!}/remove`, 200, { json: { reason: 'Duplicado en la muestra' } });
    await call(admin, 'post', `/editions/mga-contrato-nueva/institutions/${NO_ID}/remove`, 404, { json: { reason: 'Duplicado' } });
    const details = await json<{ revision: number }>(await call(admin, 'get', '/editions/mga-contrato-nueva/details', 200));
    await call(admin, 'get', '/editions/mga-1999/details', 404);
    await call(admin, 'patch', '/editions/mga-contrato-nueva', 200, { json: { baseRevision: details.revision, title: 'Nueva edición del contrato', help: { name: 'Mesa de ayuda', email: 'ayuda@mga.example' } } });
    await call(admin, 'patch', '/editions/mga-contrato-nueva', 409, { json: { baseRevision: details.revision, title: 'Otra' } });
    await call(admin, 'patch', '/editions/mga-contrato-nueva', 400, { json: { help: { email: 'no es correo' } } });
    await call(admin, 'get', '/templates/sample.csv', 200);
    await call(admin, 'get', '/templates/sample.xlsx', 200);
    await call(admin, 'get', `/editions/${pilot.editionId}/invitations`, 200);
    const issued = await json<{ invitations: { invitationId?: string; id?: string }[] }>(
      await call(admin, 'post', '/editions/mga-contrato-nueva/invitations', 201, { json: { expiresInDays: 10 } }),
    );
    await call(admin, 'post', '/editions/mga-contrato-nueva/invitations', 200, { json: { expiresInDays: 10 }, headers: { accept: 'text/csv' } });
    // With send: true the e-mails are queued and a job sends them: the answer documents both.
    const queued = await json<{ invitations: { mail?: { status: string } }[]; job?: { kind: string; href: string } }>(
      await call(admin, 'post', '/editions/mga-contrato-nueva/invitations', 201, { json: { expiresInDays: 10, send: true, institutionIds: [colimaId] } }),
    );
    expect(queued.invitations.map((i) => i.mail?.status)).to.deep.equal(['queued']);
    expect(queued.job?.kind).to.equal('invitation-mails');
    await call(admin, 'get', queued.job!.href.replace('/api/v1', ''), 200);
    // Its job cancelled before it ran, the e-mail did not go out: it can be sent again, once.
    await call(admin, 'post', '/editions/mga-contrato-nueva/invitations/mail-retry', 409);
    await admin.request('POST', `${queued.job!.href}/cancel`);
    await call(admin, 'post', '/editions/mga-contrato-nueva/invitations/mail-retry', 202);
    await call(admin, 'post', '/editions/mga-1999/invitations/mail-retry', 404);
    await call(admin, 'post', '/editions/mga-contrato-nueva/invitations', 400, { json: { expiresInDays: -1 } });
    const invitations = await json<{ items: { id: string }[] }>(await admin.get('/api/v1/editions/mga-contrato-nueva/invitations'));
    await call(admin, 'post', `/editions/mga-contrato-nueva/invitations/${invitations.items[0]!.id}/revoke`, 204);
    await call(admin, 'get', '/editions/mga-contrato-nueva/invitations?state=lost', 400);
    await call(admin, 'get', '/editions/mga-contrato-nueva/sample?invitation=none', 200);
    await call(admin, 'get', '/editions/mga-1999/sample', 404);
    await call(admin, 'post', `/editions/mga-contrato-nueva/invitations/not-an-id/revoke`, 404);
    expect(issued.invitations.length).to.be.greaterThan(0);

    // accounts (admin)
    const users = await json<{ items: { id: string; email: string }[] }>(await call(admin, 'get', '/users', 200));
    await call(admin, 'get', '/users?role=boss', 400);
    const created = await json<{ id: string }>(await call(admin, 'post', '/users', 201, { json: { email: 'contrato@example.org', name: 'Contrato', role: 'viewer', password: 'a long enough password', editions: [] } }));
    await call(admin, 'post', '/users', 400, { json: { email: 'not an e-mail', name: '', role: 'boss', password: 'x', editions: [] } });
    await call(admin, 'patch', `/users/${created.id}`, 200, { json: { editions: [SMALL] } });
    await call(admin, 'patch', `/users/${NO_ID}`, 404, { json: { editions: [] } });
    expect(users.items.length).to.be.greaterThan(0);

    // respondent (invitation token as bearer)
    await call(respondent, 'get', '/respondent/questionnaire', 200);
    await call(respondent, 'put', '/respondent/answers', 200, { json: { answers: { aiUnit: 'yes' } } });
    await call(respondent, 'put', '/respondent/answers', 400, { json: { answers: { aiUnit: 'perhaps' } } });
    // evidence files (while the answers can change) and e-mail
    const pdfBytes = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
    const evidenceForm = (item: string) => {
      const form = new FormData();
      form.append('item', item);
      form.append('archivo', new Blob([new Uint8Array(pdfBytes)], { type: 'application/pdf' }), 'acuerdo.pdf');
      return form;
    };
    const attached = await json<{ id: string }>(await call(respondent, 'post', '/respondent/evidence', 201, { body: evidenceForm('aiUnit') }));
    await call(respondent, 'post', '/respondent/evidence', 400, { body: evidenceForm('noSuchItem') });
    const spare = await json<{ id: string }>(await call(respondent, 'post', '/respondent/evidence', 201, { body: evidenceForm('aiUnit') }));
    await call(respondent, 'delete', `/respondent/evidence/${spare.id}`, 204);
    await call(respondent, 'delete', `/respondent/evidence/${NO_ID}`, 404);
    await call(respondent, 'get', '/respondent/evidence', 200);
    await call(admin, 'get', `/editions/${pilot.editionId}/institutions/${zapopan.id}/evidence`, 200);
    await call(admin, 'get', `/editions/${pilot.editionId}/institutions/${zapopan.id}/evidence/${attached.id}`, 200);
    await call(admin, 'get', `/editions/${pilot.editionId}/institutions/${zapopan.id}/evidence/${NO_ID}`, 404);
    await call(admin, 'patch', `/editions/${pilot.editionId}/institutions/${tonala.id}/contacts`, 200, { json: { contactName: 'Rosa Díaz', contactEmail: 'rosa@tonala.example', reason: 'Enlace de transparencia nuevo' } });
    await call(admin, 'patch', `/editions/${pilot.editionId}/institutions/${tonala.id}/contacts`, 400, { json: { contactEmail: 'no es un correo' } });
    await call(admin, 'post', `/editions/${pilot.editionId}/reminders`, 202);
    await call(admin, 'post', `/editions/mga-1999/reminders`, 404);
    await call(anon, 'post', '/auth/password-reset', 202, { json: { email: 'contrato@example.org' } });
    const outbox = await json<{ items: { kind: string; text?: string }[] }>(await call(admin, 'get', '/mail?limit=5', 200));
    const resetToken = /restablecer\/([A-Za-z0-9_-]{43})/.exec(outbox.items.find((m) => m.kind === 'password-reset')!.text!)![1]!;
    await call(anon, 'post', '/auth/password-reset/confirm', 204, { json: { token: resetToken, password: 'another long password' } });
    await call(anon, 'post', '/auth/password-reset/confirm', 400, { json: { token: resetToken, password: 'another long password' } });
    await call(respondent, 'post', '/respondent/submit', 400, { json: { answers: { aiUnit: 'yes' } } });
    await call(respondent, 'post', '/respondent/submit', 200, { json: { answers: DEMO_GOVERNMENT_ANSWERS } });
    await call(respondent, 'put', '/respondent/answers', 409, { json: { answers: { aiUnit: 'no' } } });
    await call(respondent, 'get', '/respondent/receipt.pdf', 200);

    // assignments (admin): the evaluator is assigned to the pilot's institutions
    const evaluatorId = String((await UserModel.findOne({ role: 'evaluator', editions: pilot.editionId }).lean())!._id);
    await call(admin, 'post', `/editions/${pilot.editionId}/assignments`, 200, { json: { evaluatorId, institutionIds: pilot.institutions.map((i) => i.id) } });
    await call(admin, 'post', `/editions/${pilot.editionId}/assignments`, 400, { json: { evaluatorId, entity: 'Atlantis' } });
    await call(admin, 'post', `/editions/mga-1999/assignments`, 404, { json: { evaluatorId, entity: 'Jalisco' } });
    await call(admin, 'post', `/editions/${pilot.editionId}/assignments/remove`, 200, { json: { evaluatorId, institutionIds: [tonala.id] } });
    await call(admin, 'post', `/editions/${pilot.editionId}/assignments/import`, 200, { body: `evaluador,institution_id\n${(await UserModel.findById(evaluatorId).lean())!.email},${tonala.id}\n`, headers: { 'content-type': 'text/csv' } });
    await call(admin, 'post', `/editions/${pilot.editionId}/assignments/import`, 400, { body: 'evaluador,institution_id\nnadie@example.org,x\n', headers: { 'content-type': 'text/csv' } });
    await call(admin, 'get', `/editions/${pilot.editionId}/assignments?evaluator=${evaluatorId}`, 200);
    await call(admin, 'get', `/editions/${pilot.editionId}/assignments?sort=nowhere`, 400);

    // review (evaluator assigned to the pilot)
    const base = `/editions/${pilot.editionId}/institutions`;
    await call(evaluator, 'get', `/editions/${pilot.editionId}/review`, 200);
    await call(evaluator, 'get', `/editions/mga-contrato-nueva/review`, 404);
    await call(evaluator, 'get', `/editions/${pilot.editionId}/review?limit=501`, 400);
    await call(evaluator, 'get', `${base}/${zapopan.id}/review`, 200);
    await call(admin, 'post', `${base}/${zapopan.id}/remove`, 409, { json: { reason: 'Ya no existe' } });
    await call(evaluator, 'post', `${base}/${zapopan.id}/return`, 400, { json: { comments: [{ item: 'noSuchItem', comment: 'x' }] } });
    await call(evaluator, 'post', `${base}/${zapopan.id}/return`, 200, { json: { comments: [{ item: 'tpUrl', comment: 'La liga no abre.' }] } });
    await call(respondent, 'post', '/respondent/submit', 200, { json: { answers: DEMO_GOVERNMENT_ANSWERS, reason: 'Revisada' } });
    await call(evaluator, 'post', `${base}/${tonala.id}/approve`, 409);
    await call(evaluator, 'post', `${base}/${zapopan.id}/approve`, 200);
    await call(evaluator, 'put', `${base}/${zapopan.id}/citizen-logs`, 400, { json: { answers: { requests: [{ topic: 'x' }] }, complete: true } });
    await call(evaluator, 'put', `${base}/${zapopan.id}/citizen-logs`, 200, { json: { answers: DEMO_CITIZEN_ANSWERS, complete: true } });
    // evidence files of the citizen logs' rows, by the row's key
    const logsAnswers = await json<{ logs: { answers: { requests: { _key: string }[] } } }>(await call(evaluator, 'get', `${base}/${zapopan.id}/review`, 200));
    const rowKey = logsAnswers.logs.answers.requests[0]!._key;
    const rowFileForm = (item: string, row: string) => {
      const form = new FormData();
      form.append('item', item);
      form.append('row', row);
      form.append('archivo', new Blob([new Uint8Array(pdfBytes)], { type: 'application/pdf' }), 'respuesta.pdf');
      return form;
    };
    const rowFile = await json<{ id: string }>(await call(evaluator, 'post', `${base}/${zapopan.id}/citizen-logs/evidence`, 201, { body: rowFileForm('requests.dateAnswered', rowKey) }));
    await call(evaluator, 'post', `${base}/${zapopan.id}/citizen-logs/evidence`, 400, { body: rowFileForm('requests.topic', rowKey) });
    await call(evaluator, 'post', `${base}/${zapopan.id}/citizen-logs/evidence`, 404, { body: rowFileForm('requests.dateAnswered', 'no-such-row') });
    await call(evaluator, 'get', `/editions/${pilot.editionId}/institutions/${zapopan.id}/evidence/${rowFile.id}`, 200);
    await call(evaluator, 'delete', `${base}/${zapopan.id}/citizen-logs/evidence/${rowFile.id}`, 204);
    await call(evaluator, 'delete', `${base}/${zapopan.id}/citizen-logs/evidence/${NO_ID}`, 404);
    await call(evaluator, 'get', `${base}/${zapopan.id}/review`, 200);
    await call(viewer, 'get', `/editions/${pilot.editionId}/review`, 404);
    await call(evaluator, 'get', `/editions/${pilot.editionId}/audit`, 200);
    await call(evaluator, 'get', `/editions/${pilot.editionId}/audit.csv`, 200);
    await call(evaluator, 'post', `${base}/${zapopan.id}/reopen`, 400, { json: { reason: '' } });
    await call(evaluator, 'post', `${base}/${zapopan.id}/reopen`, 200, { json: { reason: 'La liga de transparencia cambió' } });
    await call(admin, 'get', `/editions/${pilot.editionId}/preflight`, 200);
    await call(admin, 'post', `${base}/${tonala.id}/publication`, 200, { json: { decision: 'excluded', reason: 'No respondió el cuestionario' } });
    await call(admin, 'post', `${base}/${tonala.id}/publication`, 400, { json: { decision: 'maybe', reason: '' } });

    // reports
    await call(anon, 'get', '/reports/national.pdf?edition=mga-2017&compare=2019', 200);
    await call(anon, 'get', '/reports/national.pdf?edition=mga-1999', 404);
    await call(anon, 'get', '/reports/national.pdf?edition=BAD', 400);
    await call(anon, 'get', '/reports/national.xlsx?edition=mga-2017', 200);
    await call(anon, 'get', '/reports/national.xlsx?edition=mga-1999', 404);
    await call(anon, 'get', '/reports/editions/mga-2017/workbook.xlsx', 200);
    await call(anon, 'get', '/reports/editions/mga-1999/workbook.xlsx', 404);
    await call(anon, 'get', '/reports/editions/mga-2017/entities/Jalisco.pdf', 200);
    await call(anon, 'get', '/reports/editions/mga-2017/entities/Atlantis.pdf', 404);
    await call(anon, 'get', `/reports/editions/mga-2017/institutions/${asf.id}.pdf`, 200);
    await call(anon, 'get', `/reports/editions/mga-2017/institutions/${NO_ID}.pdf`, 404);

    // evolution and crosswalks (the small edition repeats three 2017 institutions)
    await call(anon, 'get', '/editions/mga-2017/evolution', 200);
    await call(anon, 'get', '/editions/mga-1999/evolution', 404);
    await call(anon, 'get', '/editions/mga-2017/entities/Jalisco/evolution', 200);
    await call(anon, 'get', '/editions/mga-2017/entities/Atlantis/evolution', 404);
    await call(admin, 'get', `/crosswalks/mga-2017/${SMALL}`, 200);
    await call(admin, 'get', `/crosswalks/${SMALL}/mga-2017`, 400);
    await call(admin, 'get', '/crosswalks', 200);
    const decisions = await (await call(admin, 'get', `/crosswalks/mga-2017/${SMALL}/decisions.csv`, 200)).text();
    await call(admin, 'get', `/crosswalks/mga-2017/mga-1999/decisions.csv`, 404);
    // The first institution of the small edition is also in 2017 (same row of the same file): it has a previous edition.
    const previousOf = smallIds[0]!;
    await call(admin, 'post', `/crosswalks/mga-2017/${SMALL}/decisions`, 400, { json: { base: 'x', other: 'y', decision: 'maybe' } });
    // The downloaded decisions, sent back as they are (the links stay).
    await call(admin, 'post', `/crosswalks/mga-2017/${SMALL}/decisions`, 200, { body: decisions, headers: { 'content-type': 'text/csv' } });
    await call(anon, 'get', `/editions/${SMALL}/panel?with=mga-2017&by=national`, 200);
    await call(anon, 'get', `/editions/${SMALL}/panel?with=${SMALL}`, 400);
    await call(anon, 'get', `/editions/${SMALL}/institutions/${previousOf}/previous`, 200);
    await call(anon, 'get', `/editions/mga-2017/institutions/${asf.id}/previous`, 404);

    // research
    await call(anon, 'get', `/editions/${SMALL}/datapackage.zip`, 200);
    await call(anon, 'get', '/editions/mga-1999/datapackage.zip', 404);
    await call(anon, 'post', '/editions/mga-2017/what-if?by=type', 200, { json: { GA: { T: 0.7, P: 0.3 } } });
    await call(anon, 'post', '/editions/mga-2017/what-if', 400, { json: { GA: { T: 0.7 } } });
    await call(anon, 'post', '/editions/mga-2017/what-if', 422, { json: { TG: { 'TG.AI': 0.25, 'TG.TR': 0.25, 'TG.TP': 0.25, 'TG.DA': 0.25 } } });
    await call(anon, 'post', '/editions/mga-1999/what-if', 404, { json: {} });
    await call(anon, 'get', '/editions/mga-2017/coherence', 200);
    await call(anon, 'get', '/editions/mga-1999/coherence', 404);

    // jobs: the report cards of the small edition and an uncertainty analysis, run by a worker in this process
    const cards = await json<{ id: string }>(await call(viewer, 'post', `/editions/${SMALL}/reports/cards`, 202));
    await call(viewer, 'post', '/editions/mga-1999/reports/cards', 404);
    const analysis = await json<{ id: string }>(await call(viewer, 'post', `/editions/${SMALL}/analyses/uncertainty`, 202, { json: { by: 'entity', runs: 20, seed: 1 } }));
    await call(viewer, 'post', `/editions/${SMALL}/analyses/uncertainty`, 400, { json: { runs: 0 } });
    await call(viewer, 'post', '/editions/mga-1999/analyses/uncertainty', 404, { json: {} });
    await call(viewer, 'get', `/jobs/${cards.id}/result`, 409);
    await call(viewer, 'get', '/jobs?status=open', 200);
    await call(viewer, 'get', `/jobs/${NO_ID}`, 404);
    await call(admin, 'get', `/jobs/${cards.id}/result`, 409);
    worker = await startWorker({ logger: createLogger('silent'), settings: { leaseMs: 10_000, pollMs: 200 } });
    for (const id of [cards.id, analysis.id]) {
      for (let state = ''; state !== 'done'; ) {
        state = (await json<{ status: string; error?: string }>(await call(viewer, 'get', `/jobs/${id}`, 200))).status;
        expect(state).to.not.equal('failed');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await call(viewer, 'get', `/jobs/${id}/result`, 200);
    }
    await call(viewer, 'get', `/jobs/${NO_ID}/result`, 404);
    // cancel: a job just submitted (queued or just started: printing its cards takes seconds), then again (it ended)
    const doomed = await json<{ id: string }>(await call(viewer, 'post', `/editions/${SMALL}/reports/cards`, 202));
    await call(viewer, 'post', `/jobs/${doomed.id}/cancel`, 200);
    await call(viewer, 'post', `/jobs/${doomed.id}/cancel`, 409);
    await call(viewer, 'post', `/jobs/${NO_ID}/cancel`, 404);

    // the document itself, and signing out
    await call(anon, 'get', '/openapi.json', 200);
    await call(admin, 'post', '/auth/logout', 204);

    const unexercised = Object.entries(doc.paths).flatMap(([template, methods]) =>
      Object.keys(methods)
        .map((method) => `${method} ${template}`)
        .filter((op) => ![...(seen.get(op) ?? [])].some((s) => s >= 200 && s < 300)),
    );
    expect(unexercised, `operations without a successful call here:\n${unexercised.join('\n')}`).to.deep.equal([]);
    expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
  });
});
