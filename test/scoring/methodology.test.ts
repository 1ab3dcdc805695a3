import { expect } from 'chai';
import { syntheticMethodology } from '../../bench/synthetic.js';
import { canonicalJson, methodologyGraph, methodologyHash, MethodologyValidationError, validateMethodology, type Methodology } from '../../scoring/methodology.js';
import { loadBuiltinMethodology, type BuiltinMethodologyId } from '../../questionnaires/methodologies.js';

/** A mutable deep copy of the built-in 2017 methodology. */
function mga2017Copy(): any {
  return structuredClone(loadBuiltinMethodology('mga-2017')) as any;
}

function validationIssues(json: unknown): { path: string; message: string }[] {
  try {
    validateMethodology(json);
  } catch (error) {
    expect(error).to.be.instanceOf(MethodologyValidationError);
    return [...(error as MethodologyValidationError).issues];
  }
  throw new Error('expected the methodology to be rejected');
}

/** Reverses the key order of every object, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

describe('methodology', () => {
  describe('the built-in MGA 2017 methodology', () => {
    const m = loadBuiltinMethodology('mga-2017');
    const graph = methodologyGraph(m);
    const weightOf = (id: string) => graph.nodes.find((n) => n.id === id)?.weightInParent;

    it('has id, version, title and source', () => {
      expect(m.id).to.equal('mga-2017');
      expect(m.version).to.be.a('string').and.not.empty;
      expect(m.title.es).to.contain('Gobierno Abierto');
      expect(m.source.citation).to.contain('Resumen Ejecutivo');
    });

    it('declares every node of METHODOLOGY.md §2 with its kind', () => {
      const kinds = Object.fromEntries(graph.nodes.map((n) => [n.id, n.kind]));
      expect(kinds).to.deep.equal({
        GA: 'index', T: 'dimension', P: 'dimension', GAg: 'perspective', GAc: 'perspective',
        TG: 'subindex', TC: 'subindex', PG: 'subindex', PC: 'subindex',
        'TG.AI': 'variable', 'TG.TR': 'variable', 'TG.TP': 'variable', 'TG.DA': 'variable',
        'TC.Disp': 'variable', 'TC.Clar': 'variable', 'TC.Comp': 'variable', 'TC.Cel': 'variable',
        'PG.Mec': 'variable', 'PG.Act': 'variable', 'PG.Fun': 'variable', 'PG.Form': 'variable', 'PG.Seg': 'variable',
        'PC.Met': 'variable', 'PC.Recep': 'variable', 'PC.Act': 'variable', 'PC.Cel': 'variable',
      });
    });

    it('has exactly the weights of METHODOLOGY.md §2', () => {
      const expected: Record<string, number> = {
        'TG.AI': 0.5, 'TG.TR': 0.2, 'TG.TP': 0.2, 'TG.DA': 0.1,
        'TC.Disp': 0.25, 'TC.Clar': 0.25, 'TC.Comp': 0.25, 'TC.Cel': 0.25,
        'PG.Mec': 0.2, 'PG.Act': 0.1, 'PG.Fun': 0.3, 'PG.Form': 0.1, 'PG.Seg': 0.3,
        'PC.Met': 0.2, 'PC.Recep': 0.3, 'PC.Act': 0.3, 'PC.Cel': 0.2,
        TG: 0.5, TC: 0.5, PG: 0.5, PC: 0.5, T: 0.5, P: 0.5,
      };
      for (const [id, weight] of Object.entries(expected)) expect(weightOf(id), id).to.equal(weight);
      const parentOf = (id: string) => graph.nodes.find((n) => n.id === id)?.parent;
      expect(['TG', 'TC'].map(parentOf)).to.deep.equal(['T', 'T']);
      expect(['PG', 'PC'].map(parentOf)).to.deep.equal(['P', 'P']);
      expect(['T', 'P'].map(parentOf)).to.deep.equal(['GA', 'GA']);
    });

    it('defines the perspectives and the equivalent paths of GA', () => {
      const formula = (id: string) => graph.pathsByNode.get(id)!.map((p) => `${p.id}=${p.terms.map((t) => `${t.weight}${t.node}`).join('+')}`);
      expect(formula('GA')).to.deep.equal(['tree=0.5T+0.5P', 'GA:perspectives=0.5GAg+0.5GAc', 'GA:subindices=0.25TG+0.25TC+0.25PG+0.25PC']);
      expect(formula('GAg')).to.deep.equal(['definition=0.5TG+0.5PG']);
      expect(formula('GAc')).to.deep.equal(['definition=0.5TC+0.5PC']);
      expect(formula('T')).to.deep.equal(['tree=0.5TG+0.5TC']);
      expect(formula('P')).to.deep.equal(['tree=0.5PG+0.5PC']);
    });

    it('is frozen and cached', () => {
      expect(Object.isFrozen(m)).to.equal(true);
      expect(Object.isFrozen(m.tree.children)).to.equal(true);
      expect(loadBuiltinMethodology('mga-2017')).to.equal(m);
    });

    it('refuses an unknown built-in id', () => {
      expect(() => loadBuiltinMethodology('mga-1999' as BuiltinMethodologyId)).to.throw(RangeError, /mga-1999.*mga-2017/);
    });

    it('validates a synthetic 60-variable methodology with the same schema', () => {
      const synthetic = syntheticMethodology(15);
      expect(methodologyGraph(synthetic).nodes.filter((n) => n.kind === 'variable')).to.have.length(60);
    });
  });

  describe('schema validation', () => {
    it('lists the JSON path and reason of every schema error', () => {
      const json = mga2017Copy();
      delete json.id;
      json.tree.children[0].weight = 1.5;
      const issues = validationIssues(json);
      expect(issues).to.deep.include({ path: '', message: "must have required property 'id'" });
      expect(issues).to.deep.include({ path: '/tree/children/0/weight', message: 'must be <= 1' });
      expect(() => validateMethodology(json)).to.throw(/\/tree\/children\/0\/weight: must be <= 1/);
    });

    it('accepts only known aggregation rules', () => {
      const json = mga2017Copy();
      json.tree.children[1].aggregation = 'geometric-mean';
      const issues = validationIssues(json);
      expect(issues.map((i) => i.path)).to.include('/tree/children/1/aggregation');
      expect(issues.map((i) => i.message).join(' ')).to.contain('weighted-mean');
    });

    it('names unexpected properties', () => {
      const json = mga2017Copy();
      json.crossNodes[0].weigth = 1;
      expect(validationIssues(json)).to.deep.include({ path: '/crossNodes/0', message: 'must NOT have additional properties ("weigth")' });
    });

    it('refuses variables with children and composite nodes without them', () => {
      const json = mga2017Copy();
      json.tree.children[0].children[0].children[0].children = [{ id: 'X', kind: 'variable', label: { es: 'x', en: 'x' }, weight: 1 }];
      delete json.tree.children[1].children[0].children;
      const paths = validationIssues(json).map((i) => i.path);
      expect(paths).to.include('/tree/children/0/children/0/children/0');
      expect(paths).to.include('/tree/children/1/children/0');
    });

    it('requires bilingual labels and a weight on every child', () => {
      const json = mga2017Copy();
      delete json.tree.children[0].label.en;
      delete json.tree.children[1].weight;
      const issues = validationIssues(json);
      expect(issues).to.deep.include({ path: '/tree/children/0/label', message: "must have required property 'en'" });
      expect(issues).to.deep.include({ path: '/tree/children/1', message: "must have required property 'weight'" });
    });
  });

  describe('semantic validation', () => {
    it('refuses duplicate node ids', () => {
      const json = mga2017Copy();
      json.crossNodes[1].id = 'GAg';
      expect(validationIssues(json)).to.deep.include({ path: '/crossNodes/1/id', message: 'duplicate node id "GAg" (also at /crossNodes/0)' });
    });

    it('requires sibling weights to sum to 1 within 1e-9', () => {
      const json = mga2017Copy();
      json.tree.children[0].children[0].children[0].weight = 0.4; // TG.AI: TG weights now sum to 0.9
      const issues = validationIssues(json);
      expect(issues).to.have.length(1);
      expect(issues[0]!.path).to.equal('/tree/children/0/children/0/children');
      expect(issues[0]!.message).to.match(/weights sum to 0\.9/);

      const nearlyOne = mga2017Copy();
      nearlyOne.tree.children[0].children[0].children[0].weight = 0.5 + 1e-12;
      expect(() => validateMethodology(nearlyOne)).not.to.throw();
    });

    it('requires equivalent paths and cross nodes to reference existing nodes', () => {
      const json = mga2017Copy();
      json.equivalentPaths[0].terms[1].node = 'GAx';
      json.equivalentPaths.push({ id: 'Z:alt', node: 'Z', aggregation: 'weighted-mean', terms: [{ node: 'T', weight: 1 }] });
      json.crossNodes[0].terms[0].node = 'TX';
      const issues = validationIssues(json);
      expect(issues).to.deep.include({ path: '/equivalentPaths/0/terms/1/node', message: 'unknown node "GAx"' });
      expect(issues).to.deep.include({ path: '/equivalentPaths/2/node', message: 'unknown node "Z"' });
      expect(issues).to.deep.include({ path: '/crossNodes/0/terms/0/node', message: 'unknown node "TX"' });
    });

    it('requires equivalent paths to agree with the primary definition', () => {
      const json = mga2017Copy();
      json.equivalentPaths[0].terms = [{ node: 'GAg', weight: 0.6 }, { node: 'GAc', weight: 0.4 }];
      const issues = validationIssues(json);
      expect(issues).to.have.length(1);
      expect(issues[0]!.message).to.match(/equivalent path "GA:perspectives" of "GA" disagrees with its tree definition/);
    });

    it('refuses circular definitions', () => {
      const json = mga2017Copy();
      json.crossNodes.push(
        { id: 'X', kind: 'perspective', label: { es: 'x', en: 'x' }, aggregation: 'weighted-mean', terms: [{ node: 'Y', weight: 1 }] },
        { id: 'Y', kind: 'perspective', label: { es: 'y', en: 'y' }, aggregation: 'weighted-mean', terms: [{ node: 'X', weight: 1 }] },
      );
      expect(validationIssues(json).map((i) => i.message).join('\n')).to.match(/circular definition: X → Y → X/);
    });

    it('requires summary nodes to exist', () => {
      const json = mga2017Copy();
      json.summaryNodes = ['GA', 'IGA'];
      expect(validationIssues(json)).to.deep.include({ path: '/summaryNodes/1', message: 'unknown node "IGA"' });
    });
  });

  describe('canonical JSON and hash', () => {
    it('sorts keys at every level and leaves out white space and undefined properties', () => {
      expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined })).to.equal('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    });

    it('refuses values JSON cannot represent', () => {
      expect(() => canonicalJson({ a: NaN })).to.throw(TypeError);
      expect(() => canonicalJson({ a: new Date(0) })).to.throw(TypeError);
    });

    it('does not depend on key order', () => {
      const m = loadBuiltinMethodology('mga-2017');
      const reordered = validateMethodology(reverseKeys(structuredClone(m)));
      expect(JSON.stringify(reordered)).not.to.equal(JSON.stringify(m));
      expect(methodologyHash(reordered)).to.equal(methodologyHash(m));
      expect(methodologyHash(m)).to.match(/^[0-9a-f]{64}$/);
    });

    it('changes when a weight changes', () => {
      const m = loadBuiltinMethodology('mga-2017');
      const json = mga2017Copy();
      json.tree.children[0].children[0].children[0].weight = 0.4; // TG.AI 0.5 → 0.4
      json.tree.children[0].children[0].children[1].weight = 0.3; // TG.TR 0.2 → 0.3
      const changed: Methodology = validateMethodology(json);
      expect(methodologyHash(changed)).not.to.equal(methodologyHash(m));
    });
  });
});
