/**
 * What a person reads is Spanish: validation errors name the field by its label in Spanish words,
 * statuses and roles are Spanish, and no page holds an English validator phrase or an identifier of
 * the definition files. The JSON API keeps its English reasons with a machine code per error.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { createPilot } from '../setup/pilot.js';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { definitionIdentifiers, identifiersIn, pageText } from '../setup/definitionIds.js';
import { ENGLISH_VALIDATOR_PHRASES } from '../../server/http/messages.js';

const englishIn = (text: string) => ENGLISH_VALIDATOR_PHRASES.filter((phrase) => phrase.test(text)).map(String);

describe('pages speak Spanish: validation messages, labels, no English validator text nor definition ids', () => {
  let server: TestServer;
  let admin: Client;
  const ids = definitionIdentifiers();

  before(async () => {
    await useTestDatabase('spanish_pages');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
  });
  after(() => server.close());

  async function postPage(path: string, form: Record<string, string | string[]>, from: string) {
    await admin.page(from);
    const res = await admin.request('POST', path, { form, headers: { accept: 'text/html' } });
    return { status: res.status, text: pageText(await res.text()) };
  }

  it('a new edition with bad fields: each error in Spanish after the field label, no pattern or English phrase', async () => {
    const { status, text } = await postPage('/admin/ediciones', { editionId: 'Mi Edición', year: '1990', title: 'ab', methodology: 'mga-2017', instruments: [] }, '/admin');
    expect(status).to.equal(400);
    expect(text).to.include('Identificador: debe llevar solo letras minúsculas sin acento, cifras y guiones');
    expect(text).to.include('Año: debe ser al menos 2000');
    expect(text).to.include('Título: debe tener al menos 3 caracteres');
    expect(englishIn(text)).to.deep.equal([]);
    expect(text).not.to.include('^[a-z0-9]');
    expect(identifiersIn(text, ids)).to.deep.equal([]);
  });

  it('the API keeps English reasons and adds a stable code per error', async () => {
    const res = await admin.request('POST', '/api/v1/editions', { json: { editionId: 'Mi Edición', year: 1990, title: 'ab', methodology: 'mga-2017', instruments: [] } });
    expect(res.status).to.equal(400);
    const problem = (await res.json()) as { detail: string; errors: { field: string; reason: string; code: string }[] };
    expect(problem.detail).to.equal('invalid request body');
    const byField = Object.fromEntries(problem.errors.map((e) => [e.field, e]));
    expect(byField.editionId).to.include({ code: 'pattern' });
    expect(byField.editionId!.reason).to.match(/^must match pattern/);
    expect(byField.year).to.include({ code: 'minimum', reason: 'must be >= 2000' });
    expect(byField.title).to.include({ code: 'min_length', reason: 'must NOT have fewer than 3 characters' });
  });

  it('a taken edition identifier and a bad account: Spanish, with the labels', async () => {
    const created = await admin.request('POST', '/api/v1/editions', { json: { editionId: 'ocupada', year: 2030, title: 'Ocupada', methodology: 'mga-2017', instruments: [] } });
    expect(created.status).to.equal(201);
    const taken = await postPage('/admin/ediciones', { editionId: 'ocupada', year: '2030', title: 'Otra', methodology: 'mga-2017', instruments: [] }, '/admin');
    expect(taken.status).to.equal(409);
    expect(taken.text).to.include('Identificador: ya está en uso: elija otro');
    expect(englishIn(taken.text)).to.deep.equal([]);

    const account = await postPage('/admin/cuentas', { email: 'sin-arroba', name: 'A', role: 'evaluator', password: 'corta' }, '/admin/cuentas');
    expect(account.status).to.equal(400);
    expect(account.text).to.include('Correo electrónico: debe ser un correo electrónico');
    expect(account.text).to.include('Nombre: debe tener al menos 2 caracteres');
    expect(account.text).to.include('Contraseña: debe tener al menos 12 caracteres');
    expect(englishIn(account.text)).to.deep.equal([]);
  });

  it('statuses and roles in Spanish; no page of the admin, review, results or methodology holds an English validator phrase or a definition id', async () => {
    const pilot = await createPilot('piloto-es');
    const first = pilot.institutions[0]!;
    const paths = ['/admin', '/admin/cuentas', `/admin/ediciones/${pilot.editionId}`, '/evaluacion', `/evaluacion/${pilot.editionId}`, `/evaluacion/${pilot.editionId}/sujetos/${first.id}`, '/metodologia', '/metodologia/mga-2017'];
    const texts: Record<string, string> = {};
    for (const path of paths) {
      const res = await admin.get(path, { accept: 'text/html' });
      expect(res.status, path).to.equal(200);
      const text = pageText(await res.text());
      texts[path] = text;
      expect(englishIn(text), path).to.deep.equal([]);
      expect(identifiersIn(text, ids), path).to.deep.equal([]);
      expect(text, path).not.to.match(/\b(collecting|published|draft|evaluator|viewer)\b/);
    }
    expect(texts['/admin']).to.include('En captura');
    // The questionnaire as a respondent reads it, with an invalid draft's errors.
    const respondent = new Client(server.url);
    await respondent.get(`/responder/${first.token}`, { accept: 'text/html' });
    const questionnaire = pageText(await respondent.page('/responder'));
    expect(englishIn(questionnaire)).to.deep.equal([]);
    expect(identifiersIn(questionnaire, ids)).to.deep.equal([]);
    expect(texts['/admin/cuentas']).to.include('Administración');
  });

  it('a refusal shown on the next page is styled as an error, not in the green banner', async () => {
    const pilot = await createPilot('piloto-aviso');
    const respondent = new Client(server.url);
    await respondent.get(`/responder/${Object.values(pilot.tokens)[0]}`, { accept: 'text/html' });
    const refused = await respondent.get('/responder/acuse', { accept: 'text/html' });
    expect(refused.status).to.equal(303);
    const html = await respondent.page('/responder');
    expect(html).to.match(/<p class="flash error" role="alert"[^>]*>Todavía no hay un acuse/);
    expect(html).not.to.match(/<p class="flash" role="status">Todavía/);
  });

  it('import errors on the edition page: Spanish reasons after «Fila n, columna c»', async () => {
    await admin.request('POST', '/api/v1/editions', { json: { editionId: 'muestra-mala', year: 2031, title: 'Muestra mala', methodology: 'mga-2017', instruments: [] } });
    await admin.page('/admin/ediciones/muestra-mala');
    const form = new FormData();
    form.append('_csrf', admin.csrfToken!);
    form.append('archivo', new Blob(['name,entity,level,type\nAyuntamiento de Prueba,Atlantis,Municipal,Municipio\n,Jalisco,Municipal,Municipio\n']), 'muestra.csv');
    const res = await admin.request('POST', '/admin/ediciones/muestra-mala/muestra', { body: form, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(400);
    const text = pageText(await res.text());
    expect(text).to.include('Fila 2, columna «entity» (entidad federativa): la entidad «Atlantis» no existe');
    expect(text).to.match(/Fila 3, columna «name» \([^)]+\): está vacío/);
    expect(englishIn(text)).to.deep.equal([]);
  });

  it('error pages: the reason in Spanish, fields by their label', async () => {
    const missing = await admin.get('/admin/ediciones/no-existe', { accept: 'text/html' });
    expect(missing.status).to.equal(404);
    const text = pageText(await missing.text());
    expect(text).to.include('la edición «no-existe» no existe');
    expect(text).not.to.include('does not exist');
    const route = pageText(await (await admin.get('/no/hay/tal', { accept: 'text/html' })).text());
    expect(route).to.include('esa dirección no existe en este servicio');
  });

  it('the questionnaire by sections, the returned questionnaire and the review with comments and reasons: no English validator phrase nor definition id', async () => {
    const pilot = await createPilot('piloto-es-secciones');
    const [fresh, back] = pilot.institutions as [(typeof pilot.institutions)[number], (typeof pilot.institutions)[number]];
    const evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    const submit = await new Client(server.url).request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS }, headers: { authorization: `Bearer ${back.token}` } });
    expect(submit.status).to.equal(200);
    const returned = await evaluator.request('POST', `/api/v1/editions/${pilot.editionId}/institutions/${back.id}/return`, { json: { comments: [{ item: 'aiTraining', comment: 'Adjunte la constancia.' }] } });
    expect(returned.status).to.equal(200);
    const texts: Record<string, string> = {};
    const check = (path: string, html: string) => {
      const text = pageText(html);
      texts[path] = text;
      expect(englishIn(text), path).to.deep.equal([]);
      expect(identifiersIn(text, ids), path).to.deep.equal([]);
    };
    for (const institution of [fresh, back]) {
      const respondent = new Client(server.url);
      await respondent.get(`/responder/${institution.token}`, { accept: 'text/html' });
      for (const path of ['/responder', '/responder/todas', '/responder/seccion/1', '/responder/seccion/3', '/responder/seccion/5', '/responder/enviar']) check(`${institution.name} ${path}`, await respondent.page(path));
      // A page post with an invalid value, and (returned) a changed answer without its reason.
      const page = await respondent.page('/responder/seccion/1');
      const revision = /name="baseRevision" value="(\d+)"/.exec(page)![1]!;
      const bad = await respondent.request('POST', '/responder', { form: { aiUnit: 'yes', aiStaffCount: '-3', aiTraining: 'yes', seccion: '1', action: 'save', baseRevision: revision }, headers: { accept: 'text/html' } });
      expect(bad.status).to.equal(400);
      check(`${institution.name} error`, await bad.text());
    }
    expect(texts[`${back.name} /responder`]).to.include('Respuestas con comentarios del evaluador');
    expect(texts[`${back.name} error`]).to.include('motivo del cambio: diga por qué cambia esta respuesta');
    check('review', await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${back.id}`));
    check('review of a draft with the citizen logs', await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${fresh.id}`));
    expect(texts.review).to.include('Comentario enviado al devolver: Adjunte la constancia.');
  });
});
