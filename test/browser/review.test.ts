/**
 * In Debian's Chromium (playwright-core): a respondent's journey through the questionnaire one
 * section per page with an evidence upload (with and without script), and an evaluator's review
 * with comments, the respondent's reasons beside the changed answer, and the approval.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { PDFDocument } from 'pdf-lib';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { makeUser } from '../setup/client.js';
import { apiRespondent, stored } from '../setup/workflow.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { launchBrowser } from '../setup/browser.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { instrumentById } from '../../server/services/instruments.js';

/** Fills answers in the engine's shape: radios and checkboxes by value, other fields by name; only the fields on the page. */
async function fillShown(page: Page, answers: Record<string, unknown>): Promise<void> {
  for (const [name, value] of Object.entries(answers)) {
    if ((await page.locator(`[name="${name}"]`).count()) === 0) continue;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    const first = page.locator(`input[name="${name}"][value="${values[0]}"]`);
    if ((await first.count()) > 0 && ['radio', 'checkbox'].includes((await first.first().getAttribute('type')) ?? '')) {
      for (const v of values) await page.locator(`input[name="${name}"][value="${v}"]`).check();
    } else {
      await page.locator(`[name="${name}"]`).fill(values.join('\n'));
    }
  }
}

async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/entrar`);
  await page.getByLabel('Correo').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.waitForURL(/\/evaluacion$/);
}

async function pdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([200, 200]).drawText('Acta de instalación');
  return Buffer.from(await doc.save());
}

const SECTIONS = instrumentById('mga-2017-gobierno').definition.sections;

describe('browser: the questionnaire by sections, and a review with comments, reasons and approval', function () {
  this.timeout(300_000);
  let server: TestServer;
  let browser: Browser;
  let pilot: Pilot;

  before(async () => {
    await useTestDatabase('browser_review');
    server = await startTestServer();
    pilot = await createPilot('piloto-secciones-nav');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a respondent goes through the sections from the index, attaches a file, and submits; the other sections are never lost', async () => {
    const institution = pilot.institutions[0]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/responder/${institution.token}`);
    await page.waitForURL(/\/responder$/);
    const index = page.getByTestId('indice-secciones');
    expect(await index.locator('li').count()).to.equal(SECTIONS.length);
    expect(await page.getByTestId('avance-seccion-1').textContent()).to.equal('0 de 7 respondidas');

    await index.getByRole('link', { name: SECTIONS[0]!.title.es }).click();
    await page.waitForURL(/\/responder\/seccion\/1$/);
    expect(await page.locator('[data-condition-note]').isVisible(), 'with script the conditions are not explained in words').to.equal(false);
    expect(await page.locator('[data-item="aiHead"]').isVisible(), 'aiHead waits for aiUnit = yes').to.equal(false);
    await page.locator('input[name="aiUnit"][value="yes"]').check();
    expect(await page.locator('[data-item="aiHead"]').isVisible(), 'and appears as soon as it holds').to.equal(true);
    await page.locator('input[name="archivo:aiUnit"]').setInputFiles({ name: 'Acta de instalación.pdf', mimeType: 'application/pdf', buffer: await pdf() });

    // Section after section with «Guardar y seguir»; the last one leads back to the index.
    for (let number = 1; number <= SECTIONS.length; number++) {
      await page.waitForURL(new RegExp(`/responder/seccion/${number}$`));
      await fillShown(page, DEMO_GOVERNMENT_ANSWERS as Record<string, unknown>);
      if (number === 1) expect(await page.locator('.section-nav').textContent()).to.include(`Sección 1 de ${SECTIONS.length}`);
      const button = number < SECTIONS.length ? `Guardar y seguir a la sección ${number + 1}` : 'Guardar y volver al índice';
      await page.getByRole('button', { name: button }).click();
      if (number === 1) {
        await page.waitForURL(/\/responder\/seccion\/2$/);
        expect(await page.locator('.flash').textContent()).to.include('Se adjuntó 1 archivo.');
        const answers = (await stored(institution.id))?.answers as Record<string, unknown>;
        expect(answers.aiUnit).to.equal('yes');
        expect(answers.aiRequestsLastYear).to.equal(412);
      }
    }
    await page.waitForURL(/\/responder$/);
    for (let number = 1; number <= SECTIONS.length; number++) {
      expect(await page.locator('ol.section-index li').nth(number - 1).locator('.state').textContent(), `section ${number}`).to.equal('Completa');
    }
    const answers = (await stored(institution.id))?.answers as Record<string, unknown>;
    for (const [key, value] of Object.entries(DEMO_GOVERNMENT_ANSWERS)) expect(answers[key], key).to.deep.equal(value);

    // Back in section 1 the file is there; submitting from the index.
    await page.goto(`${server.url}/responder/seccion/1`);
    expect(await page.locator('[data-item="aiUnit"] .file-list').textContent()).to.include('Acta de instalación.pdf');
    await page.goto(`${server.url}/responder`);
    await page.getByRole('link', { name: 'Enviar cuestionario…' }).click();
    await page.waitForURL(/\/responder\/enviar$/);
    await page.getByLabel('Confirmo que revisé las respuestas y quiero enviarlas.').check();
    await page.getByRole('button', { name: 'Enviar cuestionario' }).click();
    await page.waitForURL(/\/responder\/acuse$/);
    expect(await page.locator('main').textContent()).to.include('Acta de instalación.pdf');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('mga-borrador-')).length), 'no copy left in the browser').to.equal(0);
    await context.close();
  });

  it('without script a section page still saves, explains each condition once, and keeps the other sections', async () => {
    const institution = pilot.institutions[1]!;
    const api = apiRespondent(server.url, institution.token);
    expect((await api.request('PUT', '/api/v1/respondent/answers', { json: { answers: { tpPublishes: 'no', generalComments: 'Sin comentarios.' } } })).status).to.equal(200);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/responder/${institution.token}`);
    await page.goto(`${server.url}/responder/seccion/1`);
    expect(await page.locator('[data-condition-note]').count()).to.equal(1);
    expect(await page.locator('[data-condition-note]').isVisible()).to.equal(true);
    expect(await page.locator('main').textContent()).to.not.include('Se responde cuando');
    await page.locator('input[name="aiUnit"][value="yes"]').check();
    await page.locator('input[name="aiHead"][value="no"]').check();
    await page.locator('input[name="archivo:aiUnit"]').setInputFiles({ name: 'acuerdo.pdf', mimeType: 'application/pdf', buffer: await pdf() });
    await page.getByRole('button', { name: 'Guardar borrador' }).click();
    await page.waitForURL(/\/responder\/seccion\/1$/);
    expect(await page.locator('.flash').textContent()).to.include('Se adjuntó 1 archivo.');
    expect(await stored(institution.id).then((d) => d?.answers)).to.deep.equal({ aiUnit: 'yes', aiHead: 'no', tpPublishes: 'no', generalComments: 'Sin comentarios.' });
    await context.close();
  });

  it('an evaluator comments an item and returns; the respondent starts from the commented items, changes the answer with a reason and resubmits; the evaluator sees the reason and approves', async () => {
    const institution = pilot.institutions[2]!;
    const evaluatorUser = await makeUser('evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
    const api = apiRespondent(server.url, institution.token);
    expect((await api.request('POST', '/api/v1/respondent/submit', { json: { answers: DEMO_GOVERNMENT_ANSWERS } })).status).to.equal(200);

    const evaluator = await (await browser.newContext()).newPage();
    await signIn(evaluator, server.url, evaluatorUser.email, evaluatorUser.password);
    await evaluator.goto(`${server.url}/evaluacion/${pilot.editionId}/sujetos/${institution.id}`);
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Enviado, por revisar');
    const item = evaluator.locator('#r-pregunta-aiTraining');
    expect(await item.locator('.review-q').textContent()).to.include('capacitación');
    expect(await item.locator('.review-answer').textContent()).to.equal('No');
    expect(await item.locator('details.comment-box textarea').isVisible(), 'the comment box is collapsed until used').to.equal(false);
    await item.getByText('Comentar esta respuesta').click();
    await item.getByLabel(/Comentario para el sujeto obligado/).fill('Adjunte la constancia de la capacitación o corrija la respuesta.');
    await evaluator.getByLabel('Confirmo que quiero devolver las respuestas').check();
    await evaluator.getByRole('button', { name: 'Devolver con comentarios' }).click();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Devuelto con comentarios');

    // The respondent: the list of commented items comes first and leads to the item.
    const respondent = await (await browser.newContext()).newPage();
    await respondent.goto(`${server.url}/responder/${institution.token}`);
    await respondent.waitForURL(/\/responder$/);
    const headings = await respondent.locator('main h2').allTextContents();
    expect(headings[0]).to.equal('Respuestas con comentarios del evaluador');
    const list = respondent.getByTestId('comentarios-evaluador');
    expect(await list.textContent()).to.include('Adjunte la constancia de la capacitación');
    await list.getByRole('link', { name: /capacitación/ }).click();
    await respondent.waitForURL(/\/responder\/seccion\/1#pregunta-aiTraining$/);
    const block = respondent.locator('#pregunta-aiTraining');
    expect(await block.locator('.review-comment').textContent()).to.include('Adjunte la constancia');
    expect(await block.locator('details.change-reason').isVisible(), 'the reason field appears once the answer changes').to.equal(false);
    await block.locator('input[name="aiTraining"][value="yes"]').check();
    expect(await block.locator('details.change-reason').isVisible()).to.equal(true);
    await block.getByLabel('¿Por qué cambia esta respuesta?').fill('La capacitación se dio en marzo de 2016; adjuntamos la constancia.');
    await respondent.getByRole('button', { name: 'Guardar y seguir a la sección 2' }).click();
    await respondent.waitForURL(/\/responder\/seccion\/2$/);
    await respondent.goto(`${server.url}/responder/enviar`);
    await respondent.getByLabel('Confirmo que revisé las respuestas y quiero enviarlas.').check();
    await respondent.getByRole('button', { name: 'Enviar cuestionario' }).click();
    await respondent.waitForURL(/\/responder\/acuse$/);

    // The evaluator sees the change and its reason beside the answer, then approves.
    await evaluator.reload();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Enviado, por revisar');
    expect(await evaluator.getByTestId('cambios-desde-devolucion').textContent()).to.include('La capacitación se dio en marzo de 2016');
    const changed = evaluator.locator('#r-pregunta-aiTraining');
    expect(await changed.locator('.review-answer').textContent()).to.equal('Sí');
    expect(await changed.getByTestId('cambio-aiTraining').textContent()).to.include('Antes: No').and.include('Motivo del sujeto obligado: La capacitación se dio en marzo de 2016; adjuntamos la constancia.');
    await evaluator.getByLabel('Confirmo que quiero aprobar las respuestas').check();
    await evaluator.getByRole('button', { name: 'Aprobar respuestas' }).click();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Aprobado');
    expect(await evaluator.locator('.flash').textContent()).to.include('Respuestas aprobadas');
  });
});
