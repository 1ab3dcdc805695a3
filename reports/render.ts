/**
 * Report data → HTML (handlebars templates in ./templates) → PDF (the shared browser).
 *
 * Each report's data is turned into a view: every number already printed (half-up, es-MX) and every
 * chart already drawn, so the templates only lay things out and escape text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { Comparison } from '../scoring/comparison.js';
import type { PublishedWarning } from '../scoring/published.js';
import { renderPdf, type PdfFooterInfo, type RenderPdfOptions } from './browser.js';
import { chartHtml, groupedBarChart, rankedBarChart, referenceBarChart, type ChartImage } from './charts.js';
import type { GroupRow, ImprovementGap, NodeInfo, NodeValues, RankInfo, ReportMeta } from './models/common.js';
import type { EntityReportData } from './models/entity.js';
import type { FormulaView, InstitutionReportData, ItemImprovement } from './models/institution.js';
import type { NationalReportData } from './models/national.js';
import { formatCount, formatDateTime, formatDelta, formatScore, formatWeight, NOT_AVAILABLE } from './format.js';

export type ReportData = NationalReportData | EntityReportData | InstitutionReportData;

// ───────────────────────────── templates ─────────────────────────────

const TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));
const KEEP_TOGETHER_ROWS = 12;
/** Titles longer than this (some institution names pass 170 characters) get a smaller heading. */
const LONG_TITLE = 70;

interface Templates {
  css: string;
  layout: HandlebarsTemplateDelegate;
  national: HandlebarsTemplateDelegate;
  entity: HandlebarsTemplateDelegate;
  institution: HandlebarsTemplateDelegate;
}

let templates: Templates | undefined;

/** Compiled once per process; an isolated handlebars instance so the server's view engine is untouched. */
function loadTemplates(): Templates {
  if (templates) return templates;
  const hbs = Handlebars.create();
  // Short tables move to the next page whole instead of leaving one row behind.
  hbs.registerHelper('keepTogether', (rows: unknown) => Array.isArray(rows) && rows.length <= KEEP_TOGETHER_ROWS);
  const read = (name: string): string => readFileSync(`${TEMPLATE_DIR}${name}`, 'utf-8');
  for (const file of readdirSync(`${TEMPLATE_DIR}partials`)) {
    if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), read(`partials/${file}`));
  }
  const compile = (name: string) => hbs.compile(read(name), { strict: false, noEscape: false });
  templates = { css: read('report.css'), layout: compile('layout.hbs'), national: compile('national.hbs'), entity: compile('entity.hbs'), institution: compile('institution.hbs') };
  return templates;
}

// ───────────────────────────── view pieces ─────────────────────────────

interface Cell {
  text: string;
  className?: string;
}
interface Column {
  label: string;
  className?: string;
  width?: string;
}
interface Row {
  cells: Cell[];
  className?: string;
}
interface TableView {
  caption?: string;
  className?: string;
  columns: Column[];
  rows: Row[];
  note?: string;
}
interface ChartView {
  html: string;
  caption?: string;
}
interface Kpi {
  label: string;
  value: string;
  sub?: string;
}

const text = (value: string, className?: string): Cell => ({ text: value, ...(className && { className }) });
const score = (value: number | null | undefined, decimals = 2): Cell => ({ text: formatScore(value, decimals), className: 'num' });
const delta = (value: number | null | undefined): Cell => ({ text: formatDelta(value), className: 'num' });
const count = (value: number | null | undefined): Cell => ({ text: formatCount(value), className: 'num' });
const rankCell = (value: number | null): Cell => ({ text: value === null ? NOT_AVAILABLE : formatCount(value), className: 'rank' });
const numColumn = (label: string): Column => ({ label, className: 'num' });

function rankText(rank: RankInfo): string {
  return rank.rank === null ? NOT_AVAILABLE : `${formatCount(rank.rank)} de ${formatCount(rank.of)}`;
}

/** A rank as a key figure: the place large, "of N" in the small line so it fits the box. */
function rankKpi(label: string, rank: RankInfo, sub: string): Kpi {
  return { label, value: rank.rank === null ? NOT_AVAILABLE : formatCount(rank.rank), sub: `de ${formatCount(rank.of)} · ${sub}` };
}

