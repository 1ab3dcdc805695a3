/**
 * The open data package of an edition: a Frictionless Data Package (datapackage.json, Table Schema
 * per CSV with Spanish titles and descriptions), CSVs of institutions × every node, of each grouping
 * and of the published aggregates, the methodology JSON, and a codebook in Spanish and in English.
 * Built from plain data (no database, no files): callers write the files or the zip. See
 * https://specs.frictionlessdata.io/ (Data Package, Tabular Data Resource, Table Schema).
 */
import { zipSync, strToU8 } from 'fflate';
import { asCompiled, type CompiledMethodology, type ScoreTable } from '../scoring/engine.js';
import type { Grouping } from '../scoring/grouping.js';
import type { Methodology } from '../scoring/methodology.js';
import { toCsv } from '../scoring/recalc.js';

export interface PackageInstitution {
  id?: string;
  name: string;
  entity: string;
  type: string;
  level: string;
}

export interface PublishedFigureRow {
  edition: string;
  scope: string;
  group: string;
  measure: string;
  value: number;
  source: string;
  note: string;
}

export interface DataPackageInput {
  edition: { id: string; year: number; title: string };
  methodology: Methodology | CompiledMethodology;
  institutions: readonly PackageInstitution[];
  /** Scores of the institutions (row i = institutions[i]). */
  scores: ScoreTable;
  /** Groupings to publish, e.g. entity, type, level and national. */
  groupings: readonly Grouping[];
  published: readonly PublishedFigureRow[];
  /** Where the data come from (title and, if any, a path or URL). */
  sources: readonly { title: string; path?: string }[];
  /** The data's licence; unknown when the source states none (say so rather than guess). */
  license?: { name: string; title: string; path?: string };
  /** ISO 8601, recorded as `created`. */
  created: string;
}

export interface PackageFile {
  path: string;
  content: string;
}

export interface TableField {
  name: string;
  type: 'string' | 'number' | 'integer';
  title: string;
  description: string;
  constraints?: { required?: boolean; minimum?: number; maximum?: number };
}

export const UNKNOWN_LICENSE = {
  name: 'unknown',
  title: 'Licencia desconocida: la fuente de los datos no declara una. Consulte la fuente antes de reutilizarlos.',
};

const GROUPING_TITLES: Record<string, { es: string; file: string; group: string }> = {
  entity: { es: 'Resultados por entidad federativa', file: 'grupos_entidad.csv', group: 'Entidad federativa (32 estados y «Federal»)' },
  type: { es: 'Resultados por tipo de sujeto obligado', file: 'grupos_tipo.csv', group: 'Tipo de sujeto obligado' },
  level: { es: 'Resultados por nivel de gobierno', file: 'grupos_nivel.csv', group: 'Nivel de gobierno' },
  national: { es: 'Resultado nacional', file: 'nacional.csv', group: 'Grupo («Nacional»)' },
};

function nodeFields(compiled: CompiledMethodology, what: 'institution' | 'group'): TableField[] {
  return compiled.nodes.map((node) => ({
    name: node.id,
    type: 'number' as const,
    title: node.label.es,
    description:
      (what === 'institution' ? 'Valor del sujeto obligado' : 'Promedio simple de los sujetos obligados del grupo') +
      ` en «${node.label.es}»${node.description ? ` (${node.description.es})` : ''}; escala de 0 a 1, donde 1 es plenamente abierto. Vacío cuando no hay dato.`,
    constraints: { minimum: 0, maximum: 1 },
  }));
}

const cell = (value: number | null | undefined) => (value === null || value === undefined || Number.isNaN(value) ? '' : String(value));

function resource(name: string, path: string, title: string, description: string, fields: TableField[], primaryKey?: string[]) {
  return {
    name,
    path,
    profile: 'tabular-data-resource',
    title,
    description,
    format: 'csv',
    mediatype: 'text/csv',
    encoding: 'utf-8',
    dialect: { delimiter: ',', lineTerminator: '\n', header: true },
    schema: { fields, missingValues: [''], ...(primaryKey && { primaryKey }) },
  };
}

