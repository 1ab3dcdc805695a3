/**
 * Group means of columnar scores (columnar.ts): several groupings (national, entity, type, level)
 * at once, with blocked compensated sums, so the means agree with grouping.ts to a few ulps. Pure.
 */
import type { ColumnScores } from './columnar.js';

/** Group codes 0 … names.length − 1 for a column of keys (first appearance order). */
export function factorize(keys: readonly string[]): { codes: Int32Array; names: string[] } {
  const slots = new Map<string, number>();
  const names: string[] = [];
  const codes = new Int32Array(keys.length);
  keys.forEach((key, row) => {
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = names.length;
      slots.set(key, slot);
      names.push(key);
    }
    codes[row] = slot;
  });
  return { codes, names };
}

export interface ColumnGroupMeans {
  names: readonly string[];
  /** Institutions per group. */
  sizes: Int32Array;
  /** means[node][group]: NaN where no institution of the group has a value. */
  means: Float64Array[];
  /** counts[node][group]: institutions with a value. */
  counts: Int32Array[];
}

export interface GroupCodes {
  codes: Int32Array;
  names: readonly string[];
}

/**
 * Values of one group (or cell) summed plainly before their total joins the group's compensated sum:
 * short plain sums (error ≤ ~BLOCK·ε each) keep the means within a few ulps of grouping.ts's.
 */
const BLOCK = 16;

/**
 * Several groupings at once (null = one group of all rows, the national mean). When the groupings
 * have few common cells (entity × type × level: at most 33 × 11 × 3), one pass over the rows sums
 * every column by cell, and each grouping's sums are then sums of its cells; otherwise one pass per
 * grouping. Within a cell, values are summed plainly BLOCK at a time and each block's total is
 * added with Neumaier compensation, so the error stays near a few ulps whatever the number of rows
 * (means agree with grouping.ts to ~4e-16), at a fraction of the cost of compensating every
 * addition. The national mean, asked together with a grouping, is the compensated sum of that
 * grouping's group sums (no pass of its own).
 */
export function groupMeansColumnsMany(scores: ColumnScores, groupings: readonly (GroupCodes | null)[]): ColumnGroupMeans[] {
  const grouped = groupings.filter((g): g is GroupCodes => g !== null);
  const national = groupings.includes(null);
  // Without any grouping, the national mean is a grouping of its own: one group, every code 0.
  const passes = grouped.length > 0 ? grouped : [{ codes: new Int32Array(scores.rowCount), names: ['Nacional'] }];
  const sums = groupedSums(scores, passes);
  const results = passes.map((grouping, k) => meansOf(scores, grouping.names, sums.sizes[k]!, sums, k));
  const overall = national ? (grouped.length > 0 ? nationalFrom(scores, sums) : results[0]!) : undefined;
  let next = 0;
  return groupings.map((grouping) => (grouping ? results[next++]! : overall!));
}

/** Adds `value` to sums[g] with Neumaier compensation. */
function addCompensated(sums: Float64Array, compensations: Float64Array, g: number, value: number): void {
  const sum = sums[g]!;
  const next = sum + value;
  compensations[g]! += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
  sums[g] = next;
}

/** Columns summed together in one pass over the rows (one read of the row's cell serves them all). */
const COLUMNS_PER_PASS = 4;

/** Compensated sums and missing counts per grouping, node and group: slot base[k] + node·G_k + g. */
interface GroupedSums {
  sizes: Int32Array[];
  base: Int32Array;
  sums: Float64Array;
  compensations: Float64Array;
  missing: Int32Array;
}

/**
 * The cells of several groupings together (e.g. entity × type × level): cell[row], and each cell's
 * group in every grouping. Undefined when there would be more than `maxCells` cells.
 */
