/**
 * Every kind of page the service shows, reached as its reader would (signed in, through an
 * invitation link, after a failed post), over one seeded database: the 2017 edition for the public
 * pages and the demo's pilot edition (institutions at every stage) for the work pages. The
 * accessibility test walks this list with one browser.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { seedDemo, DEMO_EDITION, type DemoSummary } from '../../server/services/demo.js';
import { InstitutionModel } from '../../server/models/institution.js';

export type Reader = 'public' | 'respondent' | 'evaluator' | 'admin';

export interface PageKind {
  kind: string;
  reader: Reader;
  /** The status the page answers with. */
  status: number;
  /** Opens the page (and does what leads to it, e.g. a failed post); returns the final status. */
  open(page: Page): Promise<number>;
}

export interface PageWorld {
  kinds: PageKind[];
  /** A browser context per reader (respondents get one per invitation, opened by `respondentPage`). */
  contextFor(reader: Reader): BrowserContext;
  respondentPage(institution: string): Promise<Page>;
  /** The page to open `kind` in: a new one in its reader's context, or the (shared) page of its respondent. */
  pageFor(kind: PageKind): Promise<{ page: Page; shared: boolean }>;
  demo: DemoSummary;
  close(): Promise<void>;
}

const PUBLIC_EDITION = 'mga-2017';

async function goto(page: Page, url: string): Promise<number> {
  const response = await page.goto(url, { waitUntil: 'load' });
  return response?.status() ?? 0;
}

