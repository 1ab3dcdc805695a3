/**
 * The public Metodología pages: the list of methodologies, and each one laid out from its definition
 * and its instruments (questionnaires/explain/methodology.ts): tree, weights, formulas, questions and
 * rules, sources, and what is official and what is this project's operationalisation.
 */
import { Router } from 'express';
import { EditionModel } from '../models/edition.js';
import { renderPage } from '../http/render.js';
import { notFound } from '../http/problem.js';
import { BUILTIN_INSTRUMENT_IDS, loadInstrument } from '../../questionnaires/engine.js';
import { BUILTIN_METHODOLOGY_IDS, isBuiltinMethodologyId, loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { methodologyOutline, type MethodologyOutline, type OutlineNode } from '../../questionnaires/explain/methodology.js';
import { PUBLIC_EDITIONS } from '../services/editionLifecycle.js';

const outlines = new Map<string, MethodologyOutline>();

/** Built once per methodology: the definitions are data shipped with the service. */
function outlineOf(id: string): MethodologyOutline {
  let outline = outlines.get(id);
  if (!outline) {
    if (!isBuiltinMethodologyId(id)) throw notFound(`unknown methodology "${id}"`);
    outline = methodologyOutline(loadBuiltinMethodology(id), BUILTIN_INSTRUMENT_IDS.map((i) => loadInstrument(i)));
    outlines.set(id, outline);
  }
  return outline;
}

/** The tree as table rows, depth first, with each node's depth for the indentation. */
function treeRows(node: OutlineNode, depth = 0): (OutlineNode & { depth: number })[] {
  return [{ ...node, depth }, ...node.children.flatMap((c) => treeRows(c, depth + 1))];
}

/** Composite nodes whose children are variables (the sub-indices), with their variables. */
function subindices(node: OutlineNode): OutlineNode[] {
  if (node.children.length > 0 && node.children.every((c) => c.kind === 'variable')) return [node];
  return node.children.flatMap(subindices);
}

const publishedEditions = () => EditionModel.find(PUBLIC_EDITIONS, { editionId: 1, year: 1, title: 1, methodology: 1 }).sort({ year: -1 }).lean();

export function methodologyPagesRouter(): Router {
  const router = Router();

  router.get('/metodologia', async (req, res) => {
    const editions = await publishedEditions();
    renderPage(req, res, 'methodology/index', {
      title: 'Metodología',
      methodologies: BUILTIN_METHODOLOGY_IDS.map((id) => {
        const outline = outlineOf(id);
        return { id, title: outline.title, description: outline.description, editions: editions.filter((e) => e.methodology?.id === id) };
      }),
    });
  });

  router.get('/metodologia/:id', async (req, res) => {
    const outline = outlineOf(String(req.params.id));
    const editions = (await publishedEditions()).filter((e) => e.methodology?.id === outline.id);
    const rows = treeRows(outline.tree);
    // Page anchors of the variables, by position (ids of the definitions stay out of the page).
    const anchors = new Map(rows.filter((r) => r.kind === 'variable').map((r, i) => [r.node, `variable-${i + 1}`]));
    renderPage(req, res, 'methodology/show', {
      title: `Metodología: ${outline.title}`,
      outline,
      editions,
      rows: rows.map((r) => ({ ...r, anchor: anchors.get(r.node) })),
      formulas: rows.filter((r) => r.formula).map((r) => ({ name: r.name, abbreviation: r.abbreviation, formula: r.formula })),
      subindices: subindices(outline.tree).map((s) => ({ ...s, children: s.children.map((c) => ({ ...c, anchor: anchors.get(c.node) })) })),
      index: outline.tree,
    });
  });

  return router;
}
