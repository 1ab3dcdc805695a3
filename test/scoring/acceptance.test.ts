/**
 * Acceptance: the 2017 file reproduces the published national figures, and group means agree with an
 * independent computation (exact integer arithmetic on the 4-decimal values, straight from csv-parse).
 */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { methodologyRef } from '../../scoring/engine.js';
import { parseResultsTable, type ImportedRow } from '../../scoring/import/index.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { groupingTable, recalculate, summaryColumns } from '../../scoring/recalc.js';
import { DATA_2017 } from './helpers.js';

const COLUMNS = ['GA', 'T', 'P', 'TG', 'TC', 'PG', 'PC'] as const;
const m = loadBuiltinMethodology('mga-2017');

/** Independent half-up mean: values as integers of 10⁻⁴, the quotient rounded with integer arithmetic. */
function exactMeanRounded2(values: readonly string[]): string {
  const units = values.map((v) => Math.round(Number(v) * 10_000));
  const sum = units.reduce((a, b) => a + b, 0);
  // mean in hundredths = sum / (n · 100); half-up: floor((2·sum + n·100) / (2·n·100)) for sum ≥ 0
  const n = units.length;
  const hundredths = Math.floor((2 * sum + n * 100) / (2 * n * 100));
  return (hundredths / 100).toFixed(2);
}

describe('acceptance: recalculation of the 2017 data', () => {
  let rows: ImportedRow[];
  let raw: Record<string, string>[];
  const table = (by: string, nationalMethod?: 'institutions' | 'entities') =>
    groupingTable(recalculate(m, rows, { by, ...(nationalMethod && { nationalMethod }) }).grouping, summaryColumns(m), 2);

  before(async () => {
    const bytes = readFileSync(DATA_2017);
    const parsed = await parseResultsTable(bytes, { format: 'csv', preset: 'mga-2017', methodology: loadBuiltinMethodology('mga-2017') });
    expect(parsed.errors).to.deep.equal([]);
    rows = parsed.rows;
    raw = parse(bytes, { columns: true });
  });

  it('national, rounded to 2 decimals: GA 0.39, T 0.50, P 0.28, TG 0.46, TC 0.54, PG 0.23, PC 0.32', () => {
    expect(table('national')).to.deep.equal([
      ['group', 'n', ...COLUMNS],
      ['Nacional', '908', '0.39', '0.50', '0.28', '0.46', '0.54', '0.23', '0.32'],
    ]);
  });

  it('national as the mean of the 33 entity means rounds to the same figures', () => {
    const result = recalculate(m, rows, { by: 'national', nationalMethod: 'entities' });
    expect(result.grouping.nationalMethod).to.equal('entities');
    expect(result.grouping.groups[0]!.entityCount).to.equal(33);
    expect(table('national', 'entities')[1]).to.deep.equal(['Nacional', '908', '0.39', '0.50', '0.28', '0.46', '0.54', '0.23', '0.32']);
  });

  it('finds no discrepancy beyond 1e-4 in the published data, but flags 4-decimal rounding at 1e-6', () => {
    expect(recalculate(m, rows, { by: 'national' }).scores.discrepancies).to.deep.equal([]);
    const strict = recalculate(m, rows, { by: 'national', tolerance: 1e-6 }).scores.discrepancies;
    expect(strict.length).to.be.greaterThan(0);
    expect(strict.every((d) => Math.abs(d.difference) < 1e-4)).to.equal(true);
  });

  it('by entity: 33 groups in Spanish order, matching an independent computation', () => {
    const result = table('entity');
    expect(result).to.have.length(34);
    const names = result.slice(1).map((r) => r[0]!);
    expect(names).to.deep.equal([...names].sort((a, b) => a.localeCompare(b, 'es')));
    expect(names).to.include.members(['Ciudad de México', 'Estado de México', 'Federal', 'Michoacán', 'Nuevo León', 'Yucatán']);
    const rawEntity: Record<string, string> = {
      Aguascalientes: 'Aguascalientes',
      'Ciudad de México': 'Ciudad de Mexico',
      'Estado de México': 'Mexico',
      Federal: 'Federal',
      'Nuevo León': 'NuevoLeon',
      Tlaxcala: 'Tlaxcala',
      Yucatán: 'Yucatan',
    };
    for (const [entity, spelling] of Object.entries(rawEntity)) {
      const members = raw.filter((r) => r.edo === spelling);
      const expected = [entity, String(members.length), ...COLUMNS.map((c) => exactMeanRounded2(members.map((r) => r[c]!)))];
      expect(result.find((r) => r[0] === entity), entity).to.deep.equal(expected);
    }
  });

  it('by type: 11 groups with the published counts, matching an independent computation', () => {
    const result = table('type');
    expect(result.slice(1).map((r) => [r[0], r[1]])).to.deep.equal([
      ['Autónomo', '37'],
      ['Descentralizado', '5'],
      ['Ejecutivo estatal', '288'],
      ['Ejecutivo federal', '9'],
      ['Fideicomiso', '67'],
      ['Judicial', '36'],
      ['Legislativo', '66'],
      ['Municipio', '160'],
      ['Partido', '107'],
      ['Sindicato', '67'],
      ['Universidad', '66'],
    ]);
    for (const [type, spelling] of [['Autónomo', 'Autonomo'], ['Sindicato', 'Sindicato'], ['Ejecutivo federal', 'Ejecutivo federal']]) {
      const members = raw.filter((r) => r.ts === spelling);
      expect(result.find((r) => r[0] === type)!.slice(2), type).to.deep.equal(COLUMNS.map((c) => exactMeanRounded2(members.map((r) => r[c]!))));
    }
  });

  it('by level: 3 groups, n 46 / 702 / 160', () => {
    const result = table('level');
    expect(result.slice(1).map((r) => [r[0], r[1]])).to.deep.equal([['Estatal', '702'], ['Federal', '46'], ['Municipal', '160']]);
    const federal = raw.filter((r) => r.niv === 'Federal');
    expect(result[2]!.slice(2)).to.deep.equal(COLUMNS.map((c) => exactMeanRounded2(federal.map((r) => r[c]!))));
  });

  it('records the methodology of every grouping', () => {
    expect(recalculate(m, rows, { by: 'type' }).grouping.methodology).to.deep.equal(methodologyRef(m));
  });
});
