/**
 * Accessibility of every kind of page, in Debian's Chromium (playwright-core) over one seeded
 * database: an axe-core scan with no serious or critical finding, no horizontal scrolling at 390 px,
 * and the keyboard: the skip link moves the focus to the content, a failed post to its error summary.
 * `A11Y_SHOTS=/tmp/a11y-shots` also saves a screenshot of every page kind at 390 and 1280 px.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { axeScan, severe, measureWidth, launchBrowser, LAYOUT_RULES, NARROW_WIDTH, WIDE_WIDTH, focused, type AxeFinding } from './a11y.js';
import { pageWorld, type PageWorld } from './pageKinds.js';
import { DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { editionInstrument, saveDraft } from '../../server/services/responses.js';
import { DEMO_EDITION } from '../../server/services/demo.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { ResponseModel } from '../../server/models/response.js';

const SHOTS = process.env.A11Y_SHOTS;

describe('browser: accessibility of every page kind', function () {
  this.timeout(600_000);
  let server: TestServer;
  let browser: Browser;
  let world: PageWorld;

  before(async () => {
    await useTestDatabase('browser_a11y');
    server = await startTestServer();
    browser = await launchBrowser();
    world = await pageWorld(browser, server.url);
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await world?.close();
    await browser?.close();
    await server?.close();
  });

  it('every page kind: no serious or critical axe finding, no horizontal scrolling at 390 px, focus on the error summary after a failed post', async () => {
    const problems: string[] = [];
    const table: string[] = [];
    const only = process.env.A11Y_KINDS ? new RegExp(process.env.A11Y_KINDS) : undefined; // while developing: some kinds only
    for (const kind of world.kinds.filter((k) => !only || only.test(k.kind))) {
      const started = Date.now();
      const { page, shared } = await world.pageFor(kind);
      await page.setViewportSize({ width: WIDE_WIDTH, height: 900 });
      let status: number;
      try {
        status = await kind.open(page);
      } catch (error) {
        problems.push(`${kind.kind}: could not open it: ${(error as Error).message.split('\n')[0]}`);
        if (!shared) await page.close();
        continue;
      }
      if (status !== kind.status) problems.push(`${kind.kind}: answered ${status}, expected ${kind.status}`);
      const findings: AxeFinding[] = await axeScan(page);
      const bad = severe(findings);
      for (const f of bad) problems.push(`${kind.kind} (${page.url()}): axe ${f.impact} ${f.id}: ${f.help}\n      ${f.nodes.join('\n      ')}`);
      const tables = await tableHeaders(page);
      if (tables.uncaptioned.length) problems.push(`${kind.kind}: ${tables.uncaptioned.length} of ${tables.count} tables without a caption: ${tables.uncaptioned.join('; ')}`);
      if (tables.unscoped) problems.push(`${kind.kind}: ${tables.unscoped} header cells without scope`);
      const bareUrls = await page.evaluate(() => {
        const found: string[] = [];
        const walker = document.createTreeWalker(document.querySelector('main') ?? document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (node.parentElement?.closest('a, script, style, textarea, option, .mail-text')) continue;
          const url = /https?:\/\/[^\s/]+\.[^\s]+/.exec(node.textContent ?? '');
          if (url) found.push(url[0]);
        }
        return found;
      });
      const duplicateIds = await page.evaluate(() => {
        const seen = new Map<string, number>();
        for (const el of Array.from(document.querySelectorAll('[id]'))) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
        return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      });
      if (duplicateIds.length) problems.push(`${kind.kind}: ids used more than once: ${duplicateIds.slice(0, 5).join(', ')}`);
      if (bareUrls.length) problems.push(`${kind.kind}: web addresses that are not links: ${bareUrls.slice(0, 3).join(' ')}`);
      // A failed post (a 4xx page with an error summary, or a redirect to a page with an error message): the focus on it.
      const errorShown = (await page.locator('.flash.error').count()) > 0 ? '.flash.error' : status >= 400 && (await page.locator('.error-summary').count()) > 0 ? '.error-summary' : undefined;
      if (errorShown && !(await page.evaluate((selector) => document.activeElement?.matches(selector), errorShown))) {
        const now = await focused(page);
        problems.push(`${kind.kind}: the focus is on ${now.tag}#${now.id}.${now.className}, not on ${errorShown}`);
      }
      if (SHOTS) await shoot(page, `${SHOTS}/${slug(kind.kind)}-1280.png`);
      const width = await measureWidth(page, NARROW_WIDTH);
      if (width.scrollWidth > NARROW_WIDTH) problems.push(`${kind.kind} (${page.url()}): ${width.scrollWidth} px wide at ${NARROW_WIDTH} px: ${width.culprits.join('; ')}`);
      // At the phone's width too: tables that scroll in their box must take the keyboard, targets stay big enough.
      await page.waitForTimeout(250); // page.js marks the scrolling tables after a resize
      const narrowBad = severe(await axeScan(page, LAYOUT_RULES)).filter((f) => !bad.some((b) => b.id === f.id));
      for (const f of narrowBad) problems.push(`${kind.kind} at ${NARROW_WIDTH} px: axe ${f.impact} ${f.id}: ${f.help}\n      ${f.nodes.join('\n      ')}`);
      if (SHOTS) await shoot(page, `${SHOTS}/${slug(kind.kind)}-390.png`);
      table.push(`${kind.kind.padEnd(40)} ${String(status).padEnd(4)} axe serious/critical ${String(bad.length + narrowBad.length).padStart(2)} (all ${String(findings.length).padStart(2)}: ${findings.map((f) => `${f.id}/${f.impact}`).join(', ')}) · tables ${tables.count}, uncaptioned ${tables.uncaptioned.length}, th without scope ${tables.unscoped} · ${width.scrollWidth} px at 390 · ${Date.now() - started} ms`);
      if (!shared) await page.close();
    }
    if (process.env.A11Y_REPORT) console.log(table.join('\n'));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('the skip link moves the keyboard focus to the main content', async () => {
    const page = await world.contextFor('public').newPage();
    await page.goto(`${server.url}/resultados/mga-2017`);
    await page.keyboard.press('Tab');
    expect((await focused(page)).text).to.equal('Saltar al contenido');
    expect(await page.locator('.skip').isVisible(), 'the skip link shows when it has the focus').to.equal(true);
    await page.keyboard.press('Enter');
    expect((await focused(page)).tag).to.equal('MAIN');
    // The next Tab goes to the first link of the content, not back to the header.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('main')))).to.equal(true);
    await page.close();
  });

  it('without JavaScript too: the focus goes to the error summary after a failed sign-in, and to the content after the skip link', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/entrar`);
    await page.locator('#f-email').fill('nadie@example.org');
    await page.locator('#f-password').fill('no es la contraseña');
    await Promise.all([page.waitForNavigation(), page.locator('#f-password').press('Enter')]);
    expect((await focused(page)).className).to.include('error-summary');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.matches('.error-summary a')), 'the next Tab goes to the summary\'s link').to.equal(true);
    await page.goto(`${server.url}/metodologia`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect((await focused(page)).tag).to.equal('MAIN');
    await context.close();
  });

  it('a respondent answers, saves and submits with the keyboard only (Tab, Enter, Space), the focus where it should be', async () => {
    // Everything answered but one required question, as after an earlier session.
    const puebla = await InstitutionModel.findOne({ scope: DEMO_EDITION, name: 'Municipio de Puebla' }).lean();
    const { aiCommittee: _left, ...almost } = DEMO_GOVERNMENT_ANSWERS as Record<string, unknown>;
    await saveDraft(DEMO_EDITION, String(puebla!._id), await editionInstrument(DEMO_EDITION, 'institution'), almost, { actor: { kind: 'respondent', id: 'prueba', label: 'Sujeto obligado: Municipio de Puebla', role: 'respondent' }, editableIn: ['draft'] });
    const page = await world.respondentPage('Municipio de Puebla');
    await page.setViewportSize({ width: WIDE_WIDTH, height: 900 });

    // The skip link is the first stop and takes the focus to the content.
    await page.keyboard.press('Tab');
    expect((await focused(page)).text).to.equal('Saltar al contenido');
    await page.keyboard.press('Enter');
    expect((await focused(page)).tag, 'after the skip link').to.equal('MAIN');

    // From the section index to the whole questionnaire on one page.
    await tabTo(page, '«Ver todas las preguntas…»', (el) => el.tag === 'A' && el.text === 'Ver todas las preguntas en una sola página');
    await Promise.all([page.waitForURL(/\/responder\/todas$/), page.keyboard.press('Enter')]);

    // Sending with a question unanswered: the page comes back with the focus on its error summary.
    await tabTo(page, '«Enviar cuestionario…»', (el) => el.tag === 'BUTTON' && el.text === 'Enviar cuestionario…');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const summary = await focused(page);
    expect(summary.className, 'after the failed post').to.include('error-summary');
    expect(await page.locator('.error-summary').textContent()).to.include('Comité de Transparencia');

    // Its link leads to the question; Space answers it.
    await page.keyboard.press('Tab');
    expect((await focused(page)).tag).to.equal('A');
    await page.keyboard.press('Enter');
    await tabTo(page, 'the first choice of the question', (el) => el.name === 'aiCommittee', 3);
    expect((await focused(page)).id).to.equal('f-aiCommittee-yes');
    await page.keyboard.press('Space');
    expect(await page.locator('#f-aiCommittee-yes').isChecked()).to.equal(true);

    // «Guardar borrador» stores it.
    await tabTo(page, '«Guardar borrador»', (el) => el.tag === 'BUTTON' && el.text === 'Guardar borrador');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.locator('.flash').textContent()).to.match(/Borrador guardado/);
    const stored = await ResponseModel.findOne({ institution: String(puebla!._id) }).lean();
    expect((stored?.answers as Record<string, unknown>).aiCommittee).to.equal('yes');
    expect((await focused(page)).className, 'the confirmation has the focus').to.equal('flash');

    // Send (the button of the form, or the index's link after the save), confirm with Space, send with Enter: the receipt.
    await tabTo(page, '«Enviar cuestionario…»', (el) => ['A', 'BUTTON'].includes(el.tag) && el.text === 'Enviar cuestionario…');
    await Promise.all([page.waitForURL(/\/responder\/enviar$/), page.keyboard.press('Enter')]);
    await tabTo(page, 'the confirmation', (el) => el.id === 'f-confirmar');
    await page.keyboard.press('Space');
    await tabTo(page, '«Enviar cuestionario»', (el) => el.tag === 'BUTTON' && el.text === 'Enviar cuestionario', 3);
    await Promise.all([page.waitForURL(/\/responder\/acuse$/), page.keyboard.press('Enter')]);
    expect(await page.getByTestId('folio').textContent()).to.match(/^PILOTO-DEMO-\d{5}$/);
  });
});

/** Data tables without a caption (or with an empty one) and header cells without scope. */
async function tableHeaders(page: Page): Promise<{ count: number; uncaptioned: string[]; unscoped: number }> {
  return page.evaluate(() => {
    const tables = Array.from(document.querySelectorAll('table')).filter((t) => !['presentation', 'none'].includes(t.getAttribute('role') ?? ''));
    return {
      count: tables.length,
      uncaptioned: tables.filter((t) => !t.caption?.textContent?.trim()).map((t) => (t.querySelector('th')?.textContent ?? t.className ?? '').trim().slice(0, 40)),
      unscoped: tables.flatMap((t) => Array.from(t.querySelectorAll('th'))).filter((th) => !th.hasAttribute('scope')).length,
    };
  });
}

/** Presses Tab (only Tab) until `reached` holds for the focused element; fails after `max` presses. */
async function tabTo(page: Page, what: string, reached: (el: { tag: string; id: string; className: string; text: string; name: string; type: string; value: string }) => boolean, max = 400): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement | null;
      return { tag: a?.tagName ?? '', id: a?.id ?? '', className: typeof a?.className === 'string' ? a.className : '', text: (a?.textContent ?? '').trim(), name: a?.getAttribute('name') ?? '', type: a?.getAttribute('type') ?? '', value: a?.getAttribute('value') ?? '' };
    });
    if (reached(el)) return presses;
  }
  throw new Error(`Tab never reached ${what} in ${max} presses`);
}

/** A screenshot of the top of the page (at most 2,400 px of it, enough to judge the layout). */
async function shoot(page: Page, path: string): Promise<void> {
  const size = await page.evaluate(() => ({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight }));
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: size.width, height: Math.min(size.height, 2400) } });
}

function slug(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
