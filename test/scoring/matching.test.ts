import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { scoreInstitutions } from '../../scoring/engine.js';
import { parseResultsTable } from '../../scoring/import/index.js';
import { acceptMutualBest, exactKey, matchInstitutions, nameSimilarity, normalizeInstitutionName, type MatchRecord } from '../../scoring/matching.js';
import { panelComparison, type PanelSide } from '../../scoring/panel.js';
import { decisionsCsv, parseDecisionsCsv, resolveDecisions } from '../../scoring/crosswalkFile.js';
import { DATA_2017, REPO_ROOT } from './helpers.js';
import { DEFAULT_SHIFT, syntheticLaterEdition, type SyntheticEdition } from './syntheticEdition.js';

const record = (key: string, name: string, entity = 'Jalisco', type = 'Legislativo'): MatchRecord => ({ key, name, entity, type });

describe('matching institutions across editions', () => {
  describe('normalised names and exact keys', () => {
    it('fold accents, case, spacing, punctuation and the entity prefix', () => {
      expect(normalizeInstitutionName('Aguascalientes-Auditoria Estatal')).to.equal('auditoria estatal');
      expect(normalizeInstitutionName('Nuevo León – Congreso del Estado', 'NuevoLeon')).to.equal('congreso del estado');
      expect(normalizeInstitutionName('  AUDITORÍA   Estatal. ')).to.equal('auditoria estatal');
      expect(exactKey(record('a', 'Aguascalientes-Auditoria Estatal', 'Aguascalientes'))).to.equal(exactKey(record('b', 'AUDITORÍA  ESTATAL', 'aguascalientes', 'legislativo')));
    });

    it('keep a name that only looks like an entity: a municipality named like a state, or another entity', () => {
      expect(normalizeInstitutionName('Durango-Durango', 'Durango')).to.equal('durango');
      expect(normalizeInstitutionName('Hidalgo del Parral', 'Chihuahua')).to.equal('hidalgo del parral');
      expect(normalizeInstitutionName('Hidalgo - Tribunal', 'Chihuahua'), 'another entity as prefix is part of the name').to.equal('hidalgo tribunal');
      // Same name, different entity or type: different institutions.
      expect(exactKey(record('a', 'Congreso', 'Jalisco'))).not.to.equal(exactKey(record('b', 'Congreso', 'Colima')));
      expect(exactKey(record('a', 'Congreso', 'Jalisco', 'Legislativo'))).not.to.equal(exactKey(record('b', 'Congreso', 'Jalisco', 'Autonomo')));
    });

    it('name similarity: word order and added words cost little; a contained name scores at least 0.9', () => {
      expect(nameSimilarity('Instituto de Transparencia', 'Instituto de Trasparencia')).to.be.greaterThan(0.95);
      expect(nameSimilarity('PRI', 'PRI del Estado')).to.equal(0.9);
      expect(nameSimilarity('Secretaria de Salud', 'Salud Secretaria de')).to.equal(1);
      expect(nameSimilarity('Auditoria Estatal', 'Universidad Politecnica')).to.be.lessThan(0.5);
    });
  });

  describe('matchInstitutions', () => {
    it('links exact matches, proposes fuzzy candidates within the entity, lists the unmatched on both sides', () => {
      const base = [record('b1', 'Jalisco-Congreso del Estado'), record('b2', 'Jalisco-Instituto de Transparencia', 'Jalisco', 'Autonomo'), record('b3', 'Jalisco-Partido Verde', 'Jalisco', 'Partido'), record('b4', 'Colima-Congreso', 'Colima')];
      const other = [record('o1', 'CONGRESO DEL ESTADO'), record('o2', 'Instituto de Trasparencia', 'Jalisco', 'Autonomo'), record('o3', 'Colima - Congreso', 'Colima'), record('o4', 'Instituto de Trasparencia', 'Colima', 'Autonomo'), record('o5', 'Universidad de Guadalajara', 'Jalisco', 'Universidad')];
      const result = matchInstitutions(base, other);
      expect(result.links).to.deep.equal([
        { base: 'b1', other: 'o1', method: 'exact', similarity: 1 },
        { base: 'b4', other: 'o3', method: 'exact', similarity: 1 },
      ]);
      // The Colima institute is not proposed for the Jalisco one: blocking by entity.
      expect(result.candidates.map((c) => [c.base, c.other, c.mutualBest])).to.deep.equal([['b2', 'o2', true]]);
      expect(result.unmatchedBase).to.deep.equal(['b2', 'b3']);
      expect(result.unmatchedOther).to.deep.equal(['o2', 'o4', 'o5']);
      expect(result.counts).to.include({ base: 4, other: 5, exact: 2, confirmed: 0, candidates: 1 });
    });

    it('applies decisions: an accepted pair links, a rejected pair is not proposed again', () => {
      const base = [record('b1', 'Secretaria de Salud'), record('b2', 'Secretaria de Educacion')];
      const other = [record('o1', 'Secretaria de Salud Jalisco'), record('o2', 'Secretaria de Educacion Publica')];
      const first = matchInstitutions(base, other);
      expect(first.candidates.filter((c) => c.mutualBest).map((c) => [c.base, c.other])).to.deep.equal([['b1', 'o1'], ['b2', 'o2']]);
      const decided = matchInstitutions(base, other, { decisions: [{ base: 'b1', other: 'o1', accepted: true }, { base: 'b2', other: 'o2', accepted: false }] });
      expect(decided.links.map((l) => [l.base, l.other, l.method])).to.deep.equal([['b1', 'o1', 'confirmed']]);
      expect(decided.candidates.some((c) => c.base === 'b2' && c.other === 'o2')).to.equal(false);
      expect(decided.unmatchedBase).to.deep.equal(['b2']);
    });

    it('never links an institution twice; names a decision it cannot apply', () => {
      const base = [record('b1', 'Congreso'), record('b2', 'Congreso Estatal')];
      const other = [record('o1', 'Congreso')];
      const result = matchInstitutions(base, other, { decisions: [{ base: 'b2', other: 'o1', accepted: true }, { base: 'b9', other: 'o1', accepted: false }] });
      expect(result.links.map((l) => [l.base, l.other])).to.deep.equal([['b1', 'o1']]);
      expect(result.problems.map((p) => p.kind)).to.deep.equal(['decision', 'decision']);
      expect(result.problems[0]!.reason).to.match(/already linked/);
    });

    it('leaves an ambiguous key (two institutions with the same name, entity and type) to a person', () => {
      const base = [record('b1', 'Comision Estatal'), record('b2', 'Comisión estatal')];
      const other = [record('o1', 'COMISION ESTATAL')];
      const result = matchInstitutions(base, other);
      expect(result.links).to.deep.equal([]);
      expect(result.problems).to.have.length(1);
      expect(result.problems[0]).to.include({ kind: 'ambiguous', side: 'base' });
      expect(result.candidates.map((c) => c.base).sort()).to.deep.equal(['b1', 'b2']);
    });

    it('a different type lowers the similarity', () => {
      const result = matchInstitutions([record('b1', 'Universidad Autonoma de Jalisco', 'Jalisco', 'Universidad')], [record('o1', 'Sindicato de la Universidad Autonoma de Jalisco', 'Jalisco', 'Sindicato'), record('o2', 'Universidad Autonoma Jalisco', 'Jalisco', 'Universidad')]);
      expect(result.candidates[0]).to.include({ other: 'o2', sameType: true, mutualBest: true });
      expect(result.candidates[1]).to.include({ other: 'o1', sameType: false });
      expect(result.candidates[1]!.similarity).to.be.closeTo(0.9 * 0.85, 1e-9);
    });
  });

  describe('decisions as CSV (the admin page and mga compare --crosswalk)', () => {
    const base = [record('b1', 'Jalisco-Congreso'), record('b2', 'Jalisco-Instituto de Transparencia', 'Jalisco', 'Autonomo')];
    const other = [record('o1', 'Congreso del Estado'), record('o2', 'Instituto de Trasparencia', 'Jalisco', 'Autonomo')];

    it('round-trips: the download lists pairs with ids; undecided rows are skipped on upload', () => {
      const text = decisionsCsv([
        { baseId: 'b1', baseName: 'Jalisco-Congreso', baseEntity: 'Jalisco', otherId: 'o1', otherName: 'Congreso del Estado', otherEntity: 'Jalisco', similarity: 0.9, decision: 'accept' },
        { baseId: 'b2', baseName: 'Jalisco-Instituto de Transparencia', baseEntity: 'Jalisco', otherId: 'o2', otherName: '=Instituto, "de" Trasparencia', otherEntity: 'Jalisco', similarity: 0.97, decision: '' },
      ]);
      expect(text.split('\n')[0]).to.equal('base_id,base_name,base_entity,other_id,other_name,other_entity,similarity,decision');
      expect(text).to.include(`"'=Instituto, ""de"" Trasparencia"`);
      const parsed = parseDecisionsCsv(Buffer.from(text));
      expect(parsed.errors).to.deep.equal([]);
      expect(parsed.rows.map((r) => [r.baseId, r.otherId, r.accepted])).to.deep.equal([['b1', 'o1', true]]);
      expect(resolveDecisions(parsed.rows, base, other).decisions).to.deep.equal([{ base: 'b1', other: 'o1', accepted: true }]);
    });

    it('names by entity and name, folded; every problem names its row and column', () => {
      const parsed = parseDecisionsCsv(Buffer.from('base_name,base_entity,other_name,other_entity,decision\nJALISCO-congreso,jalisco,congreso del estado,Jalisco,Rechazar\nX,Jalisco,Y,Atlantis,accept\nJalisco-Congreso,Jalisco,Congreso del Estado,Jalisco,tal vez\n'));
      expect(parsed.errors).to.deep.equal([{ row: 4, column: 'decision', value: 'tal vez', reason: 'decision must be accept or reject (aceptar / rechazar)' }]);
      const resolved = resolveDecisions(parsed.rows, base, other);
      expect(resolved.decisions).to.deep.equal([{ base: 'b1', other: 'o1', accepted: false }]);
      expect(resolved.errors.map((e) => [e.row, e.column])).to.deep.equal([[3, 'base_name'], [3, 'other_entity']]);
      expect(parseDecisionsCsv(Buffer.from('a,b\n1,2\n')).errors[0]!.reason).to.match(/missing column "base_name"/);
    });
  });

  describe('acceptance: a synthetic later edition made from the 2017 file', () => {
    let syn: SyntheticEdition;
    let base: MatchRecord[];
    let other: MatchRecord[];
    before(() => {
      syn = syntheticLaterEdition();
      base = [...syn.base.entries()].map(([so, b]) => ({ key: so, name: so, entity: b.entity, type: b.type, level: b.level }));
      other = syn.institutions.map((i, n) => ({ key: `o${n}`, name: i.name, entity: i.entity, type: i.type, level: i.level }));
    });

    it('the synthetic edition has every kind of change', () => {
      const kinds = new Map<string, number>();
      for (const i of syn.institutions) kinds.set(i.respelling, (kinds.get(i.respelling) ?? 0) + 1);
      expect(syn.dropped.length).to.be.within(50, 110);
      for (const kind of ['same', 'folding', 'fuzzy', 'added']) expect(kinds.get(kind) ?? 0, kind).to.be.greaterThan(50);
    });

    it('exact matching links every unchanged or folding-respelled institution, and nothing else', () => {
      const result = matchInstitutions(base, other);
      const truth = new Map(syn.institutions.map((i, n) => [`o${n}`, i]));
      const expected = syn.institutions.filter((i) => i.respelling === 'same' || i.respelling === 'folding').length;
      const right = result.links.filter((l) => truth.get(l.other)!.from === l.base).length;
      console.log(`      exact: ${right} of ${expected} unchanged or folding-respelled institutions linked (${((100 * right) / expected).toFixed(1)} %), ${result.links.length - right} wrong links`);
      expect(result.links.every((l) => l.method === 'exact')).to.equal(true);
      expect(right, 'exact rate 100 %').to.equal(expected);
      expect(result.links.length - right, 'no wrong exact link').to.equal(0);
      // Dropped institutions stay unmatched on the base side; added ones on the other side.
      for (const so of syn.dropped) expect(result.unmatchedBase).to.include(so);
      const added = syn.institutions.flatMap((i, n) => (i.respelling === 'added' ? [`o${n}`] : []));
      for (const key of added) expect(result.unmatchedOther).to.include(key);
    });

    it('fuzzy matching proposes the right institution as the mutual best candidate for at least 95 % of the edited names', () => {
      const result = matchInstitutions(base, other);
      const fuzzy = syn.institutions.flatMap((i, n) => (i.respelling === 'fuzzy' ? [{ key: `o${n}`, from: i.from! }] : []));
      const found = fuzzy.filter((f) => result.candidates.some((c) => c.other === f.key && c.base === f.from && c.mutualBest)).length;
      const wrongBest = result.candidates.filter((c) => c.mutualBest && !fuzzy.some((f) => f.key === c.other && f.from === c.base)).length;
      console.log(`      fuzzy: right partner is the mutual best for ${found} of ${fuzzy.length} edited names (${((100 * found) / fuzzy.length).toFixed(1)} %); ${wrongBest} mutual-best proposals are wrong`);
      expect(found / fuzzy.length).to.be.at.least(0.95);
      expect(wrongBest / fuzzy.length).to.be.at.most(0.05);
      // Accepting them all (as the CLI's --accept-fuzzy does) links the right pairs.
      const accepted = matchInstitutions(base, other, { decisions: acceptMutualBest(result, 0.85) });
      const truth = new Map(syn.institutions.map((i, n) => [`o${n}`, i]));
      const confirmed = accepted.links.filter((l) => l.method === 'confirmed');
      expect(confirmed.filter((l) => truth.get(l.other)!.from === l.base).length / confirmed.length).to.be.at.least(0.97);
    });

    it('panel deltas: the change over linked institutions is the shift applied; the whole-sample change is not, and is warned about', async () => {
      const m = loadBuiltinMethodology('mga-2017');
      const baseRows = (await parseResultsTable(await readFile(join(REPO_ROOT, DATA_2017)), { format: 'csv', preset: 'mga-2017', methodology: m })).rows;
      const otherParsed = await parseResultsTable(Buffer.from(syn.csv), { format: 'csv', preset: 'mga-2017', methodology: m });
      expect(otherParsed.errors).to.deep.equal([]);
      const side = (edition: string, rows: typeof baseRows, prefix: string): PanelSide => ({
        edition,
        institutions: rows.map((r, i) => ({ key: `${prefix}${i}`, entity: r.entity, type: r.type, level: r.level })),
        scores: scoreInstitutions(m, rows.map((r) => r.values)),
      });
      const b = side('2017', baseRows, 'b');
      const o = side('2019', otherParsed.rows, 'o');
      const match = matchInstitutions(
        baseRows.map((r, i) => ({ key: `b${i}`, name: r.name, entity: r.entity, type: r.type })),
        otherParsed.rows.map((r, i) => ({ key: `o${i}`, name: r.name, entity: r.entity, type: r.type })),
      );
      const links = matchInstitutions(
        baseRows.map((r, i) => ({ key: `b${i}`, name: r.name, entity: r.entity, type: r.type })),
        otherParsed.rows.map((r, i) => ({ key: `o${i}`, name: r.name, entity: r.entity, type: r.type })),
        { decisions: acceptMutualBest(match, 0.85) },
      ).links;

      // What the panel change must be: the mean over the true pairs of (shifted − 2017), clamping included.
      const truePairs = syn.institutions.filter((i) => i.from !== null);
      const expectedTG = truePairs.reduce((sum, i) => sum + (i.TG - syn.base.get(i.from!)!.TG), 0) / truePairs.length;
      const national = panelComparison(b, o, links, 'national', ['GA', 'TG', 'TC']).groups[0]!;
      console.log(`      panel: n 2017 ${national.nBase}, n later ${national.nOther}, linked ${national.nMatched}; ΔTG panel ${national.nodes.TG!.deltaMatched!.toFixed(4)} (applied +${DEFAULT_SHIFT.TG} before clamping, expected ${expectedTG.toFixed(4)}), whole-sample ${national.nodes.TG!.deltaAll!.toFixed(4)}`);
      expect(national.nBase).to.equal(908);
      expect(national.nOther).to.equal(syn.institutions.length);
      expect(national.nMatched).to.be.within(truePairs.length - 3, truePairs.length);
      expect(national.nodes.TG!.deltaMatched!).to.be.closeTo(expectedTG, 0.002);
      // The added institutions score low: the whole-sample change understates the real one.
      expect(national.nodes.TG!.deltaAll!).to.be.lessThan(national.nodes.TG!.deltaMatched! - 0.01);
      expect(national.warnings.map((w) => w.kind)).to.deep.equal(['size', 'composition']);
      expect(national.warnings[1]!.message.es).to.match(/solo \d{3} sujetos obligados están en ambas ediciones \(de 908 y 920\)/);

      // By entity: one row per 2017 entity; n of each side and linked pairs add up.
      const byEntity = panelComparison(b, o, links, 'entity', ['GA']);
      expect(byEntity.groups).to.have.length(33);
      expect(byEntity.groups.reduce((s, g) => s + g.nMatched, 0)).to.equal(national.nMatched);
      expect(byEntity.groups.reduce((s, g) => s + g.nOther, 0)).to.equal(syn.institutions.length);
      const federal = byEntity.groups.find((g) => g.group === 'Federal')!;
      expect(federal.nOther, 'no institution was added to Federal').to.be.at.most(federal.nBase);
    });

    it('identical samples: the panel change equals the whole-sample change and nothing is warned', () => {
      const m = loadBuiltinMethodology('mga-2017');
      const values = [{ TG: 0.5, TC: 0.4, PG: 0.2, PC: 0.3 }, { TG: 0.7, TC: 0.6, PG: 0.4, PC: 0.5 }];
      const institutions = [{ key: 'a', entity: 'Jalisco', type: 'Legislativo', level: 'Estatal' }, { key: 'b', entity: 'Jalisco', type: 'Judicial', level: 'Estatal' }];
      const b: PanelSide = { edition: '2017', institutions, scores: scoreInstitutions(m, values) };
      const o: PanelSide = { edition: '2019', institutions, scores: scoreInstitutions(m, values.map((v) => ({ ...v, TG: v.TG + 0.1 }))) };
      const g = panelComparison(b, o, [{ base: 'a', other: 'a' }, { base: 'b', other: 'b' }], 'entity', ['GA', 'TG']).groups[0]!;
      expect(g).to.include({ group: 'Jalisco', nBase: 2, nOther: 2, nMatched: 2 });
      expect(g.nodes.TG!.deltaMatched).to.be.closeTo(0.1, 1e-12);
      expect(g.nodes.TG!.deltaAll).to.be.closeTo(0.1, 1e-12);
      expect(g.nodes.GA!.deltaMatched).to.be.closeTo(0.025, 1e-12);
      expect(g.warnings).to.deep.equal([]);
      const none = panelComparison(b, o, [], 'national', ['GA']).groups[0]!;
      expect(none.nodes.GA!.deltaMatched).to.equal(null);
      expect(none.warnings.map((w) => w.kind)).to.deep.equal(['no-overlap']);
    });
  });
});
