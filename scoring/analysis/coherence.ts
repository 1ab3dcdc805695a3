/**
 * Statistical coherence of an edition: Pearson and Spearman correlations between every pair of nodes
 * with data (across institutions), Cronbach's alpha of the components of each aggregated node, a
 * principal component analysis of the sub-indices, and plain-language flags:
 *  - components of one dimension that move in opposite directions (negative correlation);
 *  - near-duplicates: unrelated nodes (no component in common) correlated above 0.92;
 *  - weak structure: Cronbach's alpha below 0.7 (the usual rule of thumb).
 * Correlations use simple-statistics (Spearman with mid-ranks for ties); PCA uses ml-pca on
 * standardised data. Thresholds are recorded with the result. Pure.
 */
import { PCA } from 'ml-pca';
import { sampleCorrelation, sampleRankCorrelation, sampleVariance } from 'simple-statistics';
import { asCompiled, scoreInstitutions, type CompiledMethodology } from '../engine.js';
import type { Label, Methodology, TreeNode } from '../methodology.js';
import { formatFixed } from '../rounding.js';
import type { Variant } from '../variants.js';
import { AnalysisInputError } from './model.js';
import { checkDate, methodologyStamp, type AnalysisParameters } from './parameters.js';

export const NEAR_DUPLICATE_THRESHOLD = 0.92;
export const WEAK_ALPHA_THRESHOLD = 0.7;

export interface CoherenceOptions {
  date: string;
  variant?: Variant | null;
  nearDuplicate?: number;
  weakAlpha?: number;
}

export interface AlphaEntry {
  node: string;
  components: string[];
  /** null when the components do not vary. */
  alpha: number | null;
  n: number;
}

export interface CoherenceFlag {
  kind: 'negative-correlation' | 'near-duplicate' | 'weak-structure';
  nodes: string[];
  value: number;
  message: Label;
}

export interface CoherenceResult {
  parameters: AnalysisParameters & { nearDuplicate: number; weakAlpha: number };
  /** Nodes with a value for at least three institutions, in declaration order. */
  nodes: { id: string; label: Label; n: number }[];
  /** Square matrices in `nodes` order; null where a node does not vary or fewer than three institutions have both. */
  pearson: (number | null)[][];
  spearman: (number | null)[][];
  alpha: AlphaEntry[];
  pca: { nodes: string[]; n: number; explainedVariance: number[]; eigenvalues: number[] } | null;
  flags: CoherenceFlag[];
}

const MIN_OBSERVATIONS = 3;

function pairColumns(a: Float64Array, b: Float64Array): [number[], number[]] {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === a[i] && b[i] === b[i]) {
      x.push(a[i]!);
      y.push(b[i]!);
    }
  }
  return [x, y];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Leaves (tree variables, or nodes without a path) a node is built from. */
function leafSets(compiled: CompiledMethodology): Map<string, Set<string>> {
  const sets = new Map<string, Set<string>>();
  const leaves = (i: number): Set<string> => {
    const id = compiled.nodeIds[i]!;
    let set = sets.get(id);
    if (set) return set;
    set = new Set<string>();
    const p = compiled.pathStart[i]!;
    if (p === compiled.pathStart[i + 1]!) set.add(id);
    else for (let t = compiled.termStart[p]!; t < compiled.termStart[p + 1]!; t++) for (const leaf of leaves(compiled.termNode[t]!)) set.add(leaf);
    sets.set(id, set);
    return set;
  };
  compiled.nodeIds.forEach((_, i) => leaves(i));
  return sets;
}

const two = (value: number) => formatFixed(value, 2);

