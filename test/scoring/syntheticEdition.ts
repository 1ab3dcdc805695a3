/**
 * A synthetic "later edition" made from the 2017 file, with everything known about how it was made:
 * some institutions dropped, some added, names respelled (folding-only changes that the exact match
 * must absorb, and edits that only a fuzzy match can find), and values shifted. Seeded, so every run
 * builds the same file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { repairName } from '../../scoring/import/index.js';
import { DATA_2017, HEADER_2017, REPO_ROOT } from './helpers.js';

export type Respelling = 'same' | 'folding' | 'fuzzy';

export interface SyntheticInstitution {
  /** The 2017 name (SO) it comes from; null for an added institution. */
  from: string | null;
  name: string;
  entity: string;
  level: string;
  type: string;
  respelling: Respelling | 'added';
  TG: number;
  TC: number;
  PG: number;
  PC: number;
}

export interface SyntheticEdition {
  csv: string;
  institutions: SyntheticInstitution[];
  /** 2017 names (SO) left out of the later edition. */
  dropped: string[];
  /** The 2017 rows, by SO. */
  base: Map<string, { TG: number; TC: number; PG: number; PC: number; entity: string; type: string; level: string }>;
}

/** mulberry32: a small seeded generator, enough for test data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
const ACCENTED: Record<string, string> = { a: 'á', e: 'é', i: 'í', o: 'ó', u: 'ú' };

/** Changes that folding absorbs: case, accents, spacing, punctuation, the "Entidad-" prefix. */
function foldingRespell(name: string, entity: string, r: () => number): string {
  const dash = name.indexOf('-');
  const rest = dash > 0 ? name.slice(dash + 1) : name;
  const variants = [
    () => rest.toUpperCase(),
    () => rest.replace(/([aeiou])(?=n\b|s\b)/, (v) => ACCENTED[v] ?? v),
    () => `${entity} - ${rest.toLowerCase()}`,
    () => rest.replace(/ /g, '  ') + '.',
    () => rest.replace(/ De /g, ' de ').replace(/ Del /g, ', del '),
  ];
  return variants[Math.floor(r() * variants.length)]!();
}

/** Edits only a fuzzy match finds: a dropped letter, swapped words, an added word. */
function fuzzyRespell(name: string, r: () => number): string {
  const dash = name.indexOf('-');
  const rest = dash > 0 ? name.slice(dash + 1) : name;
  const words = rest.split(' ');
  const long = words.map((w, i) => ({ w, i })).filter(({ w }) => w.length >= 6);
  const choice = Math.floor(r() * 3);
  if (choice === 0 && long.length > 0) {
    const { w, i } = long[Math.floor(r() * long.length)]!;
    const at = 1 + Math.floor(r() * (w.length - 2));
    words[i] = w.slice(0, at) + w.slice(at + 1);
    return words.join(' ');
  }
  if (choice === 1 && words.length >= 3) {
    const i = Math.floor(r() * (words.length - 1));
    [words[i], words[i + 1]] = [words[i + 1]!, words[i]!];
    return words.join(' ');
  }
  return `${rest} del Estado`;
}

const ADDED_TYPES = ['Municipio', 'Autonomo', 'Descentralizado', 'Fideicomiso'];

export interface SyntheticOptions {
  seed?: number;
  /** Share of 2017 institutions left out (default 0.08). */
  dropShare?: number;
  /** Added institutions as a share of the 2017 ones (default 0.10). */
  addShare?: number;
  /** Added to every sub-index of a kept institution (clamped to 0–1). */
  shift?: { TG: number; TC: number; PG: number; PC: number };
}

export const DEFAULT_SHIFT = { TG: 0.06, TC: -0.03, PG: 0.04, PC: 0.02 } as const;

export function syntheticLaterEdition(options: SyntheticOptions = {}): SyntheticEdition {
  const r = random(options.seed ?? 2019);
  const shift = options.shift ?? DEFAULT_SHIFT;
  const rows = parse(readFileSync(join(REPO_ROOT, DATA_2017)), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  // The names as the import stores them (six arrive damaged by encoding and are repaired on import).
  for (const row of rows) row.SO = repairName(row.SO!)?.to ?? row.SO!;
  const base = new Map(rows.map((row) => [row.SO!, { TG: Number(row.TG), TC: Number(row.TC), PG: Number(row.PG), PC: Number(row.PC), entity: row.edo!, type: row.ts!, level: row.niv! }]));
  const institutions: SyntheticInstitution[] = [];
  const dropped: string[] = [];
  for (const row of rows) {
    if (r() < (options.dropShare ?? 0.08)) {
      dropped.push(row.SO!);
      continue;
    }
    const pick = r();
    const respelling: Respelling = pick < 0.2 ? 'same' : pick < 0.75 ? 'folding' : 'fuzzy';
    const name = respelling === 'same' ? row.SO! : respelling === 'folding' ? foldingRespell(row.SO!, row.edo!, r) : fuzzyRespell(row.SO!, r);
    const b = base.get(row.SO!)!;
    institutions.push({
      from: row.SO!,
      name,
      entity: row.edo!,
      level: row.niv!,
      type: row.ts!,
      respelling,
      TG: clamp(b.TG + shift.TG),
      TC: clamp(b.TC + shift.TC),
      PG: clamp(b.PG + shift.PG),
      PC: clamp(b.PC + shift.PC),
    });
  }
  const entities = [...new Set(rows.map((row) => row.edo!))].filter((e) => e !== 'Federal');
  const added = Math.round(rows.length * (options.addShare ?? 0.1));
  for (let i = 0; i < added; i++) {
    const entity = entities[Math.floor(r() * entities.length)]!;
    // Added institutions score low: their arrival alone lowers the whole-sample means.
    institutions.push({ from: null, name: `${entity}-Organismo Nuevo Numero ${i + 1}`, entity, level: 'Estatal', type: ADDED_TYPES[i % ADDED_TYPES.length]!, respelling: 'added', TG: 0.2 * r(), TC: 0.2 * r(), PG: 0.1 * r(), PC: 0.1 * r() });
  }
  const cell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = institutions.map((i) => {
    const T = (i.TG + i.TC) / 2;
    const P = (i.PG + i.PC) / 2;
    return [cell(i.name), cell(i.entity), i.level, i.type, (T + P) / 2, P, T, i.TG, i.TC, i.PG, i.PC].join(',');
  });
  return { csv: [HEADER_2017, ...lines].join('\n') + '\n', institutions, dropped, base };
}
