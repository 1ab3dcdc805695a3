/**
 * Text hygiene, in one place for every request: text inputs may not hold control characters (other
 * than tab, line feed and carriage return), Unicode noncharacters, or halves of UTF-16 surrogate
 * pairs, and request bodies must be UTF-8. Such input is refused with a 400 naming the field — never
 * silently changed (MongoDB would store a lone surrogate as U+FFFD; a decoder would replace bytes
 * that are not UTF-8 the same way).
 */
import type { Request, RequestHandler, Response } from 'express';
import { HttpProblem, type FieldError } from './problem.js';
import { fieldLabel } from './messages.js';
import { BUILTIN_INSTRUMENT_IDS, loadInstrument } from '../../questionnaires/engine.js';

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NONCHARACTER = /[\ufdd0-\ufdef\ufffe\uffff]/;

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** What is wrong with a text, in English and Spanish; undefined when it is clean. */
export function textProblem(text: string): { en: string; es: string; code: string } | undefined {
  let match = LONE_SURROGATE.exec(text);
  if (match) {
    return { code: 'text_lone_surrogate', en: `a lone UTF-16 surrogate (${codePoint(match[0])}) at position ${match.index + 1}`, es: `un carácter inválido (medio par sustituto ${codePoint(match[0])}) en la posición ${match.index + 1}` };
  }
  match = CONTROL.exec(text);
  if (match) {
    return { code: 'text_control_character', en: `a control character (${codePoint(match[0])}) at position ${match.index + 1}`, es: `un carácter de control (${codePoint(match[0])}) en la posición ${match.index + 1}` };
  }
  match = NONCHARACTER.exec(text);
  if (match) {
    return { code: 'text_noncharacter', en: `a Unicode noncharacter (${codePoint(match[0])}) at position ${match.index + 1}`, es: `un carácter no válido (${codePoint(match[0])}) en la posición ${match.index + 1}` };
  }
  return undefined;
}

const FIELD_NAMES_ES: Record<string, string> = {
  reason: 'Motivo',
  name: 'Nombre',
  email: 'Correo',
  title: 'Título',
  password: 'Contraseña',
  comment: 'Comentario',
};

let itemLabels: Map<string, string> | undefined;

/** The Spanish labels of the built-in instruments' questions (nested ones too), by question id. */
function questionLabels(): Map<string, string> {
  if (itemLabels) return itemLabels;
  const labels = new Map<string, string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as { id?: unknown; label?: { es?: unknown } };
    if (typeof record.id === 'string' && typeof record.label?.es === 'string' && !labels.has(record.id)) labels.set(record.id, record.label.es);
    Object.values(node).forEach(visit);
  };
  for (const id of BUILTIN_INSTRUMENT_IDS) visit(loadInstrument(id));
  itemLabels = labels;
  return labels;
}

/** A field as a person knows it: its label (an account field, a question), never its code name. */
function fieldPhraseEs(field: string): string {
  const base = /^([A-Za-z_]+)/.exec(field)?.[1] ?? field;
  const last = field.replace(/\[\d+\]/g, '').split('.').filter(Boolean).pop() ?? field;
  const label = FIELD_NAMES_ES[base] ?? fieldLabel(field) ?? questionLabels().get(last) ?? questionLabels().get(base);
  return label ? `El campo «${label}»` : 'Uno de los datos enviados';
}

interface Found {
  field: string;
  problem: NonNullable<ReturnType<typeof textProblem>>;
}

function walk(value: unknown, path: string, found: Found[], depth = 0): void {
  if (found.length >= 20 || depth > 40) return;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) found.push({ field: path, problem });
    return;
  }
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, found, depth + 1));
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const keyProblem = textProblem(key);
    const name = path ? `${path}.${key}` : key;
    if (keyProblem) found.push({ field: name, problem: keyProblem });
    else walk(v, name, found, depth + 1);
  }
}

function refused(found: readonly Found[], where: string): HttpProblem {
  const [first] = found;
  const errors: FieldError[] = found.map((f) => ({ field: f.field, reason: `contiene ${f.problem.es}; quítelo y vuelva a intentarlo` }));
  return new HttpProblem(400, 'Bad Request', `the ${where} field "${first!.field}" contains ${first!.problem.en}; nothing was changed`, errors, {
    code: first!.problem.code,
    message: `${fieldPhraseEs(first!.field)} contiene ${first!.problem.es}. Quítelo y vuelva a intentarlo; no se guardó nada.`,
  });
}

/** The refusal for a parsed body holding text that is not clean (multipart bodies, parsed by their routes). */
export function bodyTextProblem(body: unknown): HttpProblem | undefined {
  const found: Found[] = [];
  walk(body, '', found);
  return found.length ? refused(found, 'body') : undefined;
}

/** Checks the parsed body, the query and the route-independent text inputs of every request. */
export const textHygiene: RequestHandler = (req: Request, _res: Response, next) => {
  const found: Found[] = [];
  walk(req.body, '', found);
  if (found.length) return next(refused(found, 'body'));
  walk(req.query, '', found);
  if (found.length) return next(refused(found, 'query'));
  next();
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * body-parser's `verify`: JSON bodies must be valid UTF-8; URL-encoded bodies must percent-encode
 * valid UTF-8 (a decoder would otherwise replace the bytes with U+FFFD without a word).
 */
export function utf8Only(req: Request, _res: Response, body: Buffer): void {
  if (req.is('application/x-www-form-urlencoded')) {
    for (const pair of body.toString('latin1').split('&')) {
      const [rawKey = '', rawValue = ''] = pair.split('=');
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
        decodeURIComponent(rawValue.replace(/\+/g, ' '));
      } catch {
        throw new HttpProblem(400, 'Bad Request', `the form field "${key}" is not valid UTF-8; nothing was changed`, [{ field: key, reason: 'no es texto UTF-8 válido' }], {
          code: 'text_not_utf8',
          message: `${fieldPhraseEs(key)} no es texto válido (UTF-8). No se guardó nada.`,
        });
      }
    }
    return;
  }
  try {
    utf8.decode(body);
  } catch {
    throw new HttpProblem(400, 'Bad Request', 'the request body is not valid UTF-8; nothing was changed', [{ field: 'body', reason: 'no es texto UTF-8 válido' }], {
      code: 'text_not_utf8',
      message: 'La solicitud no es texto válido (UTF-8). No se guardó nada.',
    });
  }
}
