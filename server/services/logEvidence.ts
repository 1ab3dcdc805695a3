/**
 * The rows of the citizen logs and their evidence files. Rows are identified by a stable key kept in
 * the row (ROW_KEY, given by `withRowKeys` when a row is first stored), never by their position: a
 * removed row takes its files with it and the files of the rows after it stay where they were.
 * `applyLogFiles` attaches, detaches and audits files inside the transaction that saves the logs, so
 * a refused save leaves no file attached; detached files are deleted once that transaction commits.
 */
import { randomBytes } from 'node:crypto';
import type { ClientSession } from 'mongoose';
import { ROW_KEY, type QuestionnaireDefinition } from '../../questionnaires/engine.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import {
  EVIDENCE_TYPE_WORDS,
  commitEvidence,
  countEvidence,
  detachEvidence,
  evidenceSettings,
  findEvidence,
  megabytes,
  rowEvidenceItems,
  rowItemId,
  rowsEvidence,
  type EvidenceFile,
} from '../files/evidence.js';
import { record, type Actor } from './audit.js';
import type { Answers } from './responseStore.js';

type Row = Record<string, unknown>;

/** A new row key: 12 random URL-safe characters. */
export const newRowKey = () => randomBytes(9).toString('base64url');

const groupIds = (def: QuestionnaireDefinition) => def.sections.flatMap((s) => s.items.filter((i) => i.kind === 'group').map((i) => i.id));

const rowsOf = (answers: Answers, group: string): Row[] => (Array.isArray(answers[group]) ? (answers[group] as Row[]) : []);

const keyOf = (row: Row | undefined) => (typeof row?.[ROW_KEY] === 'string' ? (row[ROW_KEY] as string) : undefined);

/** The answers with a key on every row of every group (rows that have one keep it; the key comes first). */
export function withRowKeys(def: QuestionnaireDefinition, answers: Answers): Answers {
  const keyed: Record<string, unknown> = { ...answers };
  for (const group of groupIds(def)) {
    if (!Array.isArray(answers[group])) continue;
    keyed[group] = rowsOf(answers, group).map((row) => (keyOf(row) ? row : { [ROW_KEY]: newRowKey(), ...row }));
  }
  return keyed as Answers;
}

/** The answers without the rows' keys: what people read and the audit trail compares. */
export function withoutRowKeys(answers: Answers): Answers {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(answers)) {
    plain[key] = Array.isArray(value) ? (value as Row[]).map((row) => (row && typeof row === 'object' && ROW_KEY in row ? Object.fromEntries(Object.entries(row).filter(([k]) => k !== ROW_KEY)) : row)) : value;
  }
  return plain as Answers;
}

/** Group → the key of each row, in order. */
export function rowKeys(def: QuestionnaireDefinition, answers: Answers): Map<string, string[]> {
  return new Map(groupIds(def).map((group) => [group, rowsOf(answers, group).flatMap((row) => keyOf(row) ?? [])]));
}

/** Group → (index of the posted row → its key), from validated rows and where each came from in the input. */
export function postedRowKeys(keyed: Answers, rowOrigins: ReadonlyMap<string, readonly number[]>): Map<string, Map<number, string>> {
  const byGroup = new Map<string, Map<number, string>>();
  for (const [group, origins] of rowOrigins) {
    const rows = rowsOf(keyed, group);
    byGroup.set(group, new Map(origins.flatMap((index, k) => (keyOf(rows[k]) ? [[index, keyOf(rows[k])!] as const] : []))));
  }
  return byGroup;
}

/** A received file to attach to a row's item: to the row posted at `index` (page forms) or to the row with key `row` (API). */
export interface LogFileToAttach {
  evidenceId: string;
  /** "<group>.<item>". */
  item: string;
  index?: number;
  row?: string;
  name: string;
}

export interface LogFileChanges {
  attach?: readonly LogFileToAttach[];
  /** Committed row files to remove, by id. */
  remove?: readonly string[];
}

export interface LogFilesOutcome {
  attached: EvidenceFile[];
  removed: EvidenceFile[];
  /** Ids of the files taken out in the transaction, to delete once it has committed. */
  detached: string[];
}

/** «Fecha de la respuesta» (Solicitud 3): a row's question as people read it. */
export function rowPlaceText(label: string, rowLabel: string, number: number): string {
  return `«${label}» (${rowLabel} ${number})`;
}

/** A refusal naming the question and the row: Spanish on the field (pages), English in the detail (API). */
export function rowFileRefusal(status: number, code: string, detail: string, field: string, message: string, extra: Partial<FieldError> = {}): HttpProblem {
  const title = status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : status === 413 ? 'Content Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request';
  return new HttpProblem(status, title, detail, [{ field, reason: message, message, ...extra }], { code, message });
}

/** Why a received file was refused by the storage (type or size), in Spanish, naming the question and the row. */
export function receivedFileRefusal(rejected: 'too-large' | 'type-not-allowed', name: string, place: string): string {
  const settings = evidenceSettings();
  return rejected === 'too-large'
    ? `El archivo «${name}» para ${place} pasa del límite de ${megabytes(settings.maxBytes)}; no se guardó nada.`
    : `El archivo «${name}» para ${place} no es de un tipo aceptado (${EVIDENCE_TYPE_WORDS}); no se guardó nada.`;
}

interface ApplyContext {
  def: QuestionnaireDefinition;
  edition: string;
  institution: string;
  questionnaire: string;
  actor: Actor;
  /** The rows before and after the change. */
  before: Answers;
  after: Answers;
  /** Posted row index → key, for files posted with a form. */
  posted?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  changes: LogFileChanges;
  session: ClientSession;
}