function commonCells(groupings: readonly GroupCodes[], n: number, maxCells: number): { cellOf: Int32Array; groupOf: Int32Array[]; count: number } | undefined {
  let product = 1;
  for (const g of groupings) product *= Math.max(1, g.names.length);
  const cellOf = new Int32Array(n);
  const groupOf: number[][] = groupings.map(() => []);
  let count = 0;
  const assign = (row: number, slot: number) => {
    cellOf[row] = slot;
    if (slot === count) {
      groupings.forEach((g, k) => groupOf[k]!.push(g.codes[row]!));
      count++;
    }
  };
  if (product <= 1 << 16) {
    const dense = new Int32Array(product).fill(-1);
    for (let row = 0; row < n; row++) {
      let key = 0;
      for (const g of groupings) key = key * g.names.length + g.codes[row]!;
      if (dense[key] === -1) {
        if (count >= maxCells) return undefined;
        dense[key] = count;
      }
      assign(row, dense[key]!);
    }
  } else {
    const sparse = new Map<string, number>();
    for (let row = 0; row < n; row++) {
      const key = groupings.map((g) => g.codes[row]).join(',');
      let slot = sparse.get(key);
      if (slot === undefined) {
        if (count >= maxCells) return undefined;
        sparse.set(key, (slot = count));
      }
      assign(row, slot);
    }
  }
  return { cellOf, groupOf: groupOf.map((codes) => Int32Array.from(codes)), count };
}

/**
 * Several groupings from one pass over the rows when they have few common cells (entity, type and
 * level: at most 33 × 11 × 3): each row's values are added to its cell's sums, and each grouping's
 * sums are then the sums of its cells. Otherwise one pass per grouping (its groups as the cells).
 */
function groupedSums(scores: ColumnScores, groupings: readonly GroupCodes[]): GroupedSums {
  const n = scores.rowCount;
  const K = groupings.length;
  const base = new Int32Array(K + 1);
  for (let k = 0; k < K; k++) base[k + 1] = base[k]! + groupings[k]!.names.length * scores.columns.length;
  const out: GroupedSums = { sizes: [], base, sums: new Float64Array(base[K]!), compensations: new Float64Array(base[K]!), missing: new Int32Array(base[K]!) };
  const shared = K > 1 ? commonCells(groupings, n, Math.max(64, n >> 3)) : undefined;
  const passes = shared ? [{ ...shared, targets: groupings.map((_, k) => k) }] : groupings.map((g, k) => ({ cellOf: g.codes, groupOf: [identity(g.names.length)], count: g.names.length, targets: [k] }));
  for (const pass of passes) {
    const targets = pass.targets.map((k, t) => ({ base: base[k]!, groups: groupings[k]!.names.length, groupOf: pass.groupOf[t]! }));
    sumCells(scores, pass.cellOf, pass.count, targets, out);
  }
  for (const g of groupings) {
    const size = new Int32Array(g.names.length);
    for (let row = 0; row < n; row++) size[g.codes[row]!]!++;
    out.sizes.push(size);
  }
  return out;
}

const identity = (count: number) => Int32Array.from({ length: count }, (_, i) => i);

/** Where a pass's cell sums go: grouping slots from `base`, `groups` per node, the group of each cell. */
interface CellTarget {
  base: number;
  groups: number;
  groupOf: Int32Array;
}

/**
 * Sums every column by cell (cellOf[row] in 0 … cells − 1), W columns per pass, then adds each cell's
 * sums to its group in every target. A cell's partial sums join its compensated sums after every
 * BLOCK rows of that cell.
 */