export function runCoherence(methodology: Methodology | CompiledMethodology, givens: readonly Readonly<Record<string, number>>[], options: CoherenceOptions): CoherenceResult {
  const compiled = asCompiled(methodology);
  const nearDuplicate = options.nearDuplicate ?? NEAR_DUPLICATE_THRESHOLD;
  const weakAlpha = options.weakAlpha ?? WEAK_ALPHA_THRESHOLD;
  if (givens.length < MIN_OBSERVATIONS) throw new AnalysisInputError(`coherence needs at least ${MIN_OBSERVATIONS} institutions, got ${givens.length}`);
  const known = new Set(compiled.nodeIds);
  const table = scoreInstitutions(
    compiled,
    givens.map((g) => Object.fromEntries(Object.entries(g).filter(([id]) => known.has(id)))),
  );
  const nodeCount = compiled.nodeIds.length;
  const columns = compiled.nodeIds.map((_, i) => {
    const col = new Float64Array(table.rowCount);
    for (let row = 0; row < table.rowCount; row++) col[row] = table.values[row * nodeCount + i]!;
    return col;
  });
  const counts = columns.map((col) => col.reduce((n, v) => (v === v ? n + 1 : n), 0));
  const kept = compiled.nodeIds.map((id, i) => ({ id, i })).filter(({ i }) => counts[i]! >= MIN_OBSERVATIONS);
  if (kept.length < 2) throw new AnalysisInputError('fewer than two nodes have values for three or more institutions');
  const label = (id: string) => compiled.nodes[compiled.nodeIndex.get(id)!]!.label;

  const pearson = kept.map(() => kept.map(() => null as number | null));
  const spearman = kept.map(() => kept.map(() => null as number | null));
  kept.forEach((a, x) => {
    kept.forEach((b, y) => {
      if (y < x) return;
      const [xs, ys] = pairColumns(columns[a.i]!, columns[b.i]!);
      if (xs.length < MIN_OBSERVATIONS || sampleVariance(xs) === 0 || sampleVariance(ys) === 0) return;
      const r = x === y ? 1 : finiteOrNull(sampleCorrelation(xs, ys));
      const rho = x === y ? 1 : finiteOrNull(sampleRankCorrelation(xs, ys));
      pearson[x]![y] = pearson[y]![x] = r;
      spearman[x]![y] = spearman[y]![x] = rho;
    });
  });
  const position = new Map(kept.map((k, x) => [k.id, x]));
  const r = (a: string, b: string) => {
    const x = position.get(a);
    const y = position.get(b);
    return x === undefined || y === undefined ? null : pearson[x]![y]!;
  };

  // Cronbach's alpha of the components of each aggregated tree node whose components all have data.
  const alpha: AlphaEntry[] = [];
  const flags: CoherenceFlag[] = [];
  const visit = (node: TreeNode): void => {
    const children = node.children ?? [];
    children.forEach(visit);
    if (children.length < 2 || !children.every((c) => position.has(c.id))) return;
    const rows: number[][] = [];
    for (let row = 0; row < table.rowCount; row++) {
      const values = children.map((c) => columns[compiled.nodeIndex.get(c.id)!]![row]!);
      if (values.every((v) => v === v)) rows.push(values);
    }
    const k = children.length;
    let value: number | null = null;
    if (rows.length >= MIN_OBSERVATIONS) {
      const itemVariances = children.map((_, c) => sampleVariance(rows.map((row) => row[c]!)));
      const totalVariance = sampleVariance(rows.map((row) => row.reduce((a, b) => a + b, 0)));
      value = totalVariance > 0 ? (k / (k - 1)) * (1 - itemVariances.reduce((a, b) => a + b, 0) / totalVariance) : null;
    }
    alpha.push({ node: node.id, components: children.map((c) => c.id), alpha: value, n: rows.length });
    if (value !== null && value < weakAlpha) {
      flags.push({
        kind: 'weak-structure',
        nodes: [node.id],
        value,
        message: {
          es: `Los componentes de «${label(node.id).es}» guardan poca relación entre sí (alfa de Cronbach ${two(value)}, menor que ${two(weakAlpha)}): miden cosas distintas y su promedio resume poco.`,
          en: `The components of "${label(node.id).en}" hang together weakly (Cronbach's alpha ${two(value)}, below ${two(weakAlpha)}).`,
        },
      });
    }
    // Negative correlations between components inside a dimension.
    if (node.kind === 'dimension' || node.kind === 'index') {
      for (let x = 0; x < k; x++) {
        for (let y = x + 1; y < k; y++) {
          const value = r(children[x]!.id, children[y]!.id);
          if (value !== null && value < 0) {
            const [a, b] = [label(children[x]!.id), label(children[y]!.id)];
            flags.push({
              kind: 'negative-correlation',
              nodes: [children[x]!.id, children[y]!.id],
              value,
              message: {
                es: `«${a.es}» y «${b.es}» van en sentido contrario (correlación ${two(value)}) aunque forman juntos «${label(node.id).es}».`,
                en: `"${a.en}" and "${b.en}" move in opposite directions (correlation ${two(value)}) inside "${label(node.id).en}".`,
              },
            });
          }
        }
      }
    }
  };
  visit(compiled.methodology.tree);

  // Near-duplicates: unrelated nodes (no component in common) that carry almost the same information.
  const leaves = leafSets(compiled);
  kept.forEach((a, x) => {
    kept.forEach((b, y) => {
      if (y <= x) return;
      const value = pearson[x]![y];
      if (value === null || value === undefined || Math.abs(value) <= nearDuplicate) return;
      const la = leaves.get(a.id)!;
      if ([...leaves.get(b.id)!].some((leaf) => la.has(leaf))) return;
      flags.push({
        kind: 'near-duplicate',
        nodes: [a.id, b.id],
        value,
        message: {
          es: `«${label(a.id).es}» y «${label(b.id).es}» casi se repiten (correlación ${two(value)}, mayor que ${two(nearDuplicate)}): uno de los dos añade poca información.`,
          en: `"${label(a.id).en}" and "${label(b.id).en}" nearly duplicate each other (correlation ${two(value)}, above ${two(nearDuplicate)}).`,
        },
      });
    });
  });

  // PCA of the sub-indices with data, on standardised values, over institutions that have them all.
  const subindices = kept.filter(({ id }) => compiled.nodes[compiled.nodeIndex.get(id)!]!.kind === 'subindex');
  let pca: CoherenceResult['pca'] = null;
  if (subindices.length >= 2) {
    const matrix: number[][] = [];
    for (let row = 0; row < table.rowCount; row++) {
      const values = subindices.map(({ i }) => columns[i]![row]!);
      if (values.every((v) => v === v)) matrix.push(values);
    }
    const varying = subindices.every((_, c) => sampleVariance(matrix.map((row) => row[c]!)) > 0);
    if (matrix.length > subindices.length && varying) {
      const model = new PCA(matrix, { center: true, scale: true });
      pca = { nodes: subindices.map((s) => s.id), n: matrix.length, explainedVariance: model.getExplainedVariance(), eigenvalues: model.getEigenvalues() };
    }
  }

  return {
    parameters: {
      analysis: 'coherence',
      methodology: methodologyStamp(compiled),
      variant: options.variant ?? null,
      by: 'institution',
      date: checkDate(options.date),
      nearDuplicate,
      weakAlpha,
    },
    nodes: kept.map(({ id, i }) => ({ id, label: label(id), n: counts[i]! })),
    pearson,
    spearman,
    alpha,
    pca,
    flags,
  };
}
