/**
 * Editions over time, for the reports and pages: an entity's figures in every edition (computed from
 * the base edition's institutions, published for the others, «sin dato» where an edition published
 * nothing for it), and the national series. Published figures are never corrected nor filled in:
 * a place among the entities is printed only where the source states it.
 */
import { ENTITIES, normalizeEntity } from '../../scoring/catalogue.js';
import { rankDescending, type Comparison } from '../../scoring/comparison.js';
import { publishedFigure, type PublishedWarning, type StatedRank } from '../../scoring/published.js';
import type { PanelComparison } from '../../scoring/panel.js';
import { formatCount, formatScore } from '../format.js';
import { defaultEditions, listNames, nationalComparison, summaryNodes, type EditionResults, type NodeInfo, type PublishedInput } from './common.js';

export interface EvolutionPoint {
  edition: string;
  value: number | null;
  /** "computed" from the edition's institutions here, "published" by the edition; null without a value. */
  origin: 'computed' | 'published' | null;
  /** The place among the entities: computed for the base edition, as the source states it for the others. */
  rank: { place: number | 'last'; of: number | null; stated: boolean } | null;
  /** Where a published figure comes from. */
  source: string | null;
}

export interface EvolutionSeries {
  node: string;
  code: string;
  name: string;
  points: EvolutionPoint[];
  /** The national figure of each edition (published, else the base edition's computed one). */
  national: (number | null)[];
}

export interface EditionNote {
  edition: string;
  /** Institutions of the entity behind a computed figure; null for published ones. */
  n: number | null;
  /** Nodes with a figure in this edition. */
  present: string[];
  sources: string[];
}

export interface EntityEvolution {
  entity: string;
  entityCode: string;
  editions: string[];
  baseEdition: string;
  series: EvolutionSeries[];
  perEdition: EditionNote[];
  /** Editions other than the base that published at least one figure for the entity. */
  editionsWithFigures: string[];
  /** Published figures of the entity that fail a relation of the methodology (kept as published). */
  warnings: PublishedWarning[];
  /** The same, one plain sentence per failed relation. */
  warningTexts: string[];
  /** Distinct sources of the published figures shown, for the sources annex. */
  sources: string[];
  notes: string[];
}

export interface EvolutionOptions {
  /** Editions to show, in order; default the base edition and every edition in the published data. */
  editions?: readonly string[];
  /** What is known about each edition, added to the notes. */
  editionAbout?: Readonly<Record<string, string>>;
}

/** "1.º", "12.º"; "último". */
export function placeText(rank: NonNullable<EvolutionPoint['rank']>): string {
  if (rank.place === 'last') return rank.of === null ? 'último lugar' : `último lugar de ${formatCount(rank.of)}`;
  return rank.of === null ? `${formatCount(rank.place)}.º lugar` : `${formatCount(rank.place)}.º de ${formatCount(rank.of)}`;
}

const statedRank = (rank: StatedRank | undefined): EvolutionPoint['rank'] => (rank === undefined ? null : { place: rank, of: null, stated: true });

/** Every summary figure of one entity in every edition, beside the national series. */
export function buildEntityEvolution(results: EditionResults, published: PublishedInput | undefined, entityName: string, options: EvolutionOptions = {}): EntityEvolution {
  const entity = normalizeEntity(entityName);
  const nodes: NodeInfo[] = summaryNodes(results.compiled);
  const editions = [...(options.editions ?? defaultEditions(results, published))];
  const national: Comparison = nationalComparison(results, published, editions);
  const nationalNodes = national.groups[0]!.nodes;
  const group = results.byEntity.groups.find((g) => g.name === entity.name);
  const groups = results.byEntity.groups;

  const series = nodes.map((node): EvolutionSeries => {
    const ranks = rankDescending(groups.map((g) => g.values[node.id] ?? null));
    const ranked = ranks.filter((r) => r !== null).length;
    const points = editions.map((edition): EvolutionPoint => {
      if (edition === results.edition) {
        const value = group?.values[node.id] ?? null;
        const place = group ? ranks[groups.indexOf(group)] : null;
        return { edition, value, origin: value === null ? null : 'computed', rank: place == null ? null : { place, of: ranked, stated: false }, source: null };
      }
      const figure = published ? publishedFigure(published.data, edition, 'entity', entity.name, node.id) : undefined;
      if (!figure) return { edition, value: null, origin: null, rank: null, source: null };
      return { edition, value: figure.value, origin: 'published', rank: statedRank(figure.rank), source: figure.source };
    });
    return { node: node.id, code: node.code, name: node.name, points, national: editions.map((e) => nationalNodes[node.id]?.values[e] ?? null) };
  });

  const perEdition = editions.map((edition, i): EditionNote => {
    const present = series.filter((s) => s.points[i]!.value !== null).map((s) => s.node);
    const sources = [...new Set(series.flatMap((s) => (s.points[i]!.source ? [s.points[i]!.source!] : [])))];
    return { edition, n: edition === results.edition ? (group?.n ?? null) : null, present, sources };
  });
  const editionsWithFigures = perEdition.filter((e) => e.edition !== results.edition && e.present.length > 0).map((e) => e.edition);
  const warnings = (published?.warnings ?? []).filter((w) => w.kind === 'inconsistent' && w.scope === 'entity' && w.group === entity.name && editions.includes(w.edition));

  const codeOf = new Map(nodes.map((n) => [n.id, n.code]));
  const codes = (ids: readonly string[]) => listNames(ids.map((id) => codeOf.get(id) ?? id));
  const notes: string[] = [];
  for (const e of perEdition) {
    const about = options.editionAbout?.[e.edition];
    if (e.edition === results.edition) {
      notes.push(
        group
          ? `${e.edition}: cifras calculadas como la media simple de los ${formatCount(group.n)} sujetos obligados de ${entity.name}; el lugar se cuenta entre las ${formatCount(groups.length)} entidades (incluida la Federación).`
          : `${e.edition}: la edición no tiene sujetos obligados de ${entity.name}.`,
      );
    } else if (e.present.length === 0) {
      notes.push(`${e.edition}: no se publicaron cifras de ${entity.name} (sin dato)${about ? `; ${about}` : ''}.`);
    } else {
      const stated = series.filter((s) => s.points.find((p) => p.edition === e.edition)?.rank?.stated).map((s) => s.node);
      notes.push(
        `${e.edition}: cifras publicadas de ${codes(e.present)}; las demás no se publicaron (sin dato)` +
          (stated.length > 0 ? `. La fuente indica el lugar de ${codes(stated)}; de lo demás no lo indica` : '; la fuente no indica el lugar') +
          `${about ? `; ${about}` : ''}.`,
      );
    }
  }
  if (editionsWithFigures.length > 0) {
    notes.push('Las ediciones posteriores cambiaron instrumentos y ponderaciones internas (no públicas): la comparación se hace solo con índices y subíndices publicados.');
  }
  const warningTexts = warnings
    .filter((w) => w.measure === w.relationNode && w.implied !== null && w.published !== null)
    .map((w) => {
      const terms = w.terms.map((t) => t.measure);
      return `${w.edition}: el ${codeOf.get(w.measure) ?? w.measure} publicado (${formatScore(w.published)}) no cuadra con ${codes(terms)} publicados, que darían ${formatScore(w.implied, 3)} (la diferencia pasa el margen del redondeo, ±0.01). Se muestran tal como se publicaron.`;
    });
  return {
    entity: entity.name,
    entityCode: entity.code,
    editions,
    baseEdition: results.edition,
    series,
    perEdition,
    editionsWithFigures,
    warnings,
    warningTexts,
    sources: [...new Set(perEdition.flatMap((e) => e.sources))],
    notes,
  };
}

