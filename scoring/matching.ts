/**
 * Matching the institutions of two editions (a crosswalk), so the same institution can be compared
 * across editions although its name is respelled from one edition to the next.
 *
 * 1. Exact: equal (entity, type, name) once normalised: accents, case, spacing and punctuation
 *    folded, and the "Entidad-" prefix of the 2017 file (and the entity name as a leading word)
 *    dropped. A key that repeats on either side is ambiguous and left to the next step.
 * 2. Fuzzy candidates for what is left, within the same entity: name similarity from fuzzball (a
 *    maintained port of Python's TheFuzz), the mean of its token-sort and token-set ratios, so word
 *    order and added words ("… del Estado") cost little (a name contained word for word in the other
 *    scores at least 0.9); a different institution type costs 15 %.
 *    Candidates are proposals: a person confirms or rejects each (decisions), and only exact and
 *    confirmed pairs link institutions. Every institution is in at most one link.
 *
 * Pure: no database, no files. Records are identified by a caller's key (an id, a row number).
 */
import { token_set_ratio, token_sort_ratio } from 'fuzzball';
import { ENTITIES, foldName, normalizeEntity, UnknownNameError } from './catalogue.js';

export interface MatchRecord {
  /** The caller's identifier, unique within its side. */
  key: string;
  name: string;
  /** Any spelling the catalogue knows ("NuevoLeon", "Ciudad de Mexico"). */
  entity: string;
  type: string;
  level?: string;
}

export type LinkMethod = 'exact' | 'confirmed';

export interface MatchLink {
  base: string;
  other: string;
  method: LinkMethod;
  /** 1 for exact links; the candidate's similarity for confirmed ones (1 when given without one). */
  similarity: number;
}

export interface MatchCandidate {
  base: string;
  other: string;
  /** 0–1. */
  similarity: number;
  sameType: boolean;
  /** The other's best candidate is this base and the base's best is this other. */
  mutualBest: boolean;
}

export interface MatchDecision {
  base: string;
  other: string;
  accepted: boolean;
}

export interface MatchOptions {
  /** Candidates below this similarity are not proposed (default 0.75). */
  minSimilarity?: number;
  /** Candidates kept per base institution, best first (default 3). */
  maxCandidates?: number;
  /** A person's decisions: accepted pairs become links; rejected pairs are never proposed again. */
  decisions?: readonly MatchDecision[];
}

export interface MatchProblem {
  /** "ambiguous": the same normalised key on several records of a side; "decision": a decision that cannot apply. */
  kind: 'ambiguous' | 'decision';
  side?: 'base' | 'other';
  keys: string[];
  reason: string;
}

export interface MatchResult {
  links: MatchLink[];
  /** For institutions without a link, best first per base institution. */
  candidates: MatchCandidate[];
  unmatchedBase: string[];
  unmatchedOther: string[];
  problems: MatchProblem[];
  counts: { base: number; other: number; exact: number; confirmed: number; candidates: number; unmatchedBase: number; unmatchedOther: number };
}

export const DEFAULT_MIN_SIMILARITY = 0.75;
export const DEFAULT_MAX_CANDIDATES = 3;
/** Factor applied to the name similarity when the two institutions' types differ. */
export const TYPE_MISMATCH_FACTOR = 0.85;

/** Folded spellings of each entity (catalogue name and aliases), by INEGI code. */
const ENTITY_SPELLINGS = new Map(ENTITIES.map((e) => [e.code, new Set([e.name, ...e.aliases].map((s) => foldName(s)).filter((s) => s.length > 0))]));
const ALL_SPELLINGS = new Set([...ENTITY_SPELLINGS.values()].flatMap((s) => [...s]));

