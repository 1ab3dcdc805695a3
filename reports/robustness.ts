/**
 * Robustness charts as plain SVG (the same markup in pages and PDFs, no script): the rank-interval
 * chart of an uncertainty analysis, the bars of a sensitivity analysis and the correlation heat-map
 * of a coherence analysis, plus the Spanish lines that state each analysis's parameters.
 */
import type { CoherenceResult } from '../scoring/analysis/coherence.js';
import type { AnalysisParameters } from '../scoring/analysis/parameters.js';
import type { SensitivityResult } from '../scoring/analysis/sensitivity.js';
import type { UncertaintyResult } from '../scoring/analysis/uncertainty.js';

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (value: number, digits = 2) => value.toLocaleString('es-MX', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

/** Rank intervals: per group, a bar from the 5th to the 95th percentile rank, a dot at the median, a diamond at the nominal rank. */
export function rankIntervalSvg(result: UncertaintyResult, title: string): string {
  const groups = result.groups;
  const maxRank = Math.max(...groups.map((g) => Math.max(g.p95Rank, g.nominalRank)), 2);
  const rowHeight = 16;
  const left = 170;
  const width = 640;
  const plot = width - left - 20;
  const top = 34;
  const height = top + groups.length * rowHeight + 36;
  const x = (rank: number) => left + ((rank - 1) / (maxRank - 1)) * plot;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" ${FONT} font-size="11">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<text x="${left}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>`);
  const ticks = maxRank <= 12 ? Array.from({ length: maxRank }, (_, i) => i + 1) : [1, ...[0.25, 0.5, 0.75].map((f) => Math.round(1 + f * (maxRank - 1))), maxRank];
  for (const tick of ticks) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${top + groups.length * rowHeight}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${top + groups.length * rowHeight + 14}" text-anchor="middle" fill="#444">${tick}</text>`);
  }
  parts.push(`<text x="${left + plot / 2}" y="${height - 6}" text-anchor="middle" fill="#444">Lugar (1 = el más alto)</text>`);
  groups.forEach((g, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(g.group)}</text>`);
    parts.push(`<line x1="${x(g.p05Rank)}" y1="${y}" x2="${x(g.p95Rank)}" y2="${y}" stroke="#1f5f99" stroke-width="5" stroke-linecap="round" opacity="0.35"/>`);
    parts.push(`<circle cx="${x(g.medianRank)}" cy="${y}" r="3.5" fill="#1f5f99"><title>${esc(`${g.group}: lugar oficial ${g.nominalRank}, mediana ${g.medianRank}, entre ${g.p05Rank} y ${g.p95Rank}`)}</title></circle>`);
    const nx = x(g.nominalRank);
    parts.push(`<path d="M${nx} ${y - 5}L${nx + 5} ${y}L${nx} ${y + 5}L${nx - 5} ${y}Z" fill="none" stroke="#b3261e" stroke-width="1.5"/>`);
  });
  parts.push(`<g transform="translate(${left}, 24)"><path d="M0 -4L4 0L0 4L-4 0Z" fill="none" stroke="#b3261e" stroke-width="1.5"/><text x="8" y="4">lugar oficial</text>`);
  parts.push(`<circle cx="96" cy="0" r="3.5" fill="#1f5f99"/><text x="104" y="4">mediana</text>`);
  parts.push(`<line x1="170" y1="0" x2="196" y2="0" stroke="#1f5f99" stroke-width="5" opacity="0.35"/><text x="202" y="4">90 % de las corridas (percentiles 5 a 95)</text></g>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars of first- and total-order indices with their 95 % intervals. */
export function sensitivityBarsSvg(result: SensitivityResult, title: string, factorName: (factor: string) => string): string {
  const rows = result.factors;
  const left = 330;
  const width = 760;
  const plot = width - left - 30;
  const rowHeight = 34;
  const top = 40;
  const height = top + rows.length * rowHeight + 30;
  const x = (v: number) => left + Math.max(0, Math.min(1, v)) * plot;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" ${FONT} font-size="11">`);
  parts.push(`<title>${esc(title)}</title><text x="${left}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${left}" y="22" width="10" height="8" fill="#9cc3e6"/><text x="${left + 14}" y="30">efecto propio (primer orden)</text>`);
  parts.push(`<rect x="${left + 190}" y="22" width="10" height="8" fill="#1f5f99"/><text x="${left + 204}" y="30">efecto total (con interacciones)</text>`);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${top + rows.length * rowHeight}" stroke="#ddd"/><text x="${x(tick)}" y="${top + rows.length * rowHeight + 14}" text-anchor="middle" fill="#444">${num(tick)}</text>`);
  }
  rows.forEach((f, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end">${esc(factorName(f.factor))}</text>`);
    const bar = (value: number | null, interval: [number, number] | null, dy: number, fill: string) => {
      if (value === null) return `<text x="${left + 4}" y="${y + dy + 9}" fill="#444">sin variación</text>`;
      let out = `<rect x="${left}" y="${y + dy}" width="${Math.max(0, x(value) - left)}" height="11" fill="${fill}"/>`;
      if (interval) out += `<line x1="${x(interval[0])}" y1="${y + dy + 5.5}" x2="${x(interval[1])}" y2="${y + dy + 5.5}" stroke="#222"/>`;
      return out;
    };
    parts.push(bar(f.first, f.firstInterval, 4, '#9cc3e6'));
    parts.push(bar(f.total, f.totalInterval, 17, '#1f5f99'));
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Correlation heat-map (Pearson): blue positive, red negative, the value printed in each cell. */
export function correlationHeatmapSvg(result: CoherenceResult, title: string): string {
  const nodes = result.nodes;
  const cell = 44;
  const left = 70;
  const top = 60;
  const size = nodes.length * cell;
  const width = left + size + 10;
  const height = top + size + 10;
  const colour = (r: number) => {
    const a = Math.min(1, Math.abs(r));
    const [red, green, blue] = r >= 0 ? [31, 95, 153] : [179, 38, 30];
    const mix = (c: number) => Math.round(255 - (255 - c) * a);
    return `rgb(${mix(red)},${mix(green)},${mix(blue)})`;
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${Math.min(width, 640)}" role="img" aria-label="${esc(title)}" ${FONT} font-size="10">`);
  parts.push(`<title>${esc(title)}</title><text x="0" y="14" font-size="12" font-weight="bold">${esc(title)}</text>`);
  nodes.forEach((node, i) => {
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(node.id)}</text>`);
    parts.push(`<text x="${left + i * cell + cell / 2}" y="${top - 8}" text-anchor="middle">${esc(node.id)}</text>`);
  });
  result.pearson.forEach((row, i) =>
    row.forEach((r, j) => {
      const x0 = left + j * cell;
      const y0 = top + i * cell;
      if (r === null) {
        parts.push(`<rect x="${x0}" y="${y0}" width="${cell}" height="${cell}" fill="#f4f4f4" stroke="#fff"/>`);
        return;
      }
      parts.push(`<rect x="${x0}" y="${y0}" width="${cell}" height="${cell}" fill="${colour(r)}" stroke="#fff"><title>${esc(`${nodes[i]!.label.es} y ${nodes[j]!.label.es}: ${num(r)}`)}</title></rect>`);
      parts.push(`<text x="${x0 + cell / 2}" y="${y0 + cell / 2 + 4}" text-anchor="middle" fill="${Math.abs(r) > 0.55 ? '#fff' : '#222'}">${num(r)}</text>`);
    }),
  );
  parts.push('</svg>');
  return parts.join('');
}

const BY_ES: Record<string, string> = { entity: 'entidad federativa', type: 'tipo de sujeto obligado', level: 'nivel de gobierno', institution: 'sujeto obligado' };
const RULE_ES: Record<string, string> = { arithmetic: 'aritmético', geometric: 'geométrico', harmonic: 'armónico' };

/** The parameters of an analysis in plain Spanish, one line each, to print beside its result. */
export function parameterLines(p: AnalysisParameters): string[] {
  const lines: string[] = [];
  lines.push(`Metodología: ${p.methodology.id}, versión ${p.methodology.version}; huella ${p.methodology.hash.slice(0, 12)}…${p.methodology.derivedFrom ? ` (variante de ${p.methodology.derivedFrom.id} ${p.methodology.derivedFrom.version})` : ''}.`);
  if (p.variant) lines.push(`Variante aplicada: ${JSON.stringify(p.variant)}.`);
  lines.push(`Se ordena por ${BY_ES[p.by] ?? p.by}${p.target ? ` según ${p.target === 'GA' ? 'el Índice de Gobierno Abierto' : p.target}` : ''}.`);
  if (p.runs !== undefined) lines.push(`Corridas: ${p.runs.toLocaleString('es-MX')}; semilla ${p.seed}.`);
  if (p.weightsRange !== undefined) lines.push(`Cada peso se multiplica por un número al azar entre ${num(1 - p.weightsRange)} y ${num(1 + p.weightsRange)} (R = ${num(p.weightsRange)}) y los pesos de cada índice se reparten de nuevo para sumar 1.`);
  if (p.aggregations && p.aggregations.length > 0) lines.push(`Forma de promediar, sorteada en cada corrida: ${p.aggregations.map((r) => RULE_ES[r] ?? r).join(', ')}.`);
  if (p.leaveOneOut) lines.push('En cada corrida se puede dejar fuera un componente al azar (o ninguno).');
  if (p.bootstrap !== undefined) lines.push(`Intervalos de 95 % con ${p.bootstrap.toLocaleString('es-MX')} remuestreos.`);
  const when = new Date(p.date).toLocaleString('es-MX', { dateStyle: 'long', timeStyle: 'short', timeZone: 'America/Mexico_City' });
  lines.push(`Calculado el ${when}${when.endsWith('.') ? '' : '.'}`);
  return lines;
}
