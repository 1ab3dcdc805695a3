/**
 * How numbers, dates and node names are printed in the reports (Spanish, Mexico). Every number goes
 * through the scoring module's half-up rounding so a report never prints a figure that differs from
 * the published rounding of the same value.
 */
import type { MethodologyNode } from '../scoring/methodology.js';
import { formatFixed } from '../scoring/rounding.js';

export const REPORT_LOCALE = 'es-MX';
export const REPORT_TIME_ZONE = 'America/Mexico_City';
/** Scores are published with two decimals (METHODOLOGY.md §3). */
export const SCORE_DECIMALS = 2;
/** Printed where an edition did not publish or measure a value: never a zero (the results pages say the same). */
export const NOT_AVAILABLE = 'sin dato';
/** es-MX writes a decimal point and groups thousands with commas. */
const THOUSANDS_SEPARATOR = ',';
const MINUS = '−';

function groupThousands(fixed: string): string {
  const [integer = '', fraction] = fixed.split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, THOUSANDS_SEPARATOR);
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A score with `decimals` places, half-up ("0.39"); «sin dato» when missing. */
export function formatScore(value: number | null | undefined, decimals = SCORE_DECIMALS): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NOT_AVAILABLE;
  return groupThousands(formatFixed(value, decimals)).replace(/^-/, MINUS);
}

/** A change with its sign ("+0.13", "−0.04", "0.00"); «sin dato» when missing. */
export function formatDelta(value: number | null | undefined, decimals = SCORE_DECIMALS): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NOT_AVAILABLE;
  const text = formatFixed(value, decimals);
  if (!/[1-9]/.test(text)) return text.replace(/^-/, '');
  return text.startsWith('-') ? `${MINUS}${text.slice(1)}` : `+${text}`;
}

/** A whole number with thousands separators ("1,243"). */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NOT_AVAILABLE;
  return groupThousands(formatFixed(value, 0));
}

/** A weight with as many decimals as it needs, up to four ("0.5", "0.25", "0.125"). */
export function formatWeight(weight: number): string {
  return formatFixed(weight, 4).replace(/\.?0+$/, '');
}

/** "22 de noviembre de 2025, 16:05" in Mexico City time unless told otherwise. */
export function formatDateTime(date: Date, timeZone = REPORT_TIME_ZONE): string {
  const day = new Intl.DateTimeFormat(REPORT_LOCALE, { dateStyle: 'long', timeZone }).format(date);
  const time = new Intl.DateTimeFormat(REPORT_LOCALE, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(date);
  return `${day}, ${time}`;
}

/** The acronym a node's Spanish label gives in parentheses ("… Abierto (IGA)" → "IGA"), else its id. */
export function nodeCode(node: Pick<MethodologyNode, 'id' | 'label'>): string {
  return /\(([^()]+)\)\s*$/.exec(node.label.es)?.[1] ?? node.id;
}

/** The Spanish label without its trailing acronym. */
export function nodeName(node: Pick<MethodologyNode, 'label'>): string {
  return node.label.es.replace(/\s*\([^()]+\)\s*$/, '');
}
