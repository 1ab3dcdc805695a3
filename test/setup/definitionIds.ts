/**
 * Every identifier of the definition files that must never reach a page a person reads: item ids
 * (group children included), section ids and option codes of every built-in instrument, the
 * instruments' own ids, and the methodology's node and path ids — except the official abbreviations
 * of the metric (IGA, T, P, TG, TC, PG, PC: the summary nodes), which pages print beside the names.
 */
import { BUILTIN_INSTRUMENT_IDS, loadInstrument, type QuestionnaireItem } from '../../questionnaires/engine.js';
import { BUILTIN_METHODOLOGY_IDS, loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { methodologyGraph } from '../../scoring/methodology.js';
import { nodeNames } from '../../scoring/explanation.js';

/**
 * Identifiers that are also ordinary Spanish words a page may use in their own sense ("ley general",
 * the «folio» of a request): matching them would test the language, not the leak.
 */
export const SPANISH_WORDS = new Set(['general', 'folio']);

export function definitionIdentifiers(): Set<string> {
  const ids = new Set<string>();
  const visit = (items: readonly QuestionnaireItem[]) => {
    for (const item of items) {
      ids.add(item.id);
      if (item.kind === 'single' || item.kind === 'multiple') for (const choice of item.choices) ids.add(choice.id);
      if (item.kind === 'group') visit(item.items);
    }
  };
  for (const id of BUILTIN_INSTRUMENT_IDS) {
    ids.add(id);
    for (const section of loadInstrument(id).sections) {
      ids.add(section.id);
      visit(section.items);
    }
  }
  const official = new Set<string>();
  for (const id of BUILTIN_METHODOLOGY_IDS) {
    const methodology = loadBuiltinMethodology(id);
    for (const node of methodologyGraph(methodology).nodes) ids.add(node.id);
    for (const path of methodology.equivalentPaths) ids.add(path.id);
    for (const name of nodeNames(methodology).values()) if (name.abbreviation) official.add(name.abbreviation);
  }
  // Yes/no answers are stored as "yes" and "no"; "no" is also the Spanish word.
  ids.add('yes');
  for (const id of [...official, ...SPANISH_WORDS]) ids.delete(id);
  return ids;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The identifiers that occur in `text` as words (not inside a longer word; case-sensitive). */
export function identifiersIn(text: string, ids: ReadonlySet<string> = definitionIdentifiers()): string[] {
  return [...ids].filter((id) => new RegExp(`(?<![\\p{L}\\p{N}_])${escape(id)}(?![\\p{L}\\p{N}_])`, 'u').test(text)).sort();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The text a person reads in an HTML page: no scripts, styles, tags or attribute values; entities decoded. */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) =>
      code.startsWith('#x') || code.startsWith('#X') ? String.fromCodePoint(parseInt(code.slice(2), 16)) : code.startsWith('#') ? String.fromCodePoint(Number(code.slice(1))) : (ENTITIES[code.toLowerCase()] ?? whole),
    )
    .replace(/\s+/g, ' ');
}
