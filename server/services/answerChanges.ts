/**
 * What changed in an institution's answers since the evaluators last gave them back (returned with
 * comments, or an approval reopened), item by item, with the reasons the respondent gave: read from
 * the audit trail, where each change is recorded with its reason (audit.ts `record`). The review
 * page shows it beside each changed answer; the respondent's pages open the reason field of the
 * answers already changed.
 */
import { Types } from 'mongoose';
import { AuditEntryModel } from '../models/audit.js';
import { readableValue } from './auditView.js';
import { EVIDENCE_SUFFIX } from '../../questionnaires/engine.js';

export interface AnswerChange {
  /** The question (top-level item id); its evidence link counts with it. */
  item: string;
  label?: string;
  /** The answer (and evidence link) as they were when given back, and as they are after the last change, in words. */
  before: string;
  after: string;
  /** Each change with its reason, oldest first. */
  reasons: { text: string; at: Date; by?: string }[];
}

export interface ChangesSinceReturn {
  /** When the answers were given back; null when they never were. */
  since: Date | null;
  changes: AnswerChange[];
}

const baseItem = (key: string) => (key.endsWith(EVIDENCE_SUFFIX) ? key.slice(0, -EVIDENCE_SUFFIX.length) : key);

/** Changes of the answers to `questionnaire` after the latest return or reopening, grouped by question. */
export async function changesSinceReturn(editionId: string, institutionId: string | Types.ObjectId, questionnaire: string): Promise<ChangesSinceReturn> {
  const key = { edition: editionId, institution: new Types.ObjectId(String(institutionId)), questionnaire };
  const given = await AuditEntryModel.findOne({ ...key, action: { $in: ['answers.return', 'answers.reopen'] } }, { at: 1 }).sort({ at: -1, _id: -1 }).lean();
  if (!given) return { since: null, changes: [] };
  const entries = await AuditEntryModel.find({ ...key, action: 'answers.change', at: { $gte: given.at } }).sort({ at: 1, _id: 1 }).lean();
  const byItem = new Map<string, { label?: string; first: Map<string, unknown>; last: Map<string, unknown>; reasons: AnswerChange['reasons'] }>();
  for (const entry of entries) {
    if (!entry.item) continue;
    const item = baseItem(entry.item);
    const change = byItem.get(item) ?? { label: undefined as string | undefined, first: new Map<string, unknown>(), last: new Map<string, unknown>(), reasons: [] as AnswerChange['reasons'] };
    byItem.set(item, change);
    if (entry.item === item && entry.itemLabel) change.label = entry.itemLabel;
    change.label ??= entry.itemLabel?.replace(/ \(evidencia\)$/, '') ?? undefined;
    if (!change.first.has(entry.item)) change.first.set(entry.item, entry.oldValue);
    change.last.set(entry.item, entry.newValue);
    const reason = entry.reason?.trim();
    // One reason per saved change (a change of an answer and its link shares it).
    if (reason && !change.reasons.some((r) => r.at.getTime() === entry.at.getTime() && r.text === reason)) change.reasons.push({ text: reason, at: entry.at, by: entry.actor?.label ?? undefined });
  }
  const words = (keyOf: string, value: unknown) => {
    const text = readableValue({ action: 'answers.change', questionnaire, item: keyOf }, value);
    return keyOf.endsWith(EVIDENCE_SUFFIX) ? (text ? `Evidencia: ${text}` : 'Sin liga de evidencia') : text;
  };
  const describe = (values: Map<string, unknown>) => [...values].map(([k, v]) => words(k, v)).join('\n');
  const changes = [...byItem].map(([item, c]): AnswerChange => ({ item, label: c.label, before: describe(c.first), after: describe(c.last), reasons: c.reasons }));
  return { since: given.at, changes };
}
