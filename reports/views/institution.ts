/** The institution report card as HTML: its view (printed numbers, drawn charts) in templates/institution.hbs. */
import { referenceBarChart } from '../charts.js';
import type { FormulaView, InstitutionReportData } from '../models/institution.js';
import { formatCount, formatScore, formatWeight, NOT_AVAILABLE } from '../format.js';
import { ChartSequence, delta, difference, gapTable, itemGapTable, legend, numColumn, page, rankKpi, renderBody, score, shortLabel, text, type Kpi, type TableView } from './common.js';
import { previousEditionView } from './evolution.js';

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

  const body = renderBody('institution', {
    kpis,
    previous: previousEditionView(data),
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
