/**
 * Comparison of editions at any level (national, entity, type, institution): values per edition,
 * changes between editions, and the rank of each group among the groups of its edition.
 *
 * A node an edition did not publish or measure is missing (null, listed in `missing`), never zero:
 * a zero would read as a real score and distort deltas and ranks.
 */
import { roundHalfUp } from './rounding.js';

export interface EditionGroupValues {
  /** Institutions behind the values, when known. */
  n?: number | null;
  /** Node id → value; null or absent = not available in this edition. */
  values: Readonly<Record<string, number | null | undefined>>;
}

export interface EditionValues {
  edition: string;
  /** Group name → its values in this edition. */
  groups: Readonly<Record<string, EditionGroupValues>>;
}

export interface CompareOptions {
  /** Nodes to compare, in this order; default every node found, in order of first appearance. */
  nodes?: readonly string[];
  /** Groups to compare, in this order; default every group found, in order of first appearance. */
  groups?: readonly string[];
  /** Rank on values rounded half-up to this many decimals (published figures tie at 2); default exact values. */
  rankDecimals?: number;
}

export interface Delta {
  from: string;
  to: string;
  /** value(to) − value(from). */
  delta: number;
}

export interface NodeComparison {
  node: string;
  /** Edition → value; null when missing. */
  values: Record<string, number | null>;
  /** Editions with a value, in edition order. */
  present: string[];
  /** Editions without a value, in edition order. */
  missing: string[];
  /** Between each pair of consecutive editions that have a value (empty unless present in two or more). */
  deltas: Delta[];
  /** Each later edition with a value against the first edition with a value. */
  fromFirst: Delta[];
  /** Edition → rank of this group among the groups with a value for the node (1 = highest; ties share); null when missing. */
  ranks: Record<string, number | null>;
}

export interface GroupComparison {
  group: string;
  /** Edition → n; null when unknown or the group is absent. */
  n: Record<string, number | null>;
  nodes: Record<string, NodeComparison>;
}

export interface Comparison {
  editions: string[];
  nodes: string[];
  groups: GroupComparison[];
  /** Edition → node → how many groups were ranked (the "of" in "3rd of 33"). */
  rankedCount: Record<string, Record<string, number>>;
}

/**
 * Competition ranking, highest first: equal values share a rank and the next rank skips
 * (0.5, 0.4, 0.4, 0.3 → 1, 2, 2, 4). Null stays null and is not counted.
 */
export function rankDescending(values: readonly (number | null | undefined)[], decimals?: number): (number | null)[] {
  const keyed = values.map((v) => (v === null || v === undefined || Number.isNaN(v) ? null : decimals === undefined ? v : roundHalfUp(v, decimals)));
  const sorted = keyed.filter((v): v is number => v !== null).sort((a, b) => b - a);
  const firstIndex = new Map<number, number>();
  sorted.forEach((v, i) => {
    if (!firstIndex.has(v)) firstIndex.set(v, i);
  });
  return keyed.map((v) => (v === null ? null : firstIndex.get(v)! + 1));
}

function unionInOrder(lists: Iterable<Iterable<string>>): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) seen.add(item);
  return [...seen];
}

const valueOf = (group: EditionGroupValues | undefined, node: string): number | null => {
  const v = group?.values[node];
  return v === null || v === undefined || Number.isNaN(v) ? null : v;
};

/** Compares editions given in chronological order (at least one). */
export function compareEditions(editions: readonly EditionValues[], options: CompareOptions = {}): Comparison {
  const names = editions.map((e) => e.edition);
  if (new Set(names).size !== names.length) throw new RangeError(`duplicate edition in comparison: ${names.join(', ')}`);
  const groups = options.groups ? [...options.groups] : unionInOrder(editions.map((e) => Object.keys(e.groups)));
  const nodes = options.nodes
    ? [...options.nodes]
    : unionInOrder(editions.flatMap((e) => Object.values(e.groups).map((g) => Object.keys(g.values))));

  // Ranks per edition and node over all groups of that edition (not only the selected ones).
  const rankedCount: Record<string, Record<string, number>> = {};
  const rankOf = new Map<string, Map<string, number | null>>(); // `${edition}\u0000${node}` → group → rank
  for (const e of editions) {
    rankedCount[e.edition] = {};
    const groupNames = Object.keys(e.groups);
    for (const node of nodes) {
      const values = groupNames.map((g) => valueOf(e.groups[g], node));
      const ranks = rankDescending(values, options.rankDecimals);
      rankOf.set(`${e.edition}\u0000${node}`, new Map(groupNames.map((g, i) => [g, ranks[i]!])));
      rankedCount[e.edition]![node] = values.filter((v) => v !== null).length;
    }
  }

  const compared = groups.map((group): GroupComparison => {
    const n: Record<string, number | null> = {};
    for (const e of editions) n[e.edition] = e.groups[group]?.n ?? null;
    const nodeComparisons: Record<string, NodeComparison> = {};
    for (const node of nodes) {
      const values: Record<string, number | null> = {};
      const ranks: Record<string, number | null> = {};
      const present: string[] = [];
      const missing: string[] = [];
      for (const e of editions) {
        const v = valueOf(e.groups[group], node);
        values[e.edition] = v;
        ranks[e.edition] = v === null ? null : (rankOf.get(`${e.edition}\u0000${node}`)?.get(group) ?? null);
        (v === null ? missing : present).push(e.edition);
      }
      const deltas: Delta[] = [];
      const fromFirst: Delta[] = [];
      if (present.length >= 2) {
        for (let i = 1; i < present.length; i++) {
          const from = present[i - 1]!;
          const to = present[i]!;
          deltas.push({ from, to, delta: values[to]! - values[from]! });
          fromFirst.push({ from: present[0]!, to, delta: values[to]! - values[present[0]!]! });
        }
      }
      nodeComparisons[node] = { node, values, present, missing, deltas, fromFirst, ranks };
    }
    return { group, n, nodes: nodeComparisons };
  });
  return { editions: names, nodes, groups: compared, rankedCount };
}
