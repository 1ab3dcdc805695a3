/**
 * Methodology variants: a small JSON that changes the weights of any aggregated node, its aggregation
 * rule (arithmetic, geometric, harmonic) or leaves components out, turned into a full methodology with
 * its own hash and a `derivedFrom` reference. Equivalent paths that no longer hold are dropped from
 * the derived methodology and listed, never silently kept. Format: questionnaires/README.md
 * ("Methodology variants"). Pure.
 */
import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import variantSchema from './schemas/variant.schema.json' with { type: 'json' };
import {
  canonicalJson,
  equivalentPathConflicts,
  methodologyHash,
  validateMethodology,
  type AggregationRule,
  type Methodology,
  type MethodologyIssue,
  type Term,
  type TreeNode,
} from './methodology.js';

export const VARIANT_RULES = ['arithmetic', 'geometric', 'harmonic'] as const;
export type VariantRule = (typeof VARIANT_RULES)[number];

export const RULE_OF_VARIANT: Readonly<Record<VariantRule, AggregationRule>> = {
  arithmetic: 'weighted-mean',
  geometric: 'weighted-geometric-mean',
  harmonic: 'weighted-harmonic-mean',
};
export const VARIANT_RULE_OF: Readonly<Record<AggregationRule, VariantRule>> = {
  'weighted-mean': 'arithmetic',
  'weighted-geometric-mean': 'geometric',
  'weighted-harmonic-mean': 'harmonic',
};

/** Given weights may miss summing to 1 by this much (e.g. 0.1 + 0.2 + 0.7 typed by hand); they are then rescaled exactly. */
export const VARIANT_WEIGHT_SUM_TOLERANCE = 1e-6;
const RESERVED_KEYS = new Set(['name', 'description', 'weights', 'aggregation', 'drop']);

/** A variant in its one normal form (short-form weights folded into `weights`). */
export interface Variant {
  name?: string;
  description?: string;
  weights: Record<string, Record<string, number>>;
  aggregation: Record<string, VariantRule>;
  drop: string[];
}

export class VariantValidationError extends Error {
  constructor(readonly issues: readonly MethodologyIssue[]) {
    super(`invalid variant:\n${issues.map((i) => `  - ${i.path || '/'}: ${i.message}`).join('\n')}`);
    this.name = 'VariantValidationError';
  }
}

export interface SkippedEquivalence {
  /** The equivalent path's id, e.g. "GA:subindices". */
  path: string;
  node: string;
  reason: string;
}

export interface DerivedMethodology {
  methodology: Methodology;
  variant: Variant;
  /** Nodes whose formula the variant changed (weights, rule or components), in declaration order. */
  changed: string[];
  /** Nodes left out: the ones asked for, their descendants, and cross nodes left without terms. */
  dropped: string[];
  /** Equivalence checks of the original that no longer hold: skipped for this variant. */
  skippedEquivalences: SkippedEquivalence[];
  /** Nodes aggregated by a geometric or harmonic mean: 0 whenever one of their terms is 0. */
  zeroRuleNodes: string[];
}

let compiledSchema: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  compiledSchema ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(variantSchema);
  return compiledSchema;
}

function describeAjvError(error: ErrorObject): MethodologyIssue {
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? error.keyword;
  if (error.keyword === 'additionalProperties') message += ` ("${String(params.additionalProperty)}")`;
  if (error.keyword === 'enum') message += `: ${JSON.stringify(params.allowedValues)}`;
  return { path: error.instancePath, message };
}

/** Checks a variant against its JSON Schema and returns its normal form; throws VariantValidationError. */
export function parseVariant(json: unknown): Variant {
  const validate = schemaValidator();
  if (!validate(json)) {
    const issues = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf').map(describeAjvError);
    throw new VariantValidationError([...new Map(issues.map((i) => [`${i.path}\n${i.message}`, i])).values()]);
  }
  const input = json as Record<string, unknown>;
  const variant: Variant = {
    ...(typeof input.name === 'string' && { name: input.name }),
    ...(typeof input.description === 'string' && { description: input.description }),
    weights: { ...((input.weights as Variant['weights'] | undefined) ?? {}) },
    aggregation: { ...((input.aggregation as Variant['aggregation'] | undefined) ?? {}) },
    drop: [...((input.drop as string[] | undefined) ?? [])],
  };
  const issues: MethodologyIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (RESERVED_KEYS.has(key)) continue;
    if (Object.hasOwn(variant.weights, key)) issues.push({ path: `/${key}`, message: `weights of "${key}" given twice (also under "weights")` });
    else variant.weights[key] = value as Record<string, number>;
  }
  if (issues.length > 0) throw new VariantValidationError(issues);
  return variant;
}

