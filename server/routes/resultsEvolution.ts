/**
 * The editions-over-time pieces of the public results pages (Spanish): an entity's figures across
 * editions with its trend chart, and the national page's map of any node and edition with entity
 * figures. Views: server/views/partials/evolution/.
 *
 * The numbers come from the report models (reports/models/evolution.ts), so a page and its PDF agree.
 */
import { buildEntityEvolution, entityFigures, entityMapChoices, placeText, type EntityEvolution } from '../../reports/models/evolution.js';
import { choroplethMap, legendDecimals, MAP_ATTRIBUTION } from '../../reports/maps.js';
import { foldName } from '../../scoring/catalogue.js';
import { rankDescending } from '../../scoring/comparison.js';
import { summaryNodes, type EditionResults } from '../../reports/models/common.js';
import { formatCount, formatDelta, formatScore, NOT_AVAILABLE } from '../../reports/format.js';
import { trendChart } from '../../reports/trendChart.js';
import type { PanelComparison } from '../../scoring/panel.js';
import { TREND_KINDS } from '../../reports/views/evolution.js';
import { chart } from '../http/inlineChart.js';
import { evolutionOptions } from '../services/reports.js';
import { previousEdition } from '../services/crosswalks.js';
import type { LoadedEdition } from '../services/loadedEditions.js';

export interface EvolutionCell {
  value: string;
  place?: string;
  missing: boolean;
}

/** An entity's figures in every edition, as the entity page shows them. */
export async function entityEvolutionSection(results: EditionResults, entity: string) {
  const { published, editionAbout } = await evolutionOptions();
  const evolution: EntityEvolution = buildEntityEvolution(results, published, entity, { editionAbout });
  const kinds = new Map(summaryNodes(results.compiled).map((n) => [n.id, n.kind]));
  const charted = evolution.series.filter((s) => TREND_KINDS.includes(kinds.get(s.node) ?? ''));
  const index = evolution.series[0]!;
  const trend = chart(
    results,
    `evolution-${evolution.entity}-${evolution.editions.join('-')}`,
    () =>
      trendChart({
        title: `${evolution.entity}: ${charted.map((s) => s.code).join(', ')} por edición, frente al ${index.code} nacional`,
        editions: evolution.editions,
        series: [...charted.map((s) => ({ label: `${s.code} ${evolution.entity}`, values: s.points.map((p) => p.value) })), { label: `${index.code} nacional`, values: index.national, role: 'reference' as const }],
      }),
    'Puntos: cifras calculadas o publicadas; una edición sin punto no publicó la cifra (sin dato) y el tramo punteado la cruza sin suponer un valor.',
  );
  return {
    editions: evolution.editions,
    chart: trend,
    rows: evolution.series.map((s) => ({
      code: s.code,
      name: s.name,
      cells: s.points.map(
        (p): EvolutionCell => ({ value: p.value === null ? NOT_AVAILABLE : formatScore(p.value), missing: p.value === null, ...(p.rank && { place: `${placeText(p.rank)}${p.rank.stated ? ', según la fuente' : ''}` }) }),
      ),
    })),
    national: charted.map((s) => ({ code: s.code, values: s.national.map((v) => formatScore(v)) })),
    origins: evolution.perEdition.map((e) => (e.edition === evolution.baseEdition ? (e.n === null ? NOT_AVAILABLE : `calculado con ${formatCount(e.n)} sujetos obligados`) : e.present.length > 0 ? 'publicado' : NOT_AVAILABLE)),
    sources: evolution.perEdition.filter((e) => e.sources.length > 0).map((e) => ({ edition: e.edition, sources: e.sources })),
    warnings: evolution.warningTexts,
    notes: evolution.notes,
  };
}

