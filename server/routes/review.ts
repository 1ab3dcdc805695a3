/**
 * Evaluators (and admins) run an edition's review: the queue and progress dashboard, each
 * institution's answers to approve or return with per-item comments, the citizen-perspective logs
 * they fill themselves, the audit trail and the resulting score with its explanation. Viewers
 * (commissioners) see the same pages read-only. Pages under /evaluacion, JSON under /api/v1.
 */
import { Router, type Request, type Response } from 'express';
import { EditionModel } from '../models/edition.js';
import { currentUser, editionForUser, requireUser, userActor, type UserPrincipal } from '../auth/access.js';
import { HttpProblem, notFound, type FieldError } from '../http/problem.js';
import { flash, renderPage } from '../http/render.js';
import { answersFromForm, errorsByPath, labelledErrors, questionnaireView, type FormAnswers } from '../http/questionnaireForm.js';
import {
  STATUS_LABELS,
  approveResponse,
  editionInstrument,
  loadResponse,
  reopenResponse,
  returnResponse,
  saveCitizenLogs,
  scoreWithExplanation,
  type ReviewComment,
} from '../services/responses.js';
import { allows, refusal } from '../services/editionLifecycle.js';
import { auditEntries } from '../services/auditView.js';
import { explanationView, institutionExplanation } from '../services/explanations.js';
import { progress } from '../../questionnaires/engine.js';
import { EVIDENCE_TYPE_WORDS, ROW_FILE_FIELD, discardReceived, evidenceByItem, evidenceItems, evidenceSettings, listEvidence, megabytes, rowEvidenceItems, rowItemId } from '../files/evidence.js';
import { changesSinceReturn, type AnswerChange } from '../services/answerChanges.js';
import { mayDownloadEvidence, receiveEvidence, receivedFiles, requireLogsWriter, staffOwnerOf } from './evidence.js';
import { receivedFileRefusal, rowPlaceText, type LogFileChanges, type LogFileToAttach } from '../services/logEvidence.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

export function institutionParam(req: Request): string {
  const id = String(req.params.id);
  if (!OBJECT_ID.test(id)) throw notFound(`institution "${id}" does not exist`);
  return id;
}

const canWrite = (user: UserPrincipal, editionId: string) => user.role === 'admin' || (user.role === 'evaluator' && user.editions.includes(editionId));
export const actorOf = userActor;

export async function writableEdition(res: Response, editionId: string) {
  const user = currentUser(res);
  const edition = await editionForUser(user, editionId, 'write');
  return { user, edition };
}

/** Everything the review page and its API show about one institution. */
export async function reviewData(editionId: string, institutionId: string) {
  const own = await editionInstrument(editionId, 'institution');
  const logs = await editionInstrument(editionId, 'evaluator').catch((error: unknown) => {
    if (error instanceof HttpProblem && error.status === 404) return undefined;
    throw error;
  });
  const answers = await loadResponse(editionId, institutionId, own);
  const logResponse = logs ? await loadResponse(editionId, institutionId, logs) : undefined;
  const [audit, scored, changes] = await Promise.all([
    auditEntries({ edition: editionId, institution: answers.institution._id }),
    scoreWithExplanation(editionId, institutionId),
    changesSinceReturn(editionId, answers.institution._id, own.id),
  ]);
  return { own, logs, answers, logResponse, audit: audit.rows, scored, changes };
}

/** Comments posted as "comment[<item path>]" fields; empty ones are not comments. */
function commentsFromForm(body: unknown): ReviewComment[] {
  return Object.entries((body ?? {}) as Record<string, unknown>).flatMap(([key, value]) => {
    const item = /^comment\[(.{1,200})\]$/.exec(key)?.[1];
    if (!item || typeof value !== 'string' || !value.trim()) return [];
    return [{ item, comment: value.slice(0, 1000) }];
  });
}


/** The score block of the review page: its stamp and its explanation in words (services/explanations.ts). */
async function scoreView(editionId: string, institutionId: string, scored: Awaited<ReturnType<typeof scoreWithExplanation>>) {
  const explanation = scored.score ? await institutionExplanation(editionId, institutionId, scored.score) : null;
  return { editionId, hash: scored.score?.methodology?.hash, computedAt: scored.score?.computedAt, explanation: explanation && explanationView(explanation) };
}

interface ReviewOverride {
  logAnswers?: FormAnswers;
  logErrors?: FieldError[];
  reason?: string;
  status: number;
  /** A refused review action, said plainly at the top of the page. */
  actionError?: string;
  errorsHeading?: string;
}