/** Short id of a variant: the first 12 hex digits of the SHA-256 of its canonical JSON. */
export function variantHash(variant: Variant): string {
  return createHash('sha256').update(canonicalJson(variant)).digest('hex').slice(0, 12);
}

type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
type MTree = Mutable<TreeNode>;
type MMethodology = Mutable<Methodology>;

const pointerToken = (id: string) => id.replace(/~/g, '~0').replace(/\//g, '~1');

function renormalise<T extends { weight?: number }>(items: T[]): void {
  const sum = items.reduce((total, item) => total + (item.weight ?? 0), 0);
  for (const item of items) item.weight = (item.weight ?? 0) / sum;
}

/**
 * Applies `variantJson` (short or full form) to `base`: the derived methodology has the same node ids
 * (less the dropped ones), `version` "<base version>+variant.<hash>" and `derivedFrom` naming the base
 * and the variant. Throws VariantValidationError listing every problem (JSON pointer into the variant).
 */
export function applyVariant(base: Methodology, variantJson: unknown): DerivedMethodology {
  const variant = parseVariant(variantJson);
  const m = structuredClone(base) as MMethodology;
  const issues: MethodologyIssue[] = [];

  const treeIndex = new Map<string, { node: MTree; parent?: MTree }>();
  const index = (node: MTree, parent?: MTree): void => {
    treeIndex.set(node.id, { node, ...(parent && { parent }) });
    node.children?.forEach((child) => index(child, node));
  };
  index(m.tree);
  const crossIndex = new Map((m.crossNodes ?? []).map((c) => [c.id, c]));
  const changed = new Set<string>();
  const dropped: string[] = [];

  // 1. Components left out.
  const removed = new Set<string>();
  const removeSubtree = (node: MTree): void => {
    removed.add(node.id);
    dropped.push(node.id);
    node.children?.forEach(removeSubtree);
  };
  variant.drop.forEach((id, i) => {
    const where = `/drop/${i}`;
    const entry = treeIndex.get(id);
    if (removed.has(id)) return;
    if (entry?.parent) {
      const siblings = entry.parent.children!.filter((c) => c.id !== id);
      if (siblings.length === 0) {
        issues.push({ path: where, message: `"${id}" is the only component of "${entry.parent.id}"; leave out "${entry.parent.id}" instead` });
        return;
      }
      entry.parent.children = siblings;
      renormalise(siblings);
      changed.add(entry.parent.id);
      removeSubtree(entry.node);
    } else if (entry) {
      issues.push({ path: where, message: `"${id}" is the root of the methodology and cannot be left out` });
    } else if (crossIndex.has(id)) {
      removed.add(id);
      dropped.push(id);
    } else {
      issues.push({ path: where, message: `unknown node "${id}"` });
    }
  });
  // Cross nodes lose their dropped terms (the others renormalised); one left without terms is dropped too.
  let crossNodes = m.crossNodes ?? [];
  for (let again = true; again; ) {
    again = false;
    crossNodes = crossNodes.filter((cross) => {
      if (removed.has(cross.id)) return false;
      const kept = cross.terms.filter((t) => !removed.has(t.node));
      if (kept.length === cross.terms.length) return true;
      if (kept.length === 0) {
        removed.add(cross.id);
        dropped.push(cross.id);
        again = true;
        return false;
      }
      cross.terms = kept;
      renormalise(kept);
      changed.add(cross.id);
      return true;
    });
  }
  if (m.crossNodes) m.crossNodes = crossNodes;

  // 2. Weights.
  for (const [id, weights] of Object.entries(variant.weights)) {
    const where = `/weights/${pointerToken(id)}`;
    const tree = treeIndex.get(id);
    const cross = crossIndex.get(id);
    let items: { id: string; item: { weight?: number } }[];
    if (removed.has(id)) {
      issues.push({ path: where, message: `"${id}" is left out by "drop"` });
      continue;
    } else if (tree?.node.children) items = tree.node.children.map((c) => ({ id: c.id, item: c }));
    else if (cross) items = cross.terms.map((t: Mutable<Term>) => ({ id: t.node, item: t }));
    else {
      issues.push({ path: where, message: tree ? `"${id}" is a variable: it has no components to weigh` : `unknown node "${id}"` });
      continue;
    }
    const known = new Set(items.map((i) => i.id));
    const problems: string[] = [];
    for (const key of Object.keys(weights)) {
      if (!known.has(key)) problems.push(removed.has(key) ? `"${key}" is left out by "drop"` : `"${key}" is not a component of "${id}"`);
    }
    const missing = items.filter((i) => !Object.hasOwn(weights, i.id)).map((i) => i.id);
    if (missing.length > 0) problems.push(`every component of "${id}" needs a weight; missing: ${missing.join(', ')}`);
    const sum = Object.values(weights).reduce((a, b) => a + b, 0);
    if (problems.length === 0 && Math.abs(sum - 1) > VARIANT_WEIGHT_SUM_TOLERANCE) problems.push(`weights of "${id}" sum to ${sum}, not 1`);
    if (problems.length > 0) {
      issues.push(...problems.map((message) => ({ path: where, message })));
      continue;
    }
    for (const { id: child, item } of items) item.weight = weights[child]! / sum;
    changed.add(id);
  }

  // 3. Aggregation rules.
  for (const [id, rule] of Object.entries(variant.aggregation)) {
    const targets: { id: string; set: (r: AggregationRule) => void; get: () => AggregationRule | undefined }[] = [];
    if (id === '*') {
      for (const { node } of treeIndex.values()) {
        if (node.aggregation && !removed.has(node.id)) targets.push({ id: node.id, set: (r) => (node.aggregation = r), get: () => node.aggregation });
      }
    } else if (removed.has(id)) {
      issues.push({ path: `/aggregation/${pointerToken(id)}`, message: `"${id}" is left out by "drop"` });
    } else if (treeIndex.get(id)?.node.aggregation) {
      const node = treeIndex.get(id)!.node;
      targets.push({ id, set: (r) => (node.aggregation = r), get: () => node.aggregation });
    } else if (crossIndex.has(id)) {
      const cross = crossIndex.get(id)!;
      targets.push({ id, set: (r) => (cross.aggregation = r), get: () => cross.aggregation });
    } else {
      issues.push({ path: `/aggregation/${pointerToken(id)}`, message: treeIndex.has(id) ? `"${id}" is a variable: it aggregates nothing` : `unknown node "${id}"` });
    }
    for (const target of targets) {
      if (target.get() !== RULE_OF_VARIANT[rule]) changed.add(target.id);
      target.set(RULE_OF_VARIANT[rule]);
    }
  }
  if (issues.length > 0) throw new VariantValidationError(issues);

  // 4. What the derived methodology keeps of the rest.
  const skippedEquivalences: SkippedEquivalence[] = [];
  m.equivalentPaths = m.equivalentPaths.filter((path) => {
    const gone = [path.node, ...path.terms.map((t) => t.node)].find((node) => removed.has(node));
    if (gone) skippedEquivalences.push({ path: path.id, node: path.node, reason: `uses "${gone}", which is left out` });
    return !gone;
  });
  if (m.summaryNodes) m.summaryNodes = m.summaryNodes.filter((id) => !removed.has(id));
  const conflicts = new Map(equivalentPathConflicts(m as Methodology).map((c) => [c.path, c]));
  m.equivalentPaths = m.equivalentPaths.filter((path) => {
    const conflict = conflicts.get(path.id);
    if (conflict) skippedEquivalences.push({ path: path.id, node: path.node, reason: `no longer holds: ${conflict.reason}` });
    return !conflict;
  });

  const baseHash = methodologyHash(base);
  m.version = `${base.version}+variant.${variantHash(variant)}`;
  m.derivedFrom = { id: base.id, version: base.version, hash: baseHash, variant: JSON.parse(canonicalJson(variant)) as object };
  const methodology = validateMethodology(m);

  const order: string[] = [];
  const visit = (node: TreeNode): void => {
    order.push(node.id);
    node.children?.forEach(visit);
  };
  visit(methodology.tree);
  (methodology.crossNodes ?? []).forEach((c) => order.push(c.id));
  const zeroRuleNodes: string[] = [];
  const collectRules = (node: TreeNode): void => {
    if (node.aggregation && node.aggregation !== 'weighted-mean') zeroRuleNodes.push(node.id);
    node.children?.forEach(collectRules);
  };
  collectRules(methodology.tree);
  (methodology.crossNodes ?? []).forEach((c) => c.aggregation !== 'weighted-mean' && zeroRuleNodes.push(c.id));
  return {
    methodology,
    variant,
    changed: order.filter((id) => changed.has(id)),
    dropped,
    skippedEquivalences,
    zeroRuleNodes,
  };
}
