/**
 * In Debian's Chromium (playwright-core): an admin sets up an edition from nothing. Creates it,
 * downloads the sample template, imports a sample with an error (shown in Spanish naming row and
 * column; nothing imported), fixes it, edits an institution, sets the deadline and the help
 * contact, opens the capture and e-mails the invitations; the e-mails are read back from a real SMTP
 * server in this process. With MGA_SHOTS=<folder>, it also saves screenshots of the pages it visits
 * at 1280 and 390 px wide.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import ExcelJS from 'exceljs';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { makeUser } from '../setup/client.js';
import { TestSmtp, addresses } from '../setup/smtp.js';
import { launchBrowser } from '../setup/browser.js';
import { closeMailTransports } from '../../server/mail/transport.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { EditionModel } from '../../server/models/edition.js';

const EDITION = 'piloto-2027';
const BAD_SAMPLE = ['name,entity,level,type,contactName,contactEmail', 'Municipio de Zapopan,Jalisco,municipal,Municipio,Ana Ruiz,ana@zapopan.example', 'Municipio de León,Guanajuatito,municipal,Municipio,Luis Gómez,luis@leon.example', 'Universidad de Colima,Colima,estatal,Universidad,,'].join('\n');
const GOOD_SAMPLE = BAD_SAMPLE.replace('Guanajuatito', 'Guanajuato');

const SHOTS = process.env.MGA_SHOTS;

async function shoot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  if (width !== 390) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
    await page.setViewportSize({ width, height: 900 });
  }
}

describe('browser: an admin sets up an edition and e-mails its invitations', function () {
  this.timeout(300_000);
  let server: TestServer;
  let browser: Browser;
  let smtp: TestSmtp;
  // As `npm start` does: a worker sends the e-mailed invitations.
  let worker: JobWorker | undefined;
  const saved = { smtp: process.env.SMTP_URL, help: process.env.MGA_HELP_EMAIL };

  before(async () => {
    await useTestDatabase('browser_admin_setup');
    smtp = new TestSmtp();
    await smtp.start();
    process.env.SMTP_URL = smtp.url;
    delete process.env.MGA_HELP_EMAIL;
    server = await startTestServer();
    worker = await startWorker({ logger: createLogger('silent'), settings: { leaseMs: 5000, pollMs: 200 } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.close();
    closeMailTransports();
    await smtp?.stop();
    for (const [key, value] of [['SMTP_URL', saved.smtp], ['MGA_HELP_EMAIL', saved.help]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('create, template, sample with an error then fixed, an institution edited, deadline and help contact, invitations e-mailed', async () => {
    const user = await makeUser('admin');
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, locale: 'es-MX' });
    const page = await context.newPage();
    await page.goto(`${server.url}/entrar`);
    await page.getByLabel('Correo').fill(user.email);
    await page.getByLabel('Contraseña').fill(user.password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(/\/admin$/);

    // Create the edition.
    await page.getByLabel('Identificador').fill(EDITION);
    await page.getByLabel('Año').fill('2027');
    await page.getByLabel('Título').fill('Piloto 2027');
    await page.getByRole('button', { name: 'Crear edición' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    expect(await page.locator('h1').textContent()).to.include('Piloto 2027');

    // The template, from the import form.
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /plantilla en Excel/ }).click()]);
    expect(xlsx.suggestedFilename()).to.equal('plantilla-muestra.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile((await xlsx.path())!)) as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).to.deep.equal(['Muestra', 'Instrucciones', 'Valores válidos']);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /plantilla en CSV/ }).click()]);
    expect((await readFile((await csv.path())!, 'utf-8')).replace(/^\uFEFF/, '')).to.match(/^name,entity,level,type,externalId,contactName,contactEmail,contactCc\r\n/);

    // A sample with an unknown entity in its third row: refused in Spanish, naming row and column; nothing imported.
    await page.getByLabel('Archivo CSV o XLSX').setInputFiles({ name: 'muestra.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_SAMPLE) });
    await page.getByRole('button', { name: 'Importar muestra' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    const errorText = (await summary.textContent())!;
    expect(errorText).to.include('Fila 3').and.include('Guanajuatito');
    expect(errorText).to.match(/entidad/i);
    expect(errorText).to.not.match(/unknown|expected one of|must /i);
    expect(await InstitutionModel.countDocuments({ scope: EDITION })).to.equal(0);
    await shoot(page, 'muestra-error');

    await page.getByLabel('Archivo CSV o XLSX').setInputFiles({ name: 'muestra.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD_SAMPLE) });
    await page.getByRole('button', { name: 'Importar muestra' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    expect(await page.locator('.flash').textContent()).to.include('Muestra importada: 3 sujetos obligados');

    // Edit an institution: first a mistake (shown in Spanish by the field's label), then right.
    await page.getByRole('link', { name: 'Editar datos de Universidad de Colima' }).click();
    await page.waitForURL(/\/sujetos\/[0-9a-f]{24}$/);
    await page.getByLabel('Nombre del contacto').fill('Rosa Díaz');
    await page.getByLabel('Correo del contacto').fill('rosa(at)ucol');
    await page.getByRole('button', { name: 'Guardar cambios' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').textContent()).to.include('Correo del contacto: escriba una dirección de correo válida');
    expect(await page.getByLabel('Correo del contacto').inputValue(), 'what was typed stays').to.equal('rosa(at)ucol');
    await shoot(page, 'sujeto-error');
    await page.getByLabel('Correo del contacto').fill('rosa.diaz@ucol.example');
    await page.getByLabel('Nombre del sujeto obligado').fill('Universidad de Colima (UCOL)');
    await page.getByRole('button', { name: 'Guardar cambios' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    expect(await page.locator('.flash').textContent()).to.include('Datos de Universidad de Colima (UCOL) guardados');

    // Two tabs edit the same institution: the second save is refused and shows both versions.
    const second = await context.newPage();
    await second.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('link', { name: 'Editar datos de Municipio de Zapopan' }).click();
    await page.waitForURL(/\/sujetos\/[0-9a-f]{24}$/);
    await second.goto(page.url());
    await page.getByLabel('Nombre del contacto').fill('Ana Ruiz Torres');
    await page.getByRole('button', { name: 'Guardar cambios' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    await second.getByLabel('Nombre del contacto').fill('Ana María Ruiz');
    await second.getByRole('button', { name: 'Guardar cambios' }).click();
    await second.locator('.conflict-alert').waitFor();
    expect(await second.locator('.conflict-alert').textContent()).to.include('Alguien más cambió este sujeto obligado').and.include('Ana María Ruiz').and.include('Ana Ruiz Torres');
    await shoot(second, 'sujeto-conflicto');
    await second.close();
    expect((await InstitutionModel.findOne({ scope: EDITION, name: 'Municipio de Zapopan' }).lean())!.contactName).to.equal('Ana Ruiz Torres');

    // The removal page (not used here: the three stay).
    await page.getByRole('link', { name: 'Editar datos de Municipio de León' }).click();
    await page.getByRole('link', { name: /Quitar a Municipio de León de la muestra/ }).click();
    await page.waitForURL(/\/quitar$/);
    expect(await page.locator('form.confirm-box').textContent()).to.include('Confirmo que quiero quitar a Municipio de León de la muestra');
    await shoot(page, 'quitar');

    // The edition's deadline and help contact: a mistake first, then right.
    await page.goto(`${server.url}/admin/ediciones/${EDITION}`);
    await page.getByRole('link', { name: 'Editar título, fecha límite y contacto para dudas' }).click();
    await page.waitForURL(/\/datos$/);
    await page.getByLabel(/^Hasta/).fill('2027-03-31T18:00');
    await page.getByLabel('Nombre de quien atiende dudas').fill('Mesa de ayuda de la Métrica');
    await page.getByLabel('Correo para dudas').fill('ayuda(at)metrica');
    await page.getByRole('button', { name: 'Guardar datos de la edición' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').textContent()).to.include('Correo para dudas: escriba una dirección de correo válida');
    await shoot(page, 'edicion-datos-error');
    await page.getByLabel('Correo para dudas').fill('ayuda@metrica.example');
    await shoot(page, 'edicion-datos');
    await page.getByRole('button', { name: 'Guardar datos de la edición' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    expect(await page.locator('.flash').textContent()).to.include('Datos de la edición guardados');
    expect((await EditionModel.findOne({ editionId: EDITION }).lean())!.deadline!.toISOString()).to.equal('2027-04-01T00:00:00.000Z');
    await shoot(page, 'edicion');

    // Open the capture, then e-mail the invitations.
    await page.getByRole('button', { name: 'Abrir la captura' }).click();
    await page.waitForURL(new RegExp(`/admin/ediciones/${EDITION}$`));
    await page.getByRole('button', { name: 'Emitir invitaciones pendientes y enviarlas por correo' }).click();
    await page.waitForURL(/\/admin\/trabajos$/);
    expect(await page.locator('.flash').textContent()).to.include('Se emitieron 3 invitaciones. 3 correos quedaron en cola y se envían en segundo plano');
    await shoot(page, 'trabajos-invitaciones');
    await page.goto(`${server.url}/admin/ediciones/${EDITION}`);
    const mails = await smtp.waitFor(3);
    expect(mails.map((m) => addresses(m.to)[0]).sort()).to.deep.equal(['ana@zapopan.example', 'luis@leon.example', 'rosa.diaz@ucol.example']);
    const ucol = mails.find((m) => addresses(m.to)[0] === 'rosa.diaz@ucol.example')!;
    expect(ucol.subject).to.include('Piloto 2027');
    expect(ucol.text).to.include('Estimada(o) Rosa Díaz:').and.include('Universidad de Colima (UCOL)').and.include('31 de marzo de 2027').and.include('Mesa de ayuda de la Métrica, ayuda@metrica.example');
    const link = /https?:\/\/\S+\/responder\/inv_[A-Za-z0-9_-]{43}/.exec(ucol.text!)![0];

    // What blocks publishing, linked from the edition page, in plain Spanish.
    await page.getByRole('link', { name: 'Qué falta para publicar' }).click();
    await page.waitForURL(/\/publicar$/);
    const preflight = (await page.locator('main').textContent())!;
    expect(preflight).to.include('Todavía no se puede publicar').and.include('3 sujetos obligados no tienen respuestas aprobadas');
    expect(preflight).to.not.match(/not_approved|pending_review|collecting|draft|review\b/);
    await shoot(page, 'publicar');

    // The link opens the questionnaire of the edited institution.
    const respondent = await (await browser.newContext()).newPage();
    await respondent.goto(link);
    await respondent.waitForURL(/\/responder$/);
    expect(await respondent.locator('body').textContent()).to.include('Universidad de Colima (UCOL)');
    await context.close();
  });
});
