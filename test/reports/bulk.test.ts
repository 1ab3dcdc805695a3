import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeBrowser } from '../../reports/browser.js';
import { institutionCardFileName, safeFileName, writeInstitutionCards, type BulkProgress } from '../../reports/bulk.js';
import { GENERATED_AT, load2017, scratchDir, type Fixture } from './fixtures.js';

describe('bulk institution report cards', () => {
  let fx: Fixture;
  before(async () => {
    fx = await load2017();
  });
  after(closeBrowser);

  it('makes safe, unique file names', () => {
    expect(safeFileName('Secretaría de Educación Pública')).to.equal('secretaria-de-educacion-publica');
    expect(safeFileName('../../etc/passwd')).to.equal('etc-passwd');
    expect(safeFileName('...')).to.equal('sin-nombre');
    expect(safeFileName('a'.repeat(200))).to.have.length(80);
    expect(institutionCardFileName(fx.results, 0)).to.equal('001-fed-asf.pdf');
    const names = fx.results.institutions.map((_, row) => institutionCardFileName(fx.results, row));
    expect(new Set(names).size).to.equal(908);
    expect(names.every((n) => /^[0-9]{3}-[a-z0-9]+-[a-z0-9-]+\.pdf$/.test(n))).to.equal(true);
  });

  it('writes the cards into a folder with one browser and reports progress', async () => {
    const dir = join(await scratchDir(), 'cards');
    const progress: BulkProgress[] = [];
    const result = await writeInstitutionCards(fx.results, dir, { rows: [0, 1, 2, 3], generatedAt: GENERATED_AT, onProgress: (p) => progress.push(p), progressBar: false });
    expect(result.cards.map((c) => c.row)).to.deep.equal([0, 1, 2, 3]);
    expect(progress.map((p) => p.done)).to.deep.equal([1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4)).to.equal(true);
    const files = (await readdir(dir)).sort();
    expect(files).to.deep.equal(result.cards.map((c) => c.path.slice(dir.length + 1)).sort());
    for (const card of result.cards) expect((await readFile(card.path)).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
  });
});
