/**
 * Group results (METHODOLOGY.md §3): every group value is the plain unweighted mean of its
 * institutions' values, node by node; the national value is the mean over institutions or the mean of
 * the entity means, as chosen and recorded; gap analysis (brecha) per variable.
 */
import { asCompiled, methodologyRef, type CompiledMethodology, type MethodologyRef, type ScoreTable } from './engine.js';
import type { Label, Methodology } from './methodology.js';

export const NATIONAL_GROUP_NAME = 'Nacional';
export const NATIONAL_METHODS = ['institutions', 'entities'] as const;
export type NationalMethod = (typeof NATIONAL_METHODS)[number];

export interface GroupSummary {
  name: string;
  /** Institutions in the group. */
  n: number;
  /** Mean per node; null where no institution of the group has a value for the node. */
  values: Record<string, number | null>;
  /** Institutions of the group with a value for each node. */
  nPerNode: Record<string, number>;
  /** National by entities: the number of entity means averaged. */
  entityCount?: number;
}

export interface Grouping {
  /** The attribute grouped by, or "national". */
  by: string;
  /** Only for national results. */
  nationalMethod?: NationalMethod;
  methodology: MethodologyRef;
  nodeIds: readonly string[];
  /** Sorted by name in Spanish collation. */
  groups: GroupSummary[];
}

const spanishCollator = new Intl.Collator('es');

/** Accumulates per (slot, node) sums with Neumaier compensation so means do not depend on row order or count. */
class MeanAccumulator {
  private readonly sums: Float64Array;
  private readonly compensations: Float64Array;
  readonly counts: Int32Array;

  constructor(
    slots: number,
    private readonly nodeCount: number,
  ) {
    this.sums = new Float64Array(slots * nodeCount);
    this.compensations = new Float64Array(slots * nodeCount);
    this.counts = new Int32Array(slots * nodeCount);
  }

  /** Adds values[base .. base+nodeCount-1] (NaN = no value) to `slot`. */
  add(slot: number, values: Float64Array, base: number): void {
    const { sums, compensations, counts, nodeCount } = this;
    const offset = slot * nodeCount;
    for (let i = 0; i < nodeCount; i++) {
      const v = values[base + i]!;
      if (v !== v) continue;
      const k = offset + i;
      const sum = sums[k]!;
      const next = sum + v;
      // Scores and their sums are never negative, so comparing them compares magnitudes.
      compensations[k]! += sum >= v ? sum - next + v : v - next + sum;
      sums[k] = next;
      counts[k]!++;
    }
  }

  /** Means of `slot` (NaN where the count is 0), written into a new array. */
  means(slot: number): Float64Array {
    const means = new Float64Array(this.nodeCount);
    for (let i = 0, k = slot * this.nodeCount; i < this.nodeCount; i++, k++) {
      means[i] = this.counts[k]! > 0 ? (this.sums[k]! + this.compensations[k]!) / this.counts[k]! : NaN;
    }
    return means;
  }
}

function summary(
  name: string,
  n: number,
  nodeIds: readonly string[],
  means: Float64Array,
  counts: ArrayLike<number>,
  countOffset: number,
): GroupSummary {
  const values: Record<string, number | null> = {};
  const nPerNode: Record<string, number> = {};
  nodeIds.forEach((id, i) => {
    const mean = means[i]!;
    values[id] = mean === mean ? mean : null;
    nPerNode[id] = counts[countOffset + i]!;
  });
  return { name, n, values, nPerNode };
}

interface KeyedMeans {
  names: string[];
  sizes: number[];
  accumulator: MeanAccumulator;
}

function meansByKey(table: ScoreTable, keyOfRow: readonly string[]): KeyedMeans {
  if (keyOfRow.length !== table.rowCount) {
    throw new RangeError(`${keyOfRow.length} group keys for ${table.rowCount} scored institutions`);
  }
  const nodeCount = table.compiled.nodeIds.length;
  const slotOf = new Map<string, number>();
  const slotOfRow = new Int32Array(table.rowCount);
  const names: string[] = [];
  const sizes: number[] = [];
  keyOfRow.forEach((key, row) => {
    let slot = slotOf.get(key);
    if (slot === undefined) {
      slot = names.length;
      slotOf.set(key, slot);
      names.push(key);
      sizes.push(0);
    }
    slotOfRow[row] = slot;
    sizes[slot]!++;
  });
  const accumulator = new MeanAccumulator(names.length, nodeCount);
  for (let row = 0; row < table.rowCount; row++) accumulator.add(slotOfRow[row]!, table.values, row * nodeCount);
  return { names, sizes, accumulator };
}

/** Groups the scored institutions by a key per institution (keyOfRow[i] for row i). */
export function groupByKeys(table: ScoreTable, keyOfRow: readonly string[], by: string): Grouping {
  const { nodeIds } = table.compiled;
  const { names, sizes, accumulator } = meansByKey(table, keyOfRow);
  const groups = names.map((name, slot) =>
    summary(name, sizes[slot]!, nodeIds, accumulator.means(slot), accumulator.counts, slot * nodeIds.length),
  );
  groups.sort((a, b) => spanishCollator.compare(a.name, b.name));
  return { by, methodology: methodologyRef(table.compiled), nodeIds, groups };
}

