/** The review queue of an edition and its progress dashboard. */
import { ResponseModel } from '../models/response.js';
import { InstitutionModel } from '../models/institution.js';
import { ScoreModel } from '../models/result.js';
import type { ResponseStatus } from '../models/response.js';
import { instrumentById } from './instruments.js';
import { findEdition } from './results.js';
import { STATUS_LABELS } from './responseStore.js';

export type QueueStatus = ResponseStatus | 'none';

export interface QueueRow {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
  /** The institution's own questionnaire. */
  answers: QueueStatus;
  answersLabel: string;
  submittedAt?: Date;
  /** The evaluators' citizen-perspective logs ("approved" once marked complete). */
  logs: QueueStatus;
  logsLabel: string;
  GA?: number;
}

/**
 * Every institution of the edition with the state of its answers and of its citizen logs; the
 * review queue puts submitted answers first, oldest submission first.
 */
export async function reviewQueue(editionId: string): Promise<QueueRow[]> {
  const edition = await findEdition(editionId);
  const instruments = edition.instruments.map((i) => instrumentById(i.id));
  const own = instruments.find((i) => i.audience === 'institution')?.id;
  const logs = instruments.find((i) => i.audience === 'evaluator')?.id;
  const [institutions, responses, scores] = await Promise.all([
    InstitutionModel.find({ scope: editionId }, { name: 1, entity: 1, type: 1, level: 1, entityCode: 1, normalizedName: 1 }).sort({ entityCode: 1, normalizedName: 1 }).lean(),
    ResponseModel.find({ edition: editionId }, { institution: 1, questionnaire: 1, status: 1, submittedAt: 1 }).lean(),
    ScoreModel.find({ edition: editionId }, { institution: 1, nodes: 1 }).lean(),
  ]);
  const byKey = new Map(responses.map((r) => [`${String(r.institution)}|${r.questionnaire.id}`, r]));
  const gaOf = new Map(scores.map((s) => [String(s.institution), (s.nodes as Record<string, { value: number }> | undefined)?.GA?.value]));
  const rows = institutions.map((institution): QueueRow => {
    const id = String(institution._id);
    const mine = own ? byKey.get(`${id}|${own}`) : undefined;
    const log = logs ? byKey.get(`${id}|${logs}`) : undefined;
    const answers: QueueStatus = mine?.status ?? 'none';
    const logStatus: QueueStatus = log?.status ?? 'none';
    return {
      id,
      name: institution.name,
      entity: institution.entity,
      type: institution.type,
      level: institution.level,
      answers,
      answersLabel: STATUS_LABELS[answers],
      submittedAt: mine?.submittedAt ?? undefined,
      logs: logStatus,
      logsLabel: logStatus === 'approved' ? 'Completa' : logStatus === 'none' ? 'Sin iniciar' : 'En captura',
      GA: gaOf.get(id),
    };
  });
  const order = (row: QueueRow) => (row.answers === 'submitted' ? 0 : 1);
  return rows.sort((a, b) => order(a) - order(b) || (a.submittedAt?.getTime() ?? 0) - (b.submittedAt?.getTime() ?? 0));
}

/** Counts by status of the institutions' answers, and by entity, for the progress dashboard. */
export function progressDashboard(rows: readonly QueueRow[]) {
  const statuses: QueueStatus[] = ['none', 'draft', 'submitted', 'returned', 'approved'];
  const count = (list: readonly QueueRow[], status: QueueStatus) => list.filter((r) => r.answers === status).length;
  const entities = [...new Set(rows.map((r) => r.entity))].sort((x, y) => x.localeCompare(y, 'es')).map((entity) => {
    const list = rows.filter((r) => r.entity === entity);
    return {
      entity,
      total: list.length,
      counts: statuses.map((status) => ({ status, count: count(list, status) })),
      logsComplete: list.filter((r) => r.logs === 'approved').length,
      scored: list.filter((r) => r.GA !== undefined).length,
    };
  });
  return {
    total: rows.length,
    statuses: statuses.map((status) => ({ status, label: STATUS_LABELS[status], count: count(rows, status) })),
    logsComplete: rows.filter((r) => r.logs === 'approved').length,
    scored: rows.filter((r) => r.GA !== undefined).length,
    entities,
  };
}
