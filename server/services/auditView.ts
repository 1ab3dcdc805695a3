/**
 * The audit trail as people read it: per institution or per edition, with names, Spanish labels and
 * values in words (answers as the questionnaire words them, states by their names), and as CSV with
 * formula cells escaped.
 */
import { INSTITUTION_FIELD_LABELS } from './institutionAdmin.js';
import { Types } from 'mongoose';
import { AuditEntryModel, type ActorRole, type AuditAction } from '../models/audit.js';
import { InstitutionModel } from '../models/institution.js';
import { toCsv } from '../../reports/csv.js';
import { ACTION_LABELS, ROLE_LABELS } from './audit.js';
import { DECISION_LABELS, EDITION_STATUS_LABELS, formatDeadline } from './editionLifecycle.js';
import { STATUS_LABELS } from './responseStore.js';
import { instrumentById } from './instruments.js';
import { answerText } from '../http/questionnaireForm.js';
import { EVIDENCE_SUFFIX } from '../../questionnaires/engine.js';

export interface AuditQuery {
  edition: string;
  institution?: Types.ObjectId | string;
  /** Only entries without an institution or about one of these (an evaluator's assigned institutions). */
  within?: readonly (Types.ObjectId | string)[];
  action?: AuditAction;
  role?: ActorRole;
  /** Oldest first (default) or newest first. */
  newestFirst?: boolean;
  limit?: number;
  offset?: number;
}

export interface AuditRow {
  at: Date;
  action: AuditAction;
  actionLabel: string;
  actor: { kind: string; id?: string; label?: string; role?: string };
  roleLabel: string;
  institution?: string;
  institutionName?: string;
  questionnaire?: string;
  item?: string;
  itemLabel?: string;
  oldValue: unknown;
  newValue: unknown;
  oldText: string;
  newText: string;
  reason?: string;
  summary?: string;
  subject?: string;
}

