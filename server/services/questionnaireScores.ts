/**
 * An institution's score from its approved questionnaire answers and its complete citizen logs,
 * through the scoring engine, with the answers behind every variable.
 */
import type { ClientSession } from 'mongoose';
import { ResponseModel } from '../models/response.js';
import { ScoreModel } from '../models/result.js';
import { instrumentById } from './instruments.js';
import { findEdition, removeQuestionnaireScore, storeInstitutionScore } from './results.js';
import { institutionOf, type Answers } from './responseStore.js';
import { variablesFromAnswers } from '../../questionnaires/answers.js';

/**
 * The methodology variables from the institution's approved answers and approved (complete) citizen
 * logs, explained item by item; undefined when nothing counts yet. Answers that were submitted and
 * are not approved now (waiting for review, returned, reopened) withhold the score until approved.
 */
async function approvedVariables(editionId: string, institutionId: string, session?: ClientSession) {
  const edition = await findEdition(editionId, session);
  const institution = await institutionOf(editionId, institutionId, session);
  const responses = await ResponseModel.find({ edition: editionId, institution: institution._id }, { questionnaire: 1, status: 1, answers: 1, firstSubmittedAt: 1 })
    .session(session ?? null)
    .lean();
  const instruments = edition.instruments.map((i) => instrumentById(i.id));
  const ownId = instruments.find((i) => i.audience === 'institution')?.id;
  const own = responses.find((r) => r.questionnaire.id === ownId);
  const withheld = Boolean(own?.firstSubmittedAt) && own?.status !== 'approved';
  const approved = withheld ? [] : responses.filter((r) => r.status === 'approved');
  const answersById = Object.fromEntries(approved.map((r) => [r.questionnaire.id, r.answers as Answers]));
  const used = instruments.filter((i) => i.id in answersById);
  const variables = used.length
    ? variablesFromAnswers(used.map((i) => i.definition), answersById, { institution: { type: institution.type, level: institution.level } })
    : undefined;
  return { institution, variables };
}

/**
 * Recomputes and stores the institution's score (in the caller's transaction when given); with
 * nothing approved, a questionnaire score is withdrawn: no score outlives its inputs.
 */
export async function recomputeScore(editionId: string, institutionId: string, session?: ClientSession) {
  const { institution, variables } = await approvedVariables(editionId, institutionId, session);
  if (!variables) {
    await removeQuestionnaireScore(editionId, institution._id, session);
    return undefined;
  }
  const score = await storeInstitutionScore(editionId, institution._id, variables.values, { kind: 'questionnaire' }, session);
  return { score, variables };
}

/** The stored score (with its methodology hash) and which approved answers produced each variable. */
export async function scoreWithExplanation(editionId: string, institutionId: string) {
  const { institution, variables } = await approvedVariables(editionId, institutionId);
  const score = await ScoreModel.findOne({ edition: editionId, institution: institution._id }).lean();
  return { score, variables };
}
