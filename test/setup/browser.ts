/** The browser tests' Chromium (playwright-core): the same executable and flags as the PDF printer. */
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS, resolveChromium } from '../../reports/browser.js';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: (await resolveChromium()).path, args: ['--headless', ...CHROMIUM_FLAGS] });
}
