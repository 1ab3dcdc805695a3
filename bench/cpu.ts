/**
 * CPU time of a process and everything it started (Linux /proc): user + system time of each live
 * process, plus what each has collected from its ended children. On a machine shared with other work
 * the wall time of a step depends on the others; its CPU time much less, and CPU time / cores is the
 * wall time the step would need on an idle machine at best.
 */
import { readFileSync } from 'node:fs';
import { descendants } from '../reports/pages.js';

const TICKS_PER_SECOND = 100;

function stat(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf-8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined; // ended while we looked
  }
}

/** CPU seconds used so far by `root` and its descendants. */
export function treeCpuSeconds(root: number): number {
  if (process.platform !== 'linux') return NaN;
  const ticks = [root, ...descendants(root)].reduce((sum, pid) => sum + (stat(pid)?.ticks ?? 0), 0);
  return ticks / TICKS_PER_SECOND;
}
