import { expect } from 'chai';
import { compareEditions, rankDescending, type EditionValues } from '../../scoring/comparison.js';

const national = (edition: string, values: Record<string, number | null>, n?: number): EditionValues => ({ edition, groups: { Nacional: { values, ...(n !== undefined && { n }) } } });

describe('comparison of editions', () => {
  describe('rankDescending', () => {
    it('ranks highest first, ties share a rank and the next one skips; nulls stay null', () => {
      expect(rankDescending([0.3, 0.5, null, 0.4, 0.4])).to.deep.equal([4, 1, null, 2, 2]);
      expect(rankDescending([])).to.deep.equal([]);
    });
    it('can rank on values rounded half-up, as published figures tie', () => {
      expect(rankDescending([0.554, 0.546, 0.5])).to.deep.equal([1, 2, 3]);
      expect(rankDescending([0.554, 0.546, 0.5], 2)).to.deep.equal([1, 1, 3]);
    });
  });

  it('gives values, consecutive deltas and deltas against the first edition', () => {
    const c = compareEditions([national('2017', { GA: 0.39, T: 0.5 }, 908), national('2019', { GA: 0.52, T: 0.64 }), national('2021', { GA: 0.48, T: 0.61 })]);
    expect(c.editions).to.deep.equal(['2017', '2019', '2021']);
    expect(c.nodes).to.deep.equal(['GA', 'T']);
    const ga = c.groups[0]!.nodes.GA!;
    expect(ga.values).to.deep.equal({ 2017: 0.39, 2019: 0.52, 2021: 0.48 });
    expect(ga.deltas.map((d) => [d.from, d.to])).to.deep.equal([['2017', '2019'], ['2019', '2021']]);
    expect(ga.deltas[0]!.delta).to.be.closeTo(0.13, 1e-12);
    expect(ga.deltas[1]!.delta).to.be.closeTo(-0.04, 1e-12);
    expect(ga.fromFirst.map((d) => [d.from, d.to])).to.deep.equal([['2017', '2019'], ['2017', '2021']]);
    expect(ga.fromFirst[1]!.delta).to.be.closeTo(0.09, 1e-12);
    expect(ga.missing).to.deep.equal([]);
    expect(c.groups[0]!.n).to.deep.equal({ 2017: 908, 2019: null, 2021: null });
  });

  it('reports nodes missing in an edition as null and in `missing`, never as zero', () => {
    const c = compareEditions([national('2017', { GA: 0.39, TG: 0.46, PG: 0.23 }), national('2019', { GA: 0.52, TG: 0.72, PG: null }), national('2021', { GA: 0.48 })]);
    const tg = c.groups[0]!.nodes.TG!;
    expect(tg.values).to.deep.equal({ 2017: 0.46, 2019: 0.72, 2021: null });
    expect(tg.missing).to.deep.equal(['2021']);
    expect(tg.present).to.deep.equal(['2017', '2019']);
    expect(tg.deltas).to.have.length(1);
    expect(tg.ranks['2021']).to.equal(null);
    // Present in one edition only: no deltas at all.
    const pg = c.groups[0]!.nodes.PG!;
    expect(pg.values['2019']).to.equal(null);
    expect(pg.missing).to.deep.equal(['2019', '2021']);
    expect(pg.deltas).to.deep.equal([]);
    expect(pg.fromFirst).to.deep.equal([]);
  });

  it('bridges a missing middle edition between the editions that have the node', () => {
    const c = compareEditions([national('2017', { P: 0.28 }), national('2019', {}), national('2021', { P: 0.35 })], { nodes: ['P'] });
    const p = c.groups[0]!.nodes.P!;
    expect(p.deltas.map((d) => [d.from, d.to])).to.deep.equal([['2017', '2021']]);
    expect(p.deltas[0]!.delta).to.be.closeTo(0.07, 1e-12);
    expect(p.missing).to.deep.equal(['2019']);
  });

  it('ranks the groups of each edition per node; a group absent from an edition is missing there', () => {
    const editions: EditionValues[] = [
      { edition: '2017', groups: { Jalisco: { n: 27, values: { GA: 0.45 } }, Guanajuato: { n: 27, values: { GA: 0.48 } }, Oaxaca: { n: 27, values: { GA: 0.33 } }, Colima: { values: { GA: 0.45 } } } },
      { edition: '2021', groups: { Guanajuato: { values: { GA: 0.65 } }, Oaxaca: { values: { GA: 0.37 } } } },
    ];
    const c = compareEditions(editions, { groups: ['Guanajuato', 'Jalisco', 'Oaxaca', 'Colima'] });
    const rank = (group: string, edition: string) => c.groups.find((g) => g.group === group)!.nodes.GA!.ranks[edition];
    expect(rank('Guanajuato', '2017')).to.equal(1);
    expect(rank('Jalisco', '2017')).to.equal(2);
    expect(rank('Colima', '2017')).to.equal(2);
    expect(rank('Oaxaca', '2017')).to.equal(4);
    expect(rank('Oaxaca', '2021')).to.equal(2);
    expect(rank('Jalisco', '2021')).to.equal(null);
    expect(c.rankedCount).to.deep.equal({ 2017: { GA: 4 }, 2021: { GA: 2 } });
    const jalisco = c.groups.find((g) => g.group === 'Jalisco')!;
    expect(jalisco.nodes.GA!.missing).to.deep.equal(['2021']);
    expect(jalisco.n).to.deep.equal({ 2017: 27, 2021: null });
    expect(jalisco.nodes.GA!.deltas).to.deep.equal([]);
  });

  it('refuses the same edition twice', () => {
    expect(() => compareEditions([national('2017', {}), national('2017', {})])).to.throw(/duplicate edition/);
  });
});
