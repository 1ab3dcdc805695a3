/**
 * One shared headless Chromium (puppeteer-core) for every PDF: launched on first use, reused by all
 * later renders (a launch costs about a second, a page a few tens of milliseconds), closed explicitly.
 * Which executable runs, and its provisioning, is reports/chromium.ts's business.
 */
import puppeteer, { type Browser, type PDFOptions } from 'puppeteer-core';
import { resolveChromium } from './chromium.js';
import { formatDateTime } from './format.js';
import { closePagePool, pagePool } from './pages.js';

export { ChromiumNotFoundError, NoChromiumError, resolveChromium } from './chromium.js';

/**
 * Flags verified on the project's machines (ENVIRONMENT.md): without the networking ones Chromium keeps
 * trying to reach Google. "--headless" is added by puppeteer's `headless: 'shell'`, which passes it as is.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/**
 * Puppeteer's own signal handlers are off: on Ctrl-C they would kill the browser and call
 * process.exit() at once, cutting the service's drain short and leaving mongod unclosed. The browser
 * still goes when this process exits (puppeteer's exit handler), after the service's own shutdown.
 */
const OWN_SIGNALS = { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false } as const;

let browserPromise: Promise<Browser> | undefined;

/** The shared browser, launched on first call; concurrent first calls share one launch. */
export function getBrowser(): Promise<Browser> {
  if (browserPromise) return browserPromise;
  const launching = resolveChromium()
    .then(({ path: executablePath }) => puppeteer.launch({ executablePath, headless: 'shell', args: [...CHROMIUM_FLAGS], protocolTimeout: 120_000, ...OWN_SIGNALS }))
    .then((browser) => {
      // A crashed or externally closed browser is relaunched by the next render.
      browser.once('disconnected', () => {
        if (browserPromise === launching) browserPromise = undefined;
      });
      return browser;
    });
  launching.catch(() => {
    if (browserPromise === launching) browserPromise = undefined;
  });
  browserPromise = launching;
  return launching;
}

/** Closes the shared browser if it was launched (and its pool of pages); the next render launches a new one. */
export async function closeBrowser(): Promise<void> {
  await closePagePool();
  const pending = browserPromise;
  browserPromise = undefined;
  if (!pending) return;
  const browser = await pending.catch(() => undefined);
  await browser?.close();
}

export interface PdfFooterInfo {
  generatedAt: Date;
  /** Shown with the first 12 hex digits of its hash (the full hash belongs in the report's annex). */
  methodology?: { id: string; version?: string; hash: string };
  /** Short names of the data sources. */
  sources?: readonly string[];
  /** Time zone of the printed date; default America/Mexico_City. */
  timeZone?: string;
}

export interface RenderPdfOptions {
  landscape?: boolean;
  /** Per render; default 60 s. */
  timeoutMs?: number;
  /** Requests people wait for go first (default); background work (jobs) waits behind them and is never refused. */
  priority?: 'interactive' | 'background';
  signal?: AbortSignal;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Chromium prints header and footer templates in their own document at a tiny default size, so the
 * footer carries its own font and size; pageNumber/totalPages are filled in by Chromium. Without
 * `pageNumbers` the right-hand "Página i de n" is left out (cards print many to a document and get
 * their numbers afterwards, see cards.ts).
 */
export function footerTemplate(info: PdfFooterInfo, { pageNumbers = true }: { pageNumbers?: boolean } = {}): string {
  const parts = [`Generado: ${formatDateTime(info.generatedAt, info.timeZone)}`];
  if (info.methodology) {
    const version = info.methodology.version ? ` v${info.methodology.version}` : '';
    parts.push(`Metodología ${info.methodology.id}${version} (sha256 ${info.methodology.hash.slice(0, 12)}…)`);
  }
  if (info.sources && info.sources.length > 0) parts.push(`Fuentes: ${info.sources.join('; ')}`);
  return `<div style="font-family: 'DejaVu Sans', sans-serif; font-size: 7px; color: #555; width: 100%; margin: 0 12mm; display: flex; justify-content: space-between; gap: 8px;">
  <span style="overflow: hidden; text-overflow: ellipsis; white-space: nowrap;">${escapeHtml(parts.join(' · '))}</span>
  ${pageNumbers ? '<span style="white-space: nowrap;">Página <span class="pageNumber"></span> de <span class="totalPages"></span></span>' : '<span></span>'}
</div>`;
}

/** The print options of every report: A4, margins, the footer; `outline` adds the headings as bookmarks. */
export function pdfOptions(footer: PdfFooterInfo, options: RenderPdfOptions & { pageNumbers?: boolean; outline?: boolean } = {}): PDFOptions {
  return {
    format: 'A4',
    landscape: options.landscape ?? false,
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate: footerTemplate(footer, { pageNumbers: options.pageNumbers ?? true }),
    margin: { top: '16mm', right: '14mm', bottom: '18mm', left: '14mm' },
    ...(options.outline && { outline: true, tagged: true }),
    timeout: options.timeoutMs ?? 60_000,
  };
}

/**
 * Renders complete HTML to an A4 PDF with the footer; the HTML must not need the network. Runs on a
 * page of the bounded pool (pages.ts): it may wait for a free page, or throw RenderBusyError when
 * too many interactive renders wait already.
 */
export async function renderPdf(html: string, footer: PdfFooterInfo, options: RenderPdfOptions = {}): Promise<Buffer> {
  return pagePool().use(
    async (page) => {
      await page.setContent(html, { waitUntil: 'load', timeout: options.timeoutMs ?? 60_000 });
      return Buffer.from(await page.pdf(pdfOptions(footer, options)));
    },
    { priority: options.priority ?? 'interactive', ...(options.signal && { signal: options.signal }) },
  );
}
