/**
 * The editions-over-time pieces of the public results pages (Spanish): an entity's figures across
 * editions with its trend chart. Views: server/views/partials/evolution/.
 *
 * The numbers come from the report models (reports/models/evolution.ts), so a page and its PDF agree.
 */
import { buildEntityEvolution, placeText, type EntityEvolution } from '../../reports/models/evolution.js';
import { summaryNodes, type EditionResults } from '../../reports/models/common.js';
import { formatCount, formatScore, NOT_AVAILABLE } from '../../reports/format.js';
import { trendChart } from '../../reports/trendChart.js';
import { TREND_KINDS } from '../../reports/views/evolution.js';
import { chart } from '../http/inlineChart.js';
import { evolutionOptions } from '../services/reports.js';

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
