/**
 * The whole questionnaire flow in Debian's Chromium (playwright-core): admin, respondent and
 * evaluator each in their own browser context, against the real app and MongoDB.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { PDFDocument } from 'pdf-lib';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { makeUser } from '../setup/client.js';
import { PILOT_SAMPLE_CSV, createPilot } from '../setup/pilot.js';
import { launchBrowser } from '../setup/browser.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { DEMO_SCORE } from '../questionnaires/demoScore.js';
import { ResponseModel } from '../../server/models/response.js';

const EDITION = 'piloto-navegador';

/** Fills answers in the engine's shape into the form: radios and checkboxes by value, other fields by name. */
async function fillAnswers(page: Page, answers: Record<string, unknown>, prefix = (key: string) => key): Promise<void> {
  for (const [key, value] of Object.entries(answers)) {
    const name = prefix(key);
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    const choice = page.locator(`input[name="${name}"][value="${values[0]}"]`);
    if ((await choice.count()) > 0 && ['radio', 'checkbox'].includes((await choice.first().getAttribute('type')) ?? '')) {
      for (const v of values) await page.locator(`input[name="${name}"][value="${v}"]`).check();
    } else {
      await page.locator(`[name="${name}"]`).fill(values.join('\n'));
    }
  }
}

/** «Enviar cuestionario…» saves the draft and asks for confirmation on its own page; confirmed, it shows the receipt. */
async function submitWithConfirmation(page: Page) {
  await page.getByRole('button', { name: 'Enviar cuestionario' }).click();
  await page.waitForURL(/\/responder\/enviar$/);
  await page.getByLabel('Confirmo que revisé las respuestas y quiero enviarlas.').check();
  await page.getByRole('button', { name: 'Enviar cuestionario' }).click();
  await page.waitForURL(/\/responder\/acuse$/);
}