/** Folds accents and case; punctuation and runs of spaces become one space. */
export function foldWords(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const PREFIX_SEPARATOR = /[-\u2013\u2014:]/;

/**
 * The name as matched: folded words without a leading entity prefix written with a separator
 * ("Aguascalientes-Auditoria Estatal", "Nuevo León - Congreso" → "auditoria estatal", "congreso").
 * Given the record's entity, only its own spellings count as a prefix, so a municipality named like
 * a state ("Hidalgo del Parral", "Durango-Durango") keeps its name.
 */
export function normalizeInstitutionName(name: string, entity?: string): string {
  const separator = PREFIX_SEPARATOR.exec(name);
  if (separator && separator.index > 0) {
    const head = foldName(name.slice(0, separator.index));
    const rest = foldWords(name.slice(separator.index + 1));
    const code = entity === undefined ? undefined : entityCode(entity);
    const spellings = code === undefined ? ALL_SPELLINGS : (ENTITY_SPELLINGS.get(code) ?? new Set<string>());
    if (rest !== '' && spellings.has(head)) return rest;
  }
  return foldWords(name);
}

function entityCode(entity: string): string {
  try {
    return normalizeEntity(entity).code;
  } catch (error) {
    if (error instanceof UnknownNameError) return `?${foldName(entity)}`;
    throw error;
  }
}

/** The exact-match key: entity code, folded type and normalised name. */
export function exactKey(record: Pick<MatchRecord, 'name' | 'entity' | 'type'>): string {
  return `${entityCode(record.entity)}|${foldName(record.type)}|${normalizeInstitutionName(record.name, record.entity)}`;
}

/** Similarity of a name contained word for word in the other. */
export const CONTAINED_SIMILARITY = 0.9;

/**
 * Name similarity in 0–1: the mean of fuzzball's token-sort and token-set ratios on normalised
 * names; at least CONTAINED_SIMILARITY when one name's words are all in the other.
 */
export function nameSimilarity(a: string, b: string, entity?: string): number {
  const x = normalizeInstitutionName(a, entity);
  const y = normalizeInstitutionName(b, entity);
  if (x === y) return 1;
  const options = { full_process: false } as const;
  const set = token_set_ratio(x, y, options);
  const mean = (token_sort_ratio(x, y, options) + set) / 2;
  // One name contained word for word in the other ("PRI" / "PRI del Estado") scores at least 0.9.
  return (set === 100 ? Math.max(mean, CONTAINED_SIMILARITY * 100) : mean) / 100;
}

interface Prepared {
  record: MatchRecord;
  entity: string;
  type: string;
  key: string;
}

function prepare(records: readonly MatchRecord[], side: 'base' | 'other'): Map<string, Prepared> {
  const byKey = new Map<string, Prepared>();
  for (const record of records) {
    if (byKey.has(record.key)) throw new RangeError(`duplicate ${side} key "${record.key}"`);
    byKey.set(record.key, { record, entity: entityCode(record.entity), type: foldName(record.type), key: exactKey(record) });
  }
  return byKey;
}

/** Records grouped by their exact key; keys held by more than one record are reported as ambiguous. */
function uniqueKeys(prepared: Map<string, Prepared>, side: 'base' | 'other', problems: MatchProblem[]): Map<string, string> {
  const holders = new Map<string, string[]>();
  for (const p of prepared.values()) holders.set(p.key, [...(holders.get(p.key) ?? []), p.record.key]);
  const unique = new Map<string, string>();
  for (const [key, keys] of holders) {
    if (keys.length === 1) unique.set(key, keys[0]!);
    else problems.push({ kind: 'ambiguous', side, keys, reason: `${keys.length} institutions of the same entity and type share the name "${key.split('|')[2]}"` });
  }
  return unique;
}

export function matchInstitutions(base: readonly MatchRecord[], other: readonly MatchRecord[], options: MatchOptions = {}): MatchResult {
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const problems: MatchProblem[] = [];
  const b = prepare(base, 'base');
  const o = prepare(other, 'other');

  // 1. Exact links on unique normalised keys.
  const links: MatchLink[] = [];
  const linkedBase = new Set<string>();
  const linkedOther = new Set<string>();
  const otherByKey = uniqueKeys(o, 'other', problems);
  for (const [key, baseKey] of uniqueKeys(b, 'base', problems)) {
    const otherKey = otherByKey.get(key);
    if (otherKey === undefined) continue;
    links.push({ base: baseKey, other: otherKey, method: 'exact', similarity: 1 });
    linkedBase.add(baseKey);
    linkedOther.add(otherKey);
  }

  // 2. A person's decisions: accepted pairs link (when both are still free); rejected pairs are barred.
  const rejected = new Set<string>();
  for (const d of options.decisions ?? []) {
    const pair = `${d.base}\u0000${d.other}`;
    if (!b.has(d.base) || !o.has(d.other)) {
      problems.push({ kind: 'decision', keys: [d.base, d.other], reason: 'the decision names an institution that is not in the editions' });
      continue;
    }
    if (!d.accepted) {
      rejected.add(pair);
      continue;
    }
    if (linkedBase.has(d.base) || linkedOther.has(d.other)) {
      const already = links.some((l) => l.base === d.base && l.other === d.other);
      if (!already) problems.push({ kind: 'decision', keys: [d.base, d.other], reason: 'one of the two institutions is already linked to another' });
      continue;
    }
    links.push({ base: d.base, other: d.other, method: 'confirmed', similarity: nameSimilarity(b.get(d.base)!.record.name, o.get(d.other)!.record.name, b.get(d.base)!.record.entity) });
    linkedBase.add(d.base);
    linkedOther.add(d.other);
  }

  // 3. Fuzzy candidates among the institutions left, blocked by entity.
  const freeOtherByEntity = new Map<string, Prepared[]>();
  for (const p of o.values()) if (!linkedOther.has(p.record.key)) freeOtherByEntity.set(p.entity, [...(freeOtherByEntity.get(p.entity) ?? []), p]);
  const all: MatchCandidate[] = [];
  for (const p of b.values()) {
    if (linkedBase.has(p.record.key)) continue;
    const scored = (freeOtherByEntity.get(p.entity) ?? [])
      .filter((q) => !rejected.has(`${p.record.key}\u0000${q.record.key}`))
      .map((q) => {
        const sameType = p.type === q.type;
        const similarity = nameSimilarity(p.record.name, q.record.name, p.record.entity) * (sameType ? 1 : TYPE_MISMATCH_FACTOR);
        return { base: p.record.key, other: q.record.key, similarity, sameType, mutualBest: false };
      })
      .filter((c) => c.similarity >= minSimilarity)
      .sort((x, y) => y.similarity - x.similarity || x.other.localeCompare(y.other));
    all.push(...scored.slice(0, maxCandidates));
  }
  const bestOfBase = new Map<string, MatchCandidate>();
  const bestOfOther = new Map<string, MatchCandidate>();
  for (const c of all) {
    if (!bestOfBase.has(c.base) || bestOfBase.get(c.base)!.similarity < c.similarity) bestOfBase.set(c.base, c);
    if (!bestOfOther.has(c.other) || bestOfOther.get(c.other)!.similarity < c.similarity) bestOfOther.set(c.other, c);
  }
  for (const c of all) c.mutualBest = bestOfBase.get(c.base) === c && bestOfOther.get(c.other) === c;

  const unmatchedBase = [...b.keys()].filter((k) => !linkedBase.has(k));
  const unmatchedOther = [...o.keys()].filter((k) => !linkedOther.has(k));
  return {
    links,
    candidates: all,
    unmatchedBase,
    unmatchedOther,
    problems,
    counts: {
      base: b.size,
      other: o.size,
      exact: links.filter((l) => l.method === 'exact').length,
      confirmed: links.filter((l) => l.method === 'confirmed').length,
      candidates: all.length,
      unmatchedBase: unmatchedBase.length,
      unmatchedOther: unmatchedOther.length,
    },
  };
}

/** The mutual-best candidates at or above `threshold`, as decisions (for a command-line run without a person). */
export function acceptMutualBest(result: MatchResult, threshold: number): MatchDecision[] {
  return result.candidates.filter((c) => c.mutualBest && c.similarity >= threshold).map((c) => ({ base: c.base, other: c.other, accepted: true }));
}
