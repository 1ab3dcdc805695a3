/**
 * The edition workbook (exceljs): metadata, every institution with every node that has values, the
 * groupings, the national figures and the comparison of editions, with chart images.
 *
 * Values are stored unrounded (the cell format shows two decimals) so a user can recompute from them.
 */
import ExcelJS from 'exceljs';
import { NATIONAL_GROUP_NAME, type Grouping } from '../scoring/grouping.js';
import { normalizeEntity } from '../scoring/catalogue.js';
import { groupedBarChart, rankedBarChart } from './charts.js';
import { nodeInfo, summaryNodes, type EditionResults, type NodeInfo } from './models/common.js';
import { buildNationalReportData, type NationalReportOptions } from './models/national.js';
import type { ParsePublishedResult } from '../scoring/published.js';
import { formatDateTime } from './format.js';

export const SHEET_NAMES = {
  metadata: 'Metadatos',
  institutions: 'Sujetos obligados',
  entity: 'Por entidad',
  type: 'Por tipo',
  level: 'Por nivel',
  national: 'Nacional',
  comparison: 'Comparación',
} as const;

export const SCORE_FORMAT = '0.00';
export const DELTA_FORMAT = '+0.00;-0.00;0.00';

export interface WorkbookOptions {
  published?: Pick<ParsePublishedResult, 'data' | 'warnings'>;
  /** Editions for the comparison sheet; default as in the national report. */
  editions?: NationalReportOptions['editions'];
  sampleSizes?: NationalReportOptions['sampleSizes'];
  editionAbout?: NationalReportOptions['editionAbout'];
  generatedAt?: Date;
  timeZone?: string;
  /** Embed chart images (default true). */
  charts?: boolean;
}

/**
 * Spreadsheet programs run text that starts with = + - @ (or tab / carriage return before them) as a
 * formula, also after CSV export: such text gets a leading apostrophe so it stays text.
 */
export function escapeCellText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
const HEADER_FONT: Partial<ExcelJS.Font> = { bold: true, color: { argb: 'FFFFFFFF' } };

type CellValue = string | number | null | Date;

interface ColumnSpec {
  header: string;
  width: number;
  /** Score columns get the number format and the colour scale. */
  score?: boolean;
  numFmt?: string;
}

/** Writes a header row and data rows, escaping text, freezing the header (and first column) and filtering. */
function writeTable(sheet: ExcelJS.Worksheet, columns: readonly ColumnSpec[], rows: readonly CellValue[][], options: { startRow?: number; freezeFirstColumn?: boolean } = {}): { firstRow: number; lastRow: number } {
  const start = options.startRow ?? 1;
  const header = sheet.getRow(start);
  columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = escapeCellText(c.header);
    cell.fill = HEADER_FILL;
    cell.font = HEADER_FONT;
    cell.alignment = { vertical: 'middle', wrapText: true, horizontal: c.score || c.numFmt ? 'right' : 'left' };
    const column = sheet.getColumn(i + 1);
    column.width = Math.max(column.width ?? 0, c.width);
  });
  rows.forEach((values, r) => {
    const row = sheet.getRow(start + 1 + r);
    values.forEach((value, i) => {
      const cell = row.getCell(i + 1);
      cell.value = typeof value === 'string' ? escapeCellText(value) : value;
      const spec = columns[i];
      if (spec?.score) cell.numFmt = SCORE_FORMAT;
      else if (spec?.numFmt) cell.numFmt = spec.numFmt;
    });
  });
  const lastRow = start + rows.length;
  if (start === 1) {
    sheet.views = [{ state: 'frozen', xSplit: options.freezeFirstColumn ? 1 : 0, ySplit: 1 }];
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(lastRow, 1), column: columns.length } };
  }
  // Red (0) – yellow (0.5) – green (1) on the 0–1 score scale, the same for every sheet.
  columns.forEach((c, i) => {
    if (!c.score || rows.length === 0) return;
    const letter = sheet.getColumn(i + 1).letter;
    sheet.addConditionalFormatting({
      ref: `${letter}${start + 1}:${letter}${lastRow}`,
      rules: [
        {
          type: 'colorScale',
          priority: 1,
          cfvo: [
            { type: 'num', value: 0 },
            { type: 'num', value: 0.5 },
            { type: 'num', value: 1 },
          ],
          color: [{ argb: 'FFF8696B' }, { argb: 'FFFFEB84' }, { argb: 'FF63BE7B' }],
        },
      ],
    });
  });
  return { firstRow: start, lastRow };
}