/** A value as people read it in a table cell. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

const CROSSWALK_DECISIONS = { accepted: 'Pareja aceptada (vinculados)', rejected: 'Pareja rechazada' } as const;

const ACCOUNT_ROLES: Record<string, string> = { admin: 'Administración', evaluator: 'Evaluación', viewer: 'Consulta' };

function label<T extends Record<string, string>>(labels: T, value: unknown): string {
  return typeof value === 'string' && value in labels ? labels[value as keyof T]! : valueText(value);
}

const EDITION_VALUE_LABELS: Record<string, string> = { title: 'Título', year: 'Año', help: 'Contacto para dudas' };

/** Changed fields as people read them: «Nombre del sujeto obligado: Municipio de Colima · Copias: a@b.mx; c@d.mx». */
function fieldsText(value: unknown, labels: Record<string, string>): string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return valueText(value);
  const part = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '(vacío)';
    if (Array.isArray(v)) return v.length ? v.join('; ') : '(vacío)';
    if (typeof v === 'object') return Object.values(v as Record<string, unknown>).filter((x) => x !== null && x !== '').map(String).join(', ') || '(vacío)';
    return String(v);
  };
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${labels[k] ?? k}: ${part(v)}`).join(' · ');
}

/** The value of an entry in words: answers as the questionnaire words them, states by their names. */
export function readableValue(entry: { action: AuditAction; questionnaire?: string | null; item?: string | null }, value: unknown): string {
  if (value === null || value === undefined) {
    if (entry.action === 'edition.deadline') return 'Sin fecha límite';
    if (entry.action === 'institution.publication') return 'Sin decisión';
    if (entry.action === 'answers.change' || entry.action === 'logs.change') return 'Sin respuesta';
    return '';
  }
  switch (entry.action) {
    case 'answers.submit':
    case 'answers.approve':
    case 'answers.reopen':
    case 'logs.complete':
    case 'logs.reopen':
      return label(STATUS_LABELS, value);
    case 'edition.status':
    case 'edition.publication':
      return label(EDITION_STATUS_LABELS, value);
    case 'edition.deadline':
      return value instanceof Date ? formatDeadline(value) : valueText(value);
    case 'institution.publication':
      return label(DECISION_LABELS, value);
    case 'edition.create': {
      const v = value as { year?: number; methodology?: string; instruments?: string[] };
      const titles = (v.instruments ?? []).map((id) => {
        try {
          return instrumentById(id).title;
        } catch {
          return id;
        }
      });
      return [v.year && `Año ${v.year}`, v.methodology && `metodología ${v.methodology}`, titles.length && `cuestionarios: ${titles.join('; ')}`].filter(Boolean).join(' · ');
    }
    case 'account.create':
    case 'account.change': {
      const v = value as { email?: string; name?: string; role?: string; editions?: string[]; active?: boolean };
      return [`${v.name ?? ''} <${v.email ?? ''}>`, ACCOUNT_ROLES[v.role ?? ''] ?? v.role, v.editions?.length ? `ediciones: ${v.editions.join(', ')}` : 'sin ediciones', v.active === false ? 'desactivada' : 'activa'].filter(Boolean).join(' · ');
    }
    case 'crosswalk.decide':
      return label(CROSSWALK_DECISIONS, value);
    case 'institution.change':
    case 'institution.contacts':
    case 'institution.remove':
    case 'edition.details':
      return fieldsText(value, entry.action === 'edition.details' ? EDITION_VALUE_LABELS : INSTITUTION_FIELD_LABELS);
    case 'answers.change':
    case 'logs.change': {
      if (!entry.questionnaire || !entry.item) return valueText(value);
      try {
        const instrument = instrumentById(entry.questionnaire);
        if (entry.item.endsWith(EVIDENCE_SUFFIX)) return valueText(value);
        return answerText(instrument.definition, entry.item, value, { type: '', level: '' });
      } catch {
        return valueText(value);
      }
    }
    default:
      return valueText(value);
  }
}

/** The entries of an edition (or of one of its institutions), oldest first, with names for people. */
export async function auditEntries(query: AuditQuery): Promise<{ total: number; rows: AuditRow[] }> {
  const filter: Record<string, unknown> = { edition: query.edition };
  if (query.institution !== undefined) filter.institution = query.institution;
  if (query.within) filter.$or = [{ institution: { $exists: false } }, { institution: null }, { institution: { $in: query.within } }];
  if (query.action) filter.action = query.action;
  if (query.role) filter['actor.role'] = query.role;
  const order = query.newestFirst ? -1 : 1;
  const [total, entries] = await Promise.all([
    AuditEntryModel.countDocuments(filter),
    AuditEntryModel.find(filter)
      .sort({ at: order, _id: order })
      .skip(query.offset ?? 0)
      .limit(query.limit ?? 0)
      .lean(),
  ]);
  const institutionIds = [...new Set(entries.flatMap((e) => (e.institution ? [String(e.institution)] : [])))];
  const names = new Map(
    (await InstitutionModel.find({ _id: { $in: institutionIds } }, { name: 1 }).lean()).map((i) => [String(i._id), i.name]),
  );
  const rows = entries.map((e): AuditRow => {
    // Entries written before actions existed were changes of answers after a submission.
    const action = (e.action ?? 'answers.change') as AuditAction;
    const role = (e.actor?.role ?? (e.actor?.kind === 'respondent' ? 'respondent' : 'system')) as ActorRole;
    return {
      at: e.at,
      action,
      actionLabel: ACTION_LABELS[action] ?? action,
      actor: { kind: e.actor.kind, id: e.actor.id ?? undefined, label: e.actor.label ?? undefined, role },
      roleLabel: ROLE_LABELS[role] ?? role,
      institution: e.institution ? String(e.institution) : undefined,
      institutionName: e.institution ? names.get(String(e.institution)) : undefined,
      questionnaire: e.questionnaire ?? undefined,
      item: e.item ?? undefined,
      itemLabel: e.itemLabel ?? undefined,
      oldValue: e.oldValue,
      newValue: e.newValue,
      oldText: readableValue({ action, questionnaire: e.questionnaire, item: e.item }, e.oldValue),
      newText: readableValue({ action, questionnaire: e.questionnaire, item: e.item }, e.newValue),
      reason: e.reason ?? undefined,
      summary: e.summary ?? undefined,
      subject: e.subject ?? undefined,
    };
  });
  return { total, rows };
}

export const AUDIT_CSV_HEADER = ['fecha', 'quien', 'rol', 'accion', 'sujeto_obligado', 'cuestionario', 'pregunta', 'antes', 'despues', 'motivo', 'detalle'] as const;

/** The audit trail as CSV: items named by their question text; text that could start a formula stays text. */
export function auditCsv(rows: readonly AuditRow[]): string {
  return toCsv(
    AUDIT_CSV_HEADER,
    rows.map((r) => [
      r.at,
      r.actor.label ?? r.actor.id ?? '',
      r.roleLabel,
      r.actionLabel,
      r.institutionName ?? r.institution ?? '',
      r.questionnaire ?? '',
      r.itemLabel ?? r.item ?? '',
      r.oldText,
      r.newText,
      r.reason ?? '',
      [r.summary, r.subject].filter(Boolean).join(' · '),
    ]),
  );
}

/** The rows of the CSV, read a thousand entries at a time (the whole trail never sits in memory). */
export async function* auditCsvRows(query: Omit<AuditQuery, 'limit' | 'offset'>): AsyncGenerator<(string | Date)[]> {
  for (let offset = 0; ; offset += 1000) {
    const { rows } = await auditEntries({ ...query, limit: 1000, offset });
    for (const r of rows) {
      yield [r.at, r.actor.label ?? r.actor.id ?? '', r.roleLabel, r.actionLabel, r.institutionName ?? r.institution ?? '', r.questionnaire ?? '', r.itemLabel ?? r.item ?? '', r.oldText, r.newText, r.reason ?? '', [r.summary, r.subject].filter(Boolean).join(' · ')];
    }
    if (rows.length < 1000) return;
  }
}
