/**
 * Accessibility checks for the browser tests: an axe-core scan (the npm package, injected into the
 * page) and the narrow-screen check (no horizontal scrolling at a phone's width).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The phone width every page must fit without scrolling sideways (an iPhone 12–15 in portrait). */
export const NARROW_WIDTH = 390;
export const WIDE_WIDTH = 1280;

export { launchBrowser } from '../setup/browser.js';

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  /** Up to three offending elements, as selectors with a piece of their HTML. */
  nodes: string[];
}

/** Runs axe-core (WCAG 2.x A and AA rules plus best practices) on the page as it is now. */
export async function axeScan(page: Page, rules?: string[]): Promise<AxeFinding[]> {
  // Injected as a function body, not a <script> tag: the pages' content security policy allows only their own scripts.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[]; html: string }[] }[] }> } }).axe;
    const runOnly = only ? { type: 'rule', values: only } : { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] };
    return axe.run(document, { resultTypes: ['violations'], runOnly });
  }, rules);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? 'unknown',
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 140)}`),
  }));
}

/** The rules whose outcome depends on the width of the window: what the scan repeats at 390 px. */
export const LAYOUT_RULES = ['scrollable-region-focusable', 'target-size', 'color-contrast', 'meta-viewport', 'region'];

/** Serious and critical findings: what the tests refuse. */
export const severe = (findings: AxeFinding[]) => findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');

export interface Overflow {
  scrollWidth: number;
  /** The widest elements that stick out past the viewport, for the failure message. */
  culprits: string[];
}

/** Resizes the page to `width` and measures how wide the document is (and what makes it wider). */
export async function measureWidth(page: Page, width = NARROW_WIDTH): Promise<Overflow> {
  await page.setViewportSize({ width, height: 844 });
  return page.evaluate((limit) => {
    const scrollWidth = document.documentElement.scrollWidth;
    const culprits: string[] = [];
    if (scrollWidth > limit) {
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const box = el.getBoundingClientRect();
        const clipped = (() => {
          for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(up).overflowX)) return true;
          return false;
        })();
        if (!clipped && box.right > limit + 0.5 && box.width > 0) {
          const parentBox = el.parentElement?.getBoundingClientRect();
          if (parentBox && parentBox.right > limit + 0.5 && el.parentElement !== document.body) continue; // report the outermost
          culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} → ${Math.round(box.right)} px`);
        }
        if (culprits.length >= 5) break;
      }
    }
    return { scrollWidth, culprits };
  }, width);
}

/** The element that has the keyboard focus, described as tag#id.class (BODY when nothing has it). */
export async function focused(page: Page): Promise<{ tag: string; id: string; className: string; text: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { tag: el?.tagName ?? '', id: el?.id ?? '', className: typeof el?.className === 'string' ? el.className : '', text: (el?.textContent ?? '').trim().slice(0, 80) };
  });
}
