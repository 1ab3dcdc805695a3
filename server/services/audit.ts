/**
 * The audit trail: every change by anyone is recorded here, through `record`, once per change, in the
 * same transaction as the change when there is one. Entries are never updated or deleted (the model
 * refuses it). Reading them for people (pages, CSV) is in auditView.ts.
 */
import { Types, type ClientSession } from 'mongoose';
import { AuditEntryModel, type ActorRole, type AuditAction } from '../models/audit.js';

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
  /** Why this item changed, when the person said it for this item (otherwise the change's reason). */
  reason?: string;
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
  /** A change that touches several institutions at once (invitations issued): one entry each, with its own values when given. */
  targets?: readonly { institution: Types.ObjectId | string; subject?: string; oldValue?: unknown; newValue?: unknown }[];
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
  'evidence.attach': 'Archivo de evidencia adjuntado',
  'evidence.remove': 'Archivo de evidencia quitado',
  'institution.contacts': 'Contacto del sujeto obligado modificado',
  'institution.change': 'Datos del sujeto obligado modificados',
  'institution.remove': 'Sujeto obligado quitado de la muestra',
  'edition.details': 'Datos de la edición modificados',
  'account.create': 'Cuenta creada',
  'account.change': 'Cuenta modificada',
  'assignment.add': 'Evaluador asignado',
  'assignment.remove': 'Asignación de evaluador retirada',
  'crosswalk.decide': 'Decisión de correspondencia entre ediciones',
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
    ? change.items.map((i) => ({ ...base, item: i.item, itemLabel: i.label, oldValue: i.oldValue ?? null, newValue: i.newValue ?? null, ...(i.reason ? { reason: i.reason } : {}) }))
    : change.targets?.length
      ? change.targets.map((t) => ({
          ...base,
          ...values,
          institution: t.institution,
          ...(t.subject !== undefined && { subject: t.subject }),
          ...('oldValue' in t && { oldValue: t.oldValue ?? null }),
          ...('newValue' in t && { newValue: t.newValue ?? null }),
        }))
      : change.targets
        ? []
        : [{ ...base, ...values }];
  if (docs.length === 0) return;
  await AuditEntryModel.insertMany(docs, { session });
}
