/**
 * What a person reads when something is wrong: Spanish (Mexico), naming the field by its label.
 * The API keeps its English `reason`/`detail` and a stable machine `code`; pages show these texts.
 *
 * - Request validation (ajv): `ajvMessage` — ajv-i18n's Spanish messages, with the project's own
 *   wording where theirs reads like a developer's (patterns, enums, unknown fields, limits).
 * - Everything else that reaches a page in English (mongoose, duplicates, imports): `spanishReason`
 *   rewrites the known phrases; Spanish text passes unchanged.
 */
import type { ErrorObject } from 'ajv';
import ajvI18n from 'ajv-i18n';
import { EDITION_STATUS_LABELS } from '../services/editionLifecycle.js';

/** ajv-i18n is CommonJS: its `es` is a property of the module object (its types say `default`). */
const localizeEs = (ajvI18n as unknown as { es: (errors: ErrorObject[]) => void }).es;

/** Labels of the form fields of the admin, account and import pages (the last segment of a path). */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  editionId: 'Identificador',
  edition: 'Edición',
  year: 'Año',
  title: 'Título',
  methodology: 'Metodología',
  instruments: 'Instrumentos',
  status: 'Estado',
  expiresInDays: 'Vigencia en días',
  institutionIds: 'Sujetos obligados',
  email: 'Correo electrónico',
  name: 'Nombre',
  role: 'Rol',
  password: 'Contraseña',
  editions: 'Ediciones',
  active: 'Cuenta activa',
  reason: 'Motivo',
  comments: 'Comentarios',
  comment: 'Comentario',
  item: 'Pregunta',
  answers: 'Respuestas',
  archivo: 'Archivo',
  file: 'Archivo',
  preset: 'Formato del archivo',
  format: 'Formato',
  entity: 'Entidad',
  level: 'Nivel',
  type: 'Tipo',
  threshold: 'Umbral',
  decision: 'Decisión',
  base: 'Edición anterior',
  other: 'Edición posterior',
  body: 'Formulario',
  query: 'Parámetros de la dirección',
};

/** «Identificador de la edición» for "editionId", «Comentario» for "comments[0].comment"; else undefined. */
export function fieldLabel(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const last = field.replace(/\[\d+\]/g, '').split('.').filter(Boolean).pop() ?? field;
  return FIELD_LABELS[last];
}

/** What an accepted value looks like, for fields validated by a pattern (never the pattern itself). */
const PATTERN_HINTS: Readonly<Record<string, string>> = {
  editionId: 'debe llevar solo letras minúsculas sin acento, cifras y guiones, empezar con letra o cifra y tener de 2 a 63 caracteres (por ejemplo, mga-2025)',
  email: 'debe ser un correo electrónico, como nombre@dominio.gob.mx',
  institutionIds: 'no es un identificador de sujeto obligado válido',
  edition: 'no es un identificador de edición válido',
};

/** Edition statuses as the workflow names them (services/editionLifecycle.ts): «En captura», «Publicada». */
export { EDITION_STATUS_LABELS };

export const ROLE_LABELS: Readonly<Record<string, string>> = {
  admin: 'Administración',
  evaluator: 'Evaluación',
  viewer: 'Consulta',
};

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'un texto',
  integer: 'un número entero',
  number: 'un número',
  boolean: 'sí o no',
  array: 'una lista',
  object: 'un conjunto de campos',
  null: 'vacío',
};

