/**
 * Checks a data package as written: the descriptor against the shape of the Frictionless Data
 * Package and Table Schema specs that this service uses (ajv), every CSV's header against its
 * schema's fields (same names, same order), and every cell against its field (type, required,
 * minimum, maximum). No Frictionless validator on npm is maintained and works offline (the
 * `datapackage`/`tableschema` packages are unmaintained and pull in network code), hence this.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import type { PackageFile } from './datapackage.js';

const fieldSchema = {
  type: 'object',
  required: ['name', 'type', 'title', 'description'],
  properties: {
    name: { type: 'string', minLength: 1 },
    type: { enum: ['string', 'number', 'integer'] },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string', minLength: 1 },
    constraints: { type: 'object', properties: { required: { type: 'boolean' }, minimum: { type: 'number' }, maximum: { type: 'number' } }, additionalProperties: false },
  },
  additionalProperties: false,
};
const descriptorSchema = {
  type: 'object',
  required: ['name', 'title', 'licenses', 'sources', 'resources', 'created'],
  properties: {
    profile: { const: 'data-package' },
    name: { type: 'string', pattern: '^[a-z0-9._-]+$' },
    title: { type: 'string', minLength: 1 },
    created: { type: 'string', format: 'date-time' },
    licenses: { type: 'array', minItems: 1, items: { type: 'object', anyOf: [{ required: ['name'] }, { required: ['path'] }], properties: { name: { type: 'string' }, path: { type: 'string' }, title: { type: 'string' } } } },
    sources: { type: 'array', minItems: 1, items: { type: 'object', required: ['title'], properties: { title: { type: 'string', minLength: 1 }, path: { type: 'string' } } } },
    resources: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'path', 'title'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9._-]+$' },
          path: { type: 'string', pattern: '^[^/.][^\\\\]*$' },
          title: { type: 'string', minLength: 1 },
          profile: { enum: ['tabular-data-resource', 'data-resource'] },
          schema: { type: 'object', required: ['fields'], properties: { fields: { type: 'array', minItems: 1, items: fieldSchema }, missingValues: { type: 'array', items: { type: 'string' } }, primaryKey: { type: 'array', items: { type: 'string' } } } },
        },
        if: { properties: { profile: { const: 'tabular-data-resource' } }, required: ['profile'] },
        then: { required: ['schema'] },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateDescriptor = ajv.compile(descriptorSchema);

type Field = { name: string; type: 'string' | 'number' | 'integer'; constraints?: { required?: boolean; minimum?: number; maximum?: number } };
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^-?\d+$/;

/** Every problem found, as "file: where: reason"; empty when the package is sound. */
export function checkDataPackage(files: readonly PackageFile[]): string[] {
  const problems: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const descriptorText = byPath.get('datapackage.json');
  if (descriptorText === undefined) return ['datapackage.json: missing'];
  const descriptor = JSON.parse(descriptorText) as { resources: { name: string; path: string; schema?: { fields: Field[]; missingValues?: string[]; primaryKey?: string[] } }[] };
  if (!validateDescriptor(descriptor)) {
    for (const e of validateDescriptor.errors ?? []) problems.push(`datapackage.json: ${e.instancePath || '/'}: ${e.message}`);
    return problems;
  }
  for (const resource of descriptor.resources) {
    const content = byPath.get(resource.path);
    if (content === undefined) {
      problems.push(`${resource.path}: listed in datapackage.json but missing`);
      continue;
    }
    if (!resource.schema) continue;
    let rows: string[][];
    try {
      rows = parse(content, { relax_column_count: false }) as string[][];
    } catch (error) {
      problems.push(`${resource.path}: not a well-formed CSV: ${(error as Error).message}`);
      continue;
    }
    const [header, ...data] = rows;
    const names = resource.schema.fields.map((f) => f.name);
    if (JSON.stringify(header) !== JSON.stringify(names)) {
      problems.push(`${resource.path}: header ${JSON.stringify(header)} differs from the schema's fields ${JSON.stringify(names)}`);
      continue;
    }
    const missing = new Set(resource.schema.missingValues ?? ['']);
    const keys = new Set<string>();
    data.forEach((row, r) => {
      const line = r + 2;
      resource.schema!.fields.forEach((field, c) => {
        const cell = row[c]!;
        if (missing.has(cell)) {
          if (field.constraints?.required) problems.push(`${resource.path}: row ${line}, ${field.name}: required but empty`);
          return;
        }
        if (field.type === 'string') return;
        if (!(field.type === 'integer' ? INTEGER : NUMBER).test(cell) || !Number.isFinite(Number(cell))) {
          problems.push(`${resource.path}: row ${line}, ${field.name}: "${cell}" is not a valid ${field.type}`);
          return;
        }
        const value = Number(cell);
        if (field.constraints?.minimum !== undefined && value < field.constraints.minimum) problems.push(`${resource.path}: row ${line}, ${field.name}: ${cell} is below ${field.constraints.minimum}`);
        if (field.constraints?.maximum !== undefined && value > field.constraints.maximum) problems.push(`${resource.path}: row ${line}, ${field.name}: ${cell} is above ${field.constraints.maximum}`);
      });
      if (resource.schema!.primaryKey) {
        const key = resource.schema!.primaryKey.map((k) => row[names.indexOf(k)]).join('\u0000');
        if (keys.has(key)) problems.push(`${resource.path}: row ${line}: duplicate primary key`);
        keys.add(key);
      }
    });
  }
  return problems;
}
