/** Column layouts of known results files. */
import { INSTITUTION_TYPES_2017 } from '../catalogue.js';

/** Fields describing an institution; every other mapping target is a node id of the methodology. */
export const IDENTITY_FIELDS = ['name', 'entity', 'level', 'type', 'externalId', 'contactName', 'contactEmail', 'contactCc'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];
export const REQUIRED_IDENTITY_FIELDS: readonly IdentityField[] = ['name', 'entity', 'level', 'type'];
/** Optional columns: an empty cell is no value. The contact receives the invitation e-mails; `contactCc` lists more addresses (separated by ";" or ","). */
export const OPTIONAL_IDENTITY_FIELDS: readonly IdentityField[] = ['externalId', 'contactName', 'contactEmail', 'contactCc'];

/** Column header → field (an identity field or a node id). */
export type ColumnMapping = Readonly<Record<string, string>>;

export interface ImportPreset {
  /** Id of the methodology the columns belong to; the caller loads it and passes it to parseResultsTable. */
  readonly methodologyId: string;
  readonly mapping: ColumnMapping;
  readonly institutionTypes: readonly string[];
}

export const IMPORT_PRESETS = {
  /** BSO2017: the per-institution scores published with the 2017 dashboard (see data/README.md). */
  'mga-2017': {
    methodologyId: 'mga-2017',
    mapping: { SO: 'name', edo: 'entity', niv: 'level', ts: 'type', GA: 'GA', P: 'P', T: 'T', TG: 'TG', TC: 'TC', PG: 'PG', PC: 'PC' },
    institutionTypes: INSTITUTION_TYPES_2017,
  },
} as const satisfies Record<string, ImportPreset>;

export type ImportPresetId = keyof typeof IMPORT_PRESETS;
export const IMPORT_PRESET_IDS = Object.keys(IMPORT_PRESETS) as ImportPresetId[];

export function isImportPresetId(id: string): id is ImportPresetId {
  return Object.hasOwn(IMPORT_PRESETS, id);
}

export function isIdentityField(field: string): field is IdentityField {
  return (IDENTITY_FIELDS as readonly string[]).includes(field);
}
