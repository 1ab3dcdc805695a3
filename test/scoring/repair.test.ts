import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseResultsTable, repairName } from '../../scoring/import/index.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';

describe('names damaged by a wrong encoding (scoring/import/repair.ts)', () => {
  it('undoes UTF-8 read as Latin-1 or Windows-1252 and encoded again', () => {
    expect(repairName('Soledad de Graciano SÃ¡nchez')).to.deep.equal({ from: 'Soledad de Graciano SÃ¡nchez', to: 'Soledad de Graciano Sánchez', rules: ['double-utf8'], unrepaired: false });
    expect(repairName('Casa De Las ArtesanÃ­as')?.to).to.equal('Casa De Las Artesanías');
    expect(repairName('Ã‘uÃ±oa â€” MÃ©xico')?.to).to.equal('Ñuñoa — México');
  });

  it('restores an accent and a dash whose first bytes were lost, keeping the letter case of the file', () => {
    expect(repairName('Santa Mari\u008Ca de la Paz')).to.deep.equal({ from: 'Santa Mari\u008Ca de la Paz', to: 'Santa María de la Paz', rules: ['orphan-acute'], unrepaired: false });
    expect(repairName('Villa de a\u0081lvarez')?.to).to.equal('Villa de álvarez');
    expect(repairName('Conacyt \u0080\u0094 Gobierno')?.to).to.equal('Conacyt — Gobierno');
  });

  it('leaves good Spanish alone and reports damage it cannot undo without guessing', () => {
    for (const good of ['Pequeña Empresa', 'Año «Sí»', 'José Ñº 5', 'Ciudad de México', 'Ñuñoa']) expect(repairName(good), good).to.equal(undefined);
    expect(repairName('Caf\uFFFD')).to.deep.equal({ from: 'Caf\uFFFD', to: 'Caf\uFFFD', rules: [], unrepaired: true });
    expect(repairName('Bah\u0090a')).to.include({ to: 'Bah\u0090a', unrepaired: true });
  });

  it('the 2017 file: six names repaired on import, each reported with its row; no control character left', async () => {
    const parsed = await parseResultsTable(readFileSync('data/mga-2017/sujetos_obligados_2017.csv'), { format: 'csv', preset: 'mga-2017', methodology: loadBuiltinMethodology('mga-2017') });
    expect(parsed.errors).to.deep.equal([]);
    expect(parsed.repairs.map((r) => [r.row, r.column, r.to, r.unrepaired])).to.deep.equal([
      [245, 'SO', 'Colima-Villa de álvarez', false],
      [254, 'SO', 'Durango-Fondo Mixto Conacyt — Gobierno Del Estado De Durango', false],
      [676, 'SO', 'San Luis Potosi-Soledad de Graciano Sánchez', false],
      [756, 'SO', 'Tabasco-Paraíso', false],
      [801, 'SO', 'Tlaxcala-Fideicomiso Fondo De La Casa De Las Artesanías De Tlaxcala', false],
      [895, 'SO', 'Zacatecas-Santa María de la Paz', false],
    ]);
    const zacatecas = parsed.rows.find((r) => r.rowNumber === 895)!;
    expect(zacatecas).to.include({ name: 'Zacatecas-Santa María de la Paz', nameAsRead: 'Zacatecas-Santa Mari\u008Ca de la Paz' });
    expect(parsed.rows.filter((r) => /[\u0080-\u009F]|Ã/.test(r.name))).to.deep.equal([]);
    expect(parsed.rows.find((r) => r.rowNumber === 337)).to.include({ name: 'Hidalgo-Fideicomiso De Apoyo A La Micro Y Pequeña Empresa Hidalguense' }).and.not.to.have.property('nameAsRead');
  });
});