/**
 * In the logs' transaction: attaches the received files to their rows (the row must exist after the
 * change; at most the per-item limit of files per row's item), detaches the files of the rows that are
 * gone and the files asked to be removed, and records each in the audit trail. Throws (and so rolls the
 * whole change back) when a file cannot go where it was sent.
 */
export async function applyLogFiles(ctx: ApplyContext): Promise<LogFilesOutcome> {
  const items = rowEvidenceItems(ctx.def);
  const settings = evidenceSettings();
  const afterKeys = rowKeys(ctx.def, ctx.after);
  const beforeKeys = rowKeys(ctx.def, ctx.before);
  const numberOf = (keys: ReadonlyMap<string, readonly string[]>, group: string, key: string) => (keys.get(group)?.indexOf(key) ?? -1) + 1;
  const outcome: LogFilesOutcome = { attached: [], removed: [], detached: [] };
  const audit = async (action: 'evidence.attach' | 'evidence.remove', file: EvidenceFile, number: number) => {
    const item = items.get(file.item);
    const [group, child] = file.item.split('.') as [string, string];
    await record(
      {
        action,
        actor: ctx.actor,
        edition: ctx.edition,
        institution: ctx.institution,
        questionnaire: ctx.questionnaire,
        subject: `${group}[${file.row}].${child}`,
        summary: `${file.name} (${file.id})`,
        items: [{ item: file.item, label: item ? `${item.label} (${item.rowLabel} ${number})` : file.item, oldValue: action === 'evidence.remove' ? file.name : null, newValue: action === 'evidence.attach' ? file.name : null }],
      },
      ctx.session,
    );
  };

  // Files of rows that are gone, and files removed one by one.
  for (const [group, keys] of beforeKeys) {
    const kept = new Set(afterKeys.get(group) ?? []);
    const gone = keys.filter((key) => !kept.has(key));
    for (const file of await rowsEvidence(ctx.edition, ctx.institution, group, gone, ctx.session)) {
      outcome.removed.push(file);
      await audit('evidence.remove', file, numberOf(beforeKeys, group, file.row!));
    }
  }
  for (const id of ctx.changes.remove ?? []) {
    if (outcome.removed.some((f) => f.id === id)) continue;
    const file = await findEvidence(ctx.edition, ctx.institution, id, 'rows', ctx.session);
    if (!file) throw rowFileRefusal(404, 'evidence_not_found', `evidence file "${id}" of the citizen logs does not exist`, '', 'El archivo que quiso quitar ya no está en la bitácora.');
    const [group] = file.item.split('.') as [string];
    outcome.removed.push(file);
    await audit('evidence.remove', file, numberOf(beforeKeys, group, file.row!));
  }
  outcome.detached = outcome.removed.map((f) => f.id);
  await detachEvidence(ctx.edition, ctx.institution, outcome.detached, ctx.session);

  // Received files, each to its row.
  const counts = new Map<string, number>();
  for (const file of ctx.changes.attach ?? []) {
    const item = items.get(file.item);
    if (!item) throw rowFileRefusal(400, 'evidence_unknown_item', `item "${file.item}" is not an item of the citizen logs' rows that takes evidence`, 'item', `El archivo «${file.name}» no corresponde a una pregunta de la bitácora que pida evidencia; no se guardó nada.`);
    const key = file.row ?? (file.index === undefined ? undefined : ctx.posted?.get(item.group)?.get(file.index));
    const number = key ? numberOf(afterKeys, item.group, key) : 0;
    const formField = file.index === undefined ? 'row' : `${item.group}[${file.index}].${item.item}:archivo`;
    if (!key || number === 0) {
      const shown = file.index === undefined ? undefined : file.index + 1;
      throw rowFileRefusal(
        file.row ? 404 : 400,
        'evidence_unknown_row',
        file.row ? `group "${item.group}" has no row with key "${file.row}"` : `row ${file.index} of group "${item.group}" is empty: a file needs a row with answers`,
        formField,
        shown
          ? `El archivo «${file.name}» es para ${rowPlaceText(item.label, item.rowLabel, shown)}, pero esa fila no tiene respuestas: llénela o no adjunte el archivo. No se guardó nada.`
          : `La fila a la que quiso adjuntar «${file.name}» ya no está en la bitácora; no se guardó nada.`,
        file.row ? { value: file.row } : {},
      );
    }
    const place = `${file.item}#${key}`;
    const count = (counts.get(place) ?? (await countEvidence(ctx.edition, ctx.institution, file.item, key, ctx.session))) + 1;
    counts.set(place, count);
    if (count > settings.maxFilesPerItem) {
      throw rowFileRefusal(
        409,
        'evidence_too_many_files',
        `item "${file.item}" of row "${key}" already has ${settings.maxFilesPerItem} files; remove one first`,
        formField,
        `${rowPlaceText(item.label, item.rowLabel, number)} admite hasta ${settings.maxFilesPerItem} archivos; quite uno antes de adjuntar «${file.name}». No se guardó nada.`,
      );
    }
    const committed = await commitEvidence({ edition: ctx.edition, institution: ctx.institution }, [{ evidenceId: file.evidenceId, item: file.item, row: key }], ctx.session);
    if (committed !== 1) throw new Error(`received evidence file ${file.evidenceId} is no longer pending`);
    const stored = (await findEvidence(ctx.edition, ctx.institution, file.evidenceId, 'rows', ctx.session))!;
    outcome.attached.push(stored);
    await audit('evidence.attach', stored, number);
  }
  return outcome;
}
