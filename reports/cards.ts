/**
 * Institution report cards, many per print: the cards' HTML goes into one document (each card on a
 * new page, its section numbers and chart ids its own), Chromium prints it once with a document
 * outline, and pdf-lib cuts the PDF at the outline's top-level entries (one per card: its title) and
 * writes "Página i de n" on each card's pages. Measured on the project's 2-core machine (bench/
 * reports.ts): a print per card costs about three times as much as a card in a batch of 12, since
 * most of a print is fixed cost. A single card goes through the same path, so a card looks the same
 * whether it was downloaded alone or zipped with the whole edition.
 */
import { PDFDocument, PDFName, PDFDict, PDFArray, PDFRef, StandardFonts, rgb, type PDFPage } from 'pdf-lib';
import { pdfOptions, type PdfFooterInfo, type RenderPdfOptions } from './browser.js';
import type { InstitutionReportData } from './models/institution.js';
import { pagePool, type RenderPriority } from './pages.js';
import { footerInfo } from './views/common.js';
import { renderInstitutionReportHtml } from './views/institution.js';

/** Cards printed together by default: large enough to spread a print's fixed cost, small enough to retry cheaply. */
export const CARDS_PER_PRINT = 12;

export interface CardsPdfOptions extends RenderPdfOptions {
  priority?: RenderPriority;
  signal?: AbortSignal;
}

/** The card layout's <head> content and <body> content; undefined when the layout changed shape. */
function documentParts(html: string): { head: string; body: string } | undefined {
  const head = /<head>([\s\S]*)<\/head>/i.exec(html)?.[1];
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1];
  return head !== undefined && body !== undefined ? { head, body } : undefined;
}

/** Ids inside one card (chart clip paths, gradients, anchors) made unique within the batch document. */
function scopeIds(body: string, prefix: string): string {
  return body
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** One HTML document with every card, each starting on a new page with its own section numbers. */
export function cardsDocumentHtml(htmls: readonly string[]): string | undefined {
  const parts = htmls.map(documentParts);
  if (parts.some((p) => !p)) return undefined;
  const cards = parts.map((p, i) => `<div class="card-doc">${scopeIds(p!.body, `card${i + 1}`)}</div>`).join('\n');
  return `<!DOCTYPE html>
<html lang="es-MX">
<head>${parts[0]!.head}<style>.card-doc { counter-reset: section; } .card-doc + .card-doc { break-before: page; }</style></head>
<body>
${cards}
</body>
</html>`;
}

/** Page index where each top-level outline entry points (in outline order). */
function outlineStarts(doc: PDFDocument): number[] | undefined {
  const outlines = doc.catalog.lookupMaybe(PDFName.of('Outlines'), PDFDict);
  if (!outlines) return undefined;
  const pageIndex = new Map(doc.getPages().map((page, i) => [page.ref.toString(), i]));
  const starts: number[] = [];
  let item = outlines.get(PDFName.of('First'));
  while (item instanceof PDFRef) {
    const entry = doc.context.lookup(item, PDFDict);
    let destination = entry.lookupMaybe(PDFName.of('Dest'), PDFArray);
    if (!destination) destination = entry.lookupMaybe(PDFName.of('A'), PDFDict)?.lookupMaybe(PDFName.of('D'), PDFArray);
    const target = destination?.get(0);
    const index = target instanceof PDFRef ? pageIndex.get(target.toString()) : undefined;
    if (index === undefined) return undefined;
    starts.push(index);
    item = entry.get(PDFName.of('Next'));
  }
  return starts;
}

/**
 * Where Chromium's footer line sits (7 CSS px = 5.25 pt of DejaVu Sans, 12 mm side margin, 18 mm bottom
 * margin); Helvetica, a standard PDF font (nothing to embed), at 5.5 pt matches DejaVu's height.
 */
const FOOTER = { size: 5.5, rightMarginPt: (12 / 25.4) * 72 + 0.7, baselinePt: 16.1, color: rgb(0x55 / 255, 0x55 / 255, 0x55 / 255) };

async function stampPageNumbers(doc: PDFDocument, pages: readonly PDFPage[]): Promise<void> {
  const font = await doc.embedFont(StandardFonts.Helvetica);
  pages.forEach((page, i) => {
    const label = `Página ${i + 1} de ${pages.length}`;
    const width = font.widthOfTextAtSize(label, FOOTER.size);
    page.drawText(label, { x: page.getWidth() - FOOTER.rightMarginPt - width, y: FOOTER.baselinePt, size: FOOTER.size, font, color: FOOTER.color });
  });
}

function describe(doc: PDFDocument, card: InstitutionReportData, created: Date): void {
  doc.setTitle(card.meta.title, { showInWindowTitleBar: true });
  doc.setSubject(card.meta.subtitle);
  doc.setLanguage('es-MX');
  doc.setCreator('Métrica de Gobierno Abierto (Chromium)');
  doc.setProducer('pdf-lib');
  doc.setCreationDate(created);
  doc.setModificationDate(created);
}

const sameFooter = (a: PdfFooterInfo, b: PdfFooterInfo) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every card's PDF, in order. Cards print together when they share their footer (one edition's cards
 * do); otherwise, or if the printed outline does not match the cards, each card prints alone.
 */