/** Every file of the package, datapackage.json first. */
export function buildDataPackage(input: DataPackageInput): PackageFile[] {
  const compiled = asCompiled(input.methodology);
  const m = compiled.methodology;
  if (input.institutions.length !== input.scores.rowCount) throw new RangeError(`${input.institutions.length} institutions for ${input.scores.rowCount} scored rows`);
  const files: PackageFile[] = [];
  const resources: Record<string, unknown>[] = [];
  const nodeCount = compiled.nodeIds.length;

  // Institutions × every node.
  const institutionFields: TableField[] = [
    { name: 'fila', type: 'integer', title: 'Fila', description: 'Número de orden del sujeto obligado en este archivo (1, 2, …).', constraints: { required: true, minimum: 1 } },
    { name: 'nombre', type: 'string', title: 'Sujeto obligado', description: 'Nombre del sujeto obligado evaluado, como lo publica la fuente.', constraints: { required: true } },
    { name: 'entidad', type: 'string', title: 'Entidad federativa', description: 'Entidad federativa del sujeto obligado; «Federal» para los federales.', constraints: { required: true } },
    { name: 'nivel', type: 'string', title: 'Nivel de gobierno', description: 'Federal, estatal o municipal.', constraints: { required: true } },
    { name: 'tipo', type: 'string', title: 'Tipo de sujeto obligado', description: 'Tipo de institución (ejecutivo, legislativo, municipio, partido, sindicato…).', constraints: { required: true } },
    ...nodeFields(compiled, 'institution'),
  ];
  const institutionRows = input.institutions.map((inst, row) => [
    String(row + 1),
    inst.name,
    inst.entity,
    inst.level,
    inst.type,
    ...compiled.nodeIds.map((_, i) => cell(input.scores.values[row * nodeCount + i])),
  ]);
  files.push({ path: 'datos/sujetos_obligados.csv', content: toCsv([institutionFields.map((f) => f.name), ...institutionRows]) });
  resources.push(
    resource(
      'sujetos-obligados',
      'datos/sujetos_obligados.csv',
      'Sujetos obligados: valores de cada nodo de la métrica',
      `Un renglón por sujeto obligado evaluado en ${input.edition.title}, con el valor de cada índice, subíndice y variable (los que la fuente publica y los que se calculan con las fórmulas de la metodología).`,
      institutionFields,
      ['fila'],
    ),
  );

  // Groupings.
  for (const grouping of input.groupings) {
    const meta = GROUPING_TITLES[grouping.by] ?? { es: `Resultados por ${grouping.by}`, file: `grupos_${grouping.by}.csv`, group: 'Grupo' };
    const fields: TableField[] = [
      { name: 'grupo', type: 'string', title: 'Grupo', description: meta.group, constraints: { required: true } },
      { name: 'n', type: 'integer', title: 'Sujetos obligados', description: 'Número de sujetos obligados del grupo.', constraints: { required: true, minimum: 0 } },
      ...nodeFields(compiled, 'group'),
    ];
    const rows = grouping.groups.map((g) => [g.name, String(g.n), ...compiled.nodeIds.map((id) => cell(g.values[id]))]);
    const path = `datos/${meta.file}`;
    files.push({ path, content: toCsv([fields.map((f) => f.name), ...rows]) });
    const national = grouping.by === 'national' ? ` Método nacional: ${grouping.nationalMethod === 'entities' ? 'promedio de los promedios de las entidades' : 'promedio de todos los sujetos obligados'}.` : '';
    resources.push(resource(`grupos-${grouping.by}`, path, meta.es, `Promedios simples, sin ponderar, de los sujetos obligados de cada grupo; sin redondear.${national}`, fields, ['grupo']));
  }

  // Published aggregates, as the sources print them.
  const publishedFields: TableField[] = [
    { name: 'edicion', type: 'string', title: 'Edición', description: 'Año de la edición de la métrica.', constraints: { required: true } },
    { name: 'alcance', type: 'string', title: 'Alcance', description: '«national» (nacional) o «entity» (entidad federativa).', constraints: { required: true } },
    { name: 'grupo', type: 'string', title: 'Grupo', description: '«Nacional» o el nombre de la entidad.', constraints: { required: true } },
    { name: 'medida', type: 'string', title: 'Medida', description: 'Nodo de la metodología (GA es el Índice de Gobierno Abierto).', constraints: { required: true } },
    { name: 'valor', type: 'number', title: 'Valor publicado', description: 'Cifra tal como la publicó la fuente (redondeada a dos decimales), sin corregir.', constraints: { required: true, minimum: 0, maximum: 1 } },
    { name: 'fuente', type: 'string', title: 'Fuente', description: 'Documento que publica la cifra.', constraints: { required: true } },
    { name: 'nota', type: 'string', title: 'Nota', description: 'Observaciones sobre la cifra (por ejemplo, una inconsistencia con otras cifras publicadas).' },
  ];
  files.push({
    path: 'datos/cifras_publicadas.csv',
    content: toCsv([publishedFields.map((f) => f.name), ...input.published.map((p) => [p.edition, p.scope, p.group, p.measure, String(p.value), p.source, p.note])]),
  });
  resources.push(
    resource('cifras-publicadas', 'datos/cifras_publicadas.csv', 'Cifras publicadas de las ediciones', 'Cifras agregadas que publicaron las fuentes oficiales de cada edición, una por renglón, con su fuente.', publishedFields),
  );

  // Methodology and codebooks.
  files.push({ path: 'metodologia.json', content: `${JSON.stringify(m, null, 2)}\n` });
  resources.push({
    name: 'metodologia',
    path: 'metodologia.json',
    title: 'Metodología',
    description: `Fórmulas con que se calculan los índices (${m.title.es}, versión ${m.version}; huella SHA-256 ${compiled.hash}).`,
    format: 'json',
    mediatype: 'application/json',
  });
  files.push({ path: 'libro_de_codigos.md', content: codebook(compiled, input, 'es') });
  files.push({ path: 'codebook.en.md', content: codebook(compiled, input, 'en') });
  resources.push({ name: 'libro-de-codigos', path: 'libro_de_codigos.md', title: 'Libro de códigos', description: 'Qué contiene cada archivo y cada columna, en español.', format: 'md', mediatype: 'text/markdown' });
  resources.push({ name: 'codebook-en', path: 'codebook.en.md', title: 'Libro de códigos en inglés (codebook)', description: 'El mismo libro de códigos, en inglés.', format: 'md', mediatype: 'text/markdown' });

  const license = input.license ?? UNKNOWN_LICENSE;
  const descriptor = {
    profile: 'data-package',
    name: input.edition.id.toLowerCase().replace(/[^a-z0-9._-]/g, '-'),
    title: input.edition.title,
    description: `Datos abiertos de ${input.edition.title}: valores de cada sujeto obligado, promedios por entidad, tipo y nivel, cifras publicadas y la metodología con que se calcularon.`,
    version: m.version,
    created: input.created,
    keywords: ['gobierno abierto', 'transparencia', 'participación', 'México', 'Métrica de Gobierno Abierto'],
    licenses: [license],
    sources: input.sources.map((s) => ({ title: s.title, ...(s.path && { path: s.path }) })),
    methodology: { id: m.id, version: m.version, hash: compiled.hash },
    resources,
  };
  return [{ path: 'datapackage.json', content: `${JSON.stringify(descriptor, null, 2)}\n` }, ...files];
}

