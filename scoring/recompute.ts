/**
 * Recomputing the primary tree from the data: a methodology variant changes formulas, so the given
 * values of every node that the other given values let us compute are set aside and recomputed.
 * Used by recalculation with a variant, the what-if and the robustness analyses. Pure.
 */
import { asCompiled, scoreInstitutions, SOURCE_COMPUTED, type CompiledMethodology, type ScoreOptions, type ScoreTable } from './engine.js';
import type { Methodology, TreeNode } from './methodology.js';

export class NotRecomputableError extends Error {
  constructor(
    readonly node: string,
    readonly institutions: number,
    readonly total: number,
  ) {
    super(`the variant changes "${node}", but ${institutions} of ${total} institutions have no values for its components, so it cannot be recomputed`);
    this.name = 'NotRecomputableError';
  }
}

/** Given values without the composite nodes that the row's other values let us compute (primary paths). */
export function withoutRecomputable(compiled: CompiledMethodology, given: Readonly<Record<string, number>>): Record<string, number> {
  const available = new Uint8Array(compiled.nodeIds.length);
  const result: Record<string, number> = {};
  for (let k = 0; k < compiled.order.length; k++) {
    const i = compiled.order[k]!;
    const id = compiled.nodeIds[i]!;
    const hasGiven = Object.hasOwn(given, id);
    let computable = false;
    const p = compiled.pathStart[i]!;
    if (p < compiled.pathStart[i + 1]!) {
      computable = true;
      for (let t = compiled.termStart[p]!; t < compiled.termStart[p + 1]!; t++) if (!available[compiled.termNode[t]!]) computable = false;
    }
    available[i] = hasGiven || computable ? 1 : 0;
    if (hasGiven && !computable) result[id] = given[id]!;
  }
  return result;
}

/**
 * Scores the rows with the primary tree recomputed wherever the data allow; values of nodes the
 * methodology does not have (e.g. left out by a variant) are ignored. Throws NotRecomputableError when
 * one of `changed` (tree nodes a variant changed) keeps a given value or none in some row.
 */
export function recomputeScores(
  methodology: Methodology | CompiledMethodology,
  givens: readonly Readonly<Record<string, number>>[],
  changed: readonly string[] = [],
  options: ScoreOptions = {},
): ScoreTable {
  const compiled = asCompiled(methodology);
  const known = new Set(compiled.nodeIds);
  const table = scoreInstitutions(
    compiled,
    givens.map((given) => {
      const kept: Record<string, number> = {};
      for (const id in given) if (known.has(id)) kept[id] = given[id]!;
      return withoutRecomputable(compiled, kept);
    }),
    options,
  );
  const tree = new Set<string>();
  const visit = (node: TreeNode): void => {
    tree.add(node.id);
    node.children?.forEach(visit);
  };
  visit(compiled.methodology.tree);
  const nodeCount = compiled.nodeIds.length;
  for (const id of changed) {
    const i = compiled.nodeIndex.get(id);
    if (i === undefined || !tree.has(id)) continue;
    let missing = 0;
    for (let row = 0; row < table.rowCount; row++) if (table.sources[row * nodeCount + i] !== SOURCE_COMPUTED) missing++;
    if (missing > 0) throw new NotRecomputableError(id, missing, table.rowCount);
  }
  return table;
}
