/** Public results pages of published editions (Spanish): national, entity, institution, search. */
import { Router } from 'express';
import { isValidObjectId } from 'mongoose';
import { normalizeEntity, foldName, UnknownNameError } from '../../scoring/catalogue.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { ScoreModel } from '../models/result.js';
import { notFound } from '../http/problem.js';
import { renderPage } from '../http/render.js';
import { editionGrouping, findEdition } from '../services/results.js';

async function publishedEdition(editionId: string) {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(editionId)) throw notFound(`edition "${editionId}" does not exist`);
  const edition = await findEdition(editionId);
  if (edition.status !== 'published') throw notFound(`edition "${editionId}" is not published`);
  return edition;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function resultsPagesRouter(): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const editions = await EditionModel.find({ status: 'published' }, { editionId: 1, year: 1, title: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'home', { title: 'Inicio', editions });
  });

  router.get('/resultados', async (req, res) => {
    const latest = await EditionModel.findOne({ status: 'published' }, { editionId: 1 }).sort({ year: -1 }).lean();
    if (!latest) return renderPage(req, res, 'home', { title: 'Resultados', editions: [] });
    res.redirect(302, `/resultados/${latest.editionId}`);
  });

  router.get('/resultados/:edition', async (req, res) => {
    const edition = await publishedEdition(String(req.params.edition));
    const [national, byEntity, byType, byLevel] = await Promise.all(['national', 'entity', 'type', 'level'].map((by) => editionGrouping(edition.editionId, by)));
    const nodes = national!.table.methodology.methodology.summaryNodes ?? national!.grouping.nodeIds;
    const labels = Object.fromEntries(national!.table.methodology.nodes.map((n) => [n.id, n.label.es]));
    const ranked = [...byEntity!.grouping.groups].sort((a, b) => (b.values.GA ?? -1) - (a.values.GA ?? -1)).map((g, i) => ({ ...g, rank: i + 1 }));
    renderPage(req, res, 'results/national', {
      title: `Resultados ${edition.year}`,
      edition,
      nodes: nodes.map((id) => ({ id, label: labels[id] })),
      national: national!.grouping.groups[0],
      entities: ranked,
      types: byType!.grouping.groups,
      levels: byLevel!.grouping.groups,
      methodology: national!.grouping.methodology,
    });
  });

  router.get('/resultados/:edition/entidades/:entity', async (req, res) => {
    const edition = await publishedEdition(String(req.params.edition));
    let entityName: string;
    try {
      entityName = normalizeEntity(String(req.params.entity)).name;
    } catch (error) {
      if (error instanceof UnknownNameError) throw notFound(error.message);
      throw error;
    }
    const [national, byEntity] = await Promise.all([editionGrouping(edition.editionId, 'national'), editionGrouping(edition.editionId, 'entity')]);
    const table = national.table;
    const nodes = table.methodology.methodology.summaryNodes ?? national.grouping.nodeIds;
    const labels = Object.fromEntries(table.methodology.nodes.map((n) => [n.id, n.label.es]));
    const rankedEntities = [...byEntity.grouping.groups].sort((a, b) => (b.values.GA ?? -1) - (a.values.GA ?? -1));
    const entity = byEntity.grouping.groups.find((g) => g.name === entityName);
    if (!entity) throw notFound(`no results for ${entityName}`);
    const gaIndex = table.methodology.nodeIndex.get('GA')!;
    const nodeCount = table.methodology.nodeIds.length;
    const institutions = table.institutions
      .map((inst, row) => ({ ...inst, GA: table.scores.values[row * nodeCount + gaIndex]! }))
      .filter((inst) => inst.entity === entityName)
      .sort((a, b) => b.GA - a.GA)
      .map((inst, i) => ({ ...inst, rank: i + 1 }));
    renderPage(req, res, 'results/entity', {
      title: `${entityName} · ${edition.year}`,
      edition,
      entity,
      rank: rankedEntities.findIndex((g) => g.name === entityName) + 1,
      entityCount: rankedEntities.length,
      rows: nodes.map((id) => ({ id, label: labels[id], value: entity.values[id], national: national.grouping.groups[0]!.values[id] })),
      institutions,
    });
  });

  router.get('/resultados/:edition/sujetos', async (req, res) => {
    const edition = await publishedEdition(String(req.params.edition));
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    const institutions = q
      ? await InstitutionModel.find({ scope: edition.editionId, normalizedName: { $regex: escapeRegExp(foldName(q)) } }, { name: 1, entity: 1, type: 1 }).sort({ normalizedName: 1 }).limit(100).lean()
      : [];
    renderPage(req, res, 'results/search', { title: 'Buscar sujeto obligado', edition, q, institutions: institutions.map((i) => ({ id: String(i._id), name: i.name, entity: i.entity, type: i.type })) });
  });

  router.get('/resultados/:edition/sujetos/:id', async (req, res) => {
    const edition = await publishedEdition(String(req.params.edition));
    const id = String(req.params.id);
    if (!isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) throw notFound('no such institution');
    const [institution, score, national] = await Promise.all([
      InstitutionModel.findOne({ _id: id, scope: edition.editionId }).lean(),
      ScoreModel.findOne({ edition: edition.editionId, institution: id }).lean(),
      editionGrouping(edition.editionId, 'national'),
    ]);
    if (!institution || !score) throw notFound('no such institution');
    const methodology = national.table.methodology;
    const nodes = score.nodes as Record<string, { value: number; source: string; formula?: { expression: string; terms: { node: string; weight: number; value: number }[] } }>;
    renderPage(req, res, 'results/institution', {
      title: institution.name,
      edition,
      institution,
      methodology: score.methodology,
      nodes: methodology.nodeIds
        .filter((nodeId) => nodeId in nodes)
        .map((nodeId) => ({ id: nodeId, label: methodology.nodes[methodology.nodeIndex.get(nodeId)!]!.label.es, national: national.grouping.groups[0]!.values[nodeId], ...nodes[nodeId] })),
    });
  });

  return router;
}