/** A stable machine code for an ajv keyword: "minLength" → "min_length". */
export function ajvCode(keyword: string): string {
  if (keyword === 'additionalProperties') return 'unknown_field';
  return keyword.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The Spanish message of one ajv error, without the field's name (the page puts the label before it). */
export function ajvMessage(error: ErrorObject, field: string): string {
  const params = error.params as Record<string, unknown>;
  const last = field.replace(/\[\d+\]/g, '').split('.').filter(Boolean).pop() ?? field;
  switch (error.keyword) {
    case 'required':
      return 'es obligatorio';
    case 'additionalProperties':
      return 'este campo no se esperaba en el formulario';
    case 'pattern':
      return PATTERN_HINTS[last] ?? 'no tiene el formato esperado';
    case 'format':
      return params.format === 'email' ? PATTERN_HINTS.email! : 'no tiene el formato esperado';
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => (EDITION_STATUS_LABELS as Record<string, string>)[String(v)] ?? ROLE_LABELS[String(v)] ?? String(v));
      return `debe ser una de estas opciones: ${allowed.join(', ')}`;
    }
    case 'type':
      return `debe ser ${TYPE_WORDS[String(params.type)] ?? 'de otro tipo'}`;
    case 'minimum':
      return `debe ser al menos ${String(params.limit)}`;
    case 'maximum':
      return `debe ser como máximo ${String(params.limit)}`;
    case 'exclusiveMinimum':
      return `debe ser mayor que ${String(params.limit)}`;
    case 'exclusiveMaximum':
      return `debe ser menor que ${String(params.limit)}`;
    case 'minLength':
      return Number(params.limit) === 1 ? 'no puede quedar vacío' : `debe tener al menos ${plural(Number(params.limit), 'carácter', 'caracteres')}`;
    case 'maxLength':
      return `debe tener como máximo ${plural(Number(params.limit), 'carácter', 'caracteres')}`;
    case 'minItems':
      return Number(params.limit) === 1 ? 'elija al menos una opción' : `elija al menos ${String(params.limit)} opciones`;
    case 'maxItems':
      return `admite como máximo ${plural(Number(params.limit), 'elemento', 'elementos')}`;
    default: {
      const copy = { ...error };
      localizeEs([copy]);
      return copy.message ?? 'no es válido';
    }
  }
}