function codebook(compiled: CompiledMethodology, input: DataPackageInput, lang: 'es' | 'en'): string {
  const es = lang === 'es';
  const m = compiled.methodology;
  const lines: string[] = [];
  lines.push(es ? `# Libro de códigos: ${input.edition.title}` : `# Codebook: ${input.edition.title}`, '');
  lines.push(
    es
      ? `Paquete de datos abiertos (formato Frictionless Data Package: \`datapackage.json\` describe cada archivo y cada columna). Metodología: ${m.title.es}, versión ${m.version}, huella SHA-256 \`${compiled.hash}\`. Creado: ${input.created}.`
      : `Open data package (Frictionless Data Package: \`datapackage.json\` describes every file and column). Methodology: ${m.title.en}, version ${m.version}, SHA-256 \`${compiled.hash}\`. Created: ${input.created}.`,
    '',
  );
  lines.push(es ? '## Archivos' : '## Files', '');
  lines.push(
    es ? '- `datos/sujetos_obligados.csv`: un renglón por sujeto obligado, con `fila`, `nombre`, `entidad`, `nivel`, `tipo` y una columna por nodo.' : '- `datos/sujetos_obligados.csv`: one row per institution (sujeto obligado): `fila` (row), `nombre` (name), `entidad` (state), `nivel` (level), `tipo` (type) and one column per node.',
    es ? '- `datos/grupos_*.csv` y `datos/nacional.csv`: promedios simples por grupo (`grupo`, `n` y una columna por nodo), sin redondear.' : '- `datos/grupos_*.csv` and `datos/nacional.csv`: plain means by group (`grupo`, `n` and one column per node), unrounded.',
    es ? '- `datos/cifras_publicadas.csv`: las cifras que publicaron las fuentes, tal cual, con su fuente y notas.' : '- `datos/cifras_publicadas.csv`: the figures published by the sources, as printed, with source and notes (columns: edition, scope, group, measure, value, source, note).',
    es ? '- `metodologia.json`: las fórmulas.' : '- `metodologia.json`: the formulas (methodology).',
    '',
  );
  lines.push(es ? '## Nodos (columnas de valores, escala 0 a 1)' : '## Nodes (value columns, 0–1 scale)', '');
  lines.push(es ? '| columna | nombre | qué es | fórmula |' : '| column | name | what | formula |', '|---|---|---|---|');
  for (const node of compiled.nodes) {
    const i = compiled.nodeIndex.get(node.id)!;
    const p = compiled.pathStart[i]!;
    const formula = p < compiled.pathStart[i + 1]! ? compiled.paths[p]!.terms.map((t) => `${t.weight}·${t.node}`).join(' + ') : es ? '(dato de la fuente)' : '(source data)';
    const label = es ? node.label.es : node.label.en;
    const description = (es ? node.description?.es : node.description?.en) ?? '';
    lines.push(`| \`${node.id}\` | ${label} | ${description} | ${formula} |`);
  }
  lines.push('');
  lines.push(es ? '## Valores vacíos' : '## Empty values', '');
  lines.push(
    es
      ? 'Una celda vacía significa que no hay dato: la fuente no lo publica y no se puede calcular. Nunca se inventa un valor.'
      : 'An empty cell means there is no value: the source does not publish it and it cannot be computed. No value is ever invented.',
    '',
  );
  lines.push(es ? '## Fuentes' : '## Sources', '');
  for (const source of input.sources) lines.push(`- ${source.title}${source.path ? ` (${source.path})` : ''}`);
  lines.push('', es ? '## Licencia' : '## Licence', '', (input.license ?? UNKNOWN_LICENSE).title, '');
  return lines.join('\n');
}

/** The package as one zip (deterministic: fixed file times). */
export function zipDataPackage(files: readonly PackageFile[]): Uint8Array {
  const mtime = new Date('2000-01-01T00:00:00Z');
  return zipSync(Object.fromEntries(files.map((f) => [f.path, [strToU8(f.content), { mtime }]])), { level: 6 });
}

/** The published figures of one edition (or all), as rows in file order. */
export function publishedFigureRows(data: { editions: Record<string, { edition: string; groups: Record<string, { scope: string; group: string; measures: Record<string, { value: number; source: string; note: string; row: number }> }> }> }, edition?: string): PublishedFigureRow[] {
  const rows: (PublishedFigureRow & { row: number })[] = [];
  for (const e of Object.values(data.editions)) {
    if (edition !== undefined && e.edition !== edition) continue;
    for (const g of Object.values(e.groups)) {
      for (const [measure, f] of Object.entries(g.measures)) rows.push({ edition: e.edition, scope: g.scope, group: g.group, measure, value: f.value, source: f.source, note: f.note, row: f.row });
    }
  }
  return rows.sort((a, b) => a.row - b.row).map(({ row: _row, ...rest }) => rest);
}
