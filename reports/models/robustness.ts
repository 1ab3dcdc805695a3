/**
 * The «Análisis de robustez» section of the national and entity reports: how stable the entity
 * ranking is when weights vary (uncertainty), which assumption moves it most (sensitivity) and, in
 * the national report, whether the indices hang together (coherence); each with its parameters.
 */
import type { CoherenceResult } from '../../scoring/analysis/coherence.js';
import type { SensitivityResult } from '../../scoring/analysis/sensitivity.js';
import type { UncertaintyResult } from '../../scoring/analysis/uncertainty.js';
import { correlationHeatmapSvg, parameterLines, rankIntervalSvg, sensitivityBarsSvg } from '../robustness.js';

export interface RobustnessInput {
  uncertainty: UncertaintyResult;
  sensitivity: SensitivityResult;
  factorName: (factor: string) => string;
  coherence?: CoherenceResult;
}

export interface RobustnessSection {
  intro: string;
  /** For an entity report: its own place, in words. */
  entityLine?: string;
  uncertaintySvg: string;
  uncertaintyParameters: string[];
  sensitivitySvg: string;
  sensitivityParameters: string[];
  heatmapSvg?: string;
  flags: string[];
  coherenceParameters: string[];
}

const two = (value: number) => value.toLocaleString('es-MX', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function robustnessSection(input: RobustnessInput, entity?: string): RobustnessSection {
  const { uncertainty, sensitivity, coherence } = input;
  let entityLine: string | undefined;
  if (entity) {
    const row = uncertainty.groups.find((g) => g.group === entity);
    if (row) {
      entityLine =
        row.p05Rank === row.p95Rank
          ? `${entity} queda en el lugar ${row.medianRank} en 90 de cada 100 corridas: su lugar casi no depende de los pesos (lugar oficial: ${row.nominalRank}).`
          : `${entity} tiene el lugar oficial ${row.nominalRank}; con otros pesos su lugar más común es el ${row.medianRank} y en 90 de cada 100 corridas queda entre el ${row.p05Rank} y el ${row.p95Rank} (se mueve ${two(row.meanAbsShift)} lugares en promedio).`;
    }
  }
  return {
    intro: 'Los pesos de la metodología son una elección. Aquí se repite el cálculo muchas veces con pesos un poco distintos para ver qué tanto cambiarían los lugares de las entidades.',
    ...(entityLine && { entityLine }),
    uncertaintySvg: rankIntervalSvg(uncertainty, 'Lugar de cada entidad cuando cambian los pesos'),
    uncertaintyParameters: parameterLines(uncertainty.parameters),
    sensitivitySvg: sensitivityBarsSvg(sensitivity, 'Qué supuesto mueve más los lugares', input.factorName),
    sensitivityParameters: parameterLines(sensitivity.parameters),
    ...(coherence && { heatmapSvg: correlationHeatmapSvg(coherence, 'Correlación entre índices (Pearson)') }),
    flags: coherence?.flags.map((f) => f.message.es) ?? [],
    coherenceParameters: coherence ? parameterLines(coherence.parameters) : [],
  };
}
