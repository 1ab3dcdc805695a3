/**
 * Catalogues of the metric's grouping attributes: entidades federativas (with INEGI codes),
 * levels of government and types of sujeto obligado, with normalisers that map the spellings
 * found in real data to one canonical Spanish name.
 */

export interface Entity {
  /** INEGI two-digit state code; "FED" for the federal institutions. */
  code: string;
  /** Canonical Spanish name, with accents. */
  name: string;
  /** Other spellings accepted in input, besides accent/case/space variants of the name. */
  aliases: string[];
}

export const FEDERAL_ENTITY_NAME = 'Federal';

export const ENTITIES: readonly Entity[] = [
  { code: '01', name: 'Aguascalientes', aliases: [] },
  { code: '02', name: 'Baja California', aliases: [] },
  { code: '03', name: 'Baja California Sur', aliases: [] },
  { code: '04', name: 'Campeche', aliases: [] },
  { code: '05', name: 'Coahuila', aliases: ['Coahuila de Zaragoza'] },
  { code: '06', name: 'Colima', aliases: [] },
  { code: '07', name: 'Chiapas', aliases: [] },
  { code: '08', name: 'Chihuahua', aliases: [] },
  { code: '09', name: 'Ciudad de México', aliases: ['CDMX', 'Distrito Federal', 'DF'] },
  { code: '10', name: 'Durango', aliases: [] },
  { code: '11', name: 'Guanajuato', aliases: [] },
  { code: '12', name: 'Guerrero', aliases: [] },
  { code: '13', name: 'Hidalgo', aliases: [] },
  { code: '14', name: 'Jalisco', aliases: [] },
  { code: '15', name: 'Estado de México', aliases: ['México', 'Edomex', 'Edo. de México', 'Edo Mex'] },
  { code: '16', name: 'Michoacán', aliases: ['Michoacán de Ocampo'] },
  { code: '17', name: 'Morelos', aliases: [] },
  { code: '18', name: 'Nayarit', aliases: [] },
  { code: '19', name: 'Nuevo León', aliases: [] },
  { code: '20', name: 'Oaxaca', aliases: [] },
  { code: '21', name: 'Puebla', aliases: [] },
  { code: '22', name: 'Querétaro', aliases: ['Querétaro de Arteaga'] },
  { code: '23', name: 'Quintana Roo', aliases: [] },
  { code: '24', name: 'San Luis Potosí', aliases: [] },
  { code: '25', name: 'Sinaloa', aliases: [] },
  { code: '26', name: 'Sonora', aliases: [] },
  { code: '27', name: 'Tabasco', aliases: [] },
  { code: '28', name: 'Tamaulipas', aliases: [] },
  { code: '29', name: 'Tlaxcala', aliases: [] },
  { code: '30', name: 'Veracruz', aliases: ['Veracruz de Ignacio de la Llave'] },
  { code: '31', name: 'Yucatán', aliases: [] },
  { code: '32', name: 'Zacatecas', aliases: [] },
  { code: 'FED', name: FEDERAL_ENTITY_NAME, aliases: ['Federación', 'Nacional federal'] },
];

export const LEVELS = ['Federal', 'Estatal', 'Municipal'] as const;
export type Level = (typeof LEVELS)[number];

/** The 11 types of sujeto obligado of the 2017 edition (extensible: editions may add their own). */
export const INSTITUTION_TYPES_2017: readonly string[] = [
  'Ejecutivo estatal',
  'Municipio',
  'Partido',
  'Sindicato',
  'Fideicomiso',
  'Legislativo',
  'Universidad',
  'Autónomo',
  'Judicial',
  'Ejecutivo federal',
  'Descentralizado',
];

/** Folds case, accents, punctuation and white space: "NuevoLeon", "nuevo  león" → "nuevoleon". */
export function foldName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export class UnknownNameError extends Error {
  constructor(
    readonly kind: 'entity' | 'level' | 'type',
    readonly value: string,
    readonly known: readonly string[],
  ) {
    super(`unknown ${kind} "${value}"; expected one of: ${known.join(', ')}`);
    this.name = 'UnknownNameError';
  }
}

function buildIndex(entries: readonly { canonical: string; spellings: readonly string[] }[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const { canonical, spellings } of entries) {
    for (const spelling of [canonical, ...spellings]) index.set(foldName(spelling), canonical);
  }
  return index;
}

const entityIndex = buildIndex(ENTITIES.map((e) => ({ canonical: e.name, spellings: e.aliases })));
const entityByName = new Map(ENTITIES.map((e) => [e.name, e]));

/** Maps any known spelling of an entity to its catalogue entry; throws UnknownNameError otherwise. */
export function normalizeEntity(input: string): Entity {
  const canonical = entityIndex.get(foldName(input));
  if (!canonical || foldName(input) === '') {
    throw new UnknownNameError('entity', input, ENTITIES.map((e) => e.name));
  }
  return entityByName.get(canonical)!;
}

const levelIndex = buildIndex(LEVELS.map((l) => ({ canonical: l, spellings: [] })));

export function normalizeLevel(input: string): Level {
  const canonical = levelIndex.get(foldName(input));
  if (!canonical) throw new UnknownNameError('level', input, LEVELS);
  return canonical as Level;
}

/**
 * Maps a spelling of an institution type to its canonical name within `catalogue`
 * (the 2017 types by default); throws UnknownNameError otherwise.
 */
export function normalizeInstitutionType(input: string, catalogue: readonly string[] = INSTITUTION_TYPES_2017): string {
  const canonical = catalogue.find((t) => foldName(t) === foldName(input));
  if (!canonical || foldName(input) === '') throw new UnknownNameError('type', input, catalogue);
  return canonical;
}
