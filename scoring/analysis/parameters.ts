/** The parameters every analysis result records and shows beside it. */
import { methodologyRef, type CompiledMethodology } from '../engine.js';
import type { Variant, VariantRule } from '../variants.js';
import { TIE_TOLERANCE } from './ranking.js';

export interface MethodologyStamp {
  id: string;
  version: string;
  hash: string;
  /** The methodology a variant was applied to. */
  derivedFrom?: { id: string; version: string; hash: string };
}

export interface AnalysisParameters {
  analysis: 'uncertainty' | 'sensitivity' | 'coherence' | 'what-if';
  methodology: MethodologyStamp;
  /** The variant applied to the edition's methodology, or null for the official one. */
  variant: Variant | null;
  /** What is ranked: "entity", "type", "level" or "institution"; for coherence, "institution". */
  by: string;
  /** The node whose values are ranked (the index, by default). */
  target?: string;
  runs?: number;
  seed?: number;
  /** R: weights multiplied by U(1 − R, 1 + R). */
  weightsRange?: number;
  aggregations?: VariantRule[] | null;
  leaveOneOut?: boolean;
  bootstrap?: number;
  /** Ranking: competition ranking, 1 = highest; values closer than this count as tied. */
  tieTolerance?: number;
  percentiles?: 'nearest-rank';
  /** When the analysis ran (ISO 8601). */
  date: string;
}

export function methodologyStamp(compiled: CompiledMethodology): MethodologyStamp {
  const ref = methodologyRef(compiled);
  const from = compiled.methodology.derivedFrom;
  return { ...ref, ...(from && { derivedFrom: { id: from.id, version: from.version, hash: from.hash } }) };
}

export const RANKING_PARAMETERS = { tieTolerance: TIE_TOLERANCE, percentiles: 'nearest-rank' as const };

/** Checks an ISO date string given by the caller (analyses are pure: they never read the clock). */
export function checkDate(date: string): string {
  if (typeof date !== 'string' || Number.isNaN(Date.parse(date))) throw new RangeError(`date must be an ISO 8601 date, got ${String(date)}`);
  return date;
}