async function renderReview(req: Request, res: Response, override?: ReviewOverride) {
  const user = currentUser(res);
  const editionId = String(req.params.edition);
  const edition = await editionForUser(user, editionId, 'read');
  const institutionId = institutionParam(req);
  const data = await reviewData(editionId, institutionId);
  const open = allows(edition, 'review');
  const writable = canWrite(user, editionId) && open;
  const institution = data.answers.context.institution;
  const comments = Object.fromEntries((data.answers.response?.comments ?? []).map((c) => [c.item, c.comment]));
  const reviewing = writable && data.answers.status === 'submitted';
  const settings = evidenceSettings();
  const stored = await listEvidence(editionId, institutionId);
  const downloadBase = mayDownloadEvidence(user, editionId) ? `/api/v1/editions/${encodeURIComponent(editionId)}/institutions/${institutionId}/evidence/` : undefined;
  const files = {
    accepts: new Set(evidenceItems(data.own.definition).keys()),
    byItem: evidenceByItem(stored.filter((f) => f.row === undefined)),
    editable: false,
    maxPerItem: settings.maxFilesPerItem,
    ...(downloadBase && { downloadBase }),
  };
  // The citizen logs' rows keep their own files (by the row's key), attached by whoever writes the logs.
  const logFiles = data.logs && {
    accepts: new Set(rowEvidenceItems(data.logs.definition).keys()),
    byItem: evidenceByItem(stored.filter((f) => f.row !== undefined)),
    editable: writable,
    maxPerItem: settings.maxFilesPerItem,
    ...(downloadBase && { downloadBase }),
  };
  // What the respondent changed since the answers were given back, with the reasons, beside each answer.
  const changes = new Map<string, AnswerChange>(data.changes.changes.map((c) => [c.item, c]));
  // Comments typed on a refused «Devolver» stay in their boxes.
  const typed = req.method === 'POST' ? new Map(commentsFromForm(req.body).map((c) => [c.item, c.comment])) : new Map<string, string>();
  const answerSections = questionnaireView(data.own.definition, data.answers.answers, { institution, comments, files }).map((section) => ({
    ...section,
    items: section.items.map((item) => ({ ...item, change: changes.get(item.itemId), draftComment: typed.get(item.path) })),
  }));
  const logAnswers = override?.logAnswers ?? data.logResponse?.answers ?? {};
  const logErrors = override?.logErrors ?? [];
  const logSections = data.logs ? questionnaireView(data.logs.definition, logAnswers, { institution, errors: errorsByPath(logErrors), newRows: writable, removableRows: writable, files: logFiles }) : [];
  renderPage(
    req,
    res,
    'review/institution',
    {
      title: `Revisión: ${data.answers.institution.name}`,
      edition,
      institution: { ...data.answers.institution, id: institutionId },
      writable,
      closed: canWrite(user, editionId) && !open ? refusal(edition, 'review')?.pageMessage : undefined,
      reviewing,
      reopenable: writable && data.answers.status === 'approved',
      actionError: override?.actionError,
      answers: {
        status: data.answers.status,
        label: STATUS_LABELS[data.answers.status],
        revision: data.answers.revision,
        progress: data.answers.progress,
        sections: answerSections,
        submittedAt: data.answers.response?.submittedAt,
        reopenReason: data.answers.response?.reopenReason,
        changes: data.changes.changes,
      },
      commentsSent: data.answers.status !== 'draft',
      logs: data.logs && {
        status: data.logResponse!.status,
        revision: data.logResponse!.revision,
        complete: data.logResponse!.status === 'approved',
        needsReason: Boolean(data.logResponse!.response?.firstSubmittedAt),
        sections: logSections,
        progress: progress(data.logs.definition, logAnswers, data.logResponse!.context),
        reason: override?.reason ?? '',
        evidenceLimits: `${EVIDENCE_TYPE_WORDS}; hasta ${megabytes(settings.maxBytes)} por archivo y ${settings.maxFilesPerItem} archivos por pregunta de cada fila`,
      },
      errors: labelledErrors(data.logs?.definition ?? data.own.definition, logErrors),
      errorsHeading: override?.errorsHeading,
      audit: data.audit,
      score: await scoreView(editionId, institutionId, data.scored),
      scripts: ['/static/conditions.js'],
    },
    { status: override?.status },
  );
}

