import { expect } from 'chai';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { readFileSync } from 'node:fs';
import { ENTITIES, normalizeEntity, UnknownNameError } from '../../scoring/catalogue.js';
import { parseResultsTable, type ParseResultsOptions } from '../../scoring/import/index.js';
import { readCsvStream } from '../../scoring/import/read-csv.js';
import { csv2017, DATA_2017, HEADER_2017, line2017 } from './helpers.js';

const mga2017 = loadBuiltinMethodology('mga-2017');
const PRESET: ParseResultsOptions = { format: 'csv', preset: 'mga-2017', methodology: mga2017 };

async function buildXlsx(rows: (string | number | ExcelJS.CellValue)[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('BSO');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('results import', () => {
  describe('the 2017 file', () => {
    it('reads all 908 institutions without errors, names canonical', async () => {
      const { rows, errors, encoding, mapping } = await parseResultsTable(readFileSync(DATA_2017), PRESET);
      expect(errors).to.deep.equal([]);
      expect(encoding).to.equal('utf-8');
      expect(rows).to.have.length(908);
      expect(mapping).to.deep.equal({ SO: 'name', edo: 'entity', niv: 'level', ts: 'type', GA: 'GA', P: 'P', T: 'T', TG: 'TG', TC: 'TC', PG: 'PG', PC: 'PC' });
      expect(rows[0]).to.deep.equal({
        rowNumber: 2,
        name: 'ASF',
        entity: 'Federal',
        entityCode: 'FED',
        level: 'Federal',
        type: 'Legislativo',
        values: { GA: 0.5054, P: 0.333, T: 0.6778, TG: 0.5556, TC: 0.8, PG: 0.466, PC: 0.2 },
      });
      const entities = new Set(rows.map((r) => r.entity));
      expect(entities.size).to.equal(33);
      expect([...entities]).to.include.members(['Ciudad de México', 'Estado de México', 'Nuevo León', 'Querétaro', 'San Luis Potosí']);
      expect(new Set(rows.map((r) => r.type))).to.include('Autónomo');
      // Names with commas are quoted in the file.
      const withComma = rows.filter((r) => r.name.includes(','));
      expect(withComma.length).to.be.greaterThan(0);
      expect(withComma.every((r) => Object.keys(r.values).length === 7)).to.equal(true);
    });
  });

  it('keeps quoted names with commas and quotes whole', async () => {
    const { rows, errors } = await parseResultsTable(csv2017(line2017('"Partido Uno, Comité ""Estatal"""', 'Jalisco', 'Estatal', 'Partido')), PRESET);
    expect(errors).to.deep.equal([]);
    expect(rows[0]!.name).to.equal('Partido Uno, Comité "Estatal"');
    expect(rows[0]!.entity).to.equal('Jalisco');
  });

  it('reports bad numbers with row, column, value and reason, and leaves the row out', async () => {
    const { rows, errors } = await parseResultsTable(
      csv2017(line2017('A'), 'B,Federal,Federal,Judicial,abc,0.3,"0,5",0.5,0.5,0.3,1.5', line2017('C')),
      PRESET,
    );
    expect(rows.map((r) => r.name)).to.deep.equal(['A', 'C']);
    expect(errors).to.deep.equal([
      { row: 3, column: 'GA', value: 'abc', reason: 'not a number' },
      { row: 3, column: 'T', value: '0,5', reason: 'not a number: use a decimal point, not a comma (e.g. 0.5)' },
      { row: 3, column: 'PC', value: '1.5', reason: 'value 1.5 is outside [0, 1]' },
    ]);
  });

  it('leaves empty score cells out of the values', async () => {
    const { rows, errors } = await parseResultsTable(csv2017('A,Federal,Federal,Judicial,,,,0.5,0.5,0.3,0.1'), PRESET);
    expect(errors).to.deep.equal([]);
    expect(rows[0]!.values).to.deep.equal({ TG: 0.5, TC: 0.5, PG: 0.3, PC: 0.1 });
  });

  it('reports unknown entities, levels and types with what is accepted', async () => {
    const { rows, errors } = await parseResultsTable(
      csv2017(line2017('A', 'Atlantis'), line2017('B', 'Jalisco', 'Regional'), line2017('C', 'Jalisco', 'Estatal', 'Cooperativa')),
      PRESET,
    );
    expect(rows).to.deep.equal([]);
    expect(errors).to.have.length(3);
    expect(errors[0]).to.deep.equal({
      row: 2,
      column: 'edo',
      value: 'Atlantis',
      reason: new UnknownNameError('entity', 'Atlantis', ENTITIES.map((e) => e.name)).message,
    });
    expect(errors[0]!.reason).to.match(/^unknown entity "Atlantis"; expected one of: Aguascalientes, /);
    expect(errors[1]).to.deep.include({ row: 3, column: 'niv', value: 'Regional' });
    expect(errors[1]!.reason).to.equal('unknown level "Regional"; expected one of: Federal, Estatal, Municipal');
    expect(errors[2]).to.deep.include({ row: 4, column: 'ts', value: 'Cooperativa' });
    expect(errors[2]!.reason).to.match(/^unknown type "Cooperativa"; expected one of: Ejecutivo estatal, Municipio/);
  });

  it('reports empty identity cells', async () => {
    const { errors } = await parseResultsTable(csv2017(',Jalisco,Estatal,Partido,0.5,0.5,0.5,0.5,0.5,0.5,0.5'), PRESET);
    expect(errors).to.deep.equal([{ row: 2, column: 'SO', value: '', reason: 'empty name' }]);
  });

  it('names a missing required column and reads no rows', async () => {
    const text = `SO,niv,ts,GA,P,T,TG,TC,PG\nA,Federal,Judicial,0.5,0.5,0.5,0.5,0.5,0.5\n`;
    const { rows, errors } = await parseResultsTable(Buffer.from(text), PRESET);
    expect(rows).to.deep.equal([]);
    expect(errors).to.deep.equal([
      { row: 1, column: 'edo', value: null, reason: 'missing required column "edo" (entity)' },
      { row: 1, column: 'PC', value: null, reason: 'missing required column "PC" (PC)' },
    ]);
  });

  it('reports duplicate headers', async () => {
    const { errors } = await parseResultsTable(Buffer.from(`${HEADER_2017},GA\n${line2017('A')},0.5\n`), PRESET);
    expect(errors).to.deep.include({ row: 1, column: 'GA', value: null, reason: 'duplicate column "GA"' });
  });

  it('reports an empty file, a blank file and a file with only a header', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from(' \n\r\n'), Buffer.from('\ufeff')]) {
      const { rows, errors } = await parseResultsTable(bytes, PRESET);
      expect(rows).to.deep.equal([]);
      expect(errors).to.deep.equal([{ row: null, column: null, value: null, reason: 'empty file' }]);
    }
    const headerOnly = await parseResultsTable(Buffer.from(`${HEADER_2017}\n\n`), PRESET);
    expect(headerOnly.errors.map((e) => e.reason)).to.deep.equal(['no data rows: the file has a header but no institutions']);
  });

  it('refuses duplicate institutions (same normalised name and entity)', async () => {
    const { rows, errors } = await parseResultsTable(
      csv2017(
        line2017('Secretaría de Salud', 'Nuevo León', 'Estatal', 'Ejecutivo estatal'),
        line2017('Secretaria de  salud', 'NuevoLeon', 'Estatal', 'Ejecutivo estatal'),
        line2017('Secretaría de Salud', 'Jalisco', 'Estatal', 'Ejecutivo estatal'),
      ),
      PRESET,
    );
    expect(rows.map((r) => [r.rowNumber, r.entity])).to.deep.equal([[2, 'Nuevo León'], [4, 'Jalisco']]);
    expect(errors).to.deep.equal([
      { row: 3, column: 'SO', value: 'Secretaria de  salud', reason: 'duplicate institution: same name and entity (Nuevo León) as row 2' },
    ]);
  });

  describe('the streaming CSV reader', () => {
    it('waits for the parser many times over a big file without leaving a listener behind each time', async () => {
      // About 8 MB: far more than the 10 waits for the parser that would pass Node's listener limit.
      const text = ['name,entity,value', ...Array.from({ length: 300_000 }, (_, i) => `Institución ${i},Jalisco,0.5`)].join('\n');
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
      process.on('warning', onWarning);
      try {
        const result = await readCsvStream(Buffer.from(text), 'utf-8');
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
        expect('table' in result && result.table.rows).to.have.length(300_000);
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).to.deep.equal([]);
    });
  });

  describe('encodings', () => {
    const latinText = `${HEADER_2017}\n${line2017('Querétaro-Secretaría de Educación', 'Querétaro', 'Estatal', 'Autónomo')}\n`;

    it('strips a UTF-8 byte order mark', async () => {
      const { rows, errors, encoding } = await parseResultsTable(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(latinText)]), PRESET);
      expect(errors).to.deep.equal([]);
      expect(encoding).to.equal('utf-8');
      expect(rows[0]!.name).to.equal('Querétaro-Secretaría de Educación');
    });

    it('decodes a Latin-1 file right, detected or declared', async () => {
      const bytes = iconv.encode(latinText, 'latin1');
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).to.throw();
      for (const encoding of ['auto', 'latin1'] as const) {
        const result = await parseResultsTable(bytes, { ...PRESET, encoding });
        expect(result.errors).to.deep.equal([]);
        expect(result.encoding).to.equal('latin1');
        expect(result.rows[0]).to.deep.include({ name: 'Querétaro-Secretaría de Educación', entity: 'Querétaro', type: 'Autónomo' });
      }
    });

    it('refuses a Latin-1 file declared as UTF-8, naming the line', async () => {
      const { rows, errors } = await parseResultsTable(iconv.encode(latinText, 'latin1'), { ...PRESET, encoding: 'utf-8' });
      expect(rows).to.deep.equal([]);
      expect(errors).to.have.length(1);
      expect(errors[0]!.reason).to.equal('wrong encoding: not valid UTF-8 (line 2); for a Latin-1 file use encoding latin1 or auto');
    });

    it('refuses bytes that are neither UTF-8 nor plausible Latin-1', async () => {
      const bytes = Buffer.concat([Buffer.from(`${HEADER_2017}\n`), Buffer.from([0x81, 0x8d, 0x02, 0xff, 0x0a])]);
      const { errors } = await parseResultsTable(bytes, PRESET);
      expect(errors[0]!.reason).to.match(/^wrong encoding: the file is neither valid UTF-8 nor plausible Latin-1 text \(character U\+FFFD on line 2\)/);
    });

    it('refuses UTF-16, binary data and XLSX given as CSV', async () => {
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(latinText, 'utf16le')]);
      expect((await parseResultsTable(utf16, PRESET)).errors[0]!.reason).to.match(/UTF-16/);
      expect((await parseResultsTable(Buffer.from(latinText, 'utf16le'), PRESET)).errors[0]!.reason).to.match(/NUL bytes/);
      const xlsx = await buildXlsx([['SO']]);
      expect((await parseResultsTable(xlsx, PRESET)).errors[0]!.reason).to.match(/XLSX/);
    });
  });

  it('reports malformed CSV', async () => {
    const { errors } = await parseResultsTable(csv2017('"Unclosed,Jalisco,Estatal,Partido,0.5,0.5,0.5,0.5,0.5,0.5,0.5'), PRESET);
    expect(errors).to.have.length(1);
    expect(errors[0]!.reason).to.match(/^malformed CSV: /);
  });

  describe('XLSX', () => {
    it('round-trips a workbook built in memory, numbers and text alike', async () => {
      const header = HEADER_2017.split(',');
      const bytes = await buildXlsx([
        header,
        ['ASF', 'Federal', 'Federal', 'Legislativo', 0.5054, 0.333, 0.6778, 0.5556, 0.8, 0.466, 0.2],
        ['Partido Uno, Comité', 'Ciudad de Mexico', 'Estatal', 'Partido', '0.25', 0.2, 0.3, { formula: '0.1+0.2', result: 0.3 }, 0.3, 0.1, 0.3],
        [],
        [{ richText: [{ text: 'Uni' }, { text: 'versidad' }] }, 'Yucatan', 'Estatal', 'Universidad', 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
      ]);
      const { rows, errors, encoding } = await parseResultsTable(bytes, { format: 'xlsx', preset: 'mga-2017', methodology: mga2017 });
      expect(errors).to.deep.equal([]);
      expect(encoding).to.equal(undefined);
      expect(rows.map((r) => [r.rowNumber, r.name, r.entity])).to.deep.equal([
        [2, 'ASF', 'Federal'],
        [3, 'Partido Uno, Comité', 'Ciudad de México'],
        [5, 'Universidad', 'Yucatán'],
      ]);
      expect(rows[1]!.values).to.deep.equal({ GA: 0.25, P: 0.2, T: 0.3, TG: 0.3, TC: 0.3, PG: 0.1, PC: 0.3 });
      // The same table as CSV gives the same rows (but for the spreadsheet's row numbers).
      const fromCsv = await parseResultsTable(csv2017(line2017('ASF')), PRESET);
      expect(fromCsv.rows[0]).to.deep.equal(rows[0]);
    });

    it('reports bad cells with the sheet row number', async () => {
      const bytes = await buildXlsx([HEADER_2017.split(','), ['ASF', 'Federal', 'Federal', 'Legislativo', 'n/a', 0.333, 0.6778, 0.5556, 0.8, 0.466, 0.2]]);
      const { errors } = await parseResultsTable(bytes, { format: 'xlsx', preset: 'mga-2017', methodology: mga2017 });
      expect(errors).to.deep.equal([{ row: 2, column: 'GA', value: 'n/a', reason: 'not a number' }]);
    });

    it('refuses bytes that are not a workbook, and empty workbooks', async () => {
      expect((await parseResultsTable(Buffer.from('SO,edo\n'), { format: 'xlsx', preset: 'mga-2017', methodology: mga2017 })).errors[0]!.reason).to.match(/^not a readable XLSX workbook/);
      expect((await parseResultsTable(await buildXlsx([]), { format: 'xlsx', preset: 'mga-2017', methodology: mga2017 })).errors[0]!.reason).to.match(/^empty file/);
    });
  });

  describe('column mapping', () => {
    it('maps any columns to fields, with an external id', async () => {
      const text = 'Clave,Institución,Estado,Nivel,Tipo,IGA\nX-1,Congreso,CDMX,Estatal,Legislativo,0.4\n';
      const { rows, errors, mapping } = await parseResultsTable(Buffer.from(text), {
        format: 'csv',
        methodology: mga2017,
        mapping: { Clave: 'externalId', 'Institución': 'name', Estado: 'entity', Nivel: 'level', Tipo: 'type', IGA: 'GA' },
      });
      expect(errors).to.deep.equal([]);
      expect(mapping).to.include({ IGA: 'GA', Clave: 'externalId' });
      expect(rows[0]).to.deep.include({ externalId: 'X-1', name: 'Congreso', entity: normalizeEntity('CDMX').name, values: { GA: 0.4 } });
    });

    it('takes columns named after nodes or fields without a mapping', async () => {
      const text = `${HEADER_2017},TG.AI\n${line2017('A')},0.9\n`;
      const withPreset = await parseResultsTable(Buffer.from(text), PRESET);
      expect(withPreset.rows[0]!.values).to.include({ 'TG.AI': 0.9, GA: 0.5054 });
      const plain = await parseResultsTable(Buffer.from('name,entity,level,type,TG.AI,TC\nA,Colima,Estatal,Judicial,0.5,0.25\n'), { format: 'csv', methodology: mga2017 });
      expect(plain.errors).to.deep.equal([]);
      expect(plain.rows[0]!.values).to.deep.equal({ 'TG.AI': 0.5, TC: 0.25 });
    });

    it('lets an explicit mapping replace a preset column', async () => {
      const text = HEADER_2017.replace('SO', 'Nombre') + `\n${line2017('A')}\n`;
      const { rows, errors } = await parseResultsTable(Buffer.from(text), { ...PRESET, mapping: { Nombre: 'name' } });
      expect(errors).to.deep.equal([]);
      expect(rows[0]!.name).to.equal('A');
    });

    it('requires the identity fields and at least one score column', async () => {
      const { errors } = await parseResultsTable(Buffer.from('name,entity,level\nA,Colima,Estatal\n'), { format: 'csv', methodology: mga2017 });
      expect(errors.map((e) => e.reason)).to.deep.equal([
        'missing required column "type" (no column is mapped to the institution\'s type)',
        'no score columns: expected at least one column mapped to a node (GA, T, TG, TG.AI, TG.TR, TG.TP, TG.DA, TC, TC.Disp, TC.Clar, TC.Comp, TC.Cel, P, PG, PG.Mec, PG.Act, PG.Fun, PG.Form, PG.Seg, PC, PC.Met, PC.Recep, PC.Act, PC.Cel, GAg, GAc)',
      ]);
    });

    it('throws for a mapping to an unknown field (a programming error, not a data error)', async () => {
      let thrown: unknown;
      try {
        await parseResultsTable(Buffer.from('x\n1\n'), { format: 'csv', methodology: mga2017, mapping: { x: 'IGA' } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(TypeError);
      expect((thrown as Error).message).to.contain('"IGA"');
    });
  });
});
