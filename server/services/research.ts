/** What-if and coherence over a published edition: loads its data and hands it to scoring/analysis/. */
import { runCoherence, type CoherenceResult } from '../../scoring/analysis/coherence.js';
import { AnalysisInputError } from '../../scoring/analysis/model.js';
import { runWhatIf, type WhatIfGrouping, type WhatIfResult } from '../../scoring/analysis/whatif.js';
import { NotRecomputableError } from '../../scoring/recompute.js';
import { applyVariant, VariantValidationError } from '../../scoring/variants.js';
import { HttpProblem } from '../http/problem.js';
import type { EditionResults } from '../../reports/index.js';
import { loadEditionResults } from './reports.js';

function asProblem(error: unknown): unknown {
  if (error instanceof VariantValidationError) {
    return new HttpProblem(
      400,
      'Bad Request',
      `invalid variant: ${error.issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ')}`,
      error.issues.map((i) => ({ field: `variant${i.path}`, reason: i.message })),
    );
  }
  if (error instanceof NotRecomputableError || error instanceof AnalysisInputError) {
    return new HttpProblem(422, 'Unprocessable Content', error.message, [{ field: 'variant', reason: error.message }]);
  }
  return error;
}

export async function whatIfForEdition(editionId: string, variant: unknown, by: WhatIfGrouping, date = new Date()): Promise<WhatIfResult & { edition: string }> {
  const { edition, results } = await loadEditionResults(editionId);
  try {
    const derived = applyVariant(results.compiled.methodology, variant);
    return { edition: edition.editionId, ...runWhatIf(results.compiled, derived, results.institutions, { by, date: date.toISOString() }) };
  } catch (error) {
    throw asProblem(error);
  }
}

const coherenceCache = new WeakMap<EditionResults, CoherenceResult>();

/** Coherence of an edition's values, computed once per loaded results (the date is when). */
export function coherenceOf(results: EditionResults): CoherenceResult {
  let result = coherenceCache.get(results);
  if (!result) {
    try {
      result = runCoherence(results.compiled, results.institutions.map((i) => i.values), { date: new Date().toISOString() });
    } catch (error) {
      throw asProblem(error);
    }
    coherenceCache.set(results, result);
  }
  return result;
}

export async function coherenceForEdition(editionId: string): Promise<CoherenceResult & { edition: string }> {
  const { edition, results } = await loadEditionResults(editionId);
  return { edition: edition.editionId, ...coherenceOf(results) };
}