function formField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function formRevision(body: unknown): number | undefined {
  const text = formField(body, 'baseRevision');
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

const CONFIRM_MESSAGES = {
  devolver: 'Marque la casilla para confirmar que quiere devolver las respuestas.',
  aprobar: 'Marque la casilla para confirmar que quiere aprobar las respuestas.',
  reabrir: 'Marque la casilla para confirmar que quiere reabrir la aprobación.',
};

/**
 * A review action posted from the page: needs its confirmation checkbox; a refusal (someone else
 * acted first, the edition closed, a missing reason) is shown on the review page with its reason.
 */
async function reviewFormAction(req: Request, res: Response, kind: keyof typeof CONFIRM_MESSAGES, action: () => Promise<string>) {
  if (formField(req.body, 'confirmar') !== 'si') return renderReview(req, res, { status: 400, actionError: CONFIRM_MESSAGES[kind] });
  try {
    flash(req, await action());
    res.redirect(303, `/evaluacion/${String(req.params.edition)}/sujetos/${String(req.params.id)}`);
  } catch (error) {
    if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
    const message =
      error.code === 'stale_revision' || error.code === 'response_state'
        ? `No se hizo el cambio: otra persona actuó antes. ${STATE_NOW(error)}`
        : error.errors?.length
          ? error.errors.map((e) => e.reason).join('; ')
          : (error.pageMessage ?? error.title);
    return renderReview(req, res, { status: error.status, actionError: message });
  }
}

const STATE_NOW = (error: HttpProblem) => {
  const status = error.extras.responseStatus as keyof typeof STATUS_LABELS | undefined;
  return status && status in STATUS_LABELS ? `Ahora las respuestas están «${STATUS_LABELS[status]}».` : '';
};

export async function saveLogs(editionId: string, institutionId: string, user: UserPrincipal, answers: unknown, options: { complete: boolean; reason: string; baseRevision?: number; allOrNothing: boolean; files?: LogFileChanges }) {
  const logs = await editionInstrument(editionId, 'evaluator');
  return saveCitizenLogs(editionId, institutionId, logs, answers, { actor: actorOf(user), ...options });
}

export function reviewRouter(): Router {
  const router = Router();
  const signedIn = requireUser();

  router.get('/evaluacion', signedIn, async (req, res) => {
    const user = currentUser(res);
    const filter = user.role === 'admin' ? {} : { editionId: { $in: user.editions } };
    const editions = await EditionModel.find(filter, { editionId: 1, year: 1, title: 1, status: 1, instruments: 1 }).sort({ year: -1 }).lean();
    renderPage(req, res, 'review/index', { title: 'Evaluación', editions: editions.filter((e) => (e.instruments ?? []).length > 0) });
  });

  router.get('/evaluacion/:edition/sujetos/:id', signedIn, (req, res) => renderReview(req, res));

  router.post('/evaluacion/:edition/sujetos/:id/devolver', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    const comments = commentsFromForm(req.body);
    if (comments.length === 0) {
      return renderReview(req, res, { status: 400, actionError: 'Para devolver las respuestas escriba al menos un comentario junto a la respuesta que debe corregirse.' });
    }
    await reviewFormAction(req, res, 'devolver', async () => {
      await returnResponse(edition.editionId, institutionId, own, comments, { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Respuestas devueltas al sujeto obligado con sus comentarios.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/aprobar', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    await reviewFormAction(req, res, 'aprobar', async () => {
      await approveResponse(edition.editionId, institutionId, own, { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Respuestas aprobadas; la calificación se recalculó.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/reabrir', signedIn, async (req, res) => {
    const { user, edition } = await writableEdition(res, String(req.params.edition));
    const institutionId = institutionParam(req);
    const own = await editionInstrument(edition.editionId, 'institution');
    await reviewFormAction(req, res, 'reabrir', async () => {
      await reopenResponse(edition.editionId, institutionId, own, formField(req.body, 'reason'), { actor: actorOf(user), baseRevision: formRevision(req.body) });
      return 'Aprobación reabierta: las respuestas volvieron al sujeto obligado y su calificación se retiró de los resultados hasta que se aprueben de nuevo.';
    });
  });

  router.post('/evaluacion/:edition/sujetos/:id/bitacora', signedIn, requireLogsWriter, receiveEvidence('page', { owner: staffOwnerOf, maxFiles: LOG_FORM_MAX_FILES }), async (req, res) => {
    const received = receivedFiles(req).filter((f) => f.evidenceId || f.rejected);
    try {
      await saveLogsForm(req, res, received);
    } finally {
      // Nothing of a refused post is kept: the files it brought and did not attach are removed.
      await discardReceived(received);
    }
  });

  return router;
}

/** Page forms send a part for every file input of every row (chosen or not): room for all of them. */
const LOG_FORM_MAX_FILES = 300;

/**
 * The evidence files posted with the logs' form: each to the item of the row it was posted in
 * ("archivo:requests[2].dateAnswered"), or the Spanish reasons to refuse the whole post, naming the
 * question and the row as the page does («Fecha de la respuesta» (Solicitud 3)).
 */
function postedLogFiles(def: Parameters<typeof rowEvidenceItems>[0], files: ReturnType<typeof receivedFiles>): { attach: LogFileToAttach[] } | { errors: FieldError[] } {
  const items = rowEvidenceItems(def);
  const errors: FieldError[] = [];
  const attach: LogFileToAttach[] = [];
  for (const file of files) {
    const match = ROW_FILE_FIELD.exec(file.fieldname);
    const item = match ? items.get(rowItemId(match[1]!, match[3]!)) : undefined;
    if (!match || !item) {
      errors.push({ field: '', reason: `El archivo «${file.originalname}» no corresponde a una pregunta de la bitácora que pida evidencia; no se guardó nada.` });
      continue;
    }
    const index = Number(match[2]);
    if (file.rejected) {
      errors.push({ field: `${item.group}[${index}].${item.item}:archivo`, reason: receivedFileRefusal(file.rejected, file.originalname, rowPlaceText(item.label, item.rowLabel, index + 1)) });
      continue;
    }
    attach.push({ evidenceId: file.evidenceId!, item: rowItemId(item.group, item.item), index, name: file.originalname });
  }
  return errors.length ? { errors } : { attach };
}

/** Saves the logs' form with its files, or shows why nothing was saved. */
async function saveLogsForm(req: Request, res: Response, received: ReturnType<typeof receivedFiles>): Promise<void> {
  const { user, edition } = await writableEdition(res, String(req.params.edition));
  const institutionId = institutionParam(req);
  const logs = await editionInstrument(edition.editionId, 'evaluator');
  if (res.locals.evidenceUploadError) {
    const settings = evidenceSettings();
    const tooLarge = (res.locals.evidenceUploadError as { code?: string }).code === 'LIMIT_FILE_SIZE';
    await renderReview(req, res, {
      status: tooLarge ? 413 : 400,
      actionError: tooLarge
        ? `No se guardó la bitácora: el envío se interrumpió porque un archivo es mucho más grande que el límite de ${megabytes(settings.maxBytes)}. Vuelva a capturar sus cambios y adjunte archivos más pequeños.`
        : 'No se guardó la bitácora: el envío traía más archivos o campos de los que se aceptan de una vez. Vuelva a capturar sus cambios y adjunte menos archivos en cada envío.',
    });
    return;
  }
  const answers = answersFromForm(logs.definition, req.body);
  const reason = formField(req.body, 'reason');
  const removing = formField(req.body, 'quitarArchivo');
  const action = formField(req.body, 'action');
  const posted = postedLogFiles(logs.definition, received);
  if ('errors' in posted) {
    await renderReview(req, res, { logAnswers: answers, logErrors: posted.errors, reason, status: 400, errorsHeading: 'No se guardó nada:' });
    return;
  }
  // «Quitar» a file keeps the logs as they are (complete stays complete); the buttons say what else to do.
  const current = removing && !action ? await loadResponse(edition.editionId, institutionId, logs) : undefined;
  const complete = action === 'complete' || current?.status === 'approved';
  let saved: Awaited<ReturnType<typeof saveLogs>>;
  try {
    saved = await saveLogs(edition.editionId, institutionId, user, answers, {
      complete,
      reason,
      baseRevision: formRevision(req.body),
      allOrNothing: false,
      files: { attach: posted.attach, remove: removing ? [removing] : [] },
    });
  } catch (error) {
    if (error instanceof HttpProblem && (error.status === 400 || error.status === 404 || error.status === 409)) {
      const stale = error.code === 'stale_revision' || error.code === 'response_state';
      await renderReview(req, res, {
        logAnswers: answers,
        logErrors: error.errors ?? [],
        reason,
        status: error.status,
        actionError: stale ? 'No se guardó la bitácora: otra persona la cambió desde que abrió esta página. Revise la versión guardada abajo y vuelva a capturar sus cambios.' : error.errors?.length ? undefined : error.pageMessage,
        errorsHeading: 'No se guardó nada:',
      });
      return;
    }
    throw error;
  }
  const note = [
    saved.files.attached.length ? (saved.files.attached.length === 1 ? 'Se adjuntó 1 archivo.' : `Se adjuntaron ${saved.files.attached.length} archivos.`) : '',
    saved.files.removed.length ? (saved.files.removed.length === 1 ? `Se quitó el archivo «${saved.files.removed[0]!.name}».` : `Se quitaron ${saved.files.removed.length} archivos.`) : '',
  ].filter(Boolean).join(' ');
  if (saved.rejected.length) {
    const notStored = saved.rejected.length === 1 ? '1 respuesta no se guardó' : `${saved.rejected.length} respuestas no se guardaron`;
    await renderReview(req, res, { logAnswers: answers, logErrors: saved.rejected, reason, status: 400, errorsHeading: `Se guardó la bitácora${saved.files.attached.length ? ' con sus archivos' : ''}; ${notStored}:` });
    return;
  }
  flash(req, `${complete ? 'Bitácora ciudadana completa; la calificación se recalculó.' : 'Bitácora guardada como borrador.'}${note ? ` ${note}` : ''}`);
  res.redirect(303, `/evaluacion/${edition.editionId}/sujetos/${institutionId}#bitacora`);
}
