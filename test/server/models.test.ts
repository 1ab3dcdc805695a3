import { expect } from 'chai';
import mongoose from 'mongoose';
import { useTestDatabase } from '../setup/database.js';
import { EntityModel } from '../../server/models/entity.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { InstitutionTypeModel } from '../../server/models/institutionType.js';
import { EditionModel } from '../../server/models/edition.js';

async function validationErrors(doc: mongoose.Document): Promise<Record<string, string>> {
  try {
    await doc.validate();
  } catch (error) {
    if (error instanceof mongoose.Error.ValidationError) {
      return Object.fromEntries(Object.entries(error.errors).map(([k, v]) => [k, v.message]));
    }
    throw error;
  }
  return {};
}

describe('core domain models (real MongoDB)', () => {
  before(() => useTestDatabase('models'));

  it('seeds the 33 entities and the 11 institution types of 2017, idempotently', async () => {
    expect(await EntityModel.countDocuments()).to.equal(33);
    expect(await InstitutionTypeModel.countDocuments()).to.equal(11);
    expect((await EntityModel.findOne({ code: '19' }).lean())?.name).to.equal('Nuevo León');
  });

  it('stores an institution with its entity, level and type in canonical form', async () => {
    const saved = await InstitutionModel.create({ name: 'Auditoria Estatal', entity: 'NuevoLeon', level: 'estatal', type: 'Autonomo' });
    expect(saved.entity).to.equal('Nuevo León');
    expect(saved.entityCode).to.equal('19');
    expect(saved.level).to.equal('Estatal');
    expect(saved.type).to.equal('Autónomo');
    expect(saved.scope).to.equal('catalogue');
  });

  it('names each invalid field: unknown entity, level and type, missing name', async () => {
    const errors = await validationErrors(new InstitutionModel({ entity: 'Atlantis', level: 'Regional', type: 'Banco' }));
    expect(errors.entity).to.match(/unknown entidad federativa "Atlantis"/);
    expect(errors.level).to.match(/level must be one of Federal, Estatal, Municipal; got "Regional"/);
    expect(errors.type).to.match(/unknown institution type "Banco"/);
    expect(errors.name).to.match(/required/);
  });

  it('refuses a second institution with the same scope, normalised name and entity', async () => {
    await InstitutionModel.create({ name: 'Congreso del Estado', entity: 'Jalisco', level: 'Estatal', type: 'Legislativo', scope: 'mga-2017' });
    let code: unknown;
    try {
      await InstitutionModel.create({ name: 'congreso  del estado', entity: 'jalisco', level: 'Estatal', type: 'Legislativo', scope: 'mga-2017' });
    } catch (error) {
      code = (error as { code?: number }).code;
    }
    expect(code).to.equal(11000);
    // Same name in another entity or another scope is a different institution.
    await InstitutionModel.create({ name: 'Congreso del Estado', entity: 'Colima', level: 'Estatal', type: 'Legislativo', scope: 'mga-2017' });
    await InstitutionModel.create({ name: 'Congreso del Estado', entity: 'Jalisco', level: 'Estatal', type: 'Legislativo', scope: 'mga-2019' });
    expect(await InstitutionModel.countDocuments({ normalizedName: 'congresodelestado' })).to.equal(3);
  });

  it('validates editions: id pattern, year range, status', async () => {
    const errors = await validationErrors(new EditionModel({ editionId: 'MGA 2017!', year: 1999.5, title: 'x', status: 'archived', methodology: { id: 'mga-2017', hash: 'abc' } }));
    expect(errors.editionId).to.match(/edition id must be lower-case/);
    expect(errors.year).to.match(/year must be/);
    expect(errors.title).to.match(/shorter than the minimum/);
    expect(errors.status).to.match(/status must be one of draft, collecting, review, published; got "archived"/);
    expect(errors['methodology.hash']).to.match(/sha256/);
    const ok = await EditionModel.create({ editionId: 'mga-2099-test', year: 2099, title: 'Prueba', methodology: { id: 'mga-2017' } });
    expect(ok.status).to.equal('draft');
  });

  it('can run a multi-document transaction (replica set)', async () => {
    const session = await mongoose.startSession();
    try {
      await session.withTransaction(async () => {
        await EditionModel.create([{ editionId: 'mga-tx', year: 2030, title: 'Transacción', methodology: { id: 'mga-2017' } }], { session });
        await InstitutionModel.create([{ name: 'Tx', entity: 'Federal', level: 'Federal', type: 'Autónomo', scope: 'mga-tx' }], { session });
      });
    } finally {
      await session.endSession();
    }
    expect(await EditionModel.countDocuments({ editionId: 'mga-tx' })).to.equal(1);
    expect(await InstitutionModel.countDocuments({ scope: 'mga-tx' })).to.equal(1);
  });
});
