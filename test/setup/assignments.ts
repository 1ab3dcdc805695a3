/** Assigns every evaluator of an edition to all its institutions (tests whose subject is not assignments). */
import { UserModel } from '../../server/models/user.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { assign } from '../../server/services/assignments.js';

export async function assignEditionToEvaluators(editionId: string): Promise<void> {
  const institutionIds = (await InstitutionModel.find({ scope: editionId }, { _id: 1 }).lean()).map((i) => String(i._id));
  if (institutionIds.length === 0) return;
  for (const evaluator of await UserModel.find({ role: 'evaluator', editions: editionId, active: true }, { _id: 1 }).lean()) {
    await assign(editionId, { evaluatorId: String(evaluator._id), institutionIds }, { id: 'test', label: 'prueba' });
  }
}
