/**
 * How to print many report cards fastest, measured on a sample of the 2017 cards with a warm browser:
 * one print per card on a new page each time (the path before the cards job), one print per card on
 * reused pages, and several cards per print (cut afterwards, reports/cards.ts), each with 1 to 3
 * prints at the same time. Prints ms per card and what that makes for all 908 cards.
 */
import { PDFDocument } from 'pdf-lib';
import { getBrowser, pdfOptions } from '../reports/browser.js';
import { renderInstitutionCardPdfs } from '../reports/cards.js';
import type { EditionResults } from '../reports/models/common.js';
import { buildInstitutionReportData, type InstitutionReportData } from '../reports/models/institution.js';
import { configurePagePool } from '../reports/pages.js';
import { footerInfo } from '../reports/views/common.js';
import { renderInstitutionReportHtml } from '../reports/views/institution.js';
import { treeCpuSeconds } from './cpu.js';

export interface StrategyResult {
  name: string;
  msPerCard: number;
  /** CPU of this process and the browser per card. */
  cpuMsPerCard: number;
  projected908s: number;
}

/** Runs `lanes` loops over the batches at once. */
async function lanes<T>(items: readonly T[], count: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(count, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}

/** The old path: a new page per card, Chromium's own footer, closed after each print. */
async function newPagePerCard(cards: readonly InstitutionReportData[], parallel: number): Promise<number> {
  const browser = await getBrowser();
  let pages = 0;
  await lanes(cards, parallel, async (card) => {
    const page = await browser.newPage();
    try {
      await page.setJavaScriptEnabled(false);
      await page.setContent(renderInstitutionReportHtml(card), { waitUntil: 'load', timeout: 120_000 });
      pages += (await PDFDocument.load(await page.pdf(pdfOptions(footerInfo(card.meta), { timeoutMs: 120_000 })))).getPageCount();
    } finally {
      await page.close();
    }
  });
  return pages;
}

async function batched(cards: readonly InstitutionReportData[], perPrint: number, parallel: number): Promise<number> {
  configurePagePool({ pages: parallel });
  const batches: InstitutionReportData[][] = [];
  for (let i = 0; i < cards.length; i += perPrint) batches.push(cards.slice(i, i + perPrint));
  let pdfs = 0;
  await lanes(batches, parallel, async (batch) => {
    pdfs += (await renderInstitutionCardPdfs(batch, { timeoutMs: 300_000 })).length;
  });
  return pdfs;
}

export async function compareCardStrategies(results: EditionResults, sample: number, log: (line: string) => void): Promise<StrategyResult[]> {
  const generatedAt = new Date();
  const step = Math.max(1, Math.floor(results.institutions.length / sample));
  const cards = Array.from({ length: sample }, (_, i) => buildInstitutionReportData(results, (i * step) % results.institutions.length, { generatedAt }));
  const total = results.institutions.length;
  const strategies: { name: string; run: () => Promise<number> }[] = [
    { name: '1 card per print, new page each, 2 at once', run: () => newPagePerCard(cards, 2) },
    { name: '1 card per print, reused pages, 2 at once', run: () => batched(cards, 1, 2) },
    { name: '6 cards per print, 2 at once', run: () => batched(cards, 6, 2) },
    { name: '12 cards per print, 1 at once', run: () => batched(cards, 12, 1) },
    { name: '12 cards per print, 2 at once', run: () => batched(cards, 12, 2) },
    { name: '12 cards per print, 3 at once', run: () => batched(cards, 12, 3) },
    { name: '24 cards per print, 2 at once', run: () => batched(cards, 24, 2) },
  ];
  await batched(cards.slice(0, 4), 2, 2); // warm: templates compiled, fonts loaded
  const out: StrategyResult[] = [];
  for (const strategy of strategies) {
    const started = performance.now();
    const cpuBefore = treeCpuSeconds(process.pid);
    await strategy.run();
    const ms = (performance.now() - started) / cards.length;
    const cpuMs = ((treeCpuSeconds(process.pid) - cpuBefore) * 1000) / cards.length;
    out.push({ name: strategy.name, msPerCard: ms, cpuMsPerCard: cpuMs, projected908s: (ms * total) / 1000 });
    log(`  ${strategy.name.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms per card (CPU ${cpuMs.toFixed(0).padStart(4)} ms) → ${((ms * total) / 1000).toFixed(0).padStart(4)} s for ${total} cards (CPU/2 cores: ${((cpuMs * total) / 2000).toFixed(0)} s)`);
  }
  configurePagePool({});
  return out;
}