export async function renderInstitutionCardPdfs(cards: readonly InstitutionReportData[], options: CardsPdfOptions = {}): Promise<Buffer[]> {
  if (cards.length === 0) return [];
  const footer = footerInfo(cards[0]!.meta);
  if (cards.length > 1 && !cards.every((c) => sameFooter(footerInfo(c.meta), footer))) return one(cards, options);
  // A card's HTML (its chart drawn in this process) takes some 15 ms: one at a time, letting the
  // process answer other requests in between.
  const htmls: string[] = [];
  for (const card of cards) {
    htmls.push(renderInstitutionReportHtml(card));
    if (cards.length > 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const html = cards.length === 1 ? htmls[0] : cardsDocumentHtml(htmls);
  if (html === undefined) return one(cards, options);
  const printed = await pagePool().use(
    async (page) => {
      await page.setContent(html, { waitUntil: 'load', timeout: options.timeoutMs ?? 120_000 });
      return page.pdf(pdfOptions(footer, { ...options, pageNumbers: false, outline: cards.length > 1 }));
    },
    { priority: options.priority ?? 'interactive', ...(options.signal && { signal: options.signal }) },
  );
  const source = await PDFDocument.load(printed, { updateMetadata: false });
  const created = cards[0]!.meta.generatedAt;
  if (cards.length === 1) {
    await stampPageNumbers(source, source.getPages());
    describe(source, cards[0]!, created);
    return [Buffer.from(await source.save())];
  }
  const starts = outlineStarts(source);
  const count = source.getPageCount();
  if (!starts || starts.length !== cards.length || starts[0] !== 0 || starts.some((s, i) => i > 0 && s <= starts[i - 1]!) || starts.at(-1)! >= count) return one(cards, options);
  const out: Buffer[] = [];
  for (let i = 0; i < cards.length; i++) {
    const end = i + 1 < cards.length ? starts[i + 1]! : count;
    const doc = await PDFDocument.create({ updateMetadata: false });
    const pages = await doc.copyPages(source, Array.from({ length: end - starts[i]! }, (_, k) => starts[i]! + k));
    for (const page of pages) doc.addPage(page);
    await stampPageNumbers(doc, pages);
    describe(doc, cards[i]!, created);
    out.push(Buffer.from(await doc.save()));
  }
  return out;
}

/** The fallback: one print per card. */
async function one(cards: readonly InstitutionReportData[], options: CardsPdfOptions): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const card of cards) out.push(...(await renderInstitutionCardPdfs([card], options)));
  return out;
}