function sumCells(scores: ColumnScores, cellOf: Int32Array, cells: number, targets: readonly CellTarget[], out: GroupedSums): void {
  const n = scores.rowCount;
  const columns = scores.columns;
  const W = COLUMNS_PER_PASS;
  const partial = new Float64Array(cells * W);
  const sums = new Float64Array(cells * W);
  const compensations = new Float64Array(cells * W);
  const missing = new Int32Array(cells * W);
  const pending = new Int32Array(cells);
  const block = BLOCK;
  for (let first = 0; first < columns.length; first += W) {
    const width = Math.min(W, columns.length - first);
    // A pass always reads W columns; short passes repeat the last one and ignore the copies.
    const c0 = columns[first]!;
    const c1 = columns[first + Math.min(1, width - 1)]!;
    const c2 = columns[first + Math.min(2, width - 1)]!;
    const c3 = columns[first + Math.min(3, width - 1)]!;
    sums.fill(0);
    compensations.fill(0);
    missing.fill(0);
    pending.fill(0);
    for (let row = 0; row < n; row++) {
      const cell = cellOf[row]!;
      const at = cell * W;
      const v0 = c0[row]!;
      const v1 = c1[row]!;
      const v2 = c2[row]!;
      const v3 = c3[row]!;
      if (v0 === v0 && v1 === v1 && v2 === v2 && v3 === v3) {
        partial[at]! += v0;
        partial[at + 1]! += v1;
        partial[at + 2]! += v2;
        partial[at + 3]! += v3;
      } else {
        if (v0 === v0) partial[at]! += v0;
        else missing[at]!++;
        if (v1 === v1) partial[at + 1]! += v1;
        else missing[at + 1]!++;
        if (v2 === v2) partial[at + 2]! += v2;
        else missing[at + 2]!++;
        if (v3 === v3) partial[at + 3]! += v3;
        else missing[at + 3]!++;
      }
      if (++pending[cell]! === block) {
        flushCell(partial, sums, compensations, at, W);
        pending[cell] = 0;
      }
    }
    for (let cell = 0; cell < cells; cell++) if (pending[cell]! > 0) flushCell(partial, sums, compensations, cell * W, W);
    const outSums = out.sums;
    const outCompensations = out.compensations;
    const outMissing = out.missing;
    for (const { base, groups, groupOf } of targets) {
      for (let j = 0; j < width; j++) {
        const nodeBase = base + (first + j) * groups;
        for (let cell = 0; cell < cells; cell++) {
          const slot = nodeBase + groupOf[cell]!;
          const from = cell * W + j;
          // Neumaier: the cell's sum joins the group's, the rounding error of that addition and the
          // cell's own compensation join the group's compensation.
          const sum = outSums[slot]!;
          const value = sums[from]!;
          const next = sum + value;
          outCompensations[slot]! += (Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum) + compensations[from]!;
          outSums[slot] = next;
          outMissing[slot]! += missing[from]!;
        }
      }
    }
  }
}

function flushCell(partial: Float64Array, sums: Float64Array, compensations: Float64Array, at: number, W: number): void {
  for (let j = 0; j < W; j++) {
    addCompensated(sums, compensations, at + j, partial[at + j]!);
    partial[at + j] = 0;
  }
}

function meansOf(scores: ColumnScores, names: readonly string[], sizes: Int32Array, sums: GroupedSums, k: number): ColumnGroupMeans {
  const G = names.length;
  const means: Float64Array[] = [];
  const counts: Int32Array[] = [];
  for (let node = 0; node < scores.columns.length; node++) {
    const mean = new Float64Array(G);
    const count = new Int32Array(G);
    for (let g = 0; g < G; g++) {
      const slot = sums.base[k]! + node * G + g;
      count[g] = sizes[g]! - sums.missing[slot]!;
      mean[g] = count[g]! > 0 ? (sums.sums[slot]! + sums.compensations[slot]!) / count[g]! : NaN;
    }
    means.push(mean);
    counts.push(count);
  }
  return { names, sizes, means, counts };
}

/** The national means from the first grouping's group sums (each group's sum and compensation, compensated again). */
function nationalFrom(scores: ColumnScores, sums: GroupedSums): ColumnGroupMeans {
  const G = sums.sizes[0]!.length;
  const total = new Float64Array(1);
  const compensation = new Float64Array(1);
  const means: Float64Array[] = [];
  const counts: Int32Array[] = [];
  for (let node = 0; node < scores.columns.length; node++) {
    total[0] = 0;
    compensation[0] = 0;
    let missing = 0;
    for (let g = 0; g < G; g++) {
      const slot = node * G + g;
      addCompensated(total, compensation, 0, sums.sums[slot]!);
      addCompensated(total, compensation, 0, sums.compensations[slot]!);
      missing += sums.missing[slot]!;
    }
    const count = scores.rowCount - missing;
    means.push(Float64Array.of(count > 0 ? (total[0]! + compensation[0]!) / count : NaN));
    counts.push(Int32Array.of(count));
  }
  return { names: ['Nacional'], sizes: Int32Array.of(scores.rowCount), means, counts };
}

/** Plain means per group of every node (groups given as codes; omit for one group of all rows). */
export function groupMeansColumns(scores: ColumnScores, groups?: GroupCodes): ColumnGroupMeans {
  return groupMeansColumnsMany(scores, [groups ?? null])[0]!;
}
