/**
 * The robustness figures shown on the results pages and in the reports: uncertainty (2,000 runs,
 * seed 1, R = 0.25) and sensitivity (N = 400) of the entity ranking, computed once per edition
 * results and kept in memory (a few hundred milliseconds for the 2017 edition).
 */
import { buildModel, type AnalysisModel } from '../../scoring/analysis/model.js';
import { runSensitivity, type SensitivityResult } from '../../scoring/analysis/sensitivity.js';
import { runUncertainty, type UncertaintyResult } from '../../scoring/analysis/uncertainty.js';
import type { EditionResults } from '../../reports/index.js';
import { loadEditionResults } from './reports.js';

export const PAGE_ANALYSIS = { runs: 2000, sensitivityRuns: 400, seed: 1, weightsRange: 0.25, bootstrap: 300 } as const;

export interface EditionRobustness {
  uncertainty: UncertaintyResult;
  sensitivity: SensitivityResult;
  factorName: (factor: string) => string;
}

const models = new WeakMap<EditionResults, AnalysisModel>();
const cache = new WeakMap<EditionResults, EditionRobustness>();

function entityModel(results: EditionResults): AnalysisModel {
  let model = models.get(results);
  if (!model) {
    model = buildModel({ methodology: results.compiled, givens: results.institutions.map((i) => i.values), groupOfRow: results.institutions.map((i) => i.entity) });
    models.set(results, model);
  }
  return model;
}

/** Uncertainty and sensitivity of an edition's entity ranking (computed once per results). */
export function robustnessOf(results: EditionResults, date = new Date()): EditionRobustness {
  let robustness = cache.get(results);
  if (!robustness) {
    const model = entityModel(results);
    const common = { seed: PAGE_ANALYSIS.seed, weightsRange: PAGE_ANALYSIS.weightsRange, by: 'entity', date: date.toISOString() };
    const label = (id: string) => results.compiled.nodes[results.compiled.nodeIndex.get(id)!]?.label.es ?? id;
    robustness = {
      uncertainty: runUncertainty(model, { ...common, runs: PAGE_ANALYSIS.runs }),
      sensitivity: runSensitivity(model, { ...common, runs: PAGE_ANALYSIS.sensitivityRuns, bootstrap: PAGE_ANALYSIS.bootstrap }),
      factorName: (factor) =>
        factor.startsWith('weights:') ? `Pesos dentro de ${label(factor.slice(8))}` : factor === 'aggregation' ? 'Forma de promediar' : factor === 'exclusion' ? 'Dejar fuera un componente' : factor,
    };
    cache.set(results, robustness);
  }
  return robustness;
}

export async function robustnessForEdition(editionId: string): Promise<EditionRobustness> {
  const { results } = await loadEditionResults(editionId);
  return robustnessOf(results);
}

export interface SliderNode {
  id: string;
  label: string;
  children: string[];
  childLabels: string[];
  weights: number[];
}

/** Nodes of two components that the edition's data let us recompute: each gets one slider (the first component's share). */
export async function sliderNodesForEdition(editionId: string): Promise<SliderNode[]> {
  const { results } = await loadEditionResults(editionId);
  const model = entityModel(results);
  const label = (id: string) => results.compiled.nodes[results.compiled.nodeIndex.get(id)!]!.label.es;
  const order = (id: string) => results.compiled.nodeIndex.get(id)!;
  return [...model.aggregated]
    .sort((a, b) => order(a.id) - order(b.id))
    .filter((node) => node.children.length === 2)
    .map((node) => ({ id: node.id, label: label(node.id), children: [...node.childIds], childLabels: node.childIds.map(label), weights: Array.from(node.nominalWeights) }));
}