const scoreColumns = (nodes: readonly NodeInfo[]): ColumnSpec[] => nodes.map((n) => ({ header: n.code, width: 8, score: true }));
const value = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : v);

function addChart(workbook: ExcelJS.Workbook, sheet: ExcelJS.Worksheet, png: Buffer, width: number, height: number, column: number, row = 0): void {
  const imageId = workbook.addImage({ buffer: png as unknown as ExcelJS.Buffer, extension: 'png' });
  sheet.addImage(imageId, { tl: { col: column, row }, ext: { width, height } });
}

/** Nodes with at least one value in the edition, in methodology order: the summary nodes first. */
function nodesWithValues(results: EditionResults): NodeInfo[] {
  const summary = summaryNodes(results.compiled);
  const others = results.compiled.nodeIds.filter((id) => !summary.some((n) => n.id === id) && (results.national.nPerNode[id] ?? 0) > 0);
  return [...summary.filter((n) => (results.national.nPerNode[n.id] ?? 0) > 0), ...others.map((id) => nodeInfo(results.compiled, id))];
}

function groupingSheet(workbook: ExcelJS.Workbook, name: string, grouping: Grouping, label: string, nodes: readonly NodeInfo[], results: EditionResults, withCode = false): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name);
  const columns: ColumnSpec[] = [{ header: label, width: 26 }, ...(withCode ? [{ header: 'Clave INEGI', width: 8 }] : []), { header: 'n', width: 6, numFmt: '0' }, ...scoreColumns(nodes)];
  const rows = grouping.groups.map((g) => [g.name, ...(withCode ? [normalizeEntity(g.name).code] : []), g.n, ...nodes.map((n) => value(g.values[n.id]))]);
  rows.push([NATIONAL_GROUP_NAME, ...(withCode ? [''] : []), results.national.n, ...nodes.map((n) => value(results.national.values[n.id]))]);
  writeTable(sheet, columns, rows, { freezeFirstColumn: true });
  sheet.getRow(rows.length + 1).font = { bold: true };
  return sheet;
}

