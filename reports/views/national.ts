/** The national comparative report as HTML: its view (printed numbers, drawn charts) in templates/national.hbs. */
import type { Comparison } from '../../scoring/comparison.js';
import { groupedBarChart, rankedBarChart } from '../charts.js';
import type { NationalReportData } from '../models/national.js';
import { formatCount, formatScore, formatWeight, NOT_AVAILABLE } from '../format.js';
import { ChartSequence, count, delta, gapTable, groupTable, legend, numColumn, page, rankCell, renderBody, score, text, warningsTable, type Kpi, type TableView } from './common.js';
import { mapView, nationalEvolutionView } from './evolution.js';

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
    rows: data.editionSummaries.map((s) => ({ cells: [text(s.edition, 'strong'), score(s.published), score(s.computed), count(s.n), text([s.about, s.sources.join('; ')].filter(Boolean).join('. Fuente: ') || NOT_AVAILABLE)] })),
    note: `Calculado: media de los datos por sujeto obligado con la metodología ${data.meta.methodology.id}; «sin dato» donde no hay datos.`,
  };

  const editionsChart = charts.view(
    groupedBarChart({
      title: 'Índices y subíndices por edición',
      categories: nodes.map((n) => n.code),
      series: data.editions.map((e) => ({ label: e, values: nodes.map((n) => national[n.id]?.values[e] ?? null) })),
    }),
    'Cifras nacionales publicadas; las barras que faltan son cifras no publicadas (sin dato), no ceros.',
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
    note: 'Diferencia entre cifras sin redondear, impresa a dos decimales; «sin dato» cuando alguna de las dos ediciones no publicó la cifra.',
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

  const body = renderBody('national', {
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
    evolution: nationalEvolutionView(data, charts),
    entityMap: mapView(Object.fromEntries(base.byEntity.map((r) => [r.name, r.values[index] ?? null])), indexCode, base.edition, 'mapa-base', `media calculada de los ${formatCount(base.n)} sujetos obligados`),
    notes: data.notes,
    warningsTable: warningsTable(data.publishedWarnings, codeOf),
    robustness: data.robustness,
    meta: data.meta,
  });
  return page(data.meta, 'Métrica de Gobierno Abierto · Reporte nacional', body);
}