async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/entrar`);
  await page.getByLabel('Correo').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
}

describe('browser: admin invites, the institution answers, the evaluator returns, approves and scores', function () {
  this.timeout(300_000);
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    await useTestDatabase('browser_flow');
    server = await startTestServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('walks the whole flow and shows the score computed by hand', async () => {
    const adminUser = await makeUser('admin');
    const evaluatorUser = await makeUser('evaluator', [EDITION]);

    // Admin: edition, sample, one invitation link.
    const admin = await (await browser.newContext()).newPage();
    await signIn(admin, server.url, adminUser.email, adminUser.password);
    await admin.waitForURL(/\/admin$/);
    await admin.getByLabel('Identificador').fill(EDITION);
    await admin.getByLabel('Año').fill('2026');
    await admin.getByLabel('Título').fill('Piloto en el navegador');
    await admin.getByRole('button', { name: 'Crear edición' }).click();
    await admin.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    await admin.getByLabel('Archivo CSV o XLSX').setInputFiles({ name: 'muestra.csv', mimeType: 'text/csv', buffer: Buffer.from(PILOT_SAMPLE_CSV) });
    await admin.getByRole('button', { name: 'Importar muestra' }).click();
    await expect(await admin.locator('.flash').textContent()).to.match(/Muestra importada: 3 sujetos obligados/);
    await admin.getByRole('button', { name: 'Abrir la captura' }).click();
    expect(await admin.getByTestId('estado-edicion').textContent()).to.equal('En captura');
    await admin.getByRole('button', { name: 'Generar liga para Municipio de Zapopan' }).click();
    const link = await admin.getByTestId('liga').inputValue();
    expect(link).to.match(new RegExp(`^${server.url}/responder/inv_[A-Za-z0-9_-]{43}$`));

    // Admin: assigns the evaluator to the institutions of Jalisco (evaluators act only on their own).
    await admin.goto(`${server.url}/admin/ediciones/${EDITION}/asignaciones`);
    const evaluatorNumber = /\d+/.exec(evaluatorUser.email)![0];
    await admin.locator('#f-evaluatorId').selectOption({ label: `evaluator ${evaluatorNumber} (${evaluatorUser.email})` });
    await admin.locator('#f-entity').selectOption('Jalisco');
    await admin.getByRole('button', { name: 'Asignar todos los de la entidad' }).click();
    expect(await admin.locator('.flash').textContent()).to.include('2 sujetos obligados asignados');

    // Respondent: fills in and submits.
    const respondent = await (await browser.newContext()).newPage();
    await respondent.goto(link);
    await respondent.waitForURL(/\/responder$/);
    expect(await respondent.locator('h1').textContent()).to.equal('Municipio de Zapopan');
    await respondent.goto(`${server.url}/responder/todas`);
    expect(await respondent.locator('#f-aiHead').isVisible(), 'aiHead waits for aiUnit = yes').to.equal(false);
    await fillAnswers(respondent, DEMO_GOVERNMENT_ANSWERS as Record<string, unknown>);
    await submitWithConfirmation(respondent);
    const folio = await respondent.getByTestId('folio').textContent();
    expect(folio).to.match(new RegExp(`^${EDITION.toUpperCase()}-\\d{5}$`));
    await respondent.goto(`${server.url}/responder`);
    expect(await respondent.getByTestId('estado').textContent()).to.equal('Enviado, por revisar');

    // Evaluator: returns one item with a comment.
    const evaluator = await (await browser.newContext()).newPage();
    await signIn(evaluator, server.url, evaluatorUser.email, evaluatorUser.password);
    await evaluator.goto(`${server.url}/evaluacion/${EDITION}`);
    await evaluator.getByRole('link', { name: 'Municipio de Zapopan' }).click();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Enviado, por revisar');
    await evaluator.locator('#r-pregunta-tpUrl summary').click();
    await evaluator.locator('#c-f-tpUrl').fill('La liga de transparencia proactiva no abre; corríjala.');
    await evaluator.getByLabel('Confirmo que quiero devolver las respuestas').check();
    await evaluator.getByRole('button', { name: 'Devolver con comentarios' }).click();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Devuelto con comentarios');

    // Respondent: sees the comment, fixes the item and resubmits with a reason.
    await respondent.goto(`${server.url}/responder`);
    expect(await respondent.locator('.review-comment').textContent()).to.include('no abre');
    await respondent.goto(`${server.url}/responder/todas`);
    await respondent.locator('[name="tpUrl"]').fill('https://transparencia.municipio.example/proactiva');
    await respondent.getByRole('button', { name: 'Enviar cuestionario' }).click();
    expect(await respondent.locator('.error-summary').textContent(), 'a reason is required').to.include('motivo del cambio: diga por qué cambia esta respuesta');
    await respondent.locator('#f-tpUrl-motivo').fill('Se corrigió la liga.');
    await submitWithConfirmation(respondent);
    await respondent.goto(`${server.url}/responder`);
    expect(await respondent.getByTestId('estado').textContent()).to.equal('Enviado, por revisar');

    // Evaluator: approves, fills the citizen logs row by row and completes them.
    await evaluator.reload();
    expect(await evaluator.locator('#auditoria + .table-scroll table').textContent()).to.include('Se corrigió la liga.');
    await evaluator.getByLabel('Confirmo que quiero aprobar las respuestas').check();
    await evaluator.getByRole('button', { name: 'Aprobar respuestas' }).click();
    expect(await evaluator.getByTestId('estado-respuestas').textContent()).to.equal('Aprobado');
    const requests = DEMO_CITIZEN_ANSWERS.requests as readonly Record<string, unknown>[];
    const proposals = DEMO_CITIZEN_ANSWERS.proposals as readonly Record<string, unknown>[];
    const answerPdf = await PDFDocument.create();
    answerPdf.addPage([200, 200]);
    for (let row = 0; row < Math.max(requests.length, proposals.length); row++) {
      if (requests[row]) await fillAnswers(evaluator, requests[row]!, (key) => `requests[${row}][${key}]`);
      if (proposals[row]) await fillAnswers(evaluator, proposals[row]!, (key) => `proposals[${row}][${key}]`);
      // The institution's answer to the first request, attached in its row.
      if (row === 0) await evaluator.locator('input[name="archivo:requests[0].dateAnswered"]').setInputFiles({ name: 'respuesta-00123416.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await answerPdf.save()) });
      await evaluator.getByRole('button', { name: 'Guardar bitácora' }).click();
      expect(await evaluator.locator('.flash').textContent()).to.include('Bitácora guardada');
      if (row === 0) {
        expect(await evaluator.locator('.flash').textContent()).to.include('Se adjuntó 1 archivo.');
        expect(await evaluator.locator('[data-group="requests"] fieldset.q-row[data-row="0"] a[download]').textContent()).to.equal('respuesta-00123416.pdf');
      }
    }
    await evaluator.getByRole('button', { name: 'Guardar y marcar como completa' }).click();
    expect(await evaluator.getByTestId('estado-bitacora').textContent()).to.equal('Completa');

    for (const node of ['TG', 'TC', 'PG', 'PC', 'GA'] as const) {
      expect(await evaluator.locator(`[data-testid="calificacion"] td[data-node="${node}"]`).textContent(), node).to.equal(DEMO_SCORE[node].toFixed(4));
    }
  });

  it('saves drafts in the background, keeps them through a network failure and sends them when back online', async () => {
    const pilot = await createPilot('piloto-autoguardado');
    const institution = pilot.institutions[0]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/responder/${institution.token}`);
    await page.goto(`${server.url}/responder/todas`);
    await page.locator('input[name="aiUnit"][value="yes"]').check();
    await page.getByText(/guardado automáticamente/).waitFor();
    const stored = async () => (await ResponseModel.findOne({ institution: institution.id }).lean())?.answers as Record<string, unknown> | undefined;
    expect((await stored())?.aiUnit).to.equal('yes');

    await context.setOffline(true);
    await page.locator('[name="aiRequestsLastYear"]').fill('77');
    await page.getByText(/Sin conexión/).waitFor();
    expect((await stored())?.aiRequestsLastYear, 'not on the server yet').to.equal(undefined);
    expect(await page.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('mga-borrador-'))), 'kept in the browser').to.equal(true);
    await context.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.getByText(/guardado automáticamente/).waitFor();
    expect((await stored())?.aiRequestsLastYear).to.equal(77);

    await page.reload();
    expect(await page.locator('[name="aiRequestsLastYear"]').inputValue()).to.equal('77');
    expect(await page.locator('#f-aiHead').isVisible(), 'the condition holds for the saved answer').to.equal(true);
    await context.close();
  });
});
