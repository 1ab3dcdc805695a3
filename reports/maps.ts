/**
 * Choropleth maps of the 32 entidades federativas, drawn on the server as SVG text (no tiles, no
 * network, no script): geometry from @svg-maps/mexico (CC BY 4.0, see data/README.md), classes by
 * Ckmeans (simple-statistics: optimal 1-D "natural breaks"), ColorBrewer "Blues" colours, the federal
 * institutions ("Federal") in a box beside the map, and a legend with the class breaks.
 *
 * Every shape carries its entity's name and value as `<title>` and `aria-label`; pages and reports
 * print the ranked table next to the map as its accessible alternative.
 */
import mexico from '@svg-maps/mexico';
import { ckmeans } from 'simple-statistics';
import { ENTITIES, FEDERAL_ENTITY_NAME } from '../scoring/catalogue.js';
import { formatCount, formatScore, NOT_AVAILABLE } from './format.js';

interface SvgMapLocation {
  id: string;
  name: string;
  path: string;
}
interface SvgMap {
  viewBox: string;
  locations: SvgMapLocation[];
}

/** Printed under every map (CC BY 4.0 asks for the attribution). */
export const MAP_ATTRIBUTION = 'Geometría: @svg-maps/mexico (Victor Cazanave, a partir de MapSVG), licencia CC BY 4.0.';

/** @svg-maps/mexico location id → INEGI code of the catalogue. */
const LOCATION_CODES: Readonly<Record<string, string>> = {
  agu: '01', bcn: '02', bcs: '03', cam: '04', coa: '05', col: '06', chp: '07', chh: '08', cmx: '09', dur: '10', gua: '11',
  gro: '12', hid: '13', jal: '14', mex: '15', mic: '16', mor: '17', nay: '18', nle: '19', oax: '20', pue: '21', que: '22',
  roo: '23', slp: '24', sin: '25', son: '26', tab: '27', tam: '28', tla: '29', ver: '30', yuc: '31', zac: '32',
};

export interface MapShape {
  code: string;
  /** Catalogue name ("Ciudad de México"). */
  entity: string;
  path: string;
}

let shapes: MapShape[] | undefined;

/** The 32 state shapes with their catalogue names; throws if the geometry package lacks one. */
export function mapShapes(): MapShape[] {
  if (shapes) return shapes;
  const geometry = mexico as unknown as SvgMap;
  const byCode = new Map(ENTITIES.map((e) => [e.code, e.name]));
  const found = geometry.locations.map((l): MapShape => {
    const code = LOCATION_CODES[l.id];
    if (!code) throw new Error(`map geometry: unknown location "${l.id}" (${l.name})`);
    return { code, entity: byCode.get(code)!, path: l.path };
  });
  const missing = ENTITIES.filter((e) => e.name !== FEDERAL_ENTITY_NAME && !found.some((s) => s.code === e.code));
  if (missing.length > 0) throw new Error(`map geometry lacks ${missing.map((e) => e.name).join(', ')}`);
  shapes = found;
  return shapes;
}

/**
 * ColorBrewer "Blues" (Cynthia Brewer, colorbrewer2.org) for 1 to 5 classes, light to dark; taken
 * from its larger schemes without the near-white step, so the lightest class stands out from the page.
 */
const BLUES: readonly (readonly string[])[] = [
  ['#6baed6'],
  ['#9ecae1', '#2171b5'],
  ['#c6dbef', '#6baed6', '#2171b5'],
  ['#c6dbef', '#9ecae1', '#4292c6', '#08519c'],
  ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'],
];
const MISSING_FILL = '#e3e3e3';
const MAX_CLASSES = 5;

export interface MapClass {
  /** Lowest and highest value in the class. */
  from: number;
  to: number;
  colour: string;
  /** Entities in the class (Federal included). */
  count: number;
}

export interface ChoroplethInput {
  /** Accessible name of the map, e.g. "IGA 2017 por entidad federativa". */
  title: string;
  /** The measure's short name for the labels ("IGA"). */
  measure: string;
  /** Catalogue entity name (the 32 states and "Federal") → value; absent or null = «sin dato». */
  values: Readonly<Record<string, number | null | undefined>>;
  /** Makes the SVG's ids unique when a document holds several maps. */
  idPrefix?: string;
}

export interface ChoroplethMap {
  svg: string;
  title: string;
  classes: MapClass[];
  /** Entities without a value, in catalogue order. */
  missing: string[];
}

