import { expect } from 'chai';
import { chartHtml, groupedBarChart, rankedBarChart, referenceBarChart } from '../../reports/charts.js';
import { formatCount, formatDelta, formatScore, formatWeight, nodeCode, NOT_AVAILABLE } from '../../reports/format.js';

describe('report formatting (es-MX, half-up)', () => {
  it('prints scores with two decimals rounded half-up, and n.d. for missing values', () => {
    expect(formatScore(0.385)).to.equal('0.39');
    expect(formatScore(0.38868612334801766)).to.equal('0.39');
    expect(formatScore(0.125, 2)).to.equal('0.13');
    expect(formatScore(null)).to.equal(NOT_AVAILABLE);
    expect(formatScore(Number.NaN)).to.equal(NOT_AVAILABLE);
  });
  it('signs deltas with a true minus and never prints −0.00', () => {
    expect(formatDelta(0.13)).to.equal('+0.13');
    expect(formatDelta(-0.04)).to.equal('−0.04');
    expect(formatDelta(-0.001)).to.equal('0.00');
  });
  it('groups thousands with commas as es-MX does, and trims weights', () => {
    expect(formatCount(1243)).to.equal('1,243');
    expect(formatCount(908)).to.equal('908');
    expect(formatWeight(0.25)).to.equal('0.25');
    expect(formatWeight(0.5)).to.equal('0.5');
    expect(formatWeight(1)).to.equal('1');
  });
  it('takes the acronym of a label as the printed code', () => {
    expect(nodeCode({ id: 'GA', label: { es: 'Índice de Gobierno Abierto (IGA)', en: '' } })).to.equal('IGA');
    expect(nodeCode({ id: 'TG', label: { es: 'Transparencia desde la perspectiva gubernamental', en: '' } })).to.equal('TG');
  });
});

describe('charts (chart.js on @napi-rs/canvas)', () => {
  const categories = ['IGA', 'T', 'P'];
  it('draws a ranked bar chart as SVG with Spanish text and the reference line label', () => {
    const chart = rankedBarChart({
      title: 'IGA por entidad',
      seriesLabel: 'IGA',
      items: [{ label: 'Ciudad de México', value: 0.5051 }, { label: 'Querétaro', value: 0.27 }],
      reference: { label: 'Media nacional', value: 0.3887 },
    });
    const svg = chart.data.toString('utf-8');
    expect(chart.format).to.equal('svg');
    expect(svg).to.match(/<svg[^>]*width="680"/);
    expect(svg).to.include('Querétaro');
    expect(svg).to.include('Media nacional: 0.39');
    expect(svg).to.include('0.51');
    expect(svg).to.include('DejaVu Sans');
  });
  it('draws PNG for the workbook', () => {
    const png = groupedBarChart({ title: 't', categories, series: [{ label: '2017', values: [0.39, 0.5, 0.28] }, { label: '2021', values: [0.48, null, 0.35] }] }, { format: 'png' });
    expect(png.data.subarray(1, 4).toString('latin1')).to.equal('PNG');
    expect(png.width).to.equal(680);
  });
  it('makes element ids unique when several SVGs share a document', () => {
    const image = referenceBarChart({ title: 'a & b', categories, subject: { label: 'ASF', values: [0.5, 0.68, 0.33] }, references: [{ label: 'Nacional', values: [0.39, 0.5, 0.28] }] });
    const one = chartHtml(image, 'c1');
    const two = chartHtml(image, 'c2');
    const ids = (html: string) => [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(one).length).to.be.greaterThan(0);
    expect(ids(one).filter((id) => ids(two).includes(id))).to.deep.equal([]);
    expect(one).to.match(/^<svg class="chart" role="img" aria-label="a &amp; b" viewBox="0 0 680 280"/);
    expect(one).not.to.include('<?xml');
  });
});
