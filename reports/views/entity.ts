/** The entity report as HTML: its view (printed numbers, drawn charts) in templates/entity.hbs. */
import { rankedBarChart, referenceBarChart } from '../charts.js';
import type { EntityReportData } from '../models/entity.js';
import { formatCount, formatDelta, formatScore } from '../format.js';
import { ChartSequence, count, delta, difference, gapTable, legend, numColumn, page, rankCell, rankKpi, rankText, renderBody, score, shortLabel, text, type Kpi, type TableView } from './common.js';
import { entityEvolutionView } from './evolution.js';

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
  const body = renderBody('entity', {
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
    evolution: data.evolution ? entityEvolutionView(data.evolution, charts, new Map(nodes.map((n) => [n.id, n.kind]))) : undefined,
    robustness: data.robustness,
    notes: data.notes,
    meta: data.meta,
  });
  return page(data.meta, 'Métrica de Gobierno Abierto · Reporte de entidad federativa', body);
}