/** Known English phrases (mongoose, duplicate keys, imports) → Spanish; anything else unchanged. */
const PHRASES: readonly [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Path `([^`]+)` is required\.?$/, () => 'es obligatorio'],
  [/^Path `([^`]+)` \(.*\) is shorter than the minimum allowed length \((\d+)\)\.?$/s, (m) => `debe tener al menos ${m[2]} caracteres`],
  [/^Path `([^`]+)` \(.*\) is longer than the maximum allowed length \((\d+)\)\.?$/s, (m) => `debe tener como máximo ${m[2]} caracteres`],
  [/^Path `([^`]+)` \(.*\) is less than minimum allowed value \((.+)\)\.?$/s, (m) => `debe ser al menos ${m[2]}`],
  [/^Path `([^`]+)` \(.*\) is more than maximum allowed value \((.+)\)\.?$/s, (m) => `debe ser como máximo ${m[2]}`],
  [/^`(.*)` is not a valid enum value for path `([^`]+)`\.?$/s, (m) => `«${m[1]}» no es una de las opciones válidas`],
  [/^Path `([^`]+)` is invalid \((.*)\)\.?$/s, (m) => `«${m[2]}» no es válido`],
  [/^Cast to (\w+) failed for value (.*) at path "([^"]+)".*$/s, (m) => `${m[2]} no es ${m[1] === 'Number' ? 'un número' : m[1] === 'Date' ? 'una fecha' : m[1] === 'ObjectId' ? 'un identificador válido' : 'un valor válido'}`],
  [/^already exists$/, () => 'ya está en uso: elija otro'],
  [/^a record with the same (.+) already exists$/, (m) => `ya existe un registro con ${m[1]!.split(', ').map((f) => fieldLabel(f)?.toLowerCase() ?? f).join(', ')} igual`],
  [/^empty (\w+)$/, () => 'está vacío'],
  [/^not a number: use a decimal point, not a comma \(e\.g\. 0\.5\)$/, () => 'no es un número: use punto decimal, no coma (por ejemplo, 0.5)'],
  [/^not a number$/, () => 'no es un número'],
  [/^value (.+) is not a finite number$/, (m) => `el valor ${m[1]} no es un número`],
  [/^value (.+) is outside \[(.+), (.+)\]$/, (m) => `el valor ${m[1]} está fuera del intervalo de ${m[2]} a ${m[3]}`],
  [/^duplicate institution: same name and entity \((.+)\) as row (\d+)$/, (m) => `sujeto obligado repetido: el mismo nombre y entidad (${m[1]}) que la fila ${m[2]}`],
  [/^contact name longer than (\d+) characters$/, (m) => `el nombre del contacto pasa de ${m[1]} caracteres`],
  [/^not an e-mail address: "(.*)"$/, (m) => `«${m[1]}» no es una dirección de correo electrónico`],
  [/^not an e-mail address$/, () => 'no es una dirección de correo electrónico'],
  [/^more than (\d+) addresses$/, (m) => `tiene más de ${m[1]} direcciones`],
  [/^duplicate column "(.+)"$/, (m) => `la columna «${m[1]}» está repetida`],
  [/^missing required column "(.+?)"(?: \(.*\))?$/, (m) => `falta la columna obligatoria «${m[1]}»`],
  [/^unknown (entity|level|type) "(.*)"; expected one of: (.*)$/s, (m) => `${{ entity: 'la entidad', level: 'el nivel', type: 'el tipo' }[m[1] as 'entity' | 'level' | 'type']} «${m[2]}» no existe; use uno de estos: ${m[3]}`],
  [/^no data rows: .*$/, () => 'el archivo tiene encabezados pero ningún sujeto obligado'],
  [/^the file has no data rows$/, () => 'el archivo no tiene filas de datos'],
  [/^no score columns: .*$/, () => 'el archivo no tiene ninguna columna de puntajes'],
  [/^malformed CSV: (.*)$/s, () => 'el archivo CSV está mal formado (revise comillas y separadores)'],
  [/^wrong encoding: .*UTF-16.*$/s, () => 'el archivo está en UTF-16: guárdelo como «CSV UTF-8»'],
  [/^wrong format: this is a ZIP\/XLSX file.*$/s, () => 'el archivo es de Excel (XLSX), no CSV: elija el formato XLSX'],
  [/^wrong encoding: .*$/s, () => 'el archivo no está en UTF-8 ni en Latin-1: guárdelo como «CSV UTF-8»'],
  [/^the file is larger than .*$/s, () => 'el archivo pasa del tamaño máximo permitido'],
  [/^invalid value for (.+)$/, () => 'el valor no es válido'],
  [/^validation failed$/, () => 'hay datos que no son válidos'],
  [/^invalid request body$/, () => 'hay datos del formulario que no son válidos'],
  [/^invalid query parameters$/, () => 'hay parámetros de la dirección que no son válidos'],
  [/^no route for .*$/s, () => 'esa dirección no existe en este servicio'],
  [/^edition "(.+)" does not exist$/, (m) => `la edición «${m[1]}» no existe`],
  [/^no such (institution|edition|invitation|account|job)$/, (m) => `no existe ${{ institution: 'ese sujeto obligado', edition: 'esa edición', invitation: 'esa invitación', account: 'esa cuenta', job: 'ese trabajo' }[m[1] as 'institution']}`],
  [/^an unexpected error occurred; it has been logged$/, () => 'ocurrió un error inesperado; quedó registrado para revisarlo'],
  [/^the request body is not valid JSON$/, () => 'los datos enviados no tienen un formato válido'],
  [/^the request body is too large$/, () => 'los datos enviados son demasiado grandes'],
];

export function spanishReason(reason: string): string {
  for (const [pattern, words] of PHRASES) {
    const match = reason.match(pattern);
    if (match) return words(match);
  }
  return reason;
}

/** English validator phrases that must never reach a page (tests look for them). */
export const ENGLISH_VALIDATOR_PHRASES: readonly RegExp[] = [
  /must match pattern/i,
  /must NOT have (fewer|more) than/i,
  /must be (equal to one of|string|integer|number|boolean|array|object|>=|<=)/i,
  /must have required property/i,
  /must NOT have additional properties/i,
  /unknown (body|query) field/i,
  /\balready exists\b/i,
  /Path `[^`]+` is/,
  /is not a valid enum value/,
  /Cast to \w+ failed/,
  /\bis required\b/i,
  /\bnot a number\b/i,
  /duplicate (institution|column)/i,
  /missing required column/i,
  /wrong encoding/i,
  /not an e-mail address/i,
];
