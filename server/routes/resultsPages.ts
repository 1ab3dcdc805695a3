/**
 * Public results pages of published editions (Spanish): national overview with the edition
 * comparison, entity, type and level views, institution search and institution pages, each with its
 * charts (server-drawn SVG, inline: no script needed) and links to download the matching PDF and Excel.
 *
 * The numbers come from the same place as the reports (services/reports.ts), so a page and its PDF agree.
 */
import { Router, type Request, type Response } from 'express';
import { isValidObjectId } from 'mongoose';
import { foldName } from '../../scoring/catalogue.js';
import { rankDescending } from '../../scoring/comparison.js';
import { groupByKeys, type GroupSummary } from '../../scoring/grouping.js';
import { rowValues } from '../../scoring/engine.js';
import {
  buildEntityReportData,
  buildInstitutionReportData,
  groupedBarChart,
  rankedBarChart,
  referenceBarChart,
  summaryNodes,
  type EditionResults,
  type NodeInfo,
} from '../../reports/index.js';
import { formatCount, formatDelta, formatScore } from '../../reports/format.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { ScoreModel } from '../models/result.js';
import { notFound } from '../http/problem.js';
import { renderPage } from '../http/render.js';
import { explanationView, institutionExplanation } from '../services/explanations.js';
import { chart } from '../http/inlineChart.js';
import { entityEvolutionSection, institutionPreviousSection, nationalMapSection, panelSection } from './resultsEvolution.js';
import { INSTITUTION_SORTS, SORT_LABELS, foundInstitution, institutionSearchSpec, searchInstitutions } from '../services/institutionSearch.js';
import { pager, parseListQuery, streamCsv } from '../http/lists.js';
import { entityOf, institutionRow, loadEditionResults, nationalReportData, type LoadedEdition } from '../services/reports.js';
import { PUBLIC_EDITIONS } from '../services/editionLifecycle.js';

/** Printed where an edition did not publish a figure: never a zero. */
const NO_DATA = 'sin dato';

const score = (value: number | null | undefined): string => (value === null || value === undefined || Number.isNaN(value) ? NO_DATA : formatScore(value));
const delta = (value: number | null | undefined): string => (value === null || value === undefined || Number.isNaN(value) ? NO_DATA : formatDelta(value));
const difference = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a - b);
const enc = encodeURIComponent;

// ───────────────────────────── shared view pieces ─────────────────────────────

interface Download {
  href: string;
  label: string;
  format: 'PDF' | 'Excel';
}

const api = '/api/v1/reports';
const workbookDownload = (editionId: string): Download => ({ href: `${api}/editions/${enc(editionId)}/workbook.xlsx`, label: 'Datos de la edición', format: 'Excel' });

function nodeHeads(nodes: readonly NodeInfo[]) {
  return nodes.map((n) => ({ code: n.code, name: n.name }));
}

function groupRows(groups: readonly GroupSummary[], nodes: readonly NodeInfo[], index: string, href: (name: string) => string) {
  const ranks = rankDescending(groups.map((g) => g.values[index] ?? null));
  return groups
    .map((g, i) => ({ name: g.name, href: href(g.name), n: formatCount(g.n), rank: ranks[i] ?? null, values: nodes.map((node) => score(g.values[node.id])) }))
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name, 'es'));
}

const pageBase = (loaded: LoadedEdition) => {
  const { edition, results } = loaded;
  const nodes = summaryNodes(results.compiled);
  const index = results.indexNode;
  const indexCode = nodes.find((n) => n.id === index)?.code ?? index;
  return {
    edition: { editionId: edition.editionId, title: edition.title, year: edition.year },
    base: `/resultados/${enc(edition.editionId)}`,
    nodes,
    index,
    indexCode,
    methodology: { id: results.compiled.methodology.id, hash: results.compiled.hash },
  };
};