/** Chart labels stay on one line: long institution names are cut with an ellipsis. */
function shortLabel(label: string, max = 46): string {
  return label.length <= max ? label : `${label.slice(0, max - 1).trimEnd()}…`;
}

class ChartSequence {
  private next = 1;
  view(image: ChartImage, caption?: string): ChartView {
    return { html: chartHtml(image, `chart${this.next++}`), ...(caption && { caption }) };
  }
}

function difference(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : a - b;
}

function footerInfo(meta: ReportMeta): PdfFooterInfo {
  return {
    generatedAt: meta.generatedAt,
    methodology: { id: meta.methodology.id, version: meta.methodology.version, hash: meta.methodology.hash },
    sources: meta.footerSources,
    ...(meta.timeZone && { timeZone: meta.timeZone }),
  };
}

function page(meta: ReportMeta, kicker: string, body: string): string {
  const t = loadTemplates();
  return t.layout({ meta, kicker, css: t.css, body, generatedAt: formatDateTime(meta.generatedAt, meta.timeZone), longTitle: meta.title.length > LONG_TITLE });
}

/** The node columns of a group table: the code of every summary node. */
function groupTable(rows: readonly GroupRow[], nodes: readonly NodeInfo[], firstColumn: string, options: { total?: { name: string; n: number; values: NodeValues }; caption?: string } = {}): TableView {
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

function gapTable(gaps: readonly ImprovementGap[], valueLabel: string, indexCode: string): TableView {
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
      cells: [rankCell(g.rank), text(`${g.name} (${g.code})`), text(formatWeight(g.weightInIndex), 'num'), score(g.value), score(g.gap, 3), score(g.potentialIndex)],
    })),
    note: `Brecha = peso en el ${indexCode} × (1 − valor): lo que el ${indexCode} subiría si el componente llegara a 1.`,
  };
}

function itemGapTable(items: readonly ItemImprovement[], indexCode: string): TableView {
  return {
    caption: 'Preguntas de su cuestionario que más elevarían su índice',
    columns: [{ label: 'Lugar', className: 'rank' }, { label: 'Pregunta', width: '50%' }, { label: 'Componente' }, numColumn('Puntaje'), numColumn(`Sube el ${indexCode}`)],
    rows: items.map((i) => ({ cells: [rankCell(i.rank), text(i.label), text(i.variableCode), score(i.score), score(i.gain, 3)] })),
    note: `Lo que subiría el ${indexCode} si esa respuesta obtuviera el puntaje completo: su peso en el componente × el peso del componente en el ${indexCode} × (1 − puntaje).`,
  };
}

