/**
 * The «Evolución» pieces of the PDF reports: an entity's figures across editions with a trend chart
 * (entity report), and the national series, entity series and panel changes (national report).
 * Templates: partials/evolutionEntity.hbs and partials/evolutionNational.hbs.
 */
import { rankDescending } from '../../scoring/comparison.js';
import type { PanelComparison } from '../../scoring/panel.js';
import type { EntityEvolution, EvolutionPoint, NationalEvolution } from '../models/evolution.js';
import { nationalSeries, placeText } from '../models/evolution.js';
import type { NationalReportData } from '../models/national.js';
import type { InstitutionReportData } from '../models/institution.js';
import { formatCount, formatDelta, formatScore, NOT_AVAILABLE } from '../format.js';
import { choroplethMap, MAP_ATTRIBUTION } from '../maps.js';
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

// ───────────────────────────── national report ─────────────────────────────

export interface MapView {
  svg: string;
  caption: string;
  table?: TableView;
}

/** A choropleth of one node and edition, with its ranked table (the map's accessible alternative). */
export function mapView(values: Readonly<Record<string, number | null>>, measure: string, edition: string, idPrefix: string, origin: string, withTable = false): MapView {
  const map = choroplethMap({ title: `${measure} ${edition} por entidad federativa`, measure, values, idPrefix });
  const present = Object.entries(values).filter((e): e is [string, number] => e[1] !== null);
  const ranks = rankDescending(present.map(([, v]) => v));
  const ranked = present.map(([name, v], i) => ({ name, v, rank: ranks[i]! })).sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name, 'es'));
  const missing = map.missing.length > 0 ? ` ${formatCount(map.missing.length)} entidades sin dato (rayado).` : '';
  return {
    svg: map.svg,
    caption: `${measure} ${edition} por entidad federativa (${origin}); clases por cortes naturales (Ckmeans), Federal en el recuadro.${missing} ${MAP_ATTRIBUTION}`,
    ...(withTable && {
      table: {
        caption: `${measure} ${edition} por entidad, de mayor a menor`,
        columns: [{ label: 'Lugar', className: 'rank' }, { label: 'Entidad' }, numColumn(measure)],
        rows: [...ranked.map((r) => ({ cells: [text(formatCount(r.rank), 'rank'), text(r.name), text(formatScore(r.v), 'num')] })), ...map.missing.map((name) => ({ cells: [text('', 'rank'), text(name), text(NOT_AVAILABLE, 'num missing')] }))],
      },
    }),
  };
}

export interface NationalEvolutionView {
  intro: string;
  trend: ChartView;
  entityTable?: TableView;
  maps: MapView[];
  panels: TableView[];
  notes: string[];
}

function panelTable(panel: PanelComparison, indexNode: string, indexCode: string): TableView {
  const groupLabel = { entity: 'Entidad', type: 'Tipo de sujeto obligado', level: 'Nivel de gobierno', national: 'Grupo' }[panel.by];
  return {
    caption: `${indexCode}: cambio ${panel.baseEdition} → ${panel.otherEdition} de los mismos sujetos obligados (panel) y de las medias de cada muestra`,
    className: 'panel',
    columns: [
      { label: groupLabel, width: '21%' },
      { ...numColumn(`n ${panel.baseEdition}`), width: '7%' },
      { ...numColumn(`n ${panel.otherEdition}`), width: '7%' },
      { ...numColumn('n en ambas'), width: '8%' },
      { ...numColumn(`${indexCode} ${panel.baseEdition}`), width: '8%' },
      { ...numColumn(`${indexCode} ${panel.otherEdition}`), width: '8%' },
      { ...numColumn('Cambio (muestras)'), width: '10%' },
      { ...numColumn('Cambio (panel)'), width: '10%' },
      { label: 'Muestras distintas en', width: '21%' },
    ],
    rows: panel.groups.map((g) => {
      const v = g.nodes[indexNode]!;
      return {
        cells: [
          text(g.group),
          text(formatCount(g.nBase), 'num'),
          text(formatCount(g.nOther), 'num'),
          text(formatCount(g.nMatched), 'num'),
          text(formatScore(v.base), 'num'),
          text(formatScore(v.other), 'num'),
          text(formatDelta(v.deltaAll), 'num'),
          text(formatDelta(v.deltaMatched), 'num strong'),
          text(g.warnings.map((w) => ({ size: 'tamaño', composition: 'composición', 'no-overlap': 'todo: ninguno en común' })[w.kind]).join(' y ') || '—'),
        ],
      };
    }),
    note: 'Cambio (panel): media del cambio de cada sujeto obligado evaluado en ambas ediciones (vinculados por nombre, entidad y tipo, o confirmados por una persona). Cambio (muestras): diferencia entre las medias de las dos muestras completas; si las muestras difieren, mezcla el cambio de muestra con el de apertura.',
  };
}

