/** Server-rendered pages: handlebars (express-handlebars) in Spanish, with shared helpers. */
import type { Express } from 'express';
import { engine } from 'express-handlebars';
import Handlebars from 'handlebars';
import { fileURLToPath } from 'node:url';
import { formatFixed } from '../../scoring/rounding.js';
import { EDITION_STATUS_LABELS, fieldLabel, ROLE_LABELS, spanishReason } from './messages.js';
import { assetUrl } from './assets.js';

const VIEWS = fileURLToPath(new URL('../views/', import.meta.url));

// 24-hour clock: «30 nov 2026, 16:25» (the 12-hour «4:25 p.m.» ends in a period and doubled the one after it).
const dateFormat = new Intl.DateTimeFormat('es-MX', { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23', timeZone: 'America/Mexico_City' });

export const viewHelpers = {
  eq: (a: unknown, b: unknown) => a === b,
  not: (a: unknown) => !a,
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  includes: (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value),
  /** Two decimals, half-up, as the metric publishes its figures; a dash for no value. */
  fixed: (value: unknown, decimals: unknown) => (typeof value === 'number' && Number.isFinite(value) ? formatFixed(value, typeof decimals === 'number' ? decimals : 2) : '—'),
  date: (value: unknown) => (value instanceof Date || typeof value === 'string' ? dateFormat.format(new Date(value)) : ''),
  json: (value: unknown) => JSON.stringify(value ?? null),
  /** A value inside a URL (query strings of filter links). */
  enc: (value: unknown) => encodeURIComponent(String(value ?? '')),
  /** The DOM id of a form field, shared by inputs and the error summary's links. */
  fieldId: (field: unknown) => `f-${String(field).replace(/[^a-zA-Z0-9_-]/g, '-')}`,
  /** An edition's status and an account's role in Spanish («recibiendo respuestas», «evaluación»). */
  editionStatus: (value: unknown) => (EDITION_STATUS_LABELS as Record<string, string>)[String(value)] ?? String(value ?? ''),
  roleLabel: (value: unknown) => ROLE_LABELS[String(value)] ?? String(value ?? ''),
  /** An error text as a page shows it: the Spanish message when there is one, else the known English phrase in Spanish. */
  spanishText: (text: unknown, message: unknown) => (typeof message === 'string' && message ? message : typeof text === 'string' ? spanishReason(text) : ''),
  fieldLabel: (field: unknown) => (typeof field === 'string' ? (fieldLabel(field) ?? '') : ''),
  /** «1 bitácora completa», «3 bitácoras completas»: the number with the singular or the plural words. */
  count: (value: unknown, one: unknown, many: unknown) => `${typeof value === 'number' ? value.toLocaleString('es-MX') : String(value ?? 0)} ${value === 1 ? String(one) : String(many)}`,
  /** A file of server/public with its fingerprint, cached for a year by browsers. */
  asset: (url: unknown) => new Handlebars.SafeString(assetUrl(String(url)).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)),
  percent: (value: unknown) => (typeof value === 'number' ? `${Math.round(value)} %` : ''),
};

export function configureViews(app: Express): void {
  app.engine('hbs', engine({ extname: '.hbs', defaultLayout: 'main', layoutsDir: `${VIEWS}layouts`, partialsDir: `${VIEWS}partials`, helpers: viewHelpers }));
  app.set('view engine', 'hbs');
  app.set('views', VIEWS);
}
