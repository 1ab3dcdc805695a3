/**
 * No answer is lost, in Debian's Chromium (playwright-core) against the real app and MongoDB: the
 * rejected-draft scenario keeps the valid answers and the invalid text and says what was not saved;
 * a second tab with a stale copy gets the «su versión / versión guardada» view.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { launchBrowser } from '../setup/browser.js';
import { ResponseModel } from '../../server/models/response.js';

const stored = async (institution: string) => (await ResponseModel.findOne({ institution }).lean())?.answers as Record<string, unknown> | undefined;

describe('browser: drafts keep every valid answer; a stale tab gets the conflict view', function () {
  this.timeout(300_000);
  let server: TestServer;
  let browser: Browser;
  let pilot: Pilot;

  before(async () => {
    await useTestDatabase('browser_workflow');
    server = await startTestServer();
    pilot = await createPilot('piloto-sin-perdidas');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('three answers and a link without its scheme: «Guardar borrador» stores the three, keeps the text, says what was not saved', async () => {
    const institution = pilot.institutions[0]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/responder/${institution.token}`);
    await page.goto(`${server.url}/responder/todas`);
    await page.locator('input[name="aiUnit"][value="yes"]').check();
    await page.locator('input[name="aiHead"][value="yes"]').check();
    await page.locator('[name="aiStaffCount"]').fill('3');
    await page.locator('[name="aiUnit:evidence"]').fill('www.hermosillo.gob.mx/pnt');
    await page.getByRole('button', { name: 'Guardar borrador' }).click();
    await page.locator('#resumen-errores').waitFor();

    const summary = await page.locator('#resumen-errores').textContent();
    expect(summary).to.include('Se guardaron 3 respuestas; 1 no se guardó');
    expect(summary).to.include('"www.hermosillo.gob.mx/pnt" no es una dirección http:// o https:// válida');
    expect(await page.locator('[name="aiUnit:evidence"]').inputValue(), 'the invalid text stays').to.equal('www.hermosillo.gob.mx/pnt');
    expect(await page.evaluate(() => document.activeElement?.id), 'focus on the error summary').to.equal('resumen-errores');
    expect(await stored(institution.id)).to.deep.equal({ aiUnit: 'yes', aiHead: 'yes', aiStaffCount: 3 });
    expect(await page.locator('#avance-texto').textContent()).to.match(/^2 de 12 preguntas obligatorias/);
    // The browser keeps only what the server did not store.
    const copy = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('mga-borrador-'));
      return key ? (JSON.parse(localStorage.getItem(key)!) as { names: string[] }) : undefined;
    });
    expect(copy?.names).to.deep.equal(['aiUnit:evidence']);

    // Reopening the link shows what was stored (not 0 %).
    await page.goto(`${server.url}/responder/${institution.token}`);
    await page.goto(`${server.url}/responder/todas`);
    expect(await page.locator('#avance-texto').textContent()).to.match(/^2 de 12 preguntas obligatorias/);
    expect(await page.locator('[name="aiStaffCount"]').inputValue()).to.equal('3');

    // Fixed, the link is saved in the background and the browser's copy is cleared.
    await page.locator('[name="aiUnit:evidence"]').fill('https://www.hermosillo.gob.mx/pnt');
    await page.getByText(/guardado automáticamente/).waitFor();
    expect((await stored(institution.id))?.['aiUnit:evidence']).to.equal('https://www.hermosillo.gob.mx/pnt');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('mga-borrador-')).length)).to.equal(0);
    await context.close();
  });

  it('a second tab with a stale copy gets the conflict view and chooses, item by item', async () => {
    const institution = pilot.institutions[1]!;
    const context = await browser.newContext();
    const first: Page = await context.newPage();
    await first.goto(`${server.url}/responder/${institution.token}`);
    await first.goto(`${server.url}/responder/todas`);
    const second: Page = await context.newPage();
    await second.goto(`${server.url}/responder/todas`);

    await first.locator('[name="aiRequestsLastYear"]').fill('5');
    await first.getByText(/guardado automáticamente/).waitFor();
    expect((await stored(institution.id))?.aiRequestsLastYear).to.equal(5);

    await second.locator('[name="aiRequestsLastYear"]').fill('8');
    await second.locator('input[name="aiCommittee"][value="no"]').check();
    await second.locator('#conflicto').waitFor({ state: 'visible' });
    expect(await second.locator('#autoguardado').textContent()).to.include('No se guardó');
    expect((await stored(institution.id))?.aiRequestsLastYear, 'nothing overwritten').to.equal(5);

    await second.getByRole('button', { name: 'Revisar las diferencias y elegir' }).click();
    await second.getByText('Sus respuestas cambiaron mientras las editaba').waitFor();
    const rows = second.locator('table.conflicts tbody tr');
    expect(await rows.count()).to.equal(2);
    const staff = second.locator('tr[data-item="aiRequestsLastYear"]');
    expect(await staff.locator('td').nth(0).textContent()).to.include('8');
    expect(await staff.locator('td').nth(1).textContent()).to.include('5');
    await staff.locator('input[value="saved"]').check();
    await second.getByRole('button', { name: 'Guardar las versiones elegidas' }).click();
    await second.waitForURL(/\/responder$/);
    expect(await stored(institution.id)).to.deep.equal({ aiRequestsLastYear: 5, aiCommittee: 'no' });
    await context.close();
  });
});
