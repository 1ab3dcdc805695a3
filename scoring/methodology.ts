/**
 * A metric's methodology as data: types, validation (JSON Schema plus semantic rules), a flattened
 * graph view shared by the engine and the reports, canonical JSON and a content hash.
 */
import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import methodologySchema from './schemas/methodology.schema.json' with { type: 'json' };

export interface Label {
  readonly es: string;
  readonly en: string;
}

export const AGGREGATION_RULES = ['weighted-mean', 'weighted-geometric-mean', 'weighted-harmonic-mean'] as const;
export type AggregationRule = (typeof AGGREGATION_RULES)[number];

export type CompositeKind = 'index' | 'dimension' | 'perspective' | 'subindex';
export type NodeKind = CompositeKind | 'variable';

export interface TreeNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: Label;
  readonly description?: Label;
  /** Weight within the parent; absent on the root. */
  readonly weight?: number;
  readonly aggregation?: AggregationRule;
  readonly children?: readonly TreeNode[];
}

export interface Term {
  readonly node: string;
  readonly weight: number;
}

export interface CrossNode {
  readonly id: string;
  readonly kind: CompositeKind;
  readonly label: Label;
  readonly description?: Label;
  readonly aggregation: AggregationRule;
  readonly terms: readonly Term[];
}

export interface EquivalentPath {
  readonly id: string;
  readonly node: string;
  readonly description?: Label;
  readonly aggregation: AggregationRule;
  readonly terms: readonly Term[];
}

export interface Methodology {
  readonly id: string;
  readonly version: string;
  readonly title: Label;
  readonly description?: Label;
  readonly source: { readonly citation: string; readonly pages?: string; readonly url?: string; readonly notes?: string };
  readonly summaryNodes?: readonly string[];
  /** Set when the methodology was derived from another by a variant (scoring/variants.ts). */
  readonly derivedFrom?: DerivedFrom;
  readonly tree: TreeNode;
  readonly crossNodes?: readonly CrossNode[];
  readonly equivalentPaths: readonly EquivalentPath[];
}

export interface DerivedFrom {
  readonly id: string;
  readonly version: string;
  readonly hash: string;
  /** The variant as given (canonical form). */
  readonly variant: object;
}

/** Every node of the methodology, wherever it is declared. */
export interface MethodologyNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: Label;
  readonly description?: Label;
  /** Parent in the tree and the weight there; absent on the root and on cross nodes. */
  readonly parent?: string;
  readonly weightInParent?: number;
  readonly origin: 'tree' | 'cross';
}

/** One way of computing a node from other nodes. */
export interface MethodologyPath {
  /** "tree" for a tree node's children, "definition" for a cross node, else the equivalent path's id. */
  readonly id: string;
  readonly node: string;
  readonly kind: 'tree' | 'definition' | 'equivalent';
  readonly rule: AggregationRule;
  readonly terms: readonly Term[];
}

export interface MethodologyGraph {
  /** Declaration order: the tree depth-first (pre-order), then the cross nodes. */
  readonly nodes: readonly MethodologyNode[];
  /** Node ids ordered so that every node comes after all the nodes its paths use. */
  readonly evaluationOrder: readonly string[];
  /** Paths of each node, primary (tree or definition) first, then the equivalent paths in declaration order. */
  readonly pathsByNode: ReadonlyMap<string, readonly MethodologyPath[]>;
}

export interface MethodologyIssue {
  /** JSON pointer into the methodology document. */
  readonly path: string;
  readonly message: string;
}

export class MethodologyValidationError extends Error {
  constructor(readonly issues: readonly MethodologyIssue[]) {
    super(`invalid methodology:\n${issues.map((i) => `  - ${i.path || '/'}: ${i.message}`).join('\n')}`);
    this.name = 'MethodologyValidationError';
  }
}

/** Sibling weights and equivalent decompositions must agree to this precision. */
const WEIGHT_SUM_TOLERANCE = 1e-9;

let compiledSchema: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  compiledSchema ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(methodologySchema);
  return compiledSchema;
}

function describeAjvError(error: ErrorObject): MethodologyIssue {
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? error.keyword;
  if (error.keyword === 'additionalProperties') message += ` ("${String(params.additionalProperty)}")`;
  if (error.keyword === 'enum') message += `: ${JSON.stringify(params.allowedValues)}`;
  if (error.keyword === 'const') message += `: ${JSON.stringify(params.allowedValue)}`;
  return { path: error.instancePath, message };
}

/**
 * Checks `json` against the methodology schema and the semantic rules, and returns it as a deeply
 * frozen copy. Throws MethodologyValidationError listing every problem found (JSON pointer and reason).
 */
export function validateMethodology(json: unknown): Methodology {
  const validate = schemaValidator();
  if (!validate(json)) {
    throw new MethodologyValidationError((validate.errors ?? []).map(describeAjvError));
  }
  const methodology = json as Methodology;
  const issues: MethodologyIssue[] = [];
  buildGraph(methodology, issues);
  if (issues.length > 0) throw new MethodologyValidationError(issues);
  return deepFreeze(structuredClone(methodology));
}

