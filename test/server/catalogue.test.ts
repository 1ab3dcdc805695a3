import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ENTITIES, normalizeEntity, normalizeInstitutionType, normalizeLevel, UnknownNameError } from '../../scoring/catalogue.js';

const DATA_2017 = 'data/mga-2017/sujetos_obligados_2017.csv';

describe('entity catalogue and name normaliser', () => {
  it('has the 32 entidades federativas with INEGI codes 01-32, plus Federal', () => {
    expect(ENTITIES).to.have.length(33);
    const codes = ENTITIES.map((e) => e.code);
    expect(codes.slice(0, 32)).to.deep.equal(Array.from({ length: 32 }, (_, i) => String(i + 1).padStart(2, '0')));
    expect(ENTITIES.find((e) => e.code === 'FED')?.name).to.equal('Federal');
    expect(ENTITIES.find((e) => e.code === '09')?.name).to.equal('Ciudad de México');
    expect(ENTITIES.find((e) => e.code === '15')?.name).to.equal('Estado de México');
  });

  it('ships the 2017 file unchanged (sha256 of the public copy)', () => {
    const digest = createHash('sha256').update(readFileSync(DATA_2017)).digest('hex');
    expect(digest).to.equal('917eaafc273421d789c579f977381573650bc09bb78f2af56ddd6a06054e8ebb');
  });

  it('maps every spelling in column edo of the 2017 file to one of the 33 canonical entities', () => {
    const rows = parse(readFileSync(DATA_2017), { columns: true }) as Record<string, string>[];
    const spellings = [...new Set(rows.map((r) => r.edo!))];
    expect(spellings).to.have.length(33);
    const canonical = new Set(spellings.map((s) => normalizeEntity(s).name));
    expect(canonical.size).to.equal(33);
    expect([...canonical].sort()).to.deep.equal(ENTITIES.map((e) => e.name).sort());
  });

  const cases: [string, string][] = [
    ['Ciudad de Mexico', 'Ciudad de México'],
    ['CDMX', 'Ciudad de México'],
    ['cdmx', 'Ciudad de México'],
    ['Mexico', 'Estado de México'],
    ['Estado de México', 'Estado de México'],
    ['ESTADO DE MEXICO', 'Estado de México'],
    ['NuevoLeon', 'Nuevo León'],
    ['nuevo  león', 'Nuevo León'],
    ['Queretaro', 'Querétaro'],
    ['San Luis Potosi', 'San Luis Potosí'],
    ['sanluispotosí', 'San Luis Potosí'],
    ['Michoacan', 'Michoacán'],
    ['Yucatan', 'Yucatán'],
    ['Coahuila de Zaragoza', 'Coahuila'],
    ['Veracruz de Ignacio de la Llave', 'Veracruz'],
    ['federal', 'Federal'],
  ];
  for (const [input, expected] of cases) {
    it(`normalises "${input}" to "${expected}"`, () => {
      expect(normalizeEntity(input).name).to.equal(expected);
    });
  }

  for (const unknown of ['Atlantis', 'Nuevo', 'Baja', '', '   ', 'Texas']) {
    it(`rejects the unknown entity "${unknown}" naming it`, () => {
      expect(() => normalizeEntity(unknown)).to.throw(UnknownNameError, `unknown entity "${unknown}"`);
    });
  }

  it('normalises levels and 2017 types, and names unknown ones', () => {
    expect(normalizeLevel('MUNICIPAL')).to.equal('Municipal');
    expect(normalizeInstitutionType('Autonomo')).to.equal('Autónomo');
    expect(normalizeInstitutionType('ejecutivo  federal')).to.equal('Ejecutivo federal');
    expect(() => normalizeLevel('Regional')).to.throw(/unknown level "Regional"/);
    expect(() => normalizeInstitutionType('Banco')).to.throw(/unknown type "Banco"/);
  });
});
