/**
 * Formulas a person can check by hand: for every node of an institution's score, the formula that
 * gives it written with the names of its terms and again with their weights and numbers, from the
 * engine's explanation (`scoreInstitution(...).nodes`, or the same shape as stored with a score).
 *
 * Names, not ids: a node is written with its official abbreviation when it has one (the methodology's
 * summary nodes: IGA, T, P, TG, TC, PG, PC for mga-2017), else with its Spanish name, so that no
 * identifier of the definition files ("TG.AI", "GAg") reaches a page. Pure: no I/O.
 */
import { asCompiled, DEFAULT_TOLERANCE, type CompiledMethodology } from './engine.js';
import type { AggregationRule, Methodology, NodeKind } from './methodology.js';
import { formatFixed } from './rounding.js';

/** Decimals of every number in an explanation (the 2017 data keep 4). */
export const EXPLANATION_DECIMALS = 4;

export interface NodeName {
  node: string;
  /** The official abbreviation ("IGA", "TG"), only for the methodology's summary nodes. */
  abbreviation?: string;
  /** Spanish name without the abbreviation ("Índice de Gobierno Abierto"). */
  name: string;
  /** How the node is written in a formula: its abbreviation, else its name. */
  short: string;
  kind: NodeKind;
  description?: string;
  /** Parent in the tree and the weight there (absent on the root and on cross nodes). */
  parent?: string;
  weight?: number;
}

/** A number as a formula prints it: whole numbers as such ("1", "0"), others with 4 decimals. */
export function termNumber(value: number, decimals = EXPLANATION_DECIMALS): string {
  return Number.isInteger(value) ? String(value) : formatFixed(value, decimals);
}

/** A value as an explanation prints it: always 4 decimals ("0.7833", "1.0000"). */
export function valueNumber(value: number, decimals = EXPLANATION_DECIMALS): string {
  return formatFixed(value, decimals);
}

/** A weight with the decimals it needs ("0.5", "0.25"). */
export function weightNumber(weight: number): string {
  return formatFixed(weight, 6).replace(/\.?0+$/, '');
}

 /** Most decimals a term gets so that a written sum adds up to the result it shows. */
export const MAX_TERM_DECIMALS = 8;

/**
 * The fewest decimals (from 4 up to 8) with which the terms of Σ weight × value ÷ divisor, rounded
 * and summed by hand, give the result rounded to 4 decimals. Without such a number (it would take
 * more than 8), `reproducible` is false and `shownSum` is what the 4-decimal terms give.
 */
export function decimalsThatAddUp(terms: readonly { weight: number; value: number }[], divisor: number, result: number): { decimals: number; reproducible: boolean; shownSum?: string } {
  const target = formatFixed(result, EXPLANATION_DECIMALS);
  const sumWith = (d: number) => formatFixed(terms.reduce((sum, t) => sum + t.weight * Number(formatFixed(t.value, d)), 0) / divisor, EXPLANATION_DECIMALS);
  for (let d = EXPLANATION_DECIMALS; d <= MAX_TERM_DECIMALS; d++) if (sumWith(d) === target) return { decimals: d, reproducible: true };
  return { decimals: EXPLANATION_DECIMALS, reproducible: false, shownSum: sumWith(EXPLANATION_DECIMALS) };
}

const ACRONYM = /\s*\(([^()]+)\)\s*$/;

/** Name, official abbreviation and place in the tree of every node of a methodology, by id. */
export function nodeNames(methodology: Methodology | CompiledMethodology): Map<string, NodeName> {
  const compiled = asCompiled(methodology);
  const official = new Set(compiled.methodology.summaryNodes ?? compiled.nodes.filter((n) => n.kind !== 'variable' && n.origin === 'tree').map((n) => n.id));
  const names = new Map<string, NodeName>();
  for (const node of compiled.nodes) {
    const label = node.label.es;
    const abbreviation = official.has(node.id) ? (ACRONYM.exec(label)?.[1] ?? node.id) : undefined;
    const name = label.replace(ACRONYM, '');
    names.set(node.id, {
      node: node.id,
      ...(abbreviation !== undefined && { abbreviation }),
      name,
      short: abbreviation ?? name,
      kind: node.kind,
      ...(node.description && { description: node.description.es }),
      ...(node.parent !== undefined && { parent: node.parent, weight: node.weightInParent }),
    });
  }
  return names;
}

/** The engine's formula of one path, as the engine returns and the scores store it. */
export interface EngineFormula {
  path: string;
  rule: AggregationRule;
  terms: readonly { node: string; weight: number; value: number }[];
  value: number;
}

