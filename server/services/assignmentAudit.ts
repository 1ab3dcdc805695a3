/**
 * Assignments in the audit trail: one entry per institution whose assignment changed, recorded
 * through the trail's one `record` function, naming the evaluator.
 */
import { SYSTEM_ACTOR, record } from './audit.js';
import { userActor, type UserPrincipal } from '../auth/access.js';
import type { AssignmentResult } from './assignments.js';

export async function recordAssignments(editionId: string, kind: 'assign' | 'unassign', result: AssignmentResult, by?: UserPrincipal): Promise<void> {
  if (result.changedInstitutions.length === 0) return;
  const evaluator = `${result.evaluator.name} <${result.evaluator.email}>`;
  await record({
    action: kind === 'assign' ? 'assignment.add' : 'assignment.remove',
    actor: by ? userActor(by) : SYSTEM_ACTOR,
    edition: editionId,
    summary: kind === 'assign' ? `Asignado a ${evaluator}` : `Se quitó la asignación a ${evaluator}`,
    subject: `evaluador ${result.evaluator.email}`,
    oldValue: kind === 'assign' ? null : evaluator,
    newValue: kind === 'assign' ? evaluator : null,
    targets: result.changedInstitutions.map((i) => ({ institution: i._id, subject: `evaluador ${result.evaluator.email}` })),
  });
}
