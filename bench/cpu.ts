/**
 * CPU time of a process and everything it started (Linux /proc): user + system time of each live
 * process, plus what each has collected from its ended children. On a machine shared with other work
 * the wall time of a step depends on the others; its CPU time much less, and CPU time / cores is the
 * wall time the step would need on an idle machine at best.
 */
import { readdirSync, readFileSync } from 'node:fs';

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
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) stats.set(Number(entry), s);
  }
  let ticks = 0;
  for (const [pid, s] of stats) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = stats.get(p)?.parent) {
      if (p === root) {
        ticks += s.ticks;
        break;
      }
    }
  }
  return ticks / TICKS_PER_SECOND;
}