/** The engine's explanation of one node (NodeScore). */
export interface EngineNodeScore {
  value: number;
  source: 'given' | 'computed';
  formula?: EngineFormula;
  otherPaths?: readonly EngineFormula[];
}

export interface FormulaTermText {
  node: string;
  short: string;
  weight: number;
  value: number;
}

export interface FormulaText {
  /** "tree", "definition" or an equivalent path's id. */
  path: string;
  /** For an equivalent path: what it says ("IGA como media de los cuatro subíndices"). */
  description?: string;
  terms: FormulaTermText[];
  /** With names: "TG = 0.5 × Acceso a la información + 0.2 × Transparencia reactiva + …". */
  symbolic: string;
  /** With numbers: "TG = 0.5 × 0.7833 + 0.2 × 0.7647 + … = 0.6935" (more decimals where 4 would not add up). */
  numeric: string;
  value: number;
  /** Whether the path gives the node's value (within the engine's tolerance). */
  agrees: boolean;
  /**
   * Whether the numbers shown give the result shown: terms get more than 4 decimals when 4 would
   * not add up (see decimalsThatAddUp). When even 8 would not, `shownSum` is what the 4-decimal
   * terms give, and the page says the result comes from the unrounded values.
   */
  reproducible: boolean;
  shownSum?: string;
}

export interface NodeExplanationText extends NodeName {
  value: number;
  valueText: string;
  source: 'given' | 'computed';
  /** For a computed node, the formula that gave it; for a given one, the first formula that checks it. */
  formula?: FormulaText;
  /** Further formulas that check the value. */
  checks: FormulaText[];
}

function formulaText(names: ReadonlyMap<string, NodeName>, head: string, nodeValue: number, f: EngineFormula, description: string | undefined): FormulaText {
  switch (f.rule) {
    case 'weighted-mean':
      break;
    default:
      throw new RangeError(`no written form for the aggregation rule "${String(f.rule)}"`);
  }
  const terms = f.terms.map((t) => ({ node: t.node, short: names.get(t.node)?.short ?? t.node, weight: t.weight, value: t.value }));
  const sum = decimalsThatAddUp(terms, 1, f.value);
  return {
    path: f.path,
    ...(description && { description }),
    terms,
    symbolic: `${head} = ${terms.map((t) => `${weightNumber(t.weight)} × ${t.short}`).join(' + ')}`,
    numeric: `${head} = ${terms.map((t) => `${weightNumber(t.weight)} × ${termNumber(t.value, sum.decimals)}`).join(' + ')} = ${valueNumber(f.value)}`,
    value: f.value,
    agrees: Math.abs(f.value - nodeValue) <= DEFAULT_TOLERANCE + 1e-12,
    reproducible: sum.reproducible,
    ...(sum.shownSum !== undefined && { shownSum: sum.shownSum }),
  };
}

/**
 * Every node with a value, written out: the methodology's summary nodes first (in their order), then
 * the other composite nodes, then the variables (which have no formula: their values come from the
 * answers or the data).
 */
export function explainNodes(methodology: Methodology | CompiledMethodology, nodes: Readonly<Record<string, EngineNodeScore>>): NodeExplanationText[] {
  const compiled = asCompiled(methodology);
  const names = nodeNames(compiled);
  const described = new Map(compiled.methodology.equivalentPaths.map((p) => [p.id, p.description?.es]));
  const summary = compiled.methodology.summaryNodes ?? [];
  const rank = (id: string) => {
    const i = summary.indexOf(id);
    if (i >= 0) return i;
    return names.get(id)!.kind === 'variable' ? 2 * compiled.nodeIds.length : compiled.nodeIds.length;
  };
  const ids = compiled.nodeIds.filter((id) => Object.hasOwn(nodes, id)).sort((a, b) => rank(a) - rank(b) || compiled.nodeIndex.get(a)! - compiled.nodeIndex.get(b)!);
  return ids.map((id) => {
    const score = nodes[id]!;
    const name = names.get(id)!;
    const write = (f: EngineFormula) => formulaText(names, name.short, score.value, f, f.path === 'tree' || f.path === 'definition' ? undefined : described.get(f.path));
    return {
      ...name,
      value: score.value,
      valueText: valueNumber(score.value),
      source: score.source,
      ...(score.formula && { formula: write(score.formula) }),
      checks: (score.otherPaths ?? []).map(write),
    };
  });
}