function typeHref(base: string, name: string) {
  return `${base}/tipos/${enc(name)}`;
}
function levelHref(base: string, name: string) {
  return `${base}/niveles/${enc(name)}`;
}
function entityHref(base: string, name: string) {
  return `${base}/entidades/${enc(name)}`;
}

// ───────────────────────────── pages ─────────────────────────────

export function resultsPagesRouter(): Router {
  const router = Router();
  const published = (id: unknown) => loadEditionResults(String(id), { publishedOnly: true });

  router.get('/', async (req, res) => {
    const editions = await EditionModel.find(PUBLIC_EDITIONS, { editionId: 1, year: 1, title: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'home', { title: 'Inicio', editions });
  });

  router.get('/resultados', async (req, res) => {
    const latest = await EditionModel.findOne(PUBLIC_EDITIONS, { editionId: 1 }).sort({ year: -1 }).lean();
    if (!latest) return renderPage(req, res, 'home', { title: 'Resultados', editions: [] });
    res.redirect(302, `/resultados/${enc(latest.editionId)}`);
  });

  router.get('/resultados/:edition', async (req, res) => {
    const loaded = await published(req.params.edition);
    const { results } = loaded;
    const page = pageBase(loaded);
    const { nodes, index, indexCode, base } = page;
    const data = await nationalReportData(loaded);
    const national = data.comparison.groups[0]!.nodes;

    // Edition comparison: published figures per edition (the base edition's computed ones where it published none).
    const editions = data.editions;
    const pairs = editions.slice(1).map((to, i) => ({ from: editions[i]!, to }));
    if (editions.length > 2) for (const to of editions.slice(2)) pairs.push({ from: editions[0]!, to });
    const comparison = {
      editions,
      pairs: pairs.map((p) => `${p.from} → ${p.to}`),
      rows: nodes.map((n) => {
        const c = national[n.id]!;
        const found = (from: string, to: string) => [...c.deltas, ...c.fromFirst].find((d) => d.from === from && d.to === to)?.delta ?? null;
        return { code: n.code, name: n.name, isIndex: n.id === index, values: editions.map((e) => score(c.values[e])), deltas: pairs.map((p) => delta(found(p.from, p.to))) };
      }),
    };
    const summaries = data.editionSummaries.map((s) => ({
      edition: s.edition,
      value: score(national[index]?.values[s.edition]),
      origin: s.published !== null ? 'publicado' : s.computed !== null ? 'calculado' : NO_DATA,
      n: s.n === null ? NO_DATA : formatCount(s.n),
      sources: s.sources,
    }));

    let entityComparison;
    if (data.entityComparison) {
      const { comparison: ec, laterEditions } = data.entityComparison;
      const shown = ec.nodes.filter((id) => ec.groups.some((g) => laterEditions.some((e) => g.nodes[id]?.values[e] !== null)));
      const code = (id: string) => nodes.find((n) => n.id === id)?.code ?? id;
      entityComparison = {
        heads: shown.flatMap((id) => [`${code(id)} ${data.baseEdition}`, ...laterEditions.map((e) => `${code(id)} ${e}`), `Δ ${code(id)}`]),
        rows: ec.groups.map((g) => ({
          name: g.group,
          href: entityHref(base, g.group),
          cells: shown.flatMap((id) => {
            const c = g.nodes[id]!;
            return [score(c.values[data.baseEdition]), ...laterEditions.map((e) => score(c.values[e])), delta(c.fromFirst.at(-1)?.delta)];
          }),
        })),
      };
    }

    const charts = {
      editions: chart(
        results,
        `editions-${editions.join('-')}`,
        () => groupedBarChart({ title: 'Índices y subíndices nacionales por edición', categories: nodes.map((n) => n.code), series: editions.map((e) => ({ label: e, values: nodes.map((n) => national[n.id]?.values[e] ?? null) })) }),
        'Cifras nacionales publicadas por edición; una barra que falta es una cifra no publicada (sin dato), no un cero.',
      ),
      entities: chart(
        results,
        'entities',
        () =>
          rankedBarChart({
            title: `${indexCode} ${results.edition} por entidad federativa`,
            seriesLabel: indexCode,
            items: data.base.byEntity.map((r) => ({ label: r.name, value: r.values[index] ?? null })),
            reference: { label: 'Media nacional', value: results.national.values[index]! },
          }),
        `${indexCode} de las ${formatCount(data.base.byEntity.length)} entidades, de mayor a menor; la línea marca la media nacional.`,
      ),
      types: chart(results, 'types', () =>
        rankedBarChart(
          {
            title: `${indexCode} ${results.edition} por tipo de sujeto obligado`,
            seriesLabel: indexCode,
            items: data.base.byType.map((r) => ({ label: `${r.name} (${formatCount(r.n)})`, value: r.values[index] ?? null })),
            reference: { label: 'Media nacional', value: results.national.values[index]! },
          },
          { height: 70 + 22 * data.base.byType.length },
        ),
      ),
    };

    const editionParam = `edition=${enc(loaded.edition.editionId)}`;
    renderPage(req, res, 'results/national', {
      title: `Resultados ${loaded.edition.year}`,
      ...page,
      nodeHeads: nodeHeads(nodes),
      n: formatCount(results.national.n),
      nationalMethod: results.nationalMethod === 'institutions' ? 'media simple de todos los sujetos obligados' : 'media de las medias de las entidades federativas',
      downloads: [
        { href: `${api}/national.pdf?${editionParam}`, label: 'Reporte nacional comparativo', format: 'PDF' },
        { href: `${api}/national.xlsx?${editionParam}`, label: 'Datos de la edición y comparación', format: 'Excel' },
      ] satisfies Download[],
      summaries,
      comparison,
      charts,
      national: { values: nodes.map((n) => score(results.national.values[n.id])) },
      entities: groupRows(results.byEntity.groups, nodes, index, (name) => entityHref(base, name)),
      types: groupRows(results.byType.groups, nodes, index, (name) => typeHref(base, name)),
      levels: groupRows(results.byLevel.groups, nodes, index, (name) => levelHref(base, name)),
      entityComparison,
      map: await nationalMapSection(results, req.query),
      panels: panelSection(data.evolution.panels, results),
      warnings: data.publishedWarnings.filter((w) => w.kind === 'inconsistent').map((w) => w.message.es),
      notes: data.notes,
      sources: data.meta.sources,
      publishedFile: data.publishedFile.file,
    });
  });

  router.get('/resultados/:edition/entidades/:entity', async (req, res) => {
    const loaded = await published(req.params.edition);
    const { results } = loaded;
    const page = pageBase(loaded);
    const { nodes, index, indexCode, base } = page;
    const name = entityOf(results, String(req.params.entity));
    const data = buildEntityReportData(results, name);
    const charts = {
      reference: chart(results, `entity-${name}`, () =>
        referenceBarChart({
          title: `${name} frente a la media nacional`,
          categories: nodes.map((n) => n.code),
          subject: { label: name, values: nodes.map((n) => data.values[n.id] ?? null) },
          references: [{ label: 'Media nacional', values: nodes.map((n) => data.national[n.id] ?? null) }],
        }),
      ),
      institutions: chart(
        results,
        `entity-institutions-${name}`,
        () =>
          rankedBarChart({
            title: `${indexCode} de los sujetos obligados de ${name}`,
            seriesLabel: indexCode,
            items: data.institutions.map((i) => ({ label: i.name.length <= 46 ? i.name : `${i.name.slice(0, 45).trimEnd()}…`, value: i.values[index] ?? null })),
            reference: { label: `Media de ${name}`, value: data.values[index]! },
          }),
        'Nombres largos recortados en la gráfica; completos en la tabla.',
      ),
    };
    renderPage(req, res, 'results/entity', {
      title: `${name} · ${loaded.edition.year}`,
      ...page,
      entity: { name, n: formatCount(data.n) },
      rank: data.ranks[index]?.rank ?? NO_DATA,
      entityCount: data.ranks[index]?.of,
      downloads: [{ href: `${api}/editions/${enc(loaded.edition.editionId)}/entities/${enc(name)}.pdf`, label: `Reporte de ${name}`, format: 'PDF' }, workbookDownload(loaded.edition.editionId)] satisfies Download[],
      charts,
      rows: nodes.map((n) => ({
        code: n.code,
        name: n.name,
        value: score(data.values[n.id]),
        national: score(data.national[n.id]),
        difference: delta(difference(data.values[n.id], data.national[n.id])),
        rank: data.ranks[n.id]?.rank === null || data.ranks[n.id] === undefined ? NO_DATA : `${data.ranks[n.id]!.rank} de ${data.ranks[n.id]!.of}`,
      })),
      nodeHeads: nodeHeads(nodes),
      institutions: data.institutions.map((i) => ({
        rank: i.rank ?? NO_DATA,
        name: i.name,
        href: `${base}/sujetos/${loaded.ids[i.index]}`,
        type: i.type,
        typeHref: typeHref(base, i.type),
        level: i.level,
        values: nodes.map((n) => score(i.values[n.id])),
      })),
      types: data.byType.map((t) => ({ name: t.name, href: typeHref(base, t.name), n: formatCount(t.n), value: score(t.values[index]), national: score(t.national[index]), difference: delta(difference(t.values[index], t.national[index])) })),
      gaps: data.gaps.slice(0, 5).map((g) => ({ rank: g.rank, name: g.label, value: score(g.value), gap: formatScore(g.gap, 3) })),
      evolution: await entityEvolutionSection(results, name),
    });
  });

  /** A type or level of sujeto obligado: its means against the national ones, by entity, and its institutions. */
  const groupPage = (kind: 'type' | 'level') => async (req: Request, res: Response) => {
    const loaded = await published(req.params.edition);
    const { results } = loaded;
    const page = pageBase(loaded);
    const { nodes, index, indexCode, base } = page;
    const grouping = kind === 'type' ? results.byType : results.byLevel;
    const asked = String(req.params.group);
    const group = grouping.groups.find((g) => foldName(g.name) === foldName(asked));
    if (!group) throw notFound(`edition ${results.edition} has no ${kind === 'type' ? 'institution type' : 'level'} "${asked}"`);
    const name = group.name;
    const label = kind === 'type' ? 'Tipo de sujeto obligado' : 'Nivel de gobierno';
    const keyOf = (row: number) => (kind === 'type' ? results.institutions[row]!.type : results.institutions[row]!.level);

    const members = results.institutions.flatMap((_, row) => (keyOf(row) === name ? [row] : []));
    const memberValues = members.map((row) => rowValues(results.scores, row));
    const memberRanks = rankDescending(memberValues.map((v) => v[index] ?? null));
    const institutions = members
      .map((row, i) => ({ row, rank: memberRanks[i] ?? null, values: memberValues[i]! }))
      .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity))
      .map(({ row, rank, values }) => {
        const inst = results.institutions[row]!;
        return { rank: rank ?? NO_DATA, name: inst.name, href: `${base}/sujetos/${loaded.ids[row]}`, entity: inst.entity, entityHref: entityHref(base, inst.entity), level: inst.level, type: inst.type, values: nodes.map((n) => score(values[n.id])) };
      });
    // The group's mean per entity: rows outside the group share one key that is dropped.
    const other = '\u0000';
    const byEntity = groupByKeys(results.scores, results.institutions.map((inst, row) => (keyOf(row) === name ? inst.entity : other)), 'entity').groups.filter((g) => g.name !== other);
    const groupRank = rankDescending(grouping.groups.map((g) => g.values[index] ?? null))[grouping.groups.indexOf(group)];
    const key = `${kind}-${name}`;
    const charts = {
      reference: chart(results, key, () =>
        referenceBarChart({
          title: `${name} frente a la media nacional`,
          categories: nodes.map((n) => n.code),
          subject: { label: name, values: nodes.map((n) => group.values[n.id] ?? null) },
          references: [{ label: 'Media nacional', values: nodes.map((n) => results.national.values[n.id] ?? null) }],
        }),
      ),
      entities:
        byEntity.length > 1
          ? chart(
              results,
              `${key}-entities`,
              () =>
                rankedBarChart({
                  title: `${indexCode} de ${kind === 'type' ? 'los sujetos obligados de tipo' : 'nivel'} ${name} por entidad federativa`,
                  seriesLabel: indexCode,
                  items: [...byEntity].sort((a, b) => (b.values[index] ?? -1) - (a.values[index] ?? -1)).map((g) => ({ label: `${g.name} (${g.n})`, value: g.values[index] ?? null })),
                  reference: { label: `Media de ${name}`, value: group.values[index]! },
                }),
              'Media por entidad de los sujetos obligados del grupo; entre paréntesis, cuántos son.',
            )
          : undefined,
    };
    renderPage(req, res, 'results/group', {
      title: `${name} · ${loaded.edition.year}`,
      ...page,
      kindLabel: label,
      kindPlural: kind === 'type' ? 'tipos' : 'niveles',
      group: { name, n: formatCount(group.n), rank: groupRank ?? NO_DATA, of: grouping.groups.length },
      downloads: [workbookDownload(loaded.edition.editionId)] satisfies Download[],
      charts,
      rows: nodes.map((n) => ({ code: n.code, name: n.name, value: score(group.values[n.id]), national: score(results.national.values[n.id]), difference: delta(difference(group.values[n.id], results.national.values[n.id])) })),
      nodeHeads: nodeHeads(nodes),
      others: grouping.groups.map((g) => ({ name: g.name, href: kind === 'type' ? typeHref(base, g.name) : levelHref(base, g.name), current: g === group })),
      entities: groupRows(byEntity, nodes, index, (entity) => entityHref(base, entity)),
      institutions,
      showType: kind === 'level',
    });
  };
  router.get('/resultados/:edition/tipos/:group', groupPage('type'));
  router.get('/resultados/:edition/niveles/:group', groupPage('level'));

  /** The README's short address: the search of the latest published edition. */
  router.get('/sujetos', async (req, res) => {
    const latest = await EditionModel.findOne({ status: 'published' }, { editionId: 1 }).sort({ year: -1 }).lean();
    if (!latest) throw notFound('no edition has been published');
    const search = new URLSearchParams(Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string')).toString();
    res.redirect(302, `/resultados/${enc(latest.editionId)}/sujetos${search ? `?${search}` : ''}`);
  });

  router.get('/resultados/:edition/sujetos', async (req, res) => {
    const loaded = await published(req.params.edition);
    const page = pageBase(loaded);
    const spec = institutionSearchSpec(loaded);
    const query = parseListQuery(req.query as Record<string, unknown>, spec);
    const found = searchInstitutions(loaded, query);
    const nodeIds = found.nodes.map((n) => n.id);
    if (query.csv) {
      const rows = (async function* () {
        for (const row of found.rows) {
          const i = foundInstitution(loaded, row, nodeIds);
          yield [i.id, i.name, i.entity, i.type, i.level, i.rank, ...nodeIds.map((id) => i.values[id])];
        }
      })();
      return streamCsv(res, `sujetos-${loaded.edition.editionId}.csv`, ['id', 'sujeto_obligado', 'entidad', 'tipo', 'nivel', 'lugar_nacional', ...found.nodes.map((n) => n.code)], rows);
    }
    const options = (groups: { name: string }[], selected: string | undefined) => groups.map((g) => ({ value: g.name, label: g.name, selected: g.name === selected })).sort((a, b) => a.label.localeCompare(b.label, 'es'));
    const { results } = loaded;
    renderPage(req, res, 'results/search', {
      title: 'Buscar sujeto obligado',
      ...page,
      q: query.q,
      filters: {
        entity: options(results.byEntity.groups, query.filters.entity),
        type: options(results.byType.groups, query.filters.type),
        level: options(results.byLevel.groups, query.filters.level),
      },
      sorts: INSTITUTION_SORTS.map((id) => ({ value: id, label: SORT_LABELS[id], selected: id === query.sort })),
      limit: query.limit,
      pager: pager(`${page.base}/sujetos`, query, found.total),
      nodeHeads: nodeHeads(found.nodes),
      institutions: found.rows.map((row) => {
        const i = foundInstitution(loaded, row, nodeIds);
        return { ...i, href: `${page.base}/sujetos/${i.id}`, entityHref: entityHref(page.base, i.entity), rank: i.rank ?? NO_DATA, values: nodeIds.map((id) => score(i.values[id])) };
      }),
    });
  });

  router.get('/resultados/:edition/sujetos/:id', async (req, res) => {
    const loaded = await published(req.params.edition);
    const { results } = loaded;
    const page = pageBase(loaded);
    const { nodes, base } = page;
    const id = String(req.params.id);
    if (!isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) throw notFound('no such institution');
    const [institution, stored] = await Promise.all([InstitutionModel.findOne({ _id: id, scope: loaded.edition.editionId }).lean(), ScoreModel.findOne({ edition: loaded.edition.editionId, institution: id }).lean()]);
    if (!institution || !stored) throw notFound('no such institution');
    const row = institutionRow(loaded, id);
    const data = buildInstitutionReportData(results, row);
    const refs = data.references;
    const explanation = await institutionExplanation(loaded.edition.editionId, id, stored);
    const charts = {
      reference: chart(results, `institution-${id}`, () =>
        referenceBarChart(
          {
            title: `${institution.name} frente a las medias de referencia`,
            categories: nodes.map((n) => n.code),
            subject: { label: institution.name.length <= 40 ? institution.name : `${institution.name.slice(0, 39).trimEnd()}…`, values: nodes.map((n) => data.values[n.id] ?? null) },
            references: [
              { label: 'Media nacional', values: nodes.map((n) => refs.national[n.id] ?? null) },
              { label: `Media de la entidad (${institution.entity})`, values: nodes.map((n) => refs.entity[n.id] ?? null) },
              { label: `Media del tipo (${institution.type})`, values: nodes.map((n) => refs.type[n.id] ?? null) },
            ],
          },
          { height: 260 },
        ),
      ),
    };
    const rank = (r: { rank: number | null; of: number }) => (r.rank === null ? NO_DATA : `${r.rank} de ${r.of}`);
    renderPage(req, res, 'results/institution', {
      title: institution.name,
      ...page,
      institution: { name: institution.name, entity: institution.entity, type: institution.type, level: institution.level },
      links: { entity: entityHref(base, institution.entity), type: typeHref(base, institution.type), level: levelHref(base, institution.level) },
      stamp: stored.methodology,
      downloads: [{ href: `${api}/editions/${enc(loaded.edition.editionId)}/institutions/${id}.pdf`, label: 'Ficha del sujeto obligado', format: 'PDF' }, workbookDownload(loaded.edition.editionId)] satisfies Download[],
      ranks: { inType: rank(data.ranks.inType), inEntity: rank(data.ranks.inEntity), national: rank(data.ranks.national) },
      charts,
      references: nodes.map((n) => ({ code: n.code, name: n.name, value: score(data.values[n.id]), national: score(refs.national[n.id]), entity: score(refs.entity[n.id]), type: score(refs.type[n.id]), difference: delta(difference(data.values[n.id], refs.national[n.id])) })),
      explanation: explanation && explanationView(explanation),
      previous: await institutionPreviousSection(loaded, id, data.values),
      improvements: data.improvements.slice(0, 5).map((g) => ({ rank: g.rank, name: g.label, value: score(g.value), gap: formatScore(g.gap, 3), potential: score(g.potentialIndex) })),
    });
  });

  return router;
}