/** The workbook of one edition as .xlsx bytes. */
export async function buildEditionWorkbook(results: EditionResults, options: WorkbookOptions = {}): Promise<Buffer> {
  const generatedAt = options.generatedAt ?? new Date();
  const withCharts = options.charts ?? true;
  const national = buildNationalReportData(results, options.published, {
    generatedAt,
    ...(options.editions && { editions: options.editions }),
    ...(options.sampleSizes && { sampleSizes: options.sampleSizes }),
    ...(options.editionAbout && { editionAbout: options.editionAbout }),
    ...(options.timeZone && { timeZone: options.timeZone }),
  });
  const nodes = nodesWithValues(results);
  const summary = national.nodes;
  const indexCode = summary.find((n) => n.id === results.indexNode)?.code ?? results.indexNode;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'MGA service';
  workbook.created = generatedAt;

  // Metadatos
  const meta = workbook.addWorksheet(SHEET_NAMES.metadata);
  const m = national.meta.methodology;
  const missingNodes = results.compiled.nodeIds.filter((id) => !nodes.some((n) => n.id === id));
  const metaRows: CellValue[][] = [
    ['Edición', results.edition],
    ['Metodología', m.id],
    ['Versión de la metodología', m.version],
    ['Título de la metodología', m.title],
    ['SHA-256 de la metodología', m.hash],
    ['Cita de la metodología', m.citation],
    ['Sujetos obligados', results.institutions.length],
    ['Cifra nacional', results.nationalMethod === 'institutions' ? 'media simple de todos los sujetos obligados' : 'media de las medias de las entidades'],
    ['Generado', formatDateTime(generatedAt, options.timeZone)],
    ['Generado (ISO 8601)', generatedAt.toISOString()],
    ['Valores', 'sin redondear; las celdas muestran dos decimales (redondeo de las cifras publicadas: mitad hacia arriba)'],
    ...nodes.map((n): CellValue[] => [`Columna ${n.code}`, `${n.name} (${n.id})`]),
    ...(missingNodes.length > 0 ? [['Nodos sin valores en esta edición', missingNodes.join(', ')] as CellValue[]] : []),
    ...national.meta.sources.map((s, i): CellValue[] => [`Fuente ${i + 1}`, s]),
  ];
  writeTable(meta, [{ header: 'Campo', width: 32 }, { header: 'Valor', width: 100 }], metaRows);
  meta.getColumn(2).alignment = { wrapText: true, vertical: 'top' };

  // Sujetos obligados
  const institutions = workbook.addWorksheet(SHEET_NAMES.institutions);
  const nodeCount = results.compiled.nodeIds.length;
  const columnOf = nodes.map((n) => results.compiled.nodeIndex.get(n.id)!);
  const institutionRows = results.institutions.map((inst, row): CellValue[] => [
    inst.name,
    inst.entity,
    inst.entityCode ?? normalizeEntity(inst.entity).code,
    inst.level,
    inst.type,
    ...columnOf.map((c) => value(results.scores.values[row * nodeCount + c])),
  ]);
  writeTable(
    institutions,
    [{ header: 'Sujeto obligado', width: 60 }, { header: 'Entidad', width: 20 }, { header: 'Clave INEGI', width: 8 }, { header: 'Nivel', width: 10 }, { header: 'Tipo', width: 18 }, ...scoreColumns(nodes)],
    institutionRows,
    { freezeFirstColumn: true },
  );

  // Groupings
  const bySheet = groupingSheet(workbook, SHEET_NAMES.entity, results.byEntity, 'Entidad federativa', nodes, results, true);
  groupingSheet(workbook, SHEET_NAMES.type, results.byType, 'Tipo de sujeto obligado', nodes, results);
  groupingSheet(workbook, SHEET_NAMES.level, results.byLevel, 'Nivel de gobierno', nodes, results);
  if (withCharts) {
    const chart = rankedBarChart(
      {
        title: `${indexCode} ${results.edition} por entidad federativa`,
        seriesLabel: indexCode,
        items: national.base.byEntity.map((r) => ({ label: r.name, value: r.values[results.indexNode] ?? null })),
        reference: { label: 'Media nacional', value: results.national.values[results.indexNode]! },
      },
      { format: 'png' },
    );
    addChart(workbook, bySheet, chart.data, chart.width, chart.height, 4 + nodes.length); // right of the table
  }

  // Nacional: computed and published figures of this edition.
  const nationalSheet = workbook.addWorksheet(SHEET_NAMES.national);
  const reproduction = new Map(national.reproduction.map((r) => [r.node, r]));
  writeTable(
    nationalSheet,
    [{ header: 'Índice', width: 8 }, { header: 'Nombre', width: 48 }, { header: `Calculado ${results.edition}`, width: 14, score: true }, { header: `Publicado ${results.edition}`, width: 14, score: true }, { header: 'n', width: 8, numFmt: '0' }],
    nodes.map((n) => [n.code, n.name, value(results.national.values[n.id]), value(reproduction.get(n.id)?.published), results.national.nPerNode[n.id] ?? null]),
  );
  const warnings = national.publishedWarnings.filter((w) => w.kind === 'inconsistent');
  if (warnings.length > 0) {
    writeTable(
      nationalSheet,
      [{ header: 'Edición', width: 8 }, { header: 'Advertencia sobre cifras publicadas', width: 48 }, { header: 'Publicado', width: 14, numFmt: SCORE_FORMAT }, { header: 'Implícito', width: 14, numFmt: '0.000' }, { header: 'Medida', width: 8 }],
      warnings.map((w) => [w.edition, w.message.es, w.published, w.implied, w.measure]),
      { startRow: nodes.length + 4 },
    );
  }

  // Comparación: national figures per edition, deltas, and entity figures of later editions.
  const comparisonSheet = workbook.addWorksheet(SHEET_NAMES.comparison);
  const { comparison } = national;
  const pairs = comparison.editions.slice(1).map((to, i) => ({ from: comparison.editions[i]!, to }));
  const nationalNodes = comparison.groups[0]!.nodes;
  const comparisonColumns: ColumnSpec[] = [
      { header: 'Índice', width: 8 },
      { header: 'Nombre', width: 44 },
      ...comparison.editions.map((e) => ({ header: e, width: 9, score: true })),
      ...pairs.map((p) => ({ header: `Δ ${p.from}→${p.to}`, width: 12, numFmt: DELTA_FORMAT })),
      ...(comparison.editions.length > 2 ? [{ header: `Δ ${comparison.editions[0]}→${comparison.editions.at(-1)}`, width: 12, numFmt: DELTA_FORMAT }] : []),
      { header: 'Sin cifra en', width: 14 },
  ];
  writeTable(
    comparisonSheet,
    comparisonColumns,
    summary.map((n) => {
      const c = nationalNodes[n.id]!;
      const deltaOf = (from: string, to: string) => [...c.deltas, ...c.fromFirst].find((d) => d.from === from && d.to === to)?.delta ?? null;
      return [
        n.code,
        n.name,
        ...comparison.editions.map((e) => c.values[e] ?? null),
        ...pairs.map((p) => deltaOf(p.from, p.to)),
        ...(comparison.editions.length > 2 ? [deltaOf(comparison.editions[0]!, comparison.editions.at(-1)!)] : []),
        c.missing.join(', '),
      ];
    }),
  );
  // Where each edition's figures come from, and what it did not publish («sin dato», never zero).
  const sourcesStart = summary.length + 4;
  writeTable(
    comparisonSheet,
    [{ header: 'Edición', width: 8 }, { header: 'Sujetos obligados', width: 12, numFmt: '#,##0' }, { header: 'Origen', width: 14 }, { header: 'Sin dato', width: 14 }, { header: 'Fuente', width: 80 }],
    national.editionSummaries.map((e) => [
      e.edition,
      e.n,
      e.published !== null ? 'publicado' : e.computed !== null ? 'calculado' : 'sin dato',
      summary.filter((n) => nationalNodes[n.id]?.values[e.edition] === null).map((n) => n.code).join(', '),
      [e.about, e.sources.join('; ') || (e.computed !== null ? 'calculado con los datos por sujeto obligado' : '')].filter(Boolean).join('. Fuente: '),
    ]),
    { startRow: sourcesStart },
  );
  if (national.entityComparison) {
    const ec = national.entityComparison.comparison;
    const start = sourcesStart + national.editionSummaries.length + 3;
    writeTable(
      comparisonSheet,
      [{ header: 'Entidad', width: 20 }, { header: 'Índice', width: 8 }, ...ec.editions.map((e) => ({ header: e, width: 9, score: true })), { header: `Δ vs ${ec.editions[0]}`, width: 12, numFmt: DELTA_FORMAT }],
      ec.groups.flatMap((g) =>
        ec.nodes
          .filter((id) => national.entityComparison!.laterEditions.some((e) => g.nodes[id]?.values[e] !== null))
          .map((id) => [g.group, summary.find((n) => n.id === id)?.code ?? id, ...ec.editions.map((e) => g.nodes[id]!.values[e] ?? null), g.nodes[id]!.fromFirst.at(-1)?.delta ?? null]),
      ),
      { startRow: start },
    );
  }
  if (withCharts) {
    const chart = groupedBarChart(
      {
        title: 'Índices y subíndices por edición',
        categories: summary.map((n) => n.code),
        series: comparison.editions.map((e) => ({ label: e, values: summary.map((n) => nationalNodes[n.id]?.values[e] ?? null) })),
      },
      { format: 'png', width: 560, height: 260 },
    );
    addChart(workbook, comparisonSheet, chart.data, chart.width, chart.height, comparisonColumns.length + 1);
  }

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
