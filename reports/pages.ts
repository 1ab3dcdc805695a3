/**
 * Bounded PDF rendering: the process's one browser prints on a fixed number of pages at once
 * (MGA_PDF_PAGES, default 2: one per core here), and the pages are reused from print to print (a new
 * page costs as much as a small print). Work waits in a queue: requests people wait for
 * ("interactive") go before background work (jobs), and the interactive queue is bounded
 * (MGA_PDF_QUEUE, default 8): when it is full, `use` throws RenderBusyError at once, which the HTTP
 * layer answers with 503 and Retry-After instead of letting requests pile up. The browser runs at a
 * lower CPU priority (MGA_PDF_NICE, default 10), so printing yields to the requests of the same
 * process and to the database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Browser, Page } from 'puppeteer-core';
import { getBrowser } from './browser.js';

export type RenderPriority = 'interactive' | 'background';

/** The interactive queue is full: try again in `retryAfterSeconds`. */
export class RenderBusyError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly queued: number,
  ) {
    super(`the PDF renderer is busy (${queued} requests waiting); try again in ${retryAfterSeconds} s`);
    this.name = 'RenderBusyError';
  }
}

export interface PagePoolOptions {
  /** Pages printing at the same time. */
  pages: number;
  /** Interactive tasks allowed to wait; more are refused with RenderBusyError. Background tasks always wait. */
  maxQueue: number;
  /** CPU priority of the browser's processes (MGA_PDF_NICE, default 10; 0 leaves it as is). */
  nice?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function integerFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

export function pagePoolOptionsFromEnv(): PagePoolOptions {
  return { pages: integerFromEnv('MGA_PDF_PAGES', 2, 1, 32), maxQueue: integerFromEnv('MGA_PDF_QUEUE', 8, 0, 10_000), nice: integerFromEnv('MGA_PDF_NICE', 10, 0, 19) };
}

/** Processes started by `root`, directly or not (Linux /proc; empty elsewhere). */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf-8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while we looked
    }
  }
  return [...parentOf.keys()].filter((pid) => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === root) return true;
    return false;
  });
}

const lowered = new WeakSet<Browser>();

/**
 * Gives the browser's processes a lower CPU priority (nice), so printing PDFs yields to the web
 * requests and the database of the same machine. Renderers are forked later from the browser's
 * zygote processes, which this reaches, so they inherit it. Linux only; errors are ignored.
 */
function lowerPriority(browser: Browser, nice: number): void {
  if (nice <= 0 || lowered.has(browser) || process.platform !== 'linux') return;
  lowered.add(browser);
  const root = browser.process()?.pid;
  if (!root) return;
  for (const pid of [root, ...descendants(root)]) {
    try {
      setPriority(pid, nice);
    } catch {
      // not ours to change, or ended
    }
  }
}

export class PagePool {
  private readonly idle: Page[] = [];
  private running = 0;
  private readonly waiting: Record<RenderPriority, Waiter[]> = { interactive: [], background: [] };
  /** Moving average of a task's duration, for Retry-After. */
  private averageMs = 1000;

  constructor(readonly options: PagePoolOptions) {}

  /** Tasks printing now and waiting, by priority. */
  stats(): { running: number; interactive: number; background: number; pages: number } {
    return { running: this.running, interactive: this.waiting.interactive.length, background: this.waiting.background.length, pages: this.options.pages };
  }

  /**
   * Runs `task` on a page of the shared browser once one is free. The page has JavaScript off and
   * is reused afterwards unless the task failed (then it is closed).
   */
  async use<T>(task: (page: Page) => Promise<T>, options: { priority?: RenderPriority; signal?: AbortSignal } = {}): Promise<T> {
    const priority = options.priority ?? 'interactive';
    options.signal?.throwIfAborted();
    await this.acquire(priority, options.signal);
    const started = performance.now();
    let page: Page | undefined;
    let healthy = false;
    try {
      page = await this.page();
      const result = await task(page);
      healthy = true;
      return result;
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      if (page && healthy && !page.isClosed() && page.browser().connected) this.idle.push(page);
      else await page?.close().catch(() => undefined);
      this.release();
    }
  }

  /** Closes the idle pages (the browser itself is closed by closeBrowser). */
  async drain(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((p) => p.close().catch(() => undefined)));
  }

  private async page(): Promise<Page> {
    while (this.idle.length > 0) {
      const page = this.idle.pop()!;
      if (!page.isClosed() && page.browser().connected) return page;
    }
    const browser = await getBrowser();
    lowerPriority(browser, this.options.nice ?? 0);
    const page = await browser.newPage();
    // Reports are static documents: no script runs, so nothing in the data can execute.
    await page.setJavaScriptEnabled(false);
    return page;
  }

  private acquire(priority: RenderPriority, signal?: AbortSignal): Promise<void> {
    if (this.running < this.options.pages && this.waiting.interactive.length + this.waiting.background.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    const queue = this.waiting[priority];
    if (priority === 'interactive' && queue.length >= this.options.maxQueue) {
      const ahead = this.waiting.interactive.length + this.running;
      throw new RenderBusyError(Math.max(1, Math.ceil((ahead * this.averageMs) / this.options.pages / 1000)), queue.length);
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.interactive.shift() ?? this.waiting.background.shift();
    if (!next) {
      this.running--;
      return;
    }
    if (next.onAbort) next.signal!.removeEventListener('abort', next.onAbort);
    next.resolve(); // the slot passes on: `running` stays the same
  }
}

let pool: PagePool | undefined;

/** The process's pool, configured from the environment on first use. */
export function pagePool(): PagePool {
  pool ??= new PagePool(pagePoolOptionsFromEnv());
  return pool;
}

/** Sets the pool's size and queue before its first use (e.g. the CLI's --concurrency); unset options come from the environment. */
export function configurePagePool(options: Partial<PagePoolOptions>): PagePool {
  if (pool && pool.stats().running > 0) throw new Error('the page pool is in use; configure it before rendering');
  void pool?.drain();
  pool = new PagePool({ ...pagePoolOptionsFromEnv(), ...options });
  return pool;
}

/** Closes the pool's idle pages; the next use starts afresh (with the environment read again). */
export async function closePagePool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.drain();
}
