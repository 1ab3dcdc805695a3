/**
 * Imports that cannot hurt the service: caps on rows, upload size, decompressed size and ratio (the
 * ZIP guard, also against a forged size) and cell length, each named in the error; the model's
 * validation on every row; nothing written when anything is wrong. Real MongoDB, over HTTP.
 */
import { expect } from 'chai';
import { crc32, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn, type Client } from '../../setup/client.js';
import { json, type Problem } from '../../setup/workflow.js';
import { manyMunicipalities } from '../../setup/pilot.js';
import { InstitutionModel } from '../../../server/models/institution.js';
import { AuditEntryModel } from '../../../server/models/audit.js';
import { createEdition } from '../../../server/services/editions.js';
import { SYSTEM_ACTOR } from '../../../server/services/audit.js';
import { startWorker, type JobWorker } from '../../../server/jobs/queue.js';
import { createLogger } from '../../../server/logger.js';
import { setTimeout as sleep } from 'node:timers/promises';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function workbook(rows: (string | number)[][]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('muestra');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** A ZIP archive of one deflated entry whose declared uncompressed size is a lie. */
function forgedZip(name: string, content: Buffer, declaredSize: number): Buffer {
  const data = deflateRawSync(content);
  const fileName = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

describe('workflow: imports within caps, validated by the model, all or nothing (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let admin: Client;
  let n = 0;
  const saved = { ...process.env };

  before(async () => {
    await useTestDatabase('workflow_imports');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
  });
  after(() => server.close());
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('MGA_IMPORT_') && !(key in saved)) delete process.env[key];
  });

  async function upload(body: Buffer | string, type: string, job?: boolean): Promise<{ res: Response; edition: string }> {
    const edition = `importacion-${++n}`;
    await createEdition({ editionId: edition, year: 2026, title: 'Importación', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
    const res = await admin.request('POST', `/api/v1/editions/${edition}/sample${job === undefined ? '' : `?job=${job}`}`, { body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': type } });
    return { res, edition };
  }

  async function refused(body: Buffer | string, type: string, status = 400) {
    const { res, edition } = await upload(body, type, false);
    expect(res.status, await res.clone().text()).to.equal(status);
    expect(await InstitutionModel.countDocuments({ scope: edition }), 'nothing written').to.equal(0);
    expect(await AuditEntryModel.countDocuments({ edition, action: 'sample.import' })).to.equal(0);
    return json<Problem>(res);
  }

  it('streams and stores a valid CSV and XLSX sample, recorded in the audit trail', async () => {
    const csv = await upload(manyMunicipalities(1200), 'text/csv');
    expect(csv.res.status).to.equal(200);
    expect(await json(csv.res)).to.include({ rows: 1200, institutionsCreated: 1200 });
    const rows = [['name', 'entity', 'level', 'type'], ...Array.from({ length: 1200 }, (_, i) => [`Sujeto ${i + 1}`, 'Oaxaca', 'estatal', 'Autónomo'])];
    const xlsx = await upload(await workbook(rows), XLSX_TYPE);
    expect(xlsx.res.status).to.equal(200);
    expect(await InstitutionModel.countDocuments({ scope: xlsx.edition })).to.equal(1200);
    expect(await AuditEntryModel.countDocuments({ edition: xlsx.edition, action: 'sample.import' })).to.equal(1);
  });

  it('a row cap (MGA_IMPORT_MAX_ROWS) named in the error', async () => {
    process.env.MGA_IMPORT_MAX_ROWS = '10';
    const problem = await refused(manyMunicipalities(11), 'text/csv');
    expect(problem.detail).to.include('more than 10 data rows').and.include('MGA_IMPORT_MAX_ROWS');
    expect(problem.code).to.equal('import_rejected');
  });

  it('an upload size cap (MGA_IMPORT_MAX_UPLOAD_BYTES) named in the error', async () => {
    process.env.MGA_IMPORT_MAX_UPLOAD_BYTES = '1000';
    const problem = await refused(manyMunicipalities(100), 'text/csv', 413);
    expect(problem.detail).to.include('MGA_IMPORT_MAX_UPLOAD_BYTES');
  });

  it('a cell longer than the model accepts (a 1,000,000-character name) is refused by the reader, naming row and column', async () => {
    const problem = await refused(`name,entity,level,type\n${'x'.repeat(1_000_000)},Jalisco,municipal,Municipio\n`, 'text/csv');
    expect(problem.errors![0]).to.include({ row: 2, field: 'name' });
    expect(problem.errors![0]!.reason).to.include('the limit is 400');
  });

  it('every row passes the model\'s validation (a one-letter name is refused by the model)', async () => {
    const problem = await refused('name,entity,level,type\nMunicipio de Colima,Colima,municipal,Municipio\nA,Colima,municipal,Municipio\n', 'text/csv');
    expect(problem.errors).to.have.length(1);
    expect(problem.errors![0]).to.include({ row: 3, field: 'name' });
    expect(problem.errors![0]!.reason).to.match(/shorter than the minimum allowed length \(2\)/);
  });

  it('a highly compressed part (ratio cap MGA_IMPORT_MAX_RATIO) is refused before parsing', async () => {
    const bomb = await workbook([['name', 'entity', 'level', 'type'], ['x'.repeat(300_000), 'Jalisco', 'municipal', 'Municipio']]);
    expect(bomb.length, 'a small file').to.be.lessThan(20_000);
    const problem = await refused(bomb, XLSX_TYPE);
    expect(problem.detail).to.match(/compressed \d+ to 1/).and.include('MGA_IMPORT_MAX_RATIO');
  });

  it('more decompressed bytes than the cap (MGA_IMPORT_MAX_UNZIPPED_BYTES) is refused', async () => {
    process.env.MGA_IMPORT_MAX_UNZIPPED_BYTES = String(200_000);
    const rows = [['name', 'entity', 'level', 'type'], ...Array.from({ length: 3000 }, (_, i) => [`Sujeto ${i}`, 'Jalisco', 'municipal', 'Municipio'])];
    const problem = await refused(await workbook(rows), XLSX_TYPE);
    expect(problem.detail).to.include('decompresses to more than').and.include('MGA_IMPORT_MAX_UNZIPPED_BYTES');
  });

  describe('big files as jobs', () => {
    let worker: JobWorker;
    before(async () => {
      worker = await startWorker({ logger: createLogger('silent'), settings: { leaseMs: 2000, pollMs: 200 } });
    });
    after(() => worker.stop());

    async function finished(id: string) {
      for (let i = 0; i < 600; i++) {
        const view = await json<{ status: string; done: number; total: number; errorCode?: string; error?: string }>(await admin.get(`/api/v1/jobs/${id}`));
        if (view.status === 'done' || view.status === 'failed') return view;
        await sleep(100);
      }
      throw new Error('the import job did not end');
    }

    it('a big file answers 202 with the job; its result is the same summary', async () => {
      process.env.MGA_IMPORT_JOB_BYTES = '10000';
      const { res, edition } = await upload(manyMunicipalities(2500), 'text/csv');
      expect(res.status).to.equal(202);
      const job = await json<{ id: string; kind: string; status: string }>(res);
      expect(job.kind).to.equal('sample-import');
      expect(res.headers.get('location')).to.equal(`/api/v1/jobs/${job.id}`);
      const view = await finished(job.id);
      expect(view).to.include({ status: 'done', done: 100, total: 100 });
      const summary = await json(await admin.get(`/api/v1/jobs/${job.id}/result`));
      expect(summary).to.include({ edition, rows: 2500, institutionsCreated: 2500, institutionsUpdated: 0 });
      expect(await InstitutionModel.countDocuments({ scope: edition })).to.equal(2500);
    });

    it('a rejected file fails its job with the reason, and writes nothing', async () => {
      const { res, edition } = await upload(`${manyMunicipalities(50)}\nA,Colima,municipal,Municipio\n`, 'text/csv', true);
      expect(res.status).to.equal(202);
      const view = await finished((await json<{ id: string }>(res)).id);
      expect(view).to.include({ status: 'failed', errorCode: 'import_rejected' });
      expect(view.error).to.include('row 52');
      expect(await InstitutionModel.countDocuments({ scope: edition })).to.equal(0);
    });
  });

  it('an entry that decompresses to more than it declares is refused (a forged size cannot hide a bomb)', async () => {
    const content = Buffer.alloc(5_000_000, 0x41);
    const problem = await refused(forgedZip('xl/sharedStrings.xml', content, 1_000), XLSX_TYPE);
    expect(problem.detail).to.match(/not a readable XLSX workbook|compressed/);
  });
});