const graphCache = new WeakMap<Methodology, MethodologyGraph>();

/** The flattened view of a validated methodology (cached per object). */
export function methodologyGraph(methodology: Methodology): MethodologyGraph {
  let graph = graphCache.get(methodology);
  if (!graph) {
    const issues: MethodologyIssue[] = [];
    graph = buildGraph(methodology, issues);
    if (issues.length > 0) throw new MethodologyValidationError(issues);
    graphCache.set(methodology, graph);
  }
  return graph;
}

function checkWeightSum(terms: readonly { weight?: number }[], where: string, issues: MethodologyIssue[]): void {
  const sum = terms.reduce((total, t) => total + (t.weight ?? 0), 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    issues.push({ path: where, message: `weights sum to ${sum}, not 1` });
  }
}

/** Builds the graph, recording every semantic problem in `issues` instead of stopping at the first. */
function buildGraph(m: Methodology, issues: MethodologyIssue[], checkEquivalences = true): MethodologyGraph {
  const nodes: MethodologyNode[] = [];
  const pointers = new Map<string, string>();
  const pathsByNode = new Map<string, MethodologyPath[]>();

  const declare = (node: MethodologyNode, pointer: string): void => {
    if (pointers.has(node.id)) {
      issues.push({ path: `${pointer}/id`, message: `duplicate node id "${node.id}" (also at ${pointers.get(node.id)})` });
      return;
    }
    pointers.set(node.id, pointer);
    nodes.push(node);
    pathsByNode.set(node.id, []);
  };

  const visitTree = (node: TreeNode, pointer: string, parent?: TreeNode): void => {
    declare(
      {
        id: node.id,
        kind: node.kind,
        label: node.label,
        ...(node.description && { description: node.description }),
        ...(parent && { parent: parent.id, weightInParent: node.weight }),
        origin: 'tree',
      },
      pointer,
    );
    if (!node.children) return;
    checkWeightSum(node.children, `${pointer}/children`, issues);
    node.children.forEach((child, i) => visitTree(child, `${pointer}/children/${i}`, node));
  };
  if (m.tree.weight !== undefined && m.tree.weight !== 1) {
    issues.push({ path: '/tree/weight', message: 'the root has no parent; omit its weight' });
  }
  visitTree(m.tree, '/tree');
  (m.crossNodes ?? []).forEach((cross, i) =>
    declare({ id: cross.id, kind: cross.kind, label: cross.label, ...(cross.description && { description: cross.description }), origin: 'cross' }, `/crossNodes/${i}`),
  );

  const addPath = (path: MethodologyPath, pointer: string): void => {
    checkWeightSum(path.terms, `${pointer}/terms`, issues);
    const seen = new Set<string>();
    path.terms.forEach((term, i) => {
      if (!pointers.has(term.node)) issues.push({ path: `${pointer}/terms/${i}/node`, message: `unknown node "${term.node}"` });
      else if (term.node === path.node) issues.push({ path: `${pointer}/terms/${i}/node`, message: `node "${path.node}" cannot be a term of itself` });
      if (seen.has(term.node)) issues.push({ path: `${pointer}/terms/${i}/node`, message: `node "${term.node}" appears twice` });
      seen.add(term.node);
    });
    pathsByNode.get(path.node)?.push(path);
  };

  const addTreePaths = (node: TreeNode): void => {
    if (!node.children || !node.aggregation) return;
    const terms = node.children.map((c) => ({ node: c.id, weight: c.weight ?? 0 }));
    pathsByNode.get(node.id)?.push({ id: 'tree', node: node.id, kind: 'tree', rule: node.aggregation, terms });
    node.children.forEach(addTreePaths);
  };
  addTreePaths(m.tree);
  (m.crossNodes ?? []).forEach((cross, i) =>
    addPath({ id: 'definition', node: cross.id, kind: 'definition', rule: cross.aggregation, terms: cross.terms }, `/crossNodes/${i}`),
  );

  const pathIds = new Map<string, number>();
  m.equivalentPaths.forEach((path, i) => {
    const pointer = `/equivalentPaths/${i}`;
    if (pathIds.has(path.id)) issues.push({ path: `${pointer}/id`, message: `duplicate path id "${path.id}" (also at /equivalentPaths/${pathIds.get(path.id)})` });
    else if (path.id === 'tree' || path.id === 'definition') issues.push({ path: `${pointer}/id`, message: `"${path.id}" is reserved for primary paths` });
    pathIds.set(path.id, i);
    if (!pointers.has(path.node)) {
      issues.push({ path: `${pointer}/node`, message: `unknown node "${path.node}"` });
      return;
    }
    addPath({ id: path.id, node: path.node, kind: 'equivalent', rule: path.aggregation, terms: path.terms }, pointer);
  });

  (m.summaryNodes ?? []).forEach((id, i) => {
    if (!pointers.has(id)) issues.push({ path: `/summaryNodes/${i}`, message: `unknown node "${id}"` });
  });

  const evaluationOrder = orderForEvaluation(nodes, pathsByNode, pointers, issues);
  if (issues.length === 0 && checkEquivalences) {
    for (const c of equivalentPathConflictsOf(nodes, pathsByNode)) {
      issues.push({
        path: pointers.get(c.node)!,
        message: `equivalent path "${c.path}" of "${c.node}" disagrees with its ${c.primaryKind} definition: ${c.reason}`,
      });
    }
  }
  return { nodes, evaluationOrder, pathsByNode };
}

