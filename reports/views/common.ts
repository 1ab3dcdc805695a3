/**
 * What every report's HTML view shares: the handlebars templates (./templates, partials registered
 * from ./templates/partials), the page layout, and the view pieces (cells, tables, charts, key
 * figures) that the per-report views in this folder fill with printed numbers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { PublishedWarning } from '../../scoring/published.js';
import type { PdfFooterInfo } from '../browser.js';
import { chartHtml, type ChartImage } from '../charts.js';
import type { GroupRow, ImprovementGap, NodeInfo, NodeValues, RankInfo, ReportMeta } from '../models/common.js';
import type { ItemImprovement } from '../models/institution.js';
import { formatCount, formatDateTime, formatDelta, formatScore, formatWeight, NOT_AVAILABLE } from '../format.js';

// ───────────────────────────── templates ─────────────────────────────

const TEMPLATE_DIR = fileURLToPath(new URL('../templates/', import.meta.url));
const KEEP_TOGETHER_ROWS = 12;
/** Titles longer than this (some institution names pass 170 characters) get a smaller heading. */
const LONG_TITLE = 70;

interface Templates {
  css: string;
  layout: HandlebarsTemplateDelegate;
  /** Report bodies by file name without ".hbs" ("national", "entity", "institution"), compiled on first use. */
  bodies: Map<string, HandlebarsTemplateDelegate>;
  hbs: typeof Handlebars;
}

let templates: Templates | undefined;

const read = (name: string): string => readFileSync(`${TEMPLATE_DIR}${name}`, 'utf-8');

/** Compiled once per process; an isolated handlebars instance so the server's view engine is untouched. */
function loadTemplates(): Templates {
  if (templates) return templates;
  const hbs = Handlebars.create();
  // Short tables move to the next page whole instead of leaving one row behind.
  hbs.registerHelper('keepTogether', (rows: unknown) => Array.isArray(rows) && rows.length <= KEEP_TOGETHER_ROWS);
  for (const file of readdirSync(`${TEMPLATE_DIR}partials`)) {
    if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), read(`partials/${file}`));
  }
  templates = { css: read('report.css'), layout: hbs.compile(read('layout.hbs'), { strict: false, noEscape: false }), bodies: new Map(), hbs };
  return templates;
}

/** A report body template (templates/<name>.hbs) filled with its view. */
export function renderBody(name: string, view: object): string {
  const t = loadTemplates();
  let body = t.bodies.get(name);
  if (!body) t.bodies.set(name, (body = t.hbs.compile(read(`${name}.hbs`), { strict: false, noEscape: false })));
  return body(view);
}

// ───────────────────────────── view pieces ─────────────────────────────

export interface Cell {
  text: string;
  className?: string;
}
export interface Column {
  label: string;
  className?: string;
  width?: string;
}
export interface Row {
  cells: Cell[];
  className?: string;
}
export interface TableView {
  caption?: string;
  className?: string;
  columns: Column[];
  rows: Row[];
  note?: string;
}
export interface ChartView {
  html: string;
  caption?: string;
}
export interface Kpi {
  label: string;
  value: string;
  sub?: string;
}

export const text = (value: string, className?: string): Cell => ({ text: value, ...(className && { className }) });
export const score = (value: number | null | undefined, decimals = 2): Cell => ({ text: formatScore(value, decimals), className: 'num' });
export const delta = (value: number | null | undefined): Cell => ({ text: formatDelta(value), className: 'num' });
export const count = (value: number | null | undefined): Cell => ({ text: formatCount(value), className: 'num' });
export const rankCell = (value: number | null): Cell => ({ text: value === null ? NOT_AVAILABLE : formatCount(value), className: 'rank' });
export const numColumn = (label: string): Column => ({ label, className: 'num' });

export function rankText(rank: RankInfo): string {
  return rank.rank === null ? NOT_AVAILABLE : `${formatCount(rank.rank)} de ${formatCount(rank.of)}`;
}

/** A rank as a key figure: the place large, "of N" in the small line so it fits the box. */
export function rankKpi(label: string, rank: RankInfo, sub: string): Kpi {
  return { label, value: rank.rank === null ? NOT_AVAILABLE : formatCount(rank.rank), sub: `de ${formatCount(rank.of)} · ${sub}` };
}

/** Chart labels stay on one line: long institution names are cut with an ellipsis. */
export function shortLabel(label: string, max = 46): string {
  return label.length <= max ? label : `${label.slice(0, max - 1).trimEnd()}…`;
}

