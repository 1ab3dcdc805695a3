/**
 * An institution's score explained for people (questionnaires/explain/): the stored score's formulas
 * and, when it comes from the questionnaires, the approved answers behind every variable. Used by the
 * evaluator's page, the public institution page and the JSON API; the institution card builds the
 * same explanation from the same inputs (services/reports.ts).
 */
import { ScoreModel } from '../models/result.js';
import { ResponseModel } from '../models/response.js';
import { InstitutionModel } from '../models/institution.js';
import { explainScore, variablesBySubindex, type ScoreExplanation } from '../../questionnaires/explain/index.js';
import type { EngineNodeScore } from '../../scoring/explanation.js';
import { methodologyById } from './methodologies.js';
import { instrumentById } from './instruments.js';
import { findEdition } from './results.js';

export type { ScoreExplanation };

/**
 * The approved answers (the institution's questionnaire once approved, the citizen logs once
 * complete) as the explanation reads them, the same the score is computed from (the approved
 * responses of services/responses.ts); undefined when nothing is approved.
 */
export async function explanationAnswers(editionId: string, institutionId: string) {
  const [edition, institution] = await Promise.all([findEdition(editionId), InstitutionModel.findOne({ _id: institutionId, scope: editionId }, { type: 1, level: 1 }).lean()]);
  if (!institution) return undefined;
  const approved = await ResponseModel.find({ edition: editionId, institution: institution._id, status: 'approved' }, { questionnaire: 1, answers: 1 }).lean();
  const answersByQuestionnaire = Object.fromEntries(approved.map((r) => [r.questionnaire.id, r.answers as Record<string, unknown>]));
  const defs = edition.instruments.map((i) => instrumentById(i.id)).filter((i) => i.id in answersByQuestionnaire).map((i) => i.definition);
  return defs.length > 0 ? { defs, answersByQuestionnaire, context: { institution: { type: institution.type, level: institution.level } } } : undefined;
}

/** The explanation of the institution's stored score (read unless given); null when it has no score. */
export async function institutionExplanation(
  editionId: string,
  institutionId: string,
  stored?: { methodology: { id: string }; nodes: unknown },
): Promise<ScoreExplanation | null> {
  const score = stored ?? (await ScoreModel.findOne({ edition: editionId, institution: institutionId }, { methodology: 1, nodes: 1 }).lean());
  if (!score) return null;
  const answers = await explanationAnswers(editionId, institutionId);
  return explainScore({
    methodology: methodologyById(score.methodology.id),
    nodes: score.nodes as Record<string, EngineNodeScore>,
    ...(answers && { answers }),
  });
}

/** What the pages' explanation partial (views/partials/scoreExplanation.hbs) reads: the variables under their sub-index. */
export function explanationView(explanation: ScoreExplanation) {
  const anyVariable = explanation.variables.length > 0 || explanation.givenVariables.length > 0;
  return { ...explanation, groups: anyVariable ? variablesBySubindex(explanation) : [] };
}
