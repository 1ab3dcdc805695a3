/** Creating and running editions: an edition pins its methodology and its instruments by hash. */
import { EditionModel, EDITION_STATUSES, type EditionStatus } from '../models/edition.js';
import { HttpProblem } from '../http/problem.js';
import { methodologyById } from './methodologies.js';
import { instrumentById } from './instruments.js';

export interface NewEdition {
  editionId: string;
  year: number;
  title: string;
  methodology: string;
  instruments: string[];
}

export async function createEdition(input: NewEdition) {
  const methodology = methodologyById(input.methodology);
  const instruments = input.instruments.map((id) => {
    const instrument = instrumentById(id);
    if (instrument.methodologyId !== methodology.methodology.id) {
      throw new HttpProblem(400, 'Bad Request', `instrument "${id}" feeds methodology "${instrument.methodologyId}", not "${methodology.methodology.id}"`, [
        { field: 'instruments', value: id, reason: 'feeds another methodology' },
      ]);
    }
    return { id, hash: instrument.hash };
  });
  if (await EditionModel.exists({ editionId: input.editionId })) {
    throw new HttpProblem(409, 'Conflict', `edition "${input.editionId}" already exists`, [{ field: 'editionId', value: input.editionId, reason: 'already exists' }]);
  }
  return EditionModel.create({
    editionId: input.editionId,
    year: input.year,
    title: input.title,
    methodology: { id: methodology.methodology.id, hash: methodology.hash },
    instruments,
    status: 'draft',
  });
}

export async function setEditionStatus(editionId: string, status: EditionStatus) {
  if (!EDITION_STATUSES.includes(status)) throw new HttpProblem(400, 'Bad Request', `status must be one of ${EDITION_STATUSES.join(', ')}`, [{ field: 'status', value: status, reason: 'unknown status' }]);
  await EditionModel.updateOne({ editionId }, { $set: { status } });
}
