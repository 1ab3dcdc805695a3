/**
 * Ranks and rank statistics shared by the analyses: competition ranking (1 = highest value; tied
 * values share the lowest number, the next rank skips: 1, 2, 2, 4) and nearest-rank percentiles.
 */

/**
 * Values closer than this count as tied. Recomputing a mean with renormalised weights can move it by a
 * few units in the last place; without a tolerance such noise would break ties at random.
 */
export const TIE_TOLERANCE = 1e-12;

/**
 * Competition ranks of `values` (highest first) into `out` (1-based); NaN values get rank 0 and are
 * not counted. `scratch` (same length) is overwritten. Cost: one native sort and one binary search per value.
 */
export function competitionRanks(values: ArrayLike<number>, out: Int32Array, scratch: Float64Array, tolerance = TIE_TOLERANCE): void {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === v) scratch[m++] = v;
  }
  const sorted = scratch.subarray(0, m);
  sorted.sort(); // ascending, native numeric sort of a typed array
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v) {
      out[i] = 0;
      continue;
    }
    // rank = 1 + number of values greater than v + tolerance = 1 + m − (index of the first such value).
    const threshold = v + tolerance;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! > threshold) hi = mid;
      else lo = mid + 1;
    }
    out[i] = 1 + m - lo;
  }
}

/** Convenience form: a new Int32Array of competition ranks. */
export function rankValues(values: ArrayLike<number>, tolerance = TIE_TOLERANCE): Int32Array {
  const out = new Int32Array(values.length);
  competitionRanks(values, out, new Float64Array(values.length), tolerance);
  return out;
}

/** The 1-based position of the nearest-rank p-th percentile (0 < p ≤ 100) among `count` sorted observations. */
export function nearestRankPosition(p: number, count: number): number {
  return Math.max(1, Math.ceil((p / 100) * count));
}

/**
 * Nearest-rank percentile of the observations counted in `histogram` (histogram[k] = how many times
 * value k + 1 was observed), from offset `start` over `length` bins; total observations `count`.
 */
export function histogramPercentile(histogram: ArrayLike<number>, start: number, length: number, count: number, p: number): number {
  const position = nearestRankPosition(p, count);
  let cumulative = 0;
  for (let k = 0; k < length; k++) {
    cumulative += histogram[start + k]!;
    if (cumulative >= position) return k + 1;
  }
  return length;
}

/** Nearest-rank percentile of a sorted (ascending) array. */
export function sortedPercentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[nearestRankPosition(p, sorted.length) - 1]!;
}

/** Sorts keys[lo..hi] descending, moving idx along (quicksort, median of three, insertion sort below 17). */
function sortDescending(keys: Float64Array, idx: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const a = keys[lo]!;
    const b = keys[(lo + hi) >>> 1]!;
    const c = keys[hi]!;
    const pivot = a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i]! > pivot) i++;
      while (keys[j]! < pivot) j--;
      if (i <= j) {
        const k = keys[i]!;
        keys[i] = keys[j]!;
        keys[j] = k;
        const x = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = x;
        i++;
        j--;
      }
    }
    // Recurse into the smaller part, loop over the larger: stack depth stays logarithmic.
    if (j - lo < hi - i) {
      sortDescending(keys, idx, lo, j);
      lo = i;
    } else {
      sortDescending(keys, idx, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const k = keys[i]!;
    const x = idx[i]!;
    let j = i - 1;
    while (j >= lo && keys[j]! < k) {
      keys[j + 1] = keys[j]!;
      idx[j + 1] = idx[j]!;
      j--;
    }
    keys[j + 1] = k;
    idx[j + 1] = x;
  }
}

/**
 * Competition ranks for many runs over the same units (no NaN values): keeps the last run's order, so
 * each new run starts from an almost sorted array. Same ranks as competitionRanks.
 */
export class Ranker {
  private readonly order: Int32Array;
  private readonly keys: Float64Array;

  constructor(
    readonly size: number,
    private readonly tolerance = TIE_TOLERANCE,
  ) {
    this.order = Int32Array.from({ length: size }, (_, i) => i);
    this.keys = new Float64Array(size);
  }

  rank(values: ArrayLike<number>, out: Int32Array): void {
    const { order, keys, size, tolerance } = this;
    for (let p = 0; p < size; p++) keys[p] = values[order[p]!]!;
    sortDescending(keys, order, 0, size - 1);
    // keys are descending: the values above keys[p] + tolerance are a prefix that only grows.
    let above = 0;
    for (let p = 0; p < size; p++) {
      const threshold = keys[p]! + tolerance;
      while (keys[above]! > threshold) above++;
      out[order[p]!] = 1 + above;
    }
  }
}
