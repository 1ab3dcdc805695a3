/**
 * The methodologies shipped with the project (methodologies/*.json), validated once and handed to the
 * scoring engine by their callers: scoring/ itself never reads them.
 */
import { validateMethodology, type Methodology } from '../scoring/methodology.js';
import mga2017 from './methodologies/mga-2017.json' with { type: 'json' };

const BUILTIN_SOURCES = { 'mga-2017': mga2017 } as const;
export type BuiltinMethodologyId = keyof typeof BUILTIN_SOURCES;
export const BUILTIN_METHODOLOGY_IDS = Object.keys(BUILTIN_SOURCES) as BuiltinMethodologyId[];

const builtinCache = new Map<BuiltinMethodologyId, Methodology>();

export function isBuiltinMethodologyId(id: string): id is BuiltinMethodologyId {
  return Object.hasOwn(BUILTIN_SOURCES, id);
}

/** A methodology shipped with the project, validated once. */
export function loadBuiltinMethodology(id: BuiltinMethodologyId): Methodology {
  if (!isBuiltinMethodologyId(id)) {
    throw new RangeError(`unknown built-in methodology "${String(id)}"; available: ${BUILTIN_METHODOLOGY_IDS.join(', ')}`);
  }
  let methodology = builtinCache.get(id);
  if (!methodology) {
    methodology = validateMethodology(BUILTIN_SOURCES[id]);
    builtinCache.set(id, methodology);
  }
  return methodology;
}
