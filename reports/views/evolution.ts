/**
 * The «Evolución» pieces of the PDF reports: an entity's figures across editions with a trend chart
 * (entity report), and the national series, entity series and panel changes (national report).
 * Templates: partials/evolutionEntity.hbs and partials/evolutionNational.hbs.
 */
import type { EntityEvolution, EvolutionPoint } from '../models/evolution.js';
import { placeText } from '../models/evolution.js';
import { formatCount, formatScore, NOT_AVAILABLE } from '../format.js';
import { trendChart } from '../trendChart.js';
import { numColumn, text, type ChartSequence, type ChartView, type TableView } from './common.js';

/** "0.65 · 1.º lugar (según la fuente)"; «sin dato». */
export function pointText(point: EvolutionPoint): string {
  if (point.value === null) return NOT_AVAILABLE;
  const value = formatScore(point.value);
  if (!point.rank) return value;
  return `${value} · ${placeText(point.rank)}${point.rank.stated ? ' (según la fuente)' : ''}`;
}

/** The nodes drawn in trend charts: the index and its dimensions (sub-indices stay in the table). */
export const TREND_KINDS: readonly string[] = ['index', 'dimension'];

export interface EntityEvolutionView {
  intro: string;
  chart: ChartView;
  table: TableView;
  notes: string[];
  warnings: string[];
}

export function entityEvolutionView(evolution: EntityEvolution, charts: ChartSequence, kinds: ReadonlyMap<string, string>): EntityEvolutionView {
  const { editions, entity } = evolution;
  const charted = evolution.series.filter((s) => TREND_KINDS.includes(kinds.get(s.node) ?? ''));
  const index = evolution.series[0]!;
  const chart = charts.view(
    trendChart({
      title: `${entity}: ${charted.map((s) => s.code).join(', ')} por edición, frente al ${index.code} nacional`,
      editions,
      series: [
        ...charted.map((s) => ({ label: `${s.code} ${entity}`, values: s.points.map((p) => p.value) })),
        { label: `${index.code} nacional`, values: index.national, role: 'reference' as const },
      ],
    }),
    'Puntos: cifras calculadas (edición con datos por sujeto obligado) o publicadas. Una edición sin punto no publicó la cifra (sin dato); el tramo punteado la cruza sin suponer un valor.',
  );
  const table: TableView = {
    caption: `Cifras de ${entity} por edición`,
    columns: [{ label: 'Índice' }, ...editions.map((e) => numColumn(e))],
    rows: [
      ...evolution.series.map((s) => ({ cells: [text(s.code, 'strong'), ...s.points.map((p) => text(pointText(p), p.value === null ? 'num missing' : 'num'))] })),
      ...charted.map((s) => ({ className: 'total', cells: [text(`${s.code} nacional`), ...s.national.map((v) => text(formatScore(v), 'num'))] })),
      {
        className: 'muted',
        cells: [
          text('Origen'),
          ...evolution.perEdition.map((e) =>
            text(e.edition === evolution.baseEdition ? (e.n === null ? NOT_AVAILABLE : `calculado (${formatCount(e.n)} sujetos obligados)`) : e.present.length > 0 ? 'publicado' : NOT_AVAILABLE, 'num'),
          ),
        ],
      },
    ],
    note: 'Lugar: entre las entidades (incluida la Federación), de mayor a menor; en las ediciones sin datos por sujeto obligado solo se muestra cuando la fuente lo indica.',
  };
  const intro =
    evolution.editionsWithFigures.length > 0
      ? `Cifras de ${entity} en cada edición: las de ${evolution.baseEdition} se calculan con sus sujetos obligados; las de ${evolution.editionsWithFigures.join(' y ')} son las publicadas. Donde una edición no publicó nada de la entidad se indica «sin dato».`
      : `Ninguna edición posterior a ${evolution.baseEdition} publicó cifras de ${entity}: se muestran sus cifras ${evolution.baseEdition} junto a la serie nacional.`;
  return { intro, chart, table, notes: evolution.notes, warnings: evolution.warningTexts };
}
