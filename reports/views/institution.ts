/** The institution report card as HTML: its view (printed numbers, drawn charts) in templates/institution.hbs. */
import { referenceBarChart } from '../charts.js';
import type { InstitutionReportData } from '../models/institution.js';
import { explanationView } from './explanation.js';
import { formatScore } from '../format.js';
import { ChartSequence, delta, difference, gapTable, itemGapTable, legend, numColumn, page, rankKpi, renderBody, score, shortLabel, text, type Kpi, type TableView } from './common.js';
import { previousEditionView } from './evolution.js';

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
  const body = renderBody('institution', {
    kpis,
    previous: previousEditionView(data),
    nodes: legend(nodes),
    referenceChart,
    referenceTable,
    gapIntro: `Componentes ordenados por cuánto subiría el ${indexCode} de este sujeto obligado si el componente llegara a 1 (peso en el ${indexCode} × (1 − valor)).`,
    gapTable: gapTable(data.improvements, 'Valor', indexCode),
    itemGapTable: data.itemImprovements && data.itemImprovements.length > 0 ? itemGapTable(data.itemImprovements, indexCode) : undefined,
    explanationIntro: `Cada cifra es un dato de la edición o se calcula con las fórmulas de la metodología, con sus pesos; las fórmulas equivalentes la comprueban.`,
    explanation: explanationView(data.scoreExplanation, data.discrepancies),
    notes: data.notes,
    meta: data.meta,
  });
  return page(data.meta, `Ficha del sujeto obligado · ${inst.entity} · ${inst.type} · ${inst.level}`, body);
}
