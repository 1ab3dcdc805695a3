/**
 * The audit trail: every change by anyone is recorded here, through `record`, once per change, in the
 * same transaction as the change when there is one. Entries are never updated or deleted (the model
 * refuses it). Read per institution or per edition, and exported as CSV with formula cells escaped.
 */
import { Types, type ClientSession } from 'mongoose';
import { AuditEntryModel, type ActorRole, type AuditAction } from '../models/audit.js';
import { InstitutionModel } from '../models/institution.js';
import { toCsv } from '../../reports/csv.js';

export interface Actor {
  kind: 'respondent' | 'user' | 'system';
  id: string;
  /** How people read it: "Ana Pérez <ana@example.org>", "Sujeto obligado: Municipio de Zapopan". */
  label: string;
  role: ActorRole;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system', label: 'El servicio', role: 'system' };

export interface ItemChange {
  item: string;
  /** The question text. */
  label?: string;
  oldValue: unknown;
  newValue: unknown;
}

export interface AuditChange {
  action: AuditAction;
  actor: Actor;
  edition?: string;
  institution?: Types.ObjectId | string;
  questionnaire?: string;
  summary?: string;
  reason?: string;
  subject?: string;
  /** Changed answers: one entry each. Without items the change is one entry with oldValue/newValue. */
  items?: readonly ItemChange[];
  /** A change that touches several institutions at once (invitations issued): one entry each. */
  targets?: readonly { institution: Types.ObjectId | string; subject?: string }[];
  oldValue?: unknown;
  newValue?: unknown;
  at?: Date;
}

export const ACTION_LABELS: Record<AuditAction, string> = {
  'answers.change': 'Cambio de respuesta',
  'answers.submit': 'Respuestas enviadas',
  'answers.return': 'Respuestas devueltas con comentarios',
  'answers.approve': 'Respuestas aprobadas',
  'answers.reopen': 'Aprobación reabierta',
  'logs.change': 'Cambio en la bitácora ciudadana',
  'logs.complete': 'Bitácora ciudadana marcada como completa',
  'logs.reopen': 'Bitácora ciudadana reabierta',
  'edition.create': 'Edición creada',
  'edition.status': 'Cambio de estado de la edición',
  'edition.deadline': 'Cambio de la fecha límite',
  'edition.publication': 'Publicación reabierta',
  'institution.publication': 'Decisión de publicación de un sujeto obligado',
  'sample.import': 'Muestra importada',
  'results.import': 'Resultados importados',
  'invitation.issue': 'Invitación emitida',
  'invitation.revoke': 'Invitación revocada',
  'account.create': 'Cuenta creada',
  'account.change': 'Cuenta modificada',
};

export const ROLE_LABELS: Record<ActorRole, string> = {
  respondent: 'Sujeto obligado',
  admin: 'Administración',
  evaluator: 'Evaluación',
  viewer: 'Consulta',
  system: 'Servicio',
};

/** Records one change (one entry, or one per changed item, sharing a change id). */
export async function record(change: AuditChange, session?: ClientSession): Promise<void> {
  const at = change.at ?? new Date();
  const base = {
    change: new Types.ObjectId(),
    action: change.action,
    actor: change.actor,
    at,
    ...(change.edition !== undefined && { edition: change.edition }),
    ...(change.institution !== undefined && { institution: change.institution }),
    ...(change.questionnaire !== undefined && { questionnaire: change.questionnaire }),
    ...(change.summary !== undefined && { summary: change.summary }),
    ...(change.reason ? { reason: change.reason } : {}),
    ...(change.subject !== undefined && { subject: change.subject }),
  };
  const values = { oldValue: change.oldValue ?? null, newValue: change.newValue ?? null };
  const docs = change.items?.length
    ? change.items.map((i) => ({ ...base, item: i.item, itemLabel: i.label, oldValue: i.oldValue ?? null, newValue: i.newValue ?? null }))
    : change.targets?.length
      ? change.targets.map((t) => ({ ...base, ...values, institution: t.institution, ...(t.subject !== undefined && { subject: t.subject }) }))
      : change.targets
        ? []
        : [{ ...base, ...values }];
  if (docs.length === 0) return;
  await AuditEntryModel.insertMany(docs, { session });
}

export interface AuditQuery {
  edition: string;
  institution?: Types.ObjectId | string;
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

/** The entries of an edition (or of one of its institutions), oldest first, with names for people. */
export async function auditEntries(query: AuditQuery): Promise<{ total: number; rows: AuditRow[] }> {
  const filter: Record<string, unknown> = { edition: query.edition };
  if (query.institution !== undefined) filter.institution = query.institution;
  const [total, entries] = await Promise.all([
    AuditEntryModel.countDocuments(filter),
    AuditEntryModel.find(filter)
      .sort({ at: 1, _id: 1 })
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
      oldText: valueText(e.oldValue),
      newText: valueText(e.newValue),
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