/** Ckmeans classes: as many as the values allow, up to five (two values per class at least). */
export function classBreaks(values: readonly number[]): MapClass[] {
  if (values.length === 0) return [];
  const distinct = new Set(values).size;
  const k = Math.max(1, Math.min(MAX_CLASSES, distinct, Math.ceil(values.length / 2)));
  const clusters = ckmeans([...values], k);
  const colours = BLUES[clusters.length - 1]!;
  return clusters.map((c, i) => ({ from: c[0]!, to: c.at(-1)!, colour: colours[i]!, count: c.length }));
}

/** Two decimals, or three when two would print one class's end equal to the next class's start. */
export function legendDecimals(classes: readonly MapClass[]): number {
  const clash = classes.some((c, i) => i > 0 && formatScore(classes[i - 1]!.to) === formatScore(c.from));
  return clash ? 3 : 2;
}

function classOf(classes: readonly MapClass[], value: number): MapClass {
  return classes.find((c) => value >= c.from && value <= c.to) ?? classes.reduce((best, c) => (Math.abs(c.from - value) < Math.abs(best.from - value) ? c : best));
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

const WIDTH = 1000;
const HEIGHT = 498;
const PANEL_X = 800;

/** The choropleth as standalone SVG markup (to inline in a page or a PDF). */
export function choroplethMap(input: ChoroplethInput): ChoroplethMap {
  const prefix = (input.idPrefix ?? 'mapa').replace(/[^A-Za-z0-9_-]/g, '_');
  const valueOf = (entity: string): number | null => {
    const v = input.values[entity];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const present = ENTITIES.map((e) => valueOf(e.name)).filter((v): v is number => v !== null);
  const classes = classBreaks(present);
  const fill = (v: number | null) => (v === null ? `url(#${prefix}-sin-dato)` : classOf(classes, v).colour);
  const label = (entity: string, v: number | null) => `${entity}: ${input.measure} ${v === null ? NOT_AVAILABLE : formatScore(v)}`;
  const shape = (entity: string, d: string, v: number | null) => {
    const text = escapeXml(label(entity, v));
    return `<path d="${d}" fill="${fill(v)}" stroke="#fff" stroke-width="0.8" role="img" aria-label="${text}"><title>${text}</title></path>`;
  };

  const states = mapShapes().map((s) => shape(s.entity, s.path, valueOf(s.entity)));
  const federal = valueOf(FEDERAL_ENTITY_NAME);
  const federalText = escapeXml(label(FEDERAL_ENTITY_NAME, federal));
  const panel: string[] = [
    `<g role="img" aria-label="${federalText}"><title>${federalText}</title>`,
    `<rect x="${PANEL_X}" y="20" width="46" height="46" fill="${fill(federal)}" stroke="#1f4e79" stroke-width="1"/>`,
    `<text x="${PANEL_X + 54}" y="38" font-size="14" font-weight="bold">Federal</text>`,
    `<text x="${PANEL_X + 54}" y="58" font-size="13">${escapeXml(federal === null ? NOT_AVAILABLE : formatScore(federal))}</text></g>`,
    `<text x="${PANEL_X}" y="100" font-size="14" font-weight="bold">${escapeXml(input.measure)}</text>`,
  ];
  let y = 114;
  const decimals = legendDecimals(classes);
  for (const c of [...classes].reverse()) {
    const range = c.from === c.to ? formatScore(c.from, decimals) : `${formatScore(c.from, decimals)} – ${formatScore(c.to, decimals)}`;
    panel.push(`<rect x="${PANEL_X}" y="${y}" width="26" height="18" fill="${c.colour}" stroke="#8a9bb0" stroke-width="0.6"/>`);
    panel.push(`<text x="${PANEL_X + 34}" y="${y + 14}" font-size="13">${range} (${formatCount(c.count)})</text>`);
    y += 26;
  }
  const missing = ENTITIES.filter((e) => valueOf(e.name) === null).map((e) => e.name);
  if (missing.length > 0) {
    panel.push(`<rect x="${PANEL_X}" y="${y}" width="26" height="18" fill="url(#${prefix}-sin-dato)" stroke="#8a9bb0" stroke-width="0.6"/>`);
    panel.push(`<text x="${PANEL_X + 34}" y="${y + 14}" font-size="13">${NOT_AVAILABLE} (${formatCount(missing.length)})</text>`);
  }
  const title = escapeXml(input.title);
  const svg =
    `<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="group" aria-labelledby="${prefix}-titulo" font-family="DejaVu Sans, sans-serif" fill="#222">` +
    `<title id="${prefix}-titulo">${title}</title>` +
    `<defs><pattern id="${prefix}-sin-dato" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${MISSING_FILL}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b5b5b5" stroke-width="1.5"/></pattern></defs>` +
    `<g>${states.join('')}</g>${panel.join('')}</svg>`;
  return { svg, title: input.title, classes, missing };
}