/** The national series of every summary node across the compared editions. */
export function nationalSeries(comparison: Comparison, nodes: readonly NodeInfo[]): { node: string; code: string; name: string; values: (number | null)[] }[] {
  const row = comparison.groups[0]!.nodes;
  return nodes.map((n) => ({ node: n.id, code: n.code, name: n.name, values: comparison.editions.map((e) => row[n.id]?.values[e] ?? null) }));
}

/** The figure of every entity for one node and edition: computed means for the base edition, published figures for the others. */
export function entityFigures(results: EditionResults, published: PublishedInput | undefined, edition: string, node: string): Record<string, number | null> {
  return Object.fromEntries(
    ENTITIES.map((e) => {
      if (edition === results.edition) return [e.name, results.byEntity.groups.find((g) => g.name === e.name)?.values[node] ?? null];
      return [e.name, (published && publishedFigure(published.data, edition, 'entity', e.name, node)?.value) ?? null];
    }),
  );
}

export interface MapChoice {
  edition: string;
  node: string;
  code: string;
  /** Entities with a figure (of 33). */
  count: number;
}

/** Every (edition, node) with at least one entity figure, editions in order, nodes in methodology order. */
export function entityMapChoices(results: EditionResults, published: PublishedInput | undefined, editions?: readonly string[]): MapChoice[] {
  const nodes = summaryNodes(results.compiled);
  return [...(editions ?? defaultEditions(results, published))].flatMap((edition) =>
    nodes.flatMap((n) => {
      const count = Object.values(entityFigures(results, published, edition, n.id)).filter((v) => v !== null).length;
      return count > 0 ? [{ edition, node: n.id, code: n.code, count }] : [];
    }),
  );
}

/** The «Evolución» section of the national report: what the compared editions have. */
export interface NationalEvolution {
  editions: string[];
  /** Entities with a published figure in an edition other than the base, in catalogue order. */
  entities: EntityEvolution[];
  /** Maps that can be drawn: every (edition, node) with entity figures. */
  mapChoices: MapChoice[];
  /** Institution-level changes (national, by entity, …), when two editions with per-institution data were compared. */
  panels: PanelComparison[];
  notes: string[];
}

export function buildNationalEvolution(results: EditionResults, published: PublishedInput | undefined, editions: readonly string[], options: { panels?: readonly PanelComparison[]; editionAbout?: Readonly<Record<string, string>> } = {}): NationalEvolution {
  const later = editions.filter((e) => e !== results.edition);
  const entities = ENTITIES.filter((e) => later.some((edition) => published && Object.values(published.data.editions[edition]?.groups ?? {}).some((g) => g.scope === 'entity' && g.group === e.name))).map((e) =>
    buildEntityEvolution(results, published, e.name, { editions, ...(options.editionAbout && { editionAbout: options.editionAbout }) }),
  );
  const notes: string[] = [];
  if (entities.length === 0 && later.length > 0) notes.push(`Ninguna edición posterior a ${results.edition} publicó cifras por entidad en los datos cargados.`);
  if (!options.panels?.length) notes.push(`Solo ${results.edition} tiene datos por sujeto obligado en este servicio: no hay comparación de los mismos sujetos obligados entre ediciones (panel).`);
  return { editions: [...editions], entities, mapChoices: entityMapChoices(results, published, editions), panels: [...(options.panels ?? [])], notes };
}
