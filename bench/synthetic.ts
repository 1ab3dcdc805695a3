/**
 * A deterministic synthetic edition for benchmarks: a methodology with the MGA shape and
 * `variablesPerSubindex` variables under each of the four sub-indices, and institutions with values.
 */
import { ENTITIES, INSTITUTION_TYPES_2017, LEVELS } from '../scoring/catalogue.js';
import { validateMethodology, type Methodology, type TreeNode } from '../scoring/methodology.js';

/** mulberry32: small, fast, seeded; good enough for benchmark data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const label = (text: string) => ({ es: text, en: text });

/** Integer shares that sum to `total`, as weights k/total (they sum to 1 up to float rounding). */
function weights(count: number, random: () => number): number[] {
  const total = 1000;
  const shares = Array.from({ length: count }, () => 1 + random());
  const sum = shares.reduce((a, b) => a + b, 0);
  const ints = shares.map((s) => Math.max(1, Math.floor((s / sum) * total)));
  ints[0]! += total - ints.reduce((a, b) => a + b, 0);
  return ints.map((k) => k / total);
}

export function syntheticMethodology(variablesPerSubindex: number, seed = 2017): Methodology {
  const random = seededRandom(seed);
  const subindex = (id: string): TreeNode => ({
    id,
    kind: 'subindex',
    label: label(id),
    weight: 0.5,
    aggregation: 'weighted-mean',
    children: weights(variablesPerSubindex, random).map((weight, i) => ({ id: `${id}.V${i + 1}`, kind: 'variable', label: label(`${id} V${i + 1}`), weight })),
  });
  const dimension = (id: string, children: TreeNode[]): TreeNode => ({ id, kind: 'dimension', label: label(id), weight: 0.5, aggregation: 'weighted-mean', children });
  const mean = (...nodes: string[]) => nodes.map((node) => ({ node, weight: 1 / nodes.length }));
  return validateMethodology({
    id: `synthetic-${variablesPerSubindex * 4}`,
    version: '1',
    title: label(`Synthetic methodology with ${variablesPerSubindex * 4} variables`),
    source: { citation: 'bench/synthetic.ts (generated)' },
    summaryNodes: ['GA', 'T', 'P', 'TG', 'TC', 'PG', 'PC'],
    tree: {
      id: 'GA',
      kind: 'index',
      label: label('GA'),
      aggregation: 'weighted-mean',
      children: [dimension('T', [subindex('TG'), subindex('TC')]), dimension('P', [subindex('PG'), subindex('PC')])],
    },
    crossNodes: [
      { id: 'GAg', kind: 'perspective', label: label('GAg'), aggregation: 'weighted-mean', terms: mean('TG', 'PG') },
      { id: 'GAc', kind: 'perspective', label: label('GAc'), aggregation: 'weighted-mean', terms: mean('TC', 'PC') },
    ],
    equivalentPaths: [
      { id: 'GA:perspectives', node: 'GA', aggregation: 'weighted-mean', terms: mean('GAg', 'GAc') },
      { id: 'GA:subindices', node: 'GA', aggregation: 'weighted-mean', terms: mean('TG', 'TC', 'PG', 'PC') },
    ],
  });
}

export interface SyntheticInstitution {
  name: string;
  entity: string;
  type: string;
  level: string;
  values: Record<string, number>;
}

/** Institutions with a 4-decimal value for every variable of `methodology`, spread over entities, types and levels. */
export function syntheticInstitutions(methodology: Methodology, count: number, seed = 908): SyntheticInstitution[] {
  const random = seededRandom(seed);
  const variables: string[] = [];
  const collect = (node: TreeNode): void => {
    if (node.kind === 'variable') variables.push(node.id);
    node.children?.forEach(collect);
  };
  collect(methodology.tree);
  return Array.from({ length: count }, (_, i) => {
    const values: Record<string, number> = {};
    for (const id of variables) values[id] = Math.round(random() * 10000) / 10000;
    return {
      name: `Institución ${i + 1}`,
      entity: ENTITIES[Math.floor(random() * ENTITIES.length)]!.name,
      type: INSTITUTION_TYPES_2017[Math.floor(random() * INSTITUTION_TYPES_2017.length)]!,
      level: LEVELS[Math.floor(random() * LEVELS.length)]!,
      values,
    };
  });
}