export interface NationalOptions {
  /** "institutions" (default): mean over all institutions; "entities": mean of the entity means. */
  method?: NationalMethod;
  /** The entity of each institution; required by the "entities" method. */
  entityOfRow?: readonly string[];
}

/** One group, "Nacional", with the method recorded. */
export function nationalScores(table: ScoreTable, options: NationalOptions = {}): Grouping {
  const method = options.method ?? 'institutions';
  const { nodeIds } = table.compiled;
  const nodeCount = nodeIds.length;
  let national: GroupSummary;
  if (method === 'institutions') {
    national = groupByKeys(table, new Array<string>(table.rowCount).fill(NATIONAL_GROUP_NAME), 'national').groups[0] ?? emptyGroup(nodeIds);
  } else if (method === 'entities') {
    if (!options.entityOfRow) throw new TypeError('the "entities" national method needs the entity of each institution');
    const byEntity = meansByKey(table, options.entityOfRow);
    const entityMeans = new MeanAccumulator(1, nodeCount);
    byEntity.names.forEach((_, slot) => entityMeans.add(0, byEntity.accumulator.means(slot), 0));
    const institutionsPerNode = new Int32Array(nodeCount);
    byEntity.names.forEach((_, slot) => {
      for (let i = 0; i < nodeCount; i++) institutionsPerNode[i]! += byEntity.accumulator.counts[slot * nodeCount + i]!;
    });
    national = {
      ...summary(NATIONAL_GROUP_NAME, table.rowCount, nodeIds, entityMeans.means(0), institutionsPerNode, 0),
      entityCount: byEntity.names.length,
    };
  } else {
    throw new RangeError(`unknown national method "${String(method)}"; expected one of: ${NATIONAL_METHODS.join(', ')}`);
  }
  return { by: 'national', nationalMethod: method, methodology: methodologyRef(table.compiled), nodeIds, groups: [national] };
}

function emptyGroup(nodeIds: readonly string[]): GroupSummary {
  return summary(NATIONAL_GROUP_NAME, 0, nodeIds, new Float64Array(nodeIds.length).fill(NaN), new Int32Array(nodeIds.length), 0);
}

export interface GroupByOptions {
  nationalMethod?: NationalMethod;
  /** Attribute holding the entity, for the "entities" national method; default "entity". */
  entityKey?: string;
}

function attributeColumn(attributes: readonly object[], key: string): string[] {
  return attributes.map((record, row) => {
    const value = (record as Record<string, unknown>)[key];
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`institution ${row} has no value for the grouping attribute "${key}"`);
    }
    return value;
  });
}

/**
 * Groups by any attribute of the institutions ("entity", "type", "level", …) or "national".
 * attributes[i] describes row i of the table.
 */
export function groupBy(
  table: ScoreTable,
  attributes: readonly object[],
  by: string,
  options: GroupByOptions = {},
): Grouping {
  if (attributes.length !== table.rowCount) {
    throw new RangeError(`${attributes.length} attribute records for ${table.rowCount} scored institutions`);
  }
  if (by === 'national') {
    const method = options.nationalMethod ?? 'institutions';
    return nationalScores(table, {
      method,
      ...(method === 'entities' && { entityOfRow: attributeColumn(attributes, options.entityKey ?? 'entity') }),
    });
  }
  return groupByKeys(table, attributeColumn(attributes, by), by);
}

export interface GapEntry {
  variable: string;
  label: Label;
  /** The node the variable belongs to (its sub-index) and its weight there. */
  parent: string;
  weight: number;
  mean: number;
  /** weight × (1 − mean). */
  gap: number;
  /** Institutions with a value for the variable. */
  n: number;
  /** 1 = largest gap in the group. */
  rank: number;
}

export interface GroupGaps {
  group: string;
  /** Variables with a value, largest gap first. */
  ranked: GapEntry[];
  /** Variables without any value in the group: no gap is invented for them. */
  unavailable: string[];
}

/**
 * Gap analysis (brecha, REx2017 p.29): for each variable, its weight inside its sub-index times
 * (1 − group mean of the variable), ranked per group. Pass a national grouping for the national ranking.
 */
export function gapAnalysis(grouping: Grouping, methodology: Methodology | CompiledMethodology): GroupGaps[] {
  const compiled = asCompiled(methodology);
  if (grouping.methodology.hash !== compiled.hash) throw new Error('the grouping was computed with a different methodology');
  const variables = compiled.nodes.filter((n) => n.kind === 'variable' && n.parent !== undefined);
  return grouping.groups.map((group) => {
    const ranked: GapEntry[] = [];
    const unavailable: string[] = [];
    for (const variable of variables) {
      const mean = group.values[variable.id];
      if (mean === null || mean === undefined) {
        unavailable.push(variable.id);
        continue;
      }
      const weight = variable.weightInParent!;
      ranked.push({
        variable: variable.id,
        label: variable.label,
        parent: variable.parent!,
        weight,
        mean,
        gap: weight * (1 - mean),
        n: group.nPerNode[variable.id] ?? 0,
        rank: 0,
      });
    }
    ranked.sort((a, b) => b.gap - a.gap || a.variable.localeCompare(b.variable));
    ranked.forEach((entry, i) => (entry.rank = i + 1));
    return { group: group.name, ranked, unavailable };
  });
}
