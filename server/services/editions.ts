/** Creating and running editions: an edition pins its methodology and its instruments by hash. */
import mongoose from 'mongoose';
import { EditionModel } from '../models/edition.js';
import { record, type Actor } from './audit.js';
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

/** Creates an edition in draft (recorded in the audit trail); its status then follows editionLifecycle.ts. */
export async function createEdition(input: NewEdition, actor: Actor) {
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
  let created: InstanceType<typeof EditionModel> | undefined;
  await mongoose.connection.transaction(async (session) => {
    [created] = await EditionModel.create(
      [{ editionId: input.editionId, year: input.year, title: input.title, methodology: { id: methodology.methodology.id, hash: methodology.hash }, instruments, status: 'draft' }],
      { session },
    );
    await record({ action: 'edition.create', actor, edition: input.editionId, summary: input.title, newValue: { year: input.year, methodology: input.methodology, instruments: input.instruments } }, session);
  });
  return created!;
}