export function nationalEvolutionView(data: NationalReportData, charts: ChartSequence): NationalEvolutionView {
  const { evolution, nodes, indexNode } = data;
  const indexCode = nodes.find((n) => n.id === indexNode)?.code ?? indexNode;
  const series = nationalSeries(data.comparison, nodes).filter((s) => TREND_KINDS.includes(nodes.find((n) => n.id === s.node)?.kind ?? ''));
  const trend = charts.view(
    trendChart({ title: `${series.map((s) => s.code).join(', ')} nacionales por edición`, editions: data.editions, series: series.map((s) => ({ label: s.code, values: s.values })) }),
    'Cifras nacionales publicadas (o calculadas, en la edición con datos por sujeto obligado); una edición sin punto no publicó la cifra.',
  );
  const later = data.editions.filter((e) => e !== data.baseEdition && evolution.entities.some((en) => en.editionsWithFigures.includes(e)));
  const shown = evolution.entities[0]?.series.filter((s) => evolution.entities.some((en) => en.series.find((x) => x.node === s.node)!.points.some((p) => p.edition !== data.baseEdition && p.value !== null))) ?? [];
  const cellText = (p: EvolutionPoint) => (p.value === null ? NOT_AVAILABLE : p.rank?.stated ? `${formatScore(p.value)} (${placeText(p.rank).replace(' lugar', '')})` : formatScore(p.value));
  const entityTable: TableView | undefined =
    evolution.entities.length > 0
      ? {
          caption: `Entidades con cifras publicadas en ${later.join(' y ')}, junto a sus cifras ${data.baseEdition}`,
          columns: [{ label: 'Entidad' }, ...shown.flatMap((s) => [data.baseEdition, ...later].map((e) => numColumn(`${s.code} ${e}`)))],
          rows: evolution.entities.map((en) => ({
            cells: [
              text(en.entity),
              ...shown.flatMap((s) => {
                const row = en.series.find((x) => x.node === s.node)!;
                return [data.baseEdition, ...later].map((e) => {
                  const p = row.points.find((x) => x.edition === e)!;
                  return text(cellText(p), p.value === null ? 'num missing' : 'num');
                });
              }),
            ],
          })),
          note: `${data.baseEdition}: media calculada de la entidad; ${later.join(', ')}: cifras publicadas (solo algunas entidades). Entre paréntesis, el lugar cuando la fuente lo indica.`,
        }
      : undefined;
  const maps = evolution.mapChoices
    .filter((c) => c.edition !== data.baseEdition && c.node === indexNode)
    .map((c) => mapView(entityFiguresOf(evolution, c.edition, c.node), c.code, c.edition, `mapa-${c.edition}-${c.node}`, `cifras publicadas de ${formatCount(c.count)} de 33 entidades`));
  return {
    intro: `Lo que las ediciones comparadas permiten seguir en el tiempo: la serie nacional ${data.editions[0]}–${data.editions.at(-1)}, las cifras de las entidades que alguna edición posterior publicó${evolution.panels.length > 0 ? ' y el cambio de los mismos sujetos obligados entre dos ediciones con datos por sujeto obligado' : ''}.`,
    trend,
    ...(entityTable && { entityTable }),
    maps,
    panels: evolution.panels.map((p) => panelTable(p, indexNode, indexCode)),
    notes: [...evolution.notes, ...evolution.panels.flatMap((p) => p.groups.filter((g) => g.group === 'Nacional').flatMap((g) => g.warnings.map((w) => w.message.es)))],
  };
}

/** Entity figures of a later edition, from the entity evolutions (the published figures they hold). */
function entityFiguresOf(evolution: NationalEvolution, edition: string, node: string): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const en of evolution.entities) values[en.entity] = en.series.find((s) => s.node === node)?.points.find((p) => p.edition === edition)?.value ?? null;
  return values;
}

// ───────────────────────────── institution card ─────────────────────────────

export interface PreviousView {
  intro: string;
  table: TableView;
}

/** The institution's previous edition and the change since (the card's «Edición anterior»). */
export function previousEditionView(data: InstitutionReportData): PreviousView | undefined {
  const previous = data.previous;
  if (!previous) return undefined;
  const link =
    previous.link.method === 'exact'
      ? 'por coincidencia del nombre, la entidad y el tipo'
      : `por decisión de una persona que confirmó la correspondencia (similitud del nombre ${formatScore(previous.link.similarity)})`;
  return {
    intro: `El mismo sujeto obligado en la edición ${previous.edition} (${previous.title}), con el nombre «${previous.name}», vinculado ${link}. Los instrumentos pueden cambiar entre ediciones: el cambio compara las cifras tal como cada edición las midió.`,
    table: {
      columns: [{ label: 'Índice' }, { label: 'Nombre' }, numColumn(previous.edition), numColumn(data.edition), numColumn('Cambio')],
      rows: data.nodes.map((n) => ({ cells: [text(n.code, 'strong'), text(n.name), text(formatScore(previous.values[n.id]), 'num'), text(formatScore(data.values[n.id]), 'num'), text(formatDelta(previous.delta[n.id]), 'num strong')] })),
    },
  };
}
