import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { importEditionResults } from '../../server/services/results.js';
import { HttpProblem } from '../../server/http/problem.js';
import { EditionModel } from '../../server/models/edition.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { InstitutionResultModel, ScoreModel } from '../../server/models/result.js';
import { foldName } from '../../scoring/catalogue.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';

const FILE_2017 = readFileSync('data/mga-2017/sujetos_obligados_2017.csv');

async function counts(scope: string) {
  return {
    institutions: await InstitutionModel.countDocuments({ scope }),
    results: await InstitutionResultModel.countDocuments({ edition: scope }),
    scores: await ScoreModel.countDocuments({ edition: scope }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<HttpProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected the import to be rejected');
}

describe('edition results: import, storage and HTTP (real MongoDB)', () => {
  let server: TestServer;
  before(async () => {
    await useTestDatabase('results');
    server = await startTestServer();
  });
  after(() => server.close());

  it('loads the 2017 reference edition on first start, and only once', async () => {
    const first = await loadReferenceEditions(() => {});
    expect(first).to.have.length(1);
    expect(first[0]).to.include({ rows: 908, institutionsCreated: 908, discrepancies: 0 });
    expect(await counts('mga-2017')).to.deep.equal({ institutions: 908, results: 908, scores: 908 });
    expect(await loadReferenceEditions(() => {})).to.have.length(0);
    const edition = await EditionModel.findOne({ editionId: 'mga-2017' }).lean();
    expect(edition?.status).to.equal('published');
    expect(edition?.methodology.hash).to.match(/^[0-9a-f]{64}$/);
  });

  it('repairs the 2017 names damaged by encoding, and finds the institutions stored under the damaged spelling', async () => {
    const names = async () => (await InstitutionModel.find({ scope: 'mga-2017', name: { $regex: /Graciano|Artesan|Tabasco-Para|Santa Mar.a de la Paz|Villa de .lvarez|Conacyt —/ } }, { name: 1 }).sort({ name: 1 }).lean()).map((i) => i.name);
    const repaired = [
      'Colima-Villa de álvarez',
      'Durango-Fondo Mixto Conacyt — Gobierno Del Estado De Durango',
      'San Luis Potosi-Soledad de Graciano Sánchez',
      'Tabasco-Paraíso',
      'Tlaxcala-Fideicomiso Fondo De La Casa De Las Artesanías De Tlaxcala',
      'Zacatecas-Santa María de la Paz',
    ];
    expect(await names()).to.deep.equal(repaired);
    expect(await InstitutionModel.countDocuments({ scope: 'mga-2017', name: { $regex: new RegExp('[\u0080-\u009F]|Ã') } })).to.equal(0);
    // A database loaded by an earlier version holds the damaged spellings (a different folded name for
    // «ArtesanÃ­as»): importing the file again finds that institution, and so does the next start.
    const damaged = 'Tlaxcala-Fideicomiso Fondo De La Casa De Las ArtesanÃ­as De Tlaxcala';
    expect(foldName(damaged)).not.to.equal(foldName(repaired[4]!));
    const artesanias = await InstitutionModel.findOne({ scope: 'mga-2017', name: repaired[4] }).lean();
    const damage = () => InstitutionModel.updateOne({ _id: artesanias!._id }, { $set: { name: damaged, normalizedName: foldName(damaged) } });
    await damage();
    await changeStatus('mga-2017', 'review', { actor: SYSTEM_ACTOR, reason: 'Prueba de nombres reparados' });
    const again = await importEditionResults('mga-2017', FILE_2017, { format: 'csv', preset: 'mga-2017' });
    expect(again).to.include({ rows: 908, institutionsCreated: 0 });
    expect(again.repairedNames.map((r) => r.repaired)).to.deep.equal([repaired[0], repaired[1], repaired[2], repaired[3], repaired[4], repaired[5]]);
    expect(again.repairedNames[2]).to.deep.equal({ row: 676, asRead: 'San Luis Potosi-Soledad de Graciano SÃ¡nchez', repaired: repaired[2] });
    expect(await InstitutionModel.findById(artesanias!._id).lean()).to.include({ name: repaired[4], normalizedName: foldName(repaired[4]!) });
    await changeStatus('mga-2017', 'published', { actor: SYSTEM_ACTOR });
    await damage();
    const logged: string[] = [];
    expect(await loadReferenceEditions((msg) => logged.push(msg))).to.have.length(0);
    expect(logged.join('\n')).to.include(`1 institution names repaired (${repaired[4]})`);
    expect(await InstitutionModel.findById(artesanias!._id).lean()).to.include({ name: repaired[4], normalizedName: foldName(repaired[4]!) });
    expect(await counts('mga-2017')).to.deep.equal({ institutions: 908, results: 908, scores: 908 });
    expect(await names()).to.deep.equal(repaired);
  });

  it('a published edition refuses imports; reopened, importing the same file twice duplicates nothing', async () => {
    const refused = await rejection(importEditionResults('mga-2017', FILE_2017, { format: 'csv', preset: 'mga-2017' }));
    expect(refused.status).to.equal(409);
    expect(refused.code).to.equal('edition_published');
    await changeStatus('mga-2017', 'review', { actor: SYSTEM_ACTOR, reason: 'Prueba de reimportación' });
    const again = await importEditionResults('mga-2017', FILE_2017, { format: 'csv', preset: 'mga-2017' });
    expect(again).to.include({ rows: 908, institutionsCreated: 0, institutionsUpdated: 908 });
    expect(await counts('mga-2017')).to.deep.equal({ institutions: 908, results: 908, scores: 908 });
    await changeStatus('mga-2017', 'published', { actor: SYSTEM_ACTOR });
  });

  it('a file with any error writes nothing and names row, column, value and reason', async () => {
    await EditionModel.create({ editionId: 'mga-test', year: 2030, title: 'Prueba', methodology: { id: 'mga-2017' } });
    const lines = FILE_2017.toString('utf8').split('\n');
    lines[5] = lines[5]!.replace(/,[^,\r]*(\r?)$/, ',abc$1'); // row 6, column PC
    lines[7] = lines[7]!.replace(/^([^,]*),[^,]*,/, '$1,Atlantis,'); // row 8, column edo
    const problem = await rejection(importEditionResults('mga-test', Buffer.from(lines.join('\n')), { format: 'csv', preset: 'mga-2017' }));
    expect(problem.status).to.equal(400);
    expect(problem.detail).to.match(/nothing was written/);
    const byRow = new Map(problem.errors!.map((e) => [e.row, e]));
    expect(byRow.get(6)).to.include({ field: 'PC', value: 'abc' });
    expect(byRow.get(8)).to.include({ field: 'edo', value: 'Atlantis' });
    expect(byRow.get(8)!.reason).to.match(/Atlantis/);
    expect(await counts('mga-test')).to.deep.equal({ institutions: 0, results: 0, scores: 0 });
  });

  it('an empty file is rejected', async () => {
    const problem = await rejection(importEditionResults('mga-test', Buffer.alloc(0), { format: 'csv', preset: 'mga-2017' }));
    expect(problem.status).to.equal(400);
    expect(await counts('mga-test')).to.deep.equal({ institutions: 0, results: 0, scores: 0 });
  });

  it('GET results by national reproduces the official 2017 figures and records hash and method', async () => {
    const res = await fetch(`${server.url}/api/v1/editions/mga-2017/results?by=national&round=2`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { methodology: { hash: string }; nationalMethod: string; groups: { group: string; n: number; values: Record<string, number> }[] };
    expect(body.methodology.hash).to.match(/^[0-9a-f]{64}$/);
    expect(body.nationalMethod).to.equal('institutions');
    expect(body.groups).to.deep.equal([{ group: 'Nacional', n: 908, values: { GA: 0.39, T: 0.5, P: 0.28, TG: 0.46, TC: 0.54, PG: 0.23, PC: 0.32 } }]);
    const byEntities = (await (await fetch(`${server.url}/api/v1/editions/mga-2017/results?by=national&nationalMethod=entities&round=2`)).json()) as typeof body;
    expect(byEntities.nationalMethod).to.equal('entities');
    expect(byEntities.groups[0]!.values.GA).to.equal(0.39);
  });

  it('GET results by entity, type and level: 33, 11 and 3 groups with their n', async () => {
    const get = async (by: string) => (await (await fetch(`${server.url}/api/v1/editions/mga-2017/results?by=${by}`)).json()) as { groups: { group: string; n: number }[] };
    const entity = await get('entity');
    expect(entity.groups).to.have.length(33);
    expect(entity.groups.find((g) => g.group === 'Ciudad de México')?.n).to.equal(26);
    expect((await get('type')).groups.map((g) => g.group)).to.include('Autónomo');
    expect((await get('level')).groups.map((g) => [g.group, g.n])).to.deep.equal([['Estatal', 702], ['Federal', 46], ['Municipal', 160]]);
  });

  it('explains an institution score node by node', async () => {
    const list = (await (await fetch(`${server.url}/api/v1/editions/mga-2017/institutions?q=ASF&entity=Federal`)).json()) as { institutions: { id: string; name: string }[] };
    const asf = list.institutions.find((i) => i.name === 'ASF')!;
    const res = await fetch(`${server.url}/api/v1/editions/mga-2017/institutions/${asf.id}/score`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { nodes: { id: string; value: number; source: string; formula?: { terms: { node: string; weight: number }[] } }[] };
    const byId = new Map(body.nodes.map((n) => [n.id, n]));
    expect(byId.get('GA')).to.include({ value: 0.5054, source: 'given' });
    expect(byId.get('GAg')!.source).to.equal('computed');
    expect(byId.get('GAg')!.value).to.be.closeTo((0.5556 + 0.466) / 2, 1e-12);
    expect(byId.get('GAg')!.formula!.terms.map((t) => [t.node, t.weight])).to.deep.equal([['TG', 0.5], ['PG', 0.5]]);
  });

  it('bad parameters are 4xx problems naming the field; unknown editions and ids are 404', async () => {
    const bad = await fetch(`${server.url}/api/v1/editions/mga-2017/results?by=planet&round=x`);
    expect(bad.status).to.equal(400);
    const fields = ((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).to.include.members(['by', 'round']);
    const operator = await fetch(`${server.url}/api/v1/editions/mga-2017/institutions?entity[$gt]=`);
    expect(operator.status).to.equal(400);
    const entity = await fetch(`${server.url}/api/v1/editions/mga-2017/institutions?entity=Atlantis`);
    expect(entity.status).to.equal(400);
    expect(((await entity.json()) as { errors: { field: string }[] }).errors[0]!.field).to.equal('entity');
    expect((await fetch(`${server.url}/api/v1/editions/mga-1900/results`)).status).to.equal(404);
    expect((await fetch(`${server.url}/api/v1/editions/mga-test/results`)).status).to.equal(404); // draft: not public
    expect((await fetch(`${server.url}/api/v1/editions/mga-2017/institutions/nope/score`)).status).to.equal(404);
    expect((await fetch(`${server.url}/api/v1/editions/mga-2017/institutions/0123456789abcdef01234567/score`)).status).to.equal(404);
  });
});
