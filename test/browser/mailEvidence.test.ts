/**
 * In Debian's Chromium (playwright-core): an admin sets contacts and e-mails the invitations (read
 * back from an in-process SMTP server); the institution opens the e-mailed link and attaches an
 * evidence file from the page; the evaluator sees it with the answer and downloads it.
 */
import { expect } from 'chai';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { PDFDocument } from 'pdf-lib';
import { useTestDatabase } from '../setup/database.js';
import { TestSmtp } from '../setup/smtp.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { makeUser } from '../setup/client.js';
import { createEdition } from '../../server/services/editions.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { importEditionSample } from '../../server/services/results.js';
import { launchBrowser } from '../setup/browser.js';
import { EditionModel } from '../../server/models/edition.js';
import { closeMailTransports } from '../../server/mail/transport.js';
import { MailModel } from '../../server/mail/model.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';

const EDITION = 'piloto-correo';
const SAMPLE = ['name,entity,level,type,contactName,contactEmail', 'Municipio de Zapopan,Jalisco,municipal,Municipio,Ana Ruiz,ana@zapopan.example', 'Municipio de León,Guanajuato,municipal,Municipio,,'].join('\n');

async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/entrar`);
  await page.getByLabel('Correo').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
}

describe('browser: e-mailed invitations and an evidence upload', function () {
  this.timeout(300_000);
  let server: TestServer;
  let browser: Browser;
  const smtp = new TestSmtp();
  const savedSmtp = process.env.SMTP_URL;
  // As `npm start` does: a worker sends the e-mailed invitations.
  let worker: JobWorker | undefined;

  before(async () => {
    await useTestDatabase('browser_mail');
    await smtp.start();
    process.env.SMTP_URL = smtp.url;
    server = await startTestServer();
    worker = await startWorker({ logger: createLogger('silent'), settings: { leaseMs: 5000, pollMs: 200 } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.close();
    closeMailTransports();
    await smtp.stop();
    if (savedSmtp === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = savedSmtp;
  });

  it('the admin e-mails the links; the institution attaches a PDF from its page; the evaluator downloads it', async () => {
    await createEdition({ editionId: EDITION, year: 2026, title: 'Piloto con correo', methodology: 'mga-2017', instruments: ['mga-2017-gobierno', 'mga-2017-ciudadano'] }, SYSTEM_ACTOR);
    await importEditionSample(EDITION, new TextEncoder().encode(SAMPLE), { format: 'csv', fileName: 'muestra.csv' });
    await EditionModel.updateOne({ editionId: EDITION }, { $set: { status: 'collecting' } }); // capture open
    const adminUser = await makeUser('admin');
    const evaluatorUser = await makeUser('evaluator', [EDITION]);
    await assignEditionToEvaluators(EDITION);

    const admin = await (await browser.newContext()).newPage();
    await signIn(admin, server.url, adminUser.email, adminUser.password);
    await admin.waitForURL(/\/admin$/);
    await admin.goto(`${server.url}/admin/ediciones/${EDITION}`);
    await admin.getByRole('button', { name: 'Emitir invitaciones pendientes y enviarlas por correo' }).click();
    await admin.waitForURL(/\/admin\/trabajos$/);
    expect(await admin.locator('.flash').textContent()).to.include('Se emitieron 2 invitaciones. 1 correo quedó en cola').and.include('1 sujeto obligado no tiene correo de contacto');
    const received = await smtp.waitFor(1);
    expect(received).to.have.length(1);
    for (let i = 0; i < 100 && !(await MailModel.exists({ kind: 'invitation', status: 'sent' })); i++) await sleep(100);
    const link = /https?:\/\/\S+\/responder\/inv_[A-Za-z0-9_-]{43}/.exec(received[0]!.text!)![0];
    expect(link.startsWith(server.url)).to.equal(true);
    await admin.goto(`${server.url}/admin/correo`);
    expect(await admin.locator('table').textContent()).to.include('ana@zapopan.example').and.include('Enviado');

    const respondent = await (await browser.newContext()).newPage();
    await respondent.goto(link);
    await respondent.waitForURL(/\/responder$/);
    await respondent.goto(`${server.url}/responder/todas`);
    const doc = await PDFDocument.create();
    doc.addPage([200, 200]);
    await respondent.locator('input[name="archivo:aiUnit"]').setInputFiles({ name: 'Acuerdo de creación.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await doc.save()) });
    await respondent.locator('input[name="aiUnit"][value="yes"]').check();
    await respondent.getByRole('button', { name: 'Guardar borrador' }).click();
    await respondent.waitForURL(/\/responder\/todas$/);
    expect(await respondent.locator('.flash').textContent()).to.include('Se adjuntó 1 archivo.');
    expect(await respondent.locator('[data-item="aiUnit"] .file-list').textContent()).to.include('Acuerdo de creación.pdf');
    // A file that is not a document is refused beside its item, in Spanish.
    await respondent.locator('input[name="archivo:aiProcedure"]').setInputFiles({ name: 'notas.pdf', mimeType: 'application/pdf', buffer: Buffer.from('solo texto') });
    await respondent.getByRole('button', { name: 'Guardar borrador' }).click();
    expect(await respondent.locator('.error-summary').textContent()).to.include('El archivo «notas.pdf» no es de un tipo aceptado');

    const evaluator = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await signIn(evaluator, server.url, evaluatorUser.email, evaluatorUser.password);
    await evaluator.waitForURL(/\/evaluacion$/);
    await evaluator.goto(`${server.url}/evaluacion/${EDITION}`);
    await evaluator.getByRole('link', { name: 'Municipio de Zapopan' }).first().click();
    const fileLink = evaluator.getByRole('link', { name: 'Acuerdo de creación.pdf' });
    const [download] = await Promise.all([evaluator.waitForEvent('download'), fileLink.click()]);
    expect(download.suggestedFilename()).to.equal('Acuerdo de creación.pdf');
  });
});
