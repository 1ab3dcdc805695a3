import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import {
  groupKey,
  parsePublishedAggregates,
  PUBLISHED_TOLERANCE,
  publishedFigure,
  publishedValues,
} from '../../scoring/published.js';
import { REPO_ROOT } from './helpers.js';

const m = loadBuiltinMethodology('mga-2017');
const HEADER = 'edition,scope,group,measure,value,source,note';
const csv = (...lines: string[]) => [HEADER, ...lines].join('\n') + '\n';

describe('published aggregates', () => {
  describe('the shipped national_results.csv', () => {
    let text: string;
    before(async () => {
      text = await readFile(join(REPO_ROOT, 'data/published/national_results.csv'), 'utf-8');
    });

    it('parses every row into edition → group → measure with value, source and note', () => {
      const { data, errors } = parsePublishedAggregates(text, { methodology: m });
      expect(errors).to.deep.equal([]);
      expect(Object.keys(data.editions)).to.deep.equal(['2017', '2019', '2021', '2023']);
      // The 4th edition (INAI and El Colegio de México) published IGA, T and P only.
      expect(publishedValues(data, '2023', 'national', 'Nacional')).to.deep.equal({ GA: 0.46, T: 0.6, P: 0.32 });
      expect(publishedValues(data, '2017', 'national', 'Nacional')).to.deep.equal({ GA: 0.39, T: 0.5, P: 0.28, TG: 0.46, TC: 0.54, PG: 0.23, PC: 0.32 });
      expect(publishedValues(data, '2021', 'national', 'Nacional')).to.deep.equal({ GA: 0.48, T: 0.61, P: 0.35 });
      const ga2017 = publishedFigure(data, '2017', 'national', 'Nacional', 'GA')!;
      expect(ga2017).to.include({ value: 0.39, source: 'INAI Resumen Ejecutivo MGA 2017 p.14', note: '', row: 2 });
      expect(publishedFigure(data, '2019', 'national', 'Nacional', 'PG')!.note).to.match(/inconsistent/);
      expect(publishedFigure(data, '2021', 'entity', 'Ciudad de México', 'GA')!.value).to.equal(0.55);
      expect(Object.keys(data.editions['2021']!.groups)).to.include(groupKey('entity', 'Querétaro'));
      expect(data.sources).to.have.length(8);
      // The 2021 transparency top figures, without Sinaloa's garbled 0.79.
      expect(Object.keys(data.editions['2021']!.groups).filter((k) => k.startsWith('entity/') && data.editions['2021']!.groups[k]!.measures.T).sort()).to.deep.equal(
        ['entity/Aguascalientes', 'entity/Guanajuato', 'entity/Jalisco', 'entity/San Luis Potosí'],
      );
      expect(publishedFigure(data, '2021', 'entity', 'Sinaloa', 'T')).to.equal(undefined);
    });

    it('keeps the place a source states in words (rank column), and only that', () => {
      const { data } = parsePublishedAggregates(text, { methodology: m });
      expect(publishedFigure(data, '2021', 'entity', 'Guanajuato', 'GA')!.rank).to.equal(1);
      expect(publishedFigure(data, '2021', 'entity', 'Guanajuato', 'P')!.rank).to.equal(1);
      expect(publishedFigure(data, '2021', 'entity', 'Guanajuato', 'T')!.rank).to.equal(1);
      expect(publishedFigure(data, '2021', 'entity', 'Guerrero', 'GA')!.rank).to.equal('last');
      // Not derived from the values: the source lists Federal second but does not say "second".
      expect(publishedFigure(data, '2021', 'entity', 'Federal', 'GA')!.rank).to.equal(undefined);
    });

    it('rejects a rank that is neither a place nor "last", naming row and column', () => {
      const { errors, data } = parsePublishedAggregates(`${HEADER},rank\n2021,entity,Oaxaca,GA,0.37,s,,penultimate\n2021,entity,Chiapas,GA,0.38,s,,0\n2021,entity,Jalisco,GA,0.5,s,,3\n`, { methodology: m });
      expect(errors.map((e) => [e.row, e.column])).to.deep.equal([[2, 'rank'], [3, 'rank']]);
      expect(publishedFigure(data, '2021', 'entity', 'Jalisco', 'GA')!.rank).to.equal(3);
      expect(publishedFigure(data, '2021', 'entity', 'Oaxaca', 'GA')).to.equal(undefined);
    });

    it('flags the 2019 PG: P = (PG + PC)/2 fails, and PG would be 0.24', () => {
      const { warnings, data } = parsePublishedAggregates(text, { methodology: m });
      const inconsistent = warnings.filter((w) => w.kind === 'inconsistent');
      expect(inconsistent.filter((w) => w.edition === '2019').every((w) => w.group === 'Nacional')).to.equal(true);
      const pg = inconsistent.find((w) => w.measure === 'PG');
      expect(pg, 'a warning on the 2019 PG').to.exist;
      expect(pg!.published).to.equal(0.19);
      expect(pg!.implied).to.be.closeTo(0.24, 1e-9);
      expect(pg!.relation).to.equal('P = 0.5·PG + 0.5·PC');
      expect(pg!.message.es).to.match(/PG publicado 0\.19/);
      expect(pg!.message.en).to.match(/published PG 0\.19/);
      const p = inconsistent.find((w) => w.measure === 'P')!;
      expect(p.published).to.equal(0.41);
      expect(p.implied).to.be.closeTo(0.385, 1e-9);
      // Warnings never correct the published figure.
      expect(publishedFigure(data, '2019', 'national', 'Nacional', 'PG')!.value).to.equal(0.19);
    });

    it('accepts 2017, the 2021 national figures and 2023 within rounding; flags Guanajuato 2021 (IGA 0.65 against T 0.73 and P 0.62)', () => {
      const { warnings, data } = parsePublishedAggregates(text, { methodology: m });
      expect(warnings.filter((w) => w.edition !== '2019' && w.group !== 'Guanajuato')).to.deep.equal([]);
      const gto = warnings.filter((w) => w.group === 'Guanajuato');
      expect(gto.map((w) => w.measure).sort()).to.deep.equal(['GA', 'P', 'T']);
      expect(gto.find((w) => w.measure === 'GA')!.implied).to.be.closeTo(0.675, 1e-9);
      expect(publishedFigure(data, '2021', 'entity', 'Guanajuato', 'GA')!.value).to.equal(0.65);
    });
  });

  describe('consistency checks', () => {
    it('allows ±0.01 between a figure and the value its published children imply', () => {
      // P = (0.23 + 0.32)/2 = 0.275: 0.28 and 0.27 are roundings; GA = (0.5 + 0.28)/2 = 0.39.
      const ok = parsePublishedAggregates(csv('2017,national,Nacional,P,0.285,s,', '2017,national,Nacional,PG,0.23,s,', '2017,national,Nacional,PC,0.32,s,'), { methodology: m });
      expect(ok.warnings).to.deep.equal([]);
      const bad = parsePublishedAggregates(csv('2017,national,Nacional,P,0.29,s,', '2017,national,Nacional,PG,0.23,s,', '2017,national,Nacional,PC,0.32,s,'), { methodology: m });
      expect(bad.warnings.map((w) => w.measure).sort()).to.deep.equal(['P', 'PC', 'PG']);
      expect(PUBLISHED_TOLERANCE).to.equal(0.01);
    });

    it('checks equivalent paths too, through nodes computed from published figures', () => {
      // GA against the mean of the four sub-indices (0.3875) and of the perspectives, not only against T and P.
      const { warnings } = parsePublishedAggregates(
        csv('x,national,Nacional,GA,0.45,s,', 'x,national,Nacional,TG,0.46,s,', 'x,national,Nacional,TC,0.54,s,', 'x,national,Nacional,PG,0.23,s,', 'x,national,Nacional,PC,0.32,s,'),
        { methodology: m },
      );
      const paths = new Set(warnings.filter((w) => w.measure === 'GA').map((w) => w.relation));
      expect(paths).to.include('GA = 0.25·TG + 0.25·TC + 0.25·PG + 0.25·PC');
      expect(paths).to.include('GA = 0.5·T + 0.5·P');
    });

    it('marks measures that are not nodes of the methodology as unchecked', () => {
      const { warnings, data, errors } = parsePublishedAggregates(csv('2017,national,Nacional,n,0.9,s,'), { methodology: m });
      expect(errors).to.deep.equal([]);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include({ kind: 'unchecked', measure: 'n' });
      expect(publishedFigure(data, '2017', 'national', 'Nacional', 'n')!.value).to.equal(0.9);
    });
  });

  describe('parse errors', () => {
    it('names row, column and reason, and leaves the bad rows out', () => {
      const { errors, data } = parsePublishedAggregates(
        csv(
          '2017,national,Nacional,GA,abc,s,',
          '2017,galaxy,Nacional,GA,0.3,s,',
          '2017,entity,Atlantis,GA,0.3,s,',
          '2017,national,Nacional,T,1.5,s,',
          '2017,national,Nacional,P,0.3,,',
          '2017,national,Nacional,TG,0,s,',
          '2017,national,Nacional,TG,0.1,s,',
          '2017,national,Nacional,PG,"0,5",s,',
        ),
        { methodology: m },
      );
      const byRow = Object.fromEntries(errors.map((e) => [e.row, e]));
      expect(byRow[2]).to.include({ column: 'value', value: 'abc' });
      expect(byRow[2]!.reason).to.match(/not a number/);
      expect(byRow[3]).to.include({ column: 'scope', value: 'galaxy' });
      expect(byRow[4]).to.include({ column: 'group', value: 'Atlantis' });
      expect(byRow[4]!.reason).to.match(/unknown entity/);
      expect(byRow[5]).to.include({ column: 'value' });
      expect(byRow[5]!.reason).to.match(/outside \[0, 1\]/);
      expect(byRow[6]).to.include({ column: 'source' });
      expect(byRow[8]).to.include({ column: 'measure' });
      expect(byRow[8]!.reason).to.match(/duplicate figure.*row 7/);
      expect(byRow[9]).to.include({ column: 'value', value: '0,5' });
      expect(publishedValues(data, '2017', 'national', 'Nacional')).to.deep.equal({ TG: 0 });
    });

    it('reports missing columns on the header row and accepts entity aliases', () => {
      const missing = parsePublishedAggregates('edition,scope,group,value,source\n2017,national,Nacional,0.3,s\n', { methodology: m });
      expect(missing.errors).to.deep.equal([{ row: 1, column: 'measure', value: null, reason: 'missing required column "measure"' }]);
      const alias = parsePublishedAggregates(csv('2021,entity,CDMX,GA,0.55,s,', '2021,entity,nuevo leon,GA,0.5,s,'), { methodology: m });
      expect(alias.errors).to.deep.equal([]);
      expect(Object.keys(alias.data.editions['2021']!.groups)).to.deep.equal(['entity/Ciudad de México', 'entity/Nuevo León']);
    });

    it('rejects an empty file', () => {
      expect(parsePublishedAggregates('', { methodology: m }).errors[0]!.reason).to.match(/empty file/);
    });
  });
});