function warningsTable(warnings: readonly PublishedWarning[], codeOf: (id: string) => string): TableView | undefined {
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

function legend(nodes: readonly NodeInfo[]): { code: string; name: string }[] {
  return nodes.map((n) => ({ code: n.code, name: n.name }));
}

// ───────────────────────────── national ─────────────────────────────

function deltaColumns(comparison: Comparison): { from: string; to: string }[] {
  const { editions } = comparison;
  const pairs = editions.slice(1).map((to, i) => ({ from: editions[i]!, to }));
  if (editions.length > 2) for (const to of editions.slice(2)) pairs.push({ from: editions[0]!, to });
  return pairs;
}

export function renderNationalReportHtml(data: NationalReportData): string {
  const charts = new ChartSequence();
  const { nodes, comparison, base } = data;
  const national = comparison.groups[0]!.nodes;
  const index = data.indexNode;
  const indexCode = nodes.find((n) => n.id === index)?.code ?? index;
  const codeOf = (id: string) => nodes.find((n) => n.id === id)?.code ?? id;

  const kpis: Kpi[] = data.editionSummaries.map((s) => ({
    label: `${indexCode} ${s.edition}`,
    value: formatScore(national[index]?.values[s.edition]),
    sub: [s.published !== null ? 'publicado' : 'calculado', s.n !== null ? `${formatCount(s.n)} sujetos obligados` : ''].filter(Boolean).join(' · '),
  }));
  const present = data.editions.filter((e) => national[index]?.values[e] !== null);
  const lead = `El Índice de Gobierno Abierto nacional fue de ${present.map((e) => `${formatScore(national[index]!.values[e])} en ${e}`).join(', ').replace(/, ([^,]*)$/, ' y $1')}. Los resultados por entidad federativa, tipo y nivel corresponden a ${data.baseEdition}, la edición con datos públicos por sujeto obligado.`;

  const indexTable: TableView = {
    columns: [{ label: 'Edición' }, numColumn(`${indexCode} publicado`), numColumn(`${indexCode} calculado`), numColumn('Sujetos obligados'), { label: 'Fuente', width: '45%' }],
    rows: data.editionSummaries.map((s) => ({ cells: [text(s.edition, 'strong'), score(s.published), score(s.computed), count(s.n), text(s.sources.join('; ') || NOT_AVAILABLE)] })),
    note: `Calculado: media de los datos por sujeto obligado con la metodología ${data.meta.methodology.id}; n.d. donde no hay datos.`,
  };

  const editionsChart = charts.view(
    groupedBarChart({
      title: 'Índices y subíndices por edición',
      categories: nodes.map((n) => n.code),
      series: data.editions.map((e) => ({ label: e, values: nodes.map((n) => national[n.id]?.values[e] ?? null) })),
    }),
    'Cifras nacionales publicadas; las barras que faltan son cifras no publicadas (n.d.), no ceros.',
  );
  const editionsTable: TableView = {
    columns: [{ label: 'Índice' }, { label: 'Nombre' }, ...data.editions.map(numColumn)],
    rows: nodes.map((n) => ({ cells: [text(n.code, 'strong'), text(n.name), ...data.editions.map((e) => score(national[n.id]?.values[e]))] })),
  };

  const pairs = deltaColumns(comparison);
  const deltasTable: TableView = {
    columns: [{ label: 'Índice' }, ...pairs.map((p) => numColumn(`${p.from} → ${p.to}`))],
    rows: nodes.map((n) => {
      const c = national[n.id]!;
      const found = (from: string, to: string) => [...c.deltas, ...c.fromFirst].find((d) => d.from === from && d.to === to)?.delta ?? null;
      return { cells: [text(n.code, 'strong'), ...pairs.map((p) => delta(found(p.from, p.to)))] };
    }),
    note: 'Diferencia entre cifras sin redondear, impresa a dos decimales; n.d. cuando alguna de las dos ediciones no publicó la cifra.',
  };
  const reproductionTable: TableView = {
    columns: [{ label: 'Índice' }, numColumn('Publicado'), numColumn('Calculado'), numColumn('Calculado (4 decimales)'), { label: '¿Coincide?' }],
    rows: data.reproduction.map((r) => ({
      cells: [text(codeOf(r.node), 'strong'), score(r.published), score(r.computed), score(r.computed, 4), r.matches === null ? text(NOT_AVAILABLE) : r.matches ? text('✓ sí', 'ok') : text('✗ no', 'bad')],
    })),
  };

  const nationalTotal = { name: 'Nacional', n: base.n, values: base.national };
  const entityChart = charts.view(
    rankedBarChart({
      title: `${indexCode} ${base.edition} por entidad federativa`,
      seriesLabel: indexCode,
      items: base.byEntity.map((r) => ({ label: r.name, value: r.values[index] ?? null })),
      reference: { label: 'Media nacional', value: base.national[index]! },
    }),
    `${indexCode} ${base.edition} de las ${formatCount(base.byEntity.length)} entidades, de mayor a menor; la línea marca la media nacional.`,
  );
  const typeChart = charts.view(
    rankedBarChart(
      {
        title: `${indexCode} ${base.edition} por tipo de sujeto obligado`,
        seriesLabel: indexCode,
        items: base.byType.map((r) => ({ label: `${r.name} (${formatCount(r.n)})`, value: r.values[index] ?? null })),
        reference: { label: 'Media nacional', value: base.national[index]! },
      },
      { height: 70 + 22 * base.byType.length },
    ),
  );
  const maxWeight = Math.max(...base.gaps.map((g) => g.weightInIndex), 0.05);
  const gapChart = charts.view(
    rankedBarChart(
      {
        title: 'Brecha por componente',
        seriesLabel: 'Brecha',
        items: base.gaps.map((g) => ({ label: `${g.name} (${g.code})`, value: g.gap })),
        axisMax: maxWeight,
      },
      { height: 70 + 24 * base.gaps.length },
    ),
  );
  const variableGapTable: TableView | undefined =
    base.variableGaps.length > 0
      ? {
          caption: 'Brecha por variable (peso dentro del subíndice × (1 − media nacional), como en el Resumen Ejecutivo 2017)',
          columns: [{ label: 'Lugar', className: 'rank' }, { label: 'Variable' }, { label: 'Subíndice' }, numColumn('Peso'), numColumn('Media'), numColumn('Brecha')],
          rows: base.variableGaps.map((g) => ({ cells: [rankCell(g.rank), text(g.label.es), text(codeOf(g.parent)), text(formatWeight(g.weight), 'num'), score(g.mean), score(g.gap, 3)] })),
        }
      : undefined;

  let entityComparisonTable: TableView | undefined;
  if (data.entityComparison) {
    const { comparison: ec, laterEditions } = data.entityComparison;
    const shown = ec.nodes.filter((id) => ec.groups.some((g) => laterEditions.some((e) => g.nodes[id]?.values[e] !== null)));
    entityComparisonTable = {
      columns: [
        { label: 'Entidad' },
        ...shown.flatMap((id) => [numColumn(`${codeOf(id)} ${data.baseEdition}`), ...laterEditions.map((e) => numColumn(`${codeOf(id)} ${e}`)), numColumn(`Δ ${codeOf(id)}`)]),
      ],
      rows: ec.groups.map((g) => ({
        cells: [
          text(g.group),
          ...shown.flatMap((id) => {
            const c = g.nodes[id]!;
            return [score(c.values[data.baseEdition]), ...laterEditions.map((e) => score(c.values[e])), delta(c.fromFirst.at(-1)?.delta)];
          }),
        ],
      })),
      note: `${data.baseEdition}: media calculada de la entidad; ediciones posteriores: cifras publicadas (solo algunas entidades). Δ: última edición con cifra frente a ${data.baseEdition}.`,
    };
  }

  const body = loadTemplates().national({
    kpis,
    lead,
    baseEdition: base.edition,
    nodes: legend(nodes),
    indexTable,
    editionsChart,
    editionsTable,
    deltasTable,
    reproductionTable,
    entityChart,
    entityTable: groupTable(base.byEntity, nodes, 'Entidad federativa', { total: nationalTotal }),
    typeChart,
    typeTable: groupTable(base.byType, nodes, 'Tipo de sujeto obligado', { total: nationalTotal }),
    levelTable: groupTable(base.byLevel, nodes, 'Nivel de gobierno', { total: nationalTotal }),
    gapIntro: `Para cada componente, su peso en el ${indexCode} por la distancia de la media nacional a 1: los primeros lugares son donde una mejora eleva más el índice nacional.`,
    gapChart,
    gapTable: gapTable(base.gaps, 'Media nacional', indexCode),
    variableGapTable,
    entityComparisonTable,
    notes: data.notes,
    warningsTable: warningsTable(data.publishedWarnings, codeOf),
    meta: data.meta,
  });
  return page(data.meta, 'Métrica de Gobierno Abierto · Reporte nacional', body);
}

// ───────────────────────────── entity ─────────────────────────────

export function renderEntityReportHtml(data: EntityReportData): string {
  const charts = new ChartSequence();
  const { nodes } = data;
  const index = data.indexNode;
  const indexCode = nodes.find((n) => n.id === index)?.code ?? index;
  const name = data.entity.name;

  const kpis: Kpi[] = [
    { label: `${indexCode} ${data.edition}`, value: formatScore(data.values[index]), sub: name },
    rankKpi('Lugar entre entidades', data.ranks[index]!, 'de mayor a menor'),
    { label: 'Media nacional', value: formatScore(data.national[index]), sub: `diferencia ${formatDelta(difference(data.values[index], data.national[index]))}` },
    { label: 'Sujetos obligados', value: formatCount(data.n), sub: `evaluados en ${data.edition}` },
  ];
  const referenceChart = charts.view(
    referenceBarChart({
      title: `${name} frente a la media nacional`,
      categories: nodes.map((n) => n.code),
      subject: { label: name, values: nodes.map((n) => data.values[n.id] ?? null) },
      references: [{ label: 'Media nacional', values: nodes.map((n) => data.national[n.id] ?? null) }],
    }),
  );
  const comparisonTable: TableView = {
    columns: [{ label: 'Índice' }, { label: 'Nombre' }, numColumn(name), numColumn('Nacional'), numColumn('Diferencia'), numColumn('Lugar')],
    rows: nodes.map((n) => ({
      cells: [text(n.code, 'strong'), text(n.name), score(data.values[n.id]), score(data.national[n.id]), delta(difference(data.values[n.id], data.national[n.id])), text(rankText(data.ranks[n.id]!), 'num')],
    })),
  };
  const institutionsChart = charts.view(
    rankedBarChart({
      title: `${indexCode} de los sujetos obligados de ${name}`,
      seriesLabel: indexCode,
      items: data.institutions.map((i) => ({ label: shortLabel(i.name), value: i.values[index] ?? null })),
      reference: { label: `Media de ${name}`, value: data.values[index]! },
    }),
    'Nombres largos recortados en la gráfica; completos en la tabla.',
  );
  const institutionsTable: TableView = {
    columns: [{ label: 'Lugar', className: 'rank' }, { label: 'Sujeto obligado', width: '34%' }, { label: 'Tipo' }, { label: 'Nivel' }, ...nodes.map((n) => numColumn(n.code))],
    rows: data.institutions.map((i) => ({ cells: [rankCell(i.rank), text(i.name), text(i.type), text(i.level), ...nodes.map((n) => score(i.values[n.id]))] })),
  };
  const typeTable: TableView = {
    columns: [{ label: 'Tipo de sujeto obligado' }, numColumn('n'), numColumn(`${indexCode} entidad`), numColumn(`${indexCode} nacional del tipo`), numColumn('Diferencia'), ...nodes.filter((n) => n.id !== index).map((n) => numColumn(n.code))],
    rows: data.byType.map((t) => ({
      cells: [text(t.name), count(t.n), score(t.values[index]), score(t.national[index]), delta(difference(t.values[index], t.national[index])), ...nodes.filter((n) => n.id !== index).map((n) => score(t.values[n.id]))],
    })),
  };
  const body = loadTemplates().entity({
    kpis,
    entityName: name,
    nodes: legend(nodes),
    referenceChart,
    comparisonTable,
    institutionsChart,
    institutionsTable,
    typeTable,
    gapIntro: `Componentes ordenados por lo que el ${indexCode} de ${name} subiría si su media llegara a 1 (peso en el ${indexCode} × (1 − media)).`,
    gapTable: gapTable(data.gaps, 'Media de la entidad', indexCode),
    notes: data.notes,
    meta: data.meta,
  });
  return page(data.meta, 'Métrica de Gobierno Abierto · Reporte de entidad federativa', body);
}

// ───────────────────────────── institution ─────────────────────────────

function formulaText(code: string, f: FormulaView): string {
  const symbolic = f.terms.map((t) => `${formatWeight(t.weight)}·${t.code}`).join(' + ');
  const numeric = f.terms.map((t) => `${formatWeight(t.weight)} × ${formatScore(t.value, 4)}`).join(' + ');
  return `${code} = ${symbolic} = ${numeric} = ${formatScore(f.value, 4)}`;
}

export function renderInstitutionReportHtml(data: InstitutionReportData): string {
  const charts = new ChartSequence();
  const { nodes, institution: inst } = data;
  const index = data.indexNode;
  const indexCode = nodes.find((n) => n.id === index)?.code ?? index;
  const refs = data.references;

  const kpis: Kpi[] = [
    { label: `${indexCode} ${data.edition}`, value: formatScore(data.values[index]), sub: `media nacional ${formatScore(refs.national[index])}` },
    rankKpi('Lugar en su tipo', data.ranks.inType, inst.type),
    rankKpi('Lugar en la entidad', data.ranks.inEntity, inst.entity),
    rankKpi('Lugar nacional', data.ranks.national, 'todos los sujetos obligados'),
  ];
  const referenceChart = charts.view(
    referenceBarChart({
      title: `${inst.name} frente a las medias de referencia`,
      categories: nodes.map((n) => n.code),
      subject: { label: shortLabel(inst.name, 40), values: nodes.map((n) => data.values[n.id] ?? null) },
      references: [
        { label: 'Media nacional', values: nodes.map((n) => refs.national[n.id] ?? null) },
        { label: `Media de la entidad (${inst.entity})`, values: nodes.map((n) => refs.entity[n.id] ?? null) },
        { label: `Media del tipo (${inst.type})`, values: nodes.map((n) => refs.type[n.id] ?? null) },
      ],
    }, { height: 240 }),
  );
  const referenceTable: TableView = {
    columns: [{ label: 'Índice' }, { label: 'Nombre' }, numColumn('Sujeto obligado'), numColumn('Nacional'), numColumn('Entidad'), numColumn('Tipo'), numColumn('Dif. nacional')],
    rows: nodes.map((n) => ({
      cells: [
        text(n.code, 'strong'),
        text(n.name),
        { ...score(data.values[n.id]), className: 'num strong' },
        score(refs.national[n.id]),
        score(refs.entity[n.id]),
        score(refs.type[n.id]),
        delta(difference(data.values[n.id], refs.national[n.id])),
      ],
    })),
  };
  const explanationTable: TableView = {
    className: 'explanation',
    columns: [{ label: 'Índice' }, numColumn('Valor'), { label: 'Origen' }, { label: 'Fórmula', width: '48%' }, { label: 'Comprobación', width: '22%' }],
    rows: data.explanation.map((e) => {
      const checks = (e.source === 'given' && e.formula ? [e.formula] : []).concat(e.alternatives);
      return {
        cells: [
          text(e.code, 'strong'),
          score(e.value, 4),
          text(e.source === 'given' ? 'dato' : 'calculado'),
          text(e.formula ? formulaText(e.code, e.formula) : 'Dato de la edición (no hay componentes para recalcularlo).', 'formula'),
          text(checks.length === 0 ? '—' : checks.map((f) => `${f.agrees ? '✓' : '✗'} ${f.description}: ${formatScore(f.value, 4)}`).join('; '), 'formula'),
        ],
      };
    }),
  };
  const codeOf = (id: string) => data.explanation.find((e) => e.node === id)?.code ?? id;
  const discrepancyTable: TableView | undefined =
    data.discrepancies.length > 0
      ? {
          caption: 'Diferencias entre valores dados y calculados (más allá de la tolerancia)',
          columns: [{ label: 'Índice' }, numColumn('Valor'), numColumn('Calculado'), { label: 'Fórmula' }, numColumn('Diferencia')],
          rows: data.discrepancies.map((d) => ({ cells: [text(codeOf(d.node), 'strong'), score(d.reported, 4), score(d.computed, 4), text(d.formula, 'formula'), delta(d.difference)] })),
        }
      : undefined;

  const body = loadTemplates().institution({
    kpis,
    nodes: legend(nodes),
    referenceChart,
    referenceTable,
    gapIntro: `Componentes ordenados por cuánto subiría el ${indexCode} de este sujeto obligado si el componente llegara a 1 (peso en el ${indexCode} × (1 − valor)).`,
    gapTable: gapTable(data.improvements, 'Valor', indexCode),
    itemGapTable: data.itemImprovements && data.itemImprovements.length > 0 ? itemGapTable(data.itemImprovements, indexCode) : undefined,
    explanationIntro: `Cada cifra es un dato de la edición o se calcula con la fórmula de la metodología ${data.meta.methodology.id}; las fórmulas equivalentes la comprueban (✓ coincide dentro de la tolerancia de 0.0001, ✗ no coincide).`,
    explanationTable,
    discrepancyTable,
    undetermined: data.undetermined.length > 0 ? `${formatCount(data.undetermined.length)} componentes (${data.undetermined.map((n) => n.code).join(', ')})` : '',
    notes: data.notes,
    meta: data.meta,
  });
  return page(data.meta, `Ficha del sujeto obligado · ${inst.entity} · ${inst.type} · ${inst.level}`, body);
}

// ───────────────────────────── dispatch and PDF ─────────────────────────────

export function renderReportHtml(data: ReportData): string {
  switch (data.kind) {
    case 'national':
      return renderNationalReportHtml(data);
    case 'entity':
      return renderEntityReportHtml(data);
    case 'institution':
      return renderInstitutionReportHtml(data);
  }
}

/** Any report as PDF through the shared browser (launched on first use; see closeBrowser). */
export function renderReportPdf(data: ReportData, options: RenderPdfOptions = {}): Promise<Buffer> {
  return renderPdf(renderReportHtml(data), footerInfo(data.meta), options);
}

export const renderNationalReportPdf = (data: NationalReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
export const renderEntityReportPdf = (data: EntityReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
export const renderInstitutionReportPdf = (data: InstitutionReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