/** Depth-first topological order over "node depends on the terms of all its paths"; reports cycles. */
function orderForEvaluation(
  nodes: readonly MethodologyNode[],
  pathsByNode: ReadonlyMap<string, readonly MethodologyPath[]>,
  pointers: ReadonlyMap<string, string>,
  issues: MethodologyIssue[],
): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    const s = state.get(id);
    if (s === 'done' || !pointers.has(id)) return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(id)), id].join(' → ');
      issues.push({ path: pointers.get(id)!, message: `circular definition: ${cycle}` });
      return;
    }
    state.set(id, 'visiting');
    for (const path of pathsByNode.get(id) ?? []) for (const term of path.terms) visit(term.node, [...trail, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const node of nodes) visit(node.id, []);
  return order;
}

export interface EquivalentPathConflict {
  /** The equivalent path's id. */
  readonly path: string;
  readonly node: string;
  readonly primaryKind: MethodologyPath['kind'];
  readonly reason: string;
}

/**
 * Equivalent paths of a structurally valid methodology that disagree with their node's primary
 * definition (empty for any methodology that validateMethodology accepts). Variants use it to find
 * the equivalences they break.
 */
export function equivalentPathConflicts(methodology: Methodology): EquivalentPathConflict[] {
  const issues: MethodologyIssue[] = [];
  const { nodes, pathsByNode } = buildGraph(methodology, issues, false);
  if (issues.length > 0) throw new MethodologyValidationError(issues);
  return equivalentPathConflictsOf(nodes, pathsByNode);
}

/**
 * Expands every path into a linear combination of tree leaves and compares each equivalent path with
 * its node's primary definition: "GA = mean(GAg, GAc)" must be the same formula as "GA = mean(T, P)".
 * A geometric or harmonic path is not linear: it expands to itself (a symbol naming its rule and
 * terms), so an equivalent path agrees with it only when it is the same formula.
 */
function equivalentPathConflictsOf(
  nodes: readonly MethodologyNode[],
  pathsByNode: ReadonlyMap<string, readonly MethodologyPath[]>,
): EquivalentPathConflict[] {
  const conflicts: EquivalentPathConflict[] = [];
  const expansions = new Map<string, Map<string, number>>();
  const expandPath = (path: MethodologyPath): Map<string, number> => {
    if (path.rule !== 'weighted-mean') {
      const symbol = `${path.rule}(${path.terms.map((t) => `${t.weight}·${t.node}`).join(',')})`;
      return new Map([[symbol, 1]]);
    }
    const result = new Map<string, number>();
    for (const term of path.terms) {
      for (const [leaf, coefficient] of expandNode(term.node)) {
        result.set(leaf, (result.get(leaf) ?? 0) + term.weight * coefficient);
      }
    }
    return result;
  };
  const expandNode = (id: string): Map<string, number> => {
    let expansion = expansions.get(id);
    if (!expansion) {
      const primary = pathsByNode.get(id)?.[0];
      expansion = primary ? expandPath(primary) : new Map([[id, 1]]);
      expansions.set(id, expansion);
    }
    return expansion;
  };

  for (const node of nodes) {
    const [primary, ...alternatives] = pathsByNode.get(node.id) ?? [];
    if (!primary) continue;
    const expected = expandNode(node.id);
    for (const path of alternatives) {
      const actual = expandPath(path);
      for (const leaf of new Set([...expected.keys(), ...actual.keys()])) {
        const want = expected.get(leaf) ?? 0;
        const got = actual.get(leaf) ?? 0;
        if (Math.abs(want - got) > WEIGHT_SUM_TOLERANCE) {
          conflicts.push({ path: path.id, node: node.id, primaryKind: primary.kind, reason: `coefficient of "${leaf}" is ${got}, expected ${want}` });
          break;
        }
      }
    }
  }
  return conflicts;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and no white space, so that equal data always
 * gives equal text whatever the key order of the source. Undefined properties are omitted, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot represent a value of type ${typeof value}`);
}

/** SHA-256 (hex) of the methodology's canonical JSON: identifies the exact formulas used for a result. */
export function methodologyHash(methodology: Methodology): string {
  return createHash('sha256').update(canonicalJson(methodology)).digest('hex');
}
