/**
 * Institution-level comparison of two editions with per-institution data: per group, the change over
 * the institutions evaluated in both (the panel, linked by a crosswalk) beside the change of the
 * whole-sample means, with the n of each, and a warning when the two samples differ in size or
 * composition — so a change of sample is not read as a change of openness.
 *
 * Groups are those of the base edition (entity, type, level or national); a linked pair belongs to its
 * base institution's group, and the other edition's whole-sample mean is over its own institutions
 * of the same group name. Pure.
 */
import { rowValues, type ScoreTable } from './engine.js';
import { groupBy, NATIONAL_GROUP_NAME, type GroupSummary } from './grouping.js';
import type { Label } from './methodology.js';

export const PANEL_GROUPINGS = ['entity', 'type', 'level', 'national'] as const;
export type PanelGrouping = (typeof PANEL_GROUPINGS)[number];

export interface PanelInstitution {
  /** The key the links use. */
  key: string;
  entity: string;
  type: string;
  level: string;
}

export interface PanelSide {
  /** Edition name as printed ("2017"). */
  edition: string;
  institutions: readonly PanelInstitution[];
  /** The engine's scores of `institutions`, same order. */
  scores: ScoreTable;
}

export interface PanelLink {
  base: string;
  other: string;
}

export interface PanelNode {
  /** Whole-sample means of the group in each edition. */
  base: number | null;
  other: number | null;
  /** other − base of the whole-sample means. */
  deltaAll: number | null;
  /** Mean over the linked pairs of the group of (other − base); pairs with a value on both sides. */
  deltaMatched: number | null;
  /** Linked pairs with a value for the node on both sides. */
  nMatched: number;
}

export interface PanelWarning {
  kind: 'size' | 'composition' | 'no-overlap';
  message: Label;
}

export interface PanelGroup {
  group: string;
  nBase: number;
  nOther: number;
  nMatched: number;
  nodes: Record<string, PanelNode>;
  warnings: PanelWarning[];
}

export interface PanelComparison {
  baseEdition: string;
  otherEdition: string;
  by: PanelGrouping;
  nodes: string[];
  groups: PanelGroup[];
  /** Links whose keys are not among the institutions with results (ignored). */
  ignoredLinks: number;
}

const count = (n: number) => n.toLocaleString('en-US');

function groupWarnings(group: string, base: string, other: string, nBase: number, nOther: number, nMatched: number, index: PanelNode | undefined): PanelWarning[] {
  const warnings: PanelWarning[] = [];
  if (nMatched === 0) {
    warnings.push({
      kind: 'no-overlap',
      message: {
        es: `${group}: ningún sujeto obligado está en ambas ediciones; no hay cambio comparable, solo medias de muestras distintas.`,
        en: `${group}: no institution is in both editions; there is no like-for-like change, only means of different samples.`,
      },
    });
    return warnings;
  }
  if (nBase !== nOther) {
    warnings.push({
      kind: 'size',
      message: {
        es: `${group}: las muestras difieren en tamaño (${count(nBase)} sujetos obligados en ${base}, ${count(nOther)} en ${other}).`,
        en: `${group}: the samples differ in size (${count(nBase)} institutions in ${base}, ${count(nOther)} in ${other}).`,
      },
    });
  }
  if (nMatched < nBase || nMatched < nOther) {
    const effect = index && index.deltaAll !== null && index.deltaMatched !== null ? index.deltaAll - index.deltaMatched : null;
    const tail =
      effect === null
        ? { es: '', en: '' }
        : { es: ` Cambio de la media de toda la muestra menos cambio del panel: ${effect >= 0 ? '+' : '−'}${Math.abs(effect).toFixed(3)}.`, en: ` Whole-sample change minus panel change: ${effect >= 0 ? '+' : '-'}${Math.abs(effect).toFixed(3)}.` };
    warnings.push({
      kind: 'composition',
      message: {
        es: `${group}: solo ${count(nMatched)} sujetos obligados están en ambas ediciones (de ${count(nBase)} y ${count(nOther)}); el cambio de la media de toda la muestra mezcla el cambio de muestra con el de apertura: lea el cambio del panel.${tail.es}`,
        en: `${group}: only ${count(nMatched)} institutions are in both editions (of ${count(nBase)} and ${count(nOther)}); the whole-sample change mixes a change of sample with a change of openness: read the panel change.${tail.en}`,
      },
    });
  }
  return warnings;
}

const keyOf = (by: PanelGrouping, i: PanelInstitution): string => (by === 'national' ? NATIONAL_GROUP_NAME : i[by]);

/** The panel comparison of `other` against `base`, one row per group of the base edition. */
export function panelComparison(base: PanelSide, other: PanelSide, links: readonly PanelLink[], by: PanelGrouping, nodes: readonly string[]): PanelComparison {
  if (base.scores.rowCount !== base.institutions.length || other.scores.rowCount !== other.institutions.length) {
    throw new RangeError('each side needs one scored row per institution');
  }
  const baseRow = new Map(base.institutions.map((inst, row) => [inst.key, row]));
  const otherRow = new Map(other.institutions.map((inst, row) => [inst.key, row]));
  const pairs = links.flatMap((l) => {
    const b = baseRow.get(l.base);
    const o = otherRow.get(l.other);
    return b === undefined || o === undefined ? [] : [{ b, o }];
  });

  const baseGroups = groupBy(base.scores, base.institutions, by).groups;
  const otherGroups = new Map<string, GroupSummary>(groupBy(other.scores, other.institutions, by).groups.map((g) => [g.name, g]));
  const pairsByGroup = new Map<string, { b: number; o: number }[]>();
  for (const pair of pairs) {
    const group = keyOf(by, base.institutions[pair.b]!);
    pairsByGroup.set(group, [...(pairsByGroup.get(group) ?? []), pair]);
  }
  const valuesCache = new Map<string, Record<string, number>>();
  const valuesOf = (side: 'b' | 'o', row: number) => {
    const key = `${side}${row}`;
    let values = valuesCache.get(key);
    if (!values) valuesCache.set(key, (values = rowValues(side === 'b' ? base.scores : other.scores, row)));
    return values;
  };

  const groups = baseGroups.map((g): PanelGroup => {
    const og = otherGroups.get(g.name);
    const groupPairs = pairsByGroup.get(g.name) ?? [];
    const nodeValues: Record<string, PanelNode> = {};
    for (const node of nodes) {
      const b = g.values[node] ?? null;
      const o = og?.values[node] ?? null;
      let sum = 0;
      let n = 0;
      for (const pair of groupPairs) {
        const vb = valuesOf('b', pair.b)[node];
        const vo = valuesOf('o', pair.o)[node];
        if (vb === undefined || vo === undefined) continue;
        sum += vo - vb;
        n++;
      }
      nodeValues[node] = { base: b, other: o, deltaAll: b === null || o === null ? null : o - b, deltaMatched: n === 0 ? null : sum / n, nMatched: n };
    }
    const nOther = og?.n ?? 0;
    return {
      group: g.name,
      nBase: g.n,
      nOther,
      nMatched: groupPairs.length,
      nodes: nodeValues,
      warnings: groupWarnings(g.name, base.edition, other.edition, g.n, nOther, groupPairs.length, nodeValues[nodes[0] ?? '']),
    };
  });
  return { baseEdition: base.edition, otherEdition: other.edition, by, nodes: [...nodes], groups, ignoredLinks: links.length - pairs.length };
}