/** Status of the navigation a click or submit starts. */
async function statusOf(page: Page, action: () => Promise<unknown>): Promise<number> {
  const [response] = await Promise.all([page.waitForEvent('response', (r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame()), action()]);
  await page.waitForLoadState('load');
  const final = await response.request().response();
  // Follow redirects to the status of the page shown.
  let last = final;
  let request = response.request();
  while (request.redirectedTo()) {
    request = request.redirectedTo()!;
    last = await request.response();
  }
  return last?.status() ?? 0;
}

async function signIn(context: BrowserContext, baseUrl: string, email: string, password: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/entrar`);
  await page.locator('#f-email').fill(email);
  await page.locator('#f-password').fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/entrar')), page.locator('form[action="/entrar"] button[type="submit"]').click()]);
  await page.close();
}

/** First link on `path` whose href matches `pattern` (to reach an entity, type, level or institution page). */
async function firstLink(context: BrowserContext, url: string, pattern: RegExp): Promise<string> {
  const page = await context.newPage();
  await page.goto(url);
  const hrefs = await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  await page.close();
  const href = hrefs.find((h) => pattern.test(h));
  if (!href) throw new Error(`no link matching ${pattern} on ${url}`);
  return href;
}

/** Seeds the database (call after `useTestDatabase`) and opens one browser context per reader. */
export async function pageWorld(browser: Browser, baseUrl: string): Promise<PageWorld> {
  await loadReferenceEditions(() => {});
  const demo = await seedDemo(baseUrl);
  const account = (role: string) => demo.accounts.find((a) => a.role === role)!;
  const institutions = await InstitutionModel.find({ scope: DEMO_EDITION }, { name: 1 }).lean();
  const idOf = (name: string) => String(institutions.find((i) => i.name === name)!._id);
  const linkOf = (name: string) => demo.invitations.find((i) => i.institution === name)!.link;

  const contexts = new Map<Reader, BrowserContext>();
  const respondentContexts: BrowserContext[] = [];
  contexts.set('public', await browser.newContext());
  contexts.set('evaluator', await browser.newContext());
  contexts.set('admin', await browser.newContext());
  await signIn(contexts.get('evaluator')!, baseUrl, account('evaluator').email, account('evaluator').password);
  await signIn(contexts.get('admin')!, baseUrl, account('admin').email, account('admin').password);

  /** A page in a fresh context signed in through the institution's invitation link. */
  const respondentPage = async (institution: string): Promise<Page> => {
    const context = await browser.newContext();
    respondentContexts.push(context);
    const page = await context.newPage();
    await page.goto(linkOf(institution));
    await page.waitForURL(/\/responder$/);
    return page;
  };
  const respondentPages = new Map<string, Page>();
  const asRespondent = async (institution: string): Promise<Page> => {
    if (!respondentPages.has(institution)) respondentPages.set(institution, await respondentPage(institution));
    return respondentPages.get(institution)!;
  };

  const pub = contexts.get('public')!;
  const results = `${baseUrl}/resultados/${PUBLIC_EDITION}`;
  const entity = await firstLink(pub, results, /\/entidades\//);
  const type = await firstLink(pub, results, /\/tipos\//);
  const level = await firstLink(pub, results, /\/niveles\//);
  const institution = await firstLink(pub, `${results}/sujetos?q=instituto`, /\/sujetos\/[^/?]+$/);

  const simple = (kind: string, reader: Reader, path: string, status = 200): PageKind => ({ kind, reader, status, open: (page) => goto(page, `${baseUrl}${path}`) });
  const edition = `/admin/ediciones/${DEMO_EDITION}`;
  const review = `/evaluacion/${DEMO_EDITION}`;

  const kinds: PageKind[] = [
    // Public
    simple('inicio', 'public', '/'),
    simple('nacional', 'public', `/resultados/${PUBLIC_EDITION}`),
    simple('mapa', 'public', `/resultados/${PUBLIC_EDITION}?indice=PC#mapa`),
    simple('entidad', 'public', entity),
    simple('tipo', 'public', type),
    simple('nivel', 'public', level),
    simple('sujeto obligado', 'public', institution),
    simple('búsqueda', 'public', `/resultados/${PUBLIC_EDITION}/sujetos?q=municipio`),
    simple('búsqueda sin resultados', 'public', `/resultados/${PUBLIC_EDITION}/sujetos?q=zzzz`),
    simple('búsqueda en todas las ediciones', 'public', '/sujetos?q=municipio'),
    simple('metodologías', 'public', '/metodologia'),
    simple('metodología', 'public', `/metodologia/${PUBLIC_EDITION}`),
    simple('¿y si…?', 'public', `/resultados/${PUBLIC_EDITION}/y-si`),
    simple('robustez', 'public', `/resultados/${PUBLIC_EDITION}/robustez`),
    // Sign-in and password reset
    simple('entrar', 'public', '/entrar'),
    {
      kind: 'entrar con error',
      reader: 'public',
      status: 401,
      open: async (page) => {
        await goto(page, `${baseUrl}/entrar`);
        await page.locator('#f-email').fill('nadie@example.org');
        await page.locator('#f-password').fill('no es la contraseña');
        return statusOf(page, () => page.locator('form[action="/entrar"] button[type="submit"]').click());
      },
    },
    simple('recuperar contraseña', 'public', '/entrar/recuperar'),
    {
      kind: 'nueva contraseña',
      reader: 'public',
      status: 200,
      open: async (page) => {
        await goto(page, `${baseUrl}/entrar/recuperar`);
        await page.locator('input[name="email"]').fill(account('viewer').email);
        await statusOf(page, () => page.locator('form[action="/entrar/recuperar"] button[type="submit"]').click());
        const outbox = await contexts.get('admin')!.newPage();
        await outbox.goto(`${baseUrl}/admin/correo`);
        const link = /\/entrar\/restablecer\/[A-Za-z0-9_-]+/.exec(await outbox.content())?.[0];
        await outbox.close();
        if (!link) throw new Error('no password reset link in the outbox');
        return goto(page, `${baseUrl}${link}`);
      },
    },
    simple('liga de restablecer vencida', 'public', '/entrar/restablecer/no-existe', 400),
    // Errors
    simple('no encontrada (404)', 'public', '/no-existe', 404),
    {
      kind: 'solicitud no válida (400)',
      reader: 'public',
      status: 400,
      open: async (page) => {
        await goto(page, `${baseUrl}/entrar`);
        await page.locator('#f-email').fill('a\u0001b@example.org');
        await page.locator('#f-password').fill('x');
        return statusOf(page, () => page.locator('form[action="/entrar"] button[type="submit"]').click());
      },
    },
    // Respondents
    { kind: 'cuestionario', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder`) },
    { kind: 'sección del cuestionario', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder/seccion/1`) },
    { kind: 'cuestionario completo', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder/todas`) },
    {
      kind: 'cuestionario con errores',
      reader: 'respondent',
      status: 400,
      open: async (page) => {
        await goto(page, `${baseUrl}/responder/todas`);
        await page.locator('input[type="number"]').first().evaluate((input: HTMLInputElement) => {
          input.type = 'text';
          input.value = 'muchos';
        });
        return statusOf(page, () => page.getByRole('button', { name: 'Guardar borrador' }).click());
      },
    },
    {
      kind: 'confirmar envío',
      reader: 'respondent',
      status: 200,
      open: async (page) => goto(page, `${baseUrl}/responder/enviar`),
    },
    { kind: 'aviso de error (aún sin acuse)', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder/acuse`) },
    { kind: 'liga no válida', reader: 'public', status: 401, open: (page) => goto(page, `${baseUrl}/responder`) },
    { kind: 'devuelto', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder`) },
    { kind: 'enviado (sólo lectura)', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder`) },
    { kind: 'acuse', reader: 'respondent', status: 200, open: async (page) => goto(page, `${baseUrl}/responder/acuse`) },
    // Evaluators
    simple('evaluación', 'evaluator', '/evaluacion'),
    simple('cola de revisión', 'evaluator', review),
    simple('revisión (enviado)', 'evaluator', `${review}/sujetos/${idOf('Municipio de Mérida')}`),
    simple('revisión (aprobado, con explicación)', 'evaluator', `${review}/sujetos/${idOf('Municipio de Zapopan')}`),
    simple('bitácora de cambios', 'evaluator', `${review}/auditoria`),
    // Admins
    simple('ediciones', 'admin', '/admin'),
    {
      kind: 'ediciones con errores',
      reader: 'admin',
      status: 400,
      open: async (page) => {
        await goto(page, `${baseUrl}/admin`);
        await page.locator('form[action="/admin/ediciones"] input[name="editionId"]').fill('X');
        return statusOf(page, () => page.locator('form[action="/admin/ediciones"] button[type="submit"]').click());
      },
    },
    simple('edición', 'admin', edition),
    simple('publicar (revisión previa)', 'admin', `${edition}/publicar`),
    simple('asignaciones', 'admin', `${edition}/asignaciones`),
    simple('editar sujeto obligado', 'admin', `${edition}/sujetos/${idOf('Municipio de Puebla')}`),
    simple('quitar sujeto obligado', 'admin', `${edition}/sujetos/${idOf('Municipio de Puebla')}/quitar`),
    simple('contacto del sujeto obligado', 'admin', `${edition}/sujetos/${idOf('Municipio de Puebla')}/contacto`),
    simple('cuentas', 'admin', '/admin/cuentas'),
    simple('correo', 'admin', '/admin/correo'),
    simple('trabajos', 'admin', '/admin/trabajos'),
    simple('correspondencias', 'admin', '/admin/correspondencias'),
    simple('correspondencia entre dos ediciones', 'admin', `/admin/correspondencias/${PUBLIC_EDITION}/${DEMO_EDITION}`),
    simple('bitácora de cambios (administración)', 'admin', `${review}/auditoria`),
  ];

  // The respondent kinds open in the context of the institution at the right stage.
  const stageOf: Record<string, string> = {
    cuestionario: 'Municipio de Oaxaca de Juárez',
    'cuestionario con errores': 'Municipio de Oaxaca de Juárez',
    'confirmar envío': 'Municipio de Oaxaca de Juárez',
    'sección del cuestionario': 'Municipio de Oaxaca de Juárez',
    'cuestionario completo': 'Municipio de Oaxaca de Juárez',
    'aviso de error (aún sin acuse)': 'Municipio de Oaxaca de Juárez',
    devuelto: 'Municipio de León',
    'enviado (sólo lectura)': 'Municipio de Mérida',
    acuse: 'Municipio de Mérida',
  };

  return {
    kinds,
    contextFor: (reader) => contexts.get(reader)!,
    respondentPage: asRespondent,
    pageFor: async (kind) => {
      const institutionName = stageOf[kind.kind];
      if (kind.reader === 'respondent' && institutionName) return { page: await asRespondent(institutionName), shared: true };
      return { page: await contexts.get(kind.reader === 'respondent' ? 'public' : kind.reader)!.newPage(), shared: false };
    },
    demo,
    close: async () => {
      for (const context of [...contexts.values(), ...respondentContexts]) await context.close();
    },
  };
}
