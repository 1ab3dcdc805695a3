import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { computeEditionResults } from '../../reports/data.js';
import { buildEditionWorkbook, escapeCellText, SCORE_FORMAT, SHEET_NAMES } from '../../reports/excel.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { GENERATED_AT, load2017, SAMPLE_SIZES, type Fixture } from './fixtures.js';
import { PUBLISHED_EDITION_ABOUT } from '../../server/services/publishedAggregates.js';

async function read(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ExcelJS.Buffer);
  return workbook;
}

/** Header text → column number of a sheet's first row. */
function headerColumns(sheet: ExcelJS.Worksheet): Map<string, number> {
  const columns = new Map<string, number>();
  sheet.getRow(1).eachCell((cell, column) => columns.set(String(cell.value), column));
  return columns;
}

describe('edition workbook (exceljs)', () => {
  let fx: Fixture;
  let workbook: ExcelJS.Workbook;
  before(async () => {
    fx = await load2017();
    workbook = await read(await buildEditionWorkbook(fx.results, { published: fx.published, generatedAt: GENERATED_AT, sampleSizes: SAMPLE_SIZES, editionAbout: PUBLISHED_EDITION_ABOUT }));
  });

  it('has the seven sheets', () => {
    expect(workbook.worksheets.map((s) => s.name)).to.deep.equal(Object.values(SHEET_NAMES));
  });

  it('lists every institution (908) with its values', () => {
    const sheet = workbook.getWorksheet(SHEET_NAMES.institutions)!;
    const columns = headerColumns(sheet);
    expect([...columns.keys()]).to.include.members(['Sujeto obligado', 'Entidad', 'Nivel', 'Tipo', 'IGA', 'T', 'P', 'TG', 'TC', 'PG', 'PC', 'GAg', 'GAc']);
    expect(sheet.actualRowCount).to.equal(1 + 908);
    const nodeIds = ['GA', 'T', 'P', 'TG', 'TC', 'PG', 'PC'];
    const headerOf: Record<string, string> = { GA: 'IGA' };
    fx.results.institutions.forEach((inst, i) => {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(columns.get('Sujeto obligado')!).value).to.equal(inst.name);
      expect(row.getCell(columns.get('Entidad')!).value).to.equal(inst.entity);
      for (const id of nodeIds) expect(row.getCell(columns.get(headerOf[id] ?? id)!).value, `${inst.name} ${id}`).to.equal(inst.values[id]);
    });
    const asf = sheet.getRow(2);
    expect(asf.getCell(columns.get('GAg')!).value).to.be.closeTo(0.5108, 1e-12);
  });

  it('sets number formats, frozen header panes, autofilter and colour scales', () => {
    const sheet = workbook.getWorksheet(SHEET_NAMES.institutions)!;
    const ga = headerColumns(sheet).get('IGA')!;
    expect(sheet.getRow(2).getCell(ga).numFmt).to.equal(SCORE_FORMAT);
    expect(sheet.views[0]).to.include({ state: 'frozen', ySplit: 1, xSplit: 1 });
    expect(sheet.autoFilter).to.exist;
    const formats = (sheet as unknown as { conditionalFormattings: { ref: string; rules: { type: string }[] }[] }).conditionalFormattings;
    expect(formats.some((f) => f.rules[0]!.type === 'colorScale' && f.ref.endsWith('909'))).to.equal(true);
    for (const name of [SHEET_NAMES.entity, SHEET_NAMES.type, SHEET_NAMES.level]) {
      const grouped = workbook.getWorksheet(name)!;
      expect(grouped.views[0]).to.include({ state: 'frozen', ySplit: 1 });
      expect(grouped.getRow(2).getCell(headerColumns(grouped).get('IGA')!).numFmt).to.equal(SCORE_FORMAT);
    }
    expect(workbook.getWorksheet(SHEET_NAMES.entity)!.actualRowCount).to.equal(1 + 33 + 1);
  });

  it('embeds chart images and records metadata and the comparison of editions', () => {
    expect(workbook.getWorksheet(SHEET_NAMES.entity)!.getImages()).to.have.length(1);
    expect(workbook.getWorksheet(SHEET_NAMES.comparison)!.getImages()).to.have.length(1);
    const meta = workbook.getWorksheet(SHEET_NAMES.metadata)!;
    const fields = new Map<string, unknown>();
    meta.eachRow((row) => fields.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(fields.get('Edición')).to.equal('2017');
    expect(fields.get('Metodología')).to.equal('mga-2017');
    expect(fields.get('SHA-256 de la metodología')).to.equal(fx.results.compiled.hash);
    expect(fields.get('Generado (ISO 8601)')).to.equal(GENERATED_AT.toISOString());
    const comparison = workbook.getWorksheet(SHEET_NAMES.comparison)!;
    const columns = headerColumns(comparison);
    const igaRow = comparison.getRow(2);
    expect(igaRow.getCell(1).value).to.equal('IGA');
    expect([igaRow.getCell(columns.get('2017')!).value, igaRow.getCell(columns.get('2019')!).value, igaRow.getCell(columns.get('2021')!).value]).to.deep.equal([0.39, 0.52, 0.48]);
    const tgRow = comparison.getRow(5);
    expect(tgRow.getCell(1).value).to.equal('TG');
    expect(tgRow.getCell(columns.get('2021')!).value, 'missing, not zero').to.equal(null);
    expect(tgRow.getCell(columns.get('Sin cifra en')!).value).to.equal('2021, 2023');
    expect(igaRow.getCell(columns.get('2023')!).value).to.equal(0.46);
    // Where each edition's figures come from: 2023 with its source and what it did not publish.
    const rows: unknown[][] = [];
    comparison.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    const row2023 = rows.find((r) => r[0] === '2023' && r[1] === 2043)!;
    expect(row2023, 'the 2023 sources row').to.exist;
    expect(row2023.slice(2, 4)).to.deep.equal(['publicado', 'TG, TC, PG, PC']);
    expect(String(row2023[4])).to.match(/INAI y El Colegio de México.*dossierdeprensa\.mx/);
  });

  it('escapes text that a spreadsheet would run as a formula', async () => {
    expect(escapeCellText('=HYPERLINK("http://x","y")')).to.equal(`'=HYPERLINK("http://x","y")`);
    expect(escapeCellText('+1')).to.equal("'+1");
    expect(escapeCellText('-2')).to.equal("'-2");
    expect(escapeCellText('@SUM(A1)')).to.equal("'@SUM(A1)");
    expect(escapeCellText('\t=1')).to.equal("'\t=1");
    expect(escapeCellText('Jalisco-Zapopan')).to.equal('Jalisco-Zapopan');
    const values = { GA: 0.5, T: 0.5, P: 0.5, TG: 0.5, TC: 0.5, PG: 0.5, PC: 0.5 };
    const results = computeEditionResults({
      edition: 'prueba',
      methodology: loadBuiltinMethodology('mga-2017'),
      institutions: [
        { name: '=HYPERLINK("http://evil.example","clic")', entity: 'Jalisco', level: 'Estatal', type: '+1', values },
        { name: '+1', entity: 'Federal', level: 'Federal', type: 'Autónomo', values },
      ],
    });
    const book = await read(await buildEditionWorkbook(results, { generatedAt: GENERATED_AT, charts: false }));
    const sheet = book.getWorksheet(SHEET_NAMES.institutions)!;
    expect(sheet.getRow(2).getCell(1).value).to.equal(`'=HYPERLINK("http://evil.example","clic")`);
    expect(sheet.getRow(2).getCell(1).type).to.equal(ExcelJS.ValueType.String);
    expect(sheet.getRow(2).getCell(5).value).to.equal("'+1");
    expect(sheet.getRow(3).getCell(1).value).to.equal("'+1");
    const byType = book.getWorksheet(SHEET_NAMES.type)!;
    const typeNames: unknown[] = [];
    byType.eachRow((row) => typeNames.push(row.getCell(1).value));
    expect(typeNames).to.include("'+1");
    book.eachSheet((s) => s.eachRow((row) => row.eachCell((cell) => expect(cell.type, `${s.name}!${cell.address}`).not.to.equal(ExcelJS.ValueType.Formula))));
  });
});
