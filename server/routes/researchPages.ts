/**
 * Researchers' pages beside the public results (Spanish): «¿Y si…?» (weights of the recomputable
 * nodes on sliders; ranks and rank changes against the official methodology; the URL reproduces the
 * state and works without script) and «Análisis de robustez» (rank intervals, sensitivity, coherence,
 * each with its parameters).
 */
import { Router, type Request, type Response } from 'express';
import { coherenceForEdition, whatIfForEdition } from '../services/research.js';
import { robustnessForEdition, sliderNodesForEdition } from '../services/robustness.js';
import { renderPage } from '../http/render.js';
import { notFound } from '../http/problem.js';
import { formatScore } from '../../reports/format.js';
import { correlationHeatmapSvg, parameterLines, rankIntervalSvg, sensitivityBarsSvg } from '../../reports/robustness.js';
import type { WhatIfGrouping } from '../../scoring/analysis/whatif.js';

const BY_OF: Record<string, WhatIfGrouping> = { entidad: 'entity', tipo: 'type', nivel: 'level' };
const BY_LABEL: Record<WhatIfGrouping, string> = { entity: 'Entidad federativa', type: 'Tipo de sujeto obligado', level: 'Nivel de gobierno', institution: 'Sujeto obligado' };
const EDITION = /^[a-z0-9][a-z0-9-]{1,62}$/;
const STEP = 0.05;

function editionParam(req: Request): string {
  const edition = String(req.params.edition);
  if (!EDITION.test(edition)) throw notFound(`edition "${edition}" does not exist`);
  return edition;
}

const pct = (share: number) => `${Math.round(share * 100)} %`;
const change = (value: number | null) => (value === null ? 'sin dato' : value > 0 ? `▲ ${value}` : value < 0 ? `▼ ${-value}` : '=');

export function researchPagesRouter(): Router {
  const router = Router();

  router.get('/resultados/:edition/y-si', async (req: Request, res: Response) => {
    const edition = editionParam(req);
    const porText = typeof req.query.por === 'string' ? req.query.por : 'entidad';
    const by = BY_OF[porText] ?? 'entity';
    const sliders = await sliderNodesForEdition(edition);
    const variant: Record<string, Record<string, number>> = {};
    const controls = sliders.map((node) => {
      const raw = Number(req.query[`${node.id}.${node.children[0]}`]);
      const share = Number.isFinite(raw) && raw >= STEP && raw <= 1 - STEP ? Math.round(raw / STEP) * STEP : node.weights[0]!;
      variant[node.id] = { [node.children[0]!]: share, [node.children[1]!]: 1 - share };
      return {
        name: `${node.id}.${node.children[0]}`,
        label: node.label,
        secondId: node.children[1],
        first: node.childLabels[0],
        second: node.childLabels[1],
        value: share.toFixed(2),
        firstShare: pct(share),
        secondShare: pct(1 - share),
        official: `${pct(node.weights[0]!)} y ${pct(node.weights[1]!)}`,
      };
    });
    const result = await whatIfForEdition(edition, variant, by);
    const query = new URLSearchParams({ por: Object.keys(BY_OF).find((k) => BY_OF[k] === by)!, ...Object.fromEntries(controls.map((c) => [c.name, c.value])) });
    renderPage(req, res, 'research/whatif', {
      title: `¿Y si…? · ${edition}`,
      edition,
      base: `/resultados/${edition}`,
      controls,
      by: Object.entries(BY_OF).map(([value, key]) => ({ value, label: BY_LABEL[key], selected: key === by })),
      byLabel: BY_LABEL[by],
      link: `/resultados/${edition}/y-si?${query.toString()}`,
      rows: result.groups.map((g) => ({
        group: g.group,
        n: g.n,
        official: g.official.value === null ? 'sin dato' : formatScore(g.official.value),
        officialRank: g.official.rank ?? '',
        value: g.variant.value === null ? 'sin dato' : formatScore(g.variant.value),
        rank: g.variant.rank ?? '',
        change: change(g.rankChange),
        direction: g.rankChange === null || g.rankChange === 0 ? 'same' : g.rankChange > 0 ? 'up' : 'down',
      })),
      notes: [
        ...(result.skippedEquivalences.length > 0 ? ['Con otros pesos, el índice ya no es igual al promedio de las dos perspectivas ni al de los cuatro subíndices: esas comprobaciones se omiten para esta variante.'] : []),
        'Los pesos que se pueden mover son los de los índices que se recalculan con los datos publicados de la edición; los pesos dentro de cada subíndice necesitarían los datos de cada variable, que no se publicaron.',
      ],
      parameters: parameterLines(result.parameters),
      scripts: ['/static/whatif.js'],
    });
  });

  router.get('/resultados/:edition/robustez', async (req: Request, res: Response) => {
    const edition = editionParam(req);
    const [robustness, coherence] = await Promise.all([robustnessForEdition(edition), coherenceForEdition(edition)]);
    const { uncertainty, sensitivity, factorName } = robustness;
    renderPage(req, res, 'research/robustness', {
      title: `Análisis de robustez · ${edition}`,
      edition,
      base: `/resultados/${edition}`,
      uncertaintyChart: rankIntervalSvg(uncertainty, 'Lugar de cada entidad cuando cambian los pesos'),
      uncertaintyRows: uncertainty.groups.map((g) => ({ ...g, shift: g.meanAbsShift.toLocaleString('es-MX', { maximumFractionDigits: 2, minimumFractionDigits: 2 }) })),
      uncertaintyParameters: parameterLines(uncertainty.parameters),
      sensitivityChart: sensitivityBarsSvg(sensitivity, 'Qué supuesto mueve más los lugares', factorName),
      sensitivityParameters: parameterLines(sensitivity.parameters),
      heatmap: correlationHeatmapSvg(coherence, 'Correlación entre índices (Pearson)'),
      alpha: coherence.alpha.map((a) => ({ node: a.node, components: a.components.join(', '), alpha: a.alpha === null ? 'sin dato' : a.alpha.toLocaleString('es-MX', { maximumFractionDigits: 2, minimumFractionDigits: 2 }) })),
      pca: coherence.pca?.explainedVariance.map((v, i) => ({ component: i + 1, share: `${(v * 100).toLocaleString('es-MX', { maximumFractionDigits: 1 })} %` })) ?? [],
      flags: coherence.flags.map((f) => f.message.es),
      coherenceParameters: parameterLines(coherence.parameters),
    });
  });

  return router;
}