export class ChartSequence {
  private next = 1;
  view(image: ChartImage, caption?: string): ChartView {
    return { html: chartHtml(image, `chart${this.next++}`), ...(caption && { caption }) };
  }
}

export function difference(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : a - b;
}

export function footerInfo(meta: ReportMeta): PdfFooterInfo {
  return {
    generatedAt: meta.generatedAt,
    methodology: { id: meta.methodology.id, version: meta.methodology.version, hash: meta.methodology.hash },
    sources: meta.footerSources,
    ...(meta.timeZone && { timeZone: meta.timeZone }),
  };
}

export function page(meta: ReportMeta, kicker: string, body: string): string {
  const t = loadTemplates();
  return t.layout({ meta, kicker, css: t.css, body, generatedAt: formatDateTime(meta.generatedAt, meta.timeZone), longTitle: meta.title.length > LONG_TITLE });
}

/** The node columns of a group table: the code of every summary node. */
export function groupTable(rows: readonly GroupRow[], nodes: readonly NodeInfo[], firstColumn: string, options: { total?: { name: string; n: number; values: NodeValues }; caption?: string } = {}): TableView {
  return {
    ...(options.caption && { caption: options.caption }),
    columns: [{ label: 'Lugar', className: 'rank' }, { label: firstColumn }, numColumn('n'), ...nodes.map((n) => numColumn(n.code))],
    rows: [
      ...rows.map((r) => ({ cells: [rankCell(r.rank), text(r.name), count(r.n), ...nodes.map((n) => score(r.values[n.id]))] })),
      ...(options.total
        ? [{ className: 'total', cells: [text(''), text(options.total.name), count(options.total.n), ...nodes.map((n) => score(options.total!.values[n.id]))] }]
        : []),
    ],
  };
}

export function gapTable(gaps: readonly ImprovementGap[], valueLabel: string, indexCode: string): TableView {
  return {
    columns: [
      { label: 'Lugar', className: 'rank' },
      { label: 'Componente', width: '40%' },
      numColumn(`Peso en el ${indexCode}`),
      numColumn(valueLabel),
      numColumn('Brecha'),
      numColumn(`${indexCode} con el componente en 1`),
    ],
    rows: gaps.map((g) => ({
      cells: [rankCell(g.rank), text(g.label), text(formatWeight(g.weightInIndex), 'num'), score(g.value), score(g.gap, 3), score(g.potentialIndex)],
    })),
    note: `Brecha = peso en el ${indexCode} × (1 − valor): lo que el ${indexCode} subiría si el componente llegara a 1.`,
  };
}

export function itemGapTable(items: readonly ItemImprovement[], indexCode: string): TableView {
  return {
    caption: 'Preguntas de su cuestionario que más elevarían su índice',
    columns: [{ label: 'Lugar', className: 'rank' }, { label: 'Pregunta', width: '50%' }, { label: 'Componente' }, numColumn('Puntaje'), numColumn(`Sube el ${indexCode}`)],
    rows: items.map((i) => ({ cells: [rankCell(i.rank), text(i.label), text(i.variableLabel), score(i.score), score(i.gain, 3)] })),
    note: `Lo que subiría el ${indexCode} si esa respuesta obtuviera el puntaje completo: su peso en el componente × el peso del componente en el ${indexCode} × (1 − puntaje).`,
  };
}

export function warningsTable(warnings: readonly PublishedWarning[], codeOf: (id: string) => string): TableView | undefined {
  const inconsistent = warnings.filter((w) => w.kind === 'inconsistent');
  if (inconsistent.length === 0) return undefined;
  return {
    caption: 'Advertencias de consistencia de las cifras publicadas (tolerancia de redondeo ±0.01)',
    columns: [{ label: 'Edición' }, { label: 'Grupo' }, { label: 'Medida' }, numColumn('Publicado'), numColumn('Implícito'), { label: 'Relación' }],
    rows: inconsistent.map((w) => ({
      cells: [text(w.edition), text(w.group), text(codeOf(w.measure), 'strong'), score(w.published), score(w.implied, 3), text(w.relation, 'formula')],
    })),
    note: 'Cada medida de una relación que no se cumple se muestra con el valor que implican las demás; los datos no indican cuál es la errónea. Las cifras publicadas se conservan sin corregir.',
  };
}

export function legend(nodes: readonly NodeInfo[]): { code: string; name: string }[] {
  return nodes.map((n) => ({ code: n.code, name: n.name }));
}
