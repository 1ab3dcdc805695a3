/**
 * What is official and what is this project's operationalisation, per built-in methodology
 * (provenance/*.json, Spanish, for the public Metodología page), validated once by its JSON Schema
 * and against the methodology's variables.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import provenanceSchema from './schemas/provenance.schema.json' with { type: 'json' };
import mga2017 from './provenance/mga-2017.json' with { type: 'json' };
import { methodologyGraph, type Methodology } from '../scoring/methodology.js';

export interface ProvenanceStatements {
  readonly source: string;
  readonly items: readonly string[];
}

export interface Provenance {
  readonly methodology: string;
  readonly official: ProvenanceStatements;
  readonly inferred?: ProvenanceStatements;
  readonly unknown?: ProvenanceStatements;
  readonly operationalisation: { readonly summary: readonly string[]; readonly variables: Readonly<Record<string, string>> };
}

const SOURCES: Readonly<Record<string, unknown>> = { 'mga-2017': mga2017 };
const cache = new Map<string, Provenance>();
let validate: ReturnType<Ajv2020['compile']> | undefined;

/** The provenance of a methodology, or undefined when none is shipped; throws when the file is invalid. */
export function loadProvenance(methodology: Methodology): Provenance | undefined {
  const cached = cache.get(methodology.id);
  if (cached) return cached;
  const source = SOURCES[methodology.id];
  if (source === undefined) return undefined;
  validate ??= new Ajv2020({ allErrors: true, strict: true }).compile(provenanceSchema);
  if (!validate(source)) {
    throw new Error(`invalid provenance of "${methodology.id}": ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  const provenance = source as Provenance;
  const variables = new Set(methodologyGraph(methodology).nodes.filter((n) => n.kind === 'variable').map((n) => n.id));
  const unknown = Object.keys(provenance.operationalisation.variables).filter((id) => !variables.has(id));
  if (provenance.methodology !== methodology.id || unknown.length > 0) {
    throw new Error(`invalid provenance of "${methodology.id}": ${provenance.methodology !== methodology.id ? `it describes "${provenance.methodology}"` : `unknown variables ${unknown.join(', ')}`}`);
  }
  cache.set(methodology.id, provenance);
  return provenance;
}