/** The map section of the national page: any node and edition with entity figures, chosen by ?indice=IGA&edicion=2021. */
export async function nationalMapSection(results: EditionResults, query: Record<string, unknown>) {
  const { published } = await evolutionOptions();
  const choices = entityMapChoices(results, published);
  const nodes = summaryNodes(results.compiled);
  const index = nodes[0]!;
  const asked = { code: typeof query.indice === 'string' ? query.indice.slice(0, 20) : undefined, edition: typeof query.edicion === 'string' ? query.edicion.slice(0, 10) : undefined };
  const askedNode = asked.code === undefined ? index : nodes.find((n) => foldName(n.code) === foldName(asked.code!) || n.id === asked.code);
  const edition = asked.edition ?? results.edition;
  let choice = choices.find((c) => c.edition === edition && c.node === (askedNode ?? index).id);
  let notice: string | undefined;
  if (!choice) {
    choice = choices.find((c) => c.edition === edition && c.node === index.id) ?? choices.find((c) => c.edition === results.edition && c.node === index.id)!;
    notice = `${askedNode ? `${edition} no publicó ${askedNode.code} por entidad` : `«${asked.code}» no es un índice de la metodología`}; se muestra ${choice.code} ${choice.edition}.`;
  }
  const values = entityFigures(results, published, choice.edition, choice.node);
  const map = choroplethMap({ title: `${choice.code} ${choice.edition} por entidad federativa`, measure: choice.code, values, idPrefix: `mapa-${choice.edition}-${choice.node}` });
  const present = Object.entries(values).filter((e): e is [string, number] => e[1] !== null);
  const ranks = rankDescending(present.map(([, v]) => v));
  const decimals = legendDecimals(map.classes);
  return {
    svg: map.svg,
    title: map.title,
    notice,
    origin: choice.edition === results.edition ? `media calculada de los sujetos obligados de cada entidad` : `cifras publicadas de ${formatCount(choice.count)} de 33 entidades; las demás, sin dato`,
    attribution: MAP_ATTRIBUTION,
    nodes: [...new Map(choices.map((c) => [c.node, c.code])).entries()].map(([id, code]) => ({ code, name: nodes.find((n) => n.id === id)?.name ?? code, selected: id === choice!.node })),
    editions: [...new Set(choices.map((c) => c.edition))].map((e) => ({ edition: e, selected: e === choice!.edition })),
    combinations: choices.map((c) => `${c.code} ${c.edition} (${formatCount(c.count)} entidades)`).join('; '),
    legend: map.classes.map((c) => ({ range: c.from === c.to ? formatScore(c.from, decimals) : `${formatScore(c.from, decimals)} – ${formatScore(c.to, decimals)}`, count: c.count })),
    rows: [
      ...present.map(([name, v], i) => ({ rank: ranks[i]!, name, value: formatScore(v), missing: false })).sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name, 'es')),
      ...map.missing.map((name) => ({ rank: '', name, value: NOT_AVAILABLE, missing: true })),
    ],
  };
}

/** The institution page's «Edición anterior»: the same institution in the latest earlier edition linked to it, and the change. */
export async function institutionPreviousSection(loaded: LoadedEdition, institutionId: string, current: Readonly<Record<string, number | null>>) {
  const previous = await previousEdition(loaded.edition.editionId, institutionId);
  if (!previous) return undefined;
  const nodes = summaryNodes(loaded.results.compiled);
  return {
    edition: previous.edition,
    title: previous.title,
    name: previous.institution.name,
    href: `/resultados/${encodeURIComponent(previous.editionId)}/sujetos/${previous.institution.id}`,
    link: previous.link.method === 'exact' ? 'coincidencia del nombre, la entidad y el tipo' : `correspondencia confirmada por una persona (similitud ${formatScore(previous.link.similarity)})`,
    rows: nodes.map((n) => {
      const before = previous.values[n.id] ?? null;
      const now = current[n.id] ?? null;
      return { code: n.code, name: n.name, before: before === null ? NOT_AVAILABLE : formatScore(before), now: now === null ? NOT_AVAILABLE : formatScore(now), delta: formatDelta(before === null || now === null ? null : now - before) };
    }),
  };
}

/** The national page's «Los mismos sujetos obligados en dos ediciones»: the panels of the national report's data. */
export function panelSection(panels: readonly PanelComparison[], results: EditionResults) {
  const index = results.indexNode;
  const code = summaryNodes(results.compiled).find((n) => n.id === index)?.code ?? index;
  const label = { entity: 'Entidad', type: 'Tipo', level: 'Nivel', national: 'Grupo' } as const;
  return panels.map((p) => ({
    caption: `${code}: ${p.baseEdition} → ${p.otherEdition}${p.by === 'national' ? '' : ` por ${label[p.by].toLowerCase()}`}`,
    groupLabel: label[p.by],
    baseEdition: p.baseEdition,
    otherEdition: p.otherEdition,
    code,
    rows: p.groups.map((g) => {
      const v = g.nodes[index]!;
      return {
        group: g.group,
        nBase: formatCount(g.nBase),
        nOther: formatCount(g.nOther),
        nMatched: formatCount(g.nMatched),
        base: formatScore(v.base),
        other: formatScore(v.other),
        deltaAll: formatDelta(v.deltaAll),
        deltaMatched: formatDelta(v.deltaMatched),
        warnings: g.warnings.map((w) => ({ size: 'muestras de distinto tamaño', composition: 'muestras de distinta composición', 'no-overlap': 'ningún sujeto obligado en común' })[w.kind]).join('; '),
      };
    }),
    // The full explanation once, for the whole sample (each row says which warning applies).
    notes: p.by === 'national' ? p.groups.flatMap((g) => g.warnings.map((w) => w.message.es)) : [],
  }));
}
