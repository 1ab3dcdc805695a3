/**
 * The public search of a published edition's institutions: by name, entity, type and level, sorted
 * by name, entity or score, one page at a time, each with its national rank and summary scores. It
 * reads the edition's results as the results pages load them (services/reports.ts), so a search finds
 * exactly the institutions that have a page.
 */
import { foldName } from '../../scoring/catalogue.js';
import { rowValues } from '../../scoring/engine.js';
import { rankDescending } from '../../scoring/comparison.js';
import { summaryNodes } from '../../reports/index.js';
import type { LoadedEdition } from './reports.js';
import type { ListQuery, ListSpec } from '../http/lists.js';

export const INSTITUTION_SORTS = ['name', '-name', 'entity', 'score', '-score'] as const;
export type InstitutionSort = (typeof INSTITUTION_SORTS)[number];

export const SORT_LABELS: Record<InstitutionSort, string> = {
  name: 'Nombre (A a Z)',
  '-name': 'Nombre (Z a A)',
  entity: 'Entidad federativa',
  score: 'Índice, de mayor a menor',
  '-score': 'Índice, de menor a mayor',
};

/** The list spec of an edition: its filters accept the entity, type and level names it has. */
export function institutionSearchSpec(loaded: LoadedEdition): ListSpec<InstitutionSort> {
  const { results } = loaded;
  return {
    filters: {
      entity: { values: results.byEntity.groups.map((g) => g.name) },
      type: { values: results.byType.groups.map((g) => g.name) },
      level: { values: results.byLevel.groups.map((g) => g.name) },
    },
    sorts: INSTITUTION_SORTS,
    defaultSort: 'name',
  };
}

export interface FoundInstitution {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
  /** National rank by the index (1 = highest; ties share the rank); null without a value. */
  rank: number | null;
  /** Summary node id → value (unrounded), null where the edition has no value. */
  values: Record<string, number | null>;
}

const ranksCache = new WeakMap<LoadedEdition, (number | null)[]>();

function nationalRanks(loaded: LoadedEdition): (number | null)[] {
  let ranks = ranksCache.get(loaded);
  if (!ranks) {
    const index = loaded.results.indexNode;
    ranks = rankDescending(loaded.results.institutions.map((_, row) => rowValues(loaded.results.scores, row)[index] ?? null));
    ranksCache.set(loaded, ranks);
  }
  return ranks;
}

/** Rows matching the query, sorted; `rows` of the whole filtered list (for CSV) or of one page. */
export function searchInstitutions(loaded: LoadedEdition, query: ListQuery<InstitutionSort>): { total: number; rows: number[]; nodes: ReturnType<typeof summaryNodes> } {
  const { results } = loaded;
  const folded = query.q ? foldName(query.q) : '';
  const { entity, type, level } = query.filters;
  const ranks = nationalRanks(loaded);
  const matches: number[] = [];
  results.institutions.forEach((inst, row) => {
    if (entity && inst.entity !== entity) return;
    if (type && inst.type !== type) return;
    if (level && inst.level !== level) return;
    if (folded && !foldName(inst.name).includes(folded)) return;
    matches.push(row);
  });
  const name = (row: number) => results.institutions[row]!.name;
  const byName = (a: number, b: number) => name(a).localeCompare(name(b), 'es');
  const rankOf = (row: number) => ranks[row] ?? Infinity;
  const compare: Record<InstitutionSort, (a: number, b: number) => number> = {
    name: byName,
    '-name': (a, b) => byName(b, a),
    entity: (a, b) => results.institutions[a]!.entity.localeCompare(results.institutions[b]!.entity, 'es') || byName(a, b),
    score: (a, b) => rankOf(a) - rankOf(b) || byName(a, b),
    '-score': (a, b) => (ranks[b] ?? -Infinity) - (ranks[a] ?? -Infinity) || byName(a, b),
  };
  matches.sort(compare[query.sort]);
  const rows = query.csv ? matches : matches.slice(query.offset, query.offset + query.limit);
  return { total: matches.length, rows, nodes: summaryNodes(results.compiled) };
}

export function foundInstitution(loaded: LoadedEdition, row: number, nodeIds: readonly string[]): FoundInstitution {
  const inst = loaded.results.institutions[row]!;
  const values = rowValues(loaded.results.scores, row);
  return {
    id: loaded.ids[row]!,
    name: inst.name,
    entity: inst.entity,
    type: inst.type,
    level: inst.level,
    rank: nationalRanks(loaded)[row] ?? null,
    values: Object.fromEntries(nodeIds.map((id) => [id, values[id] ?? null])),
  };
}
