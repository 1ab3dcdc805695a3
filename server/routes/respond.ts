/**
 * The respondent of an institution, through its personal invitation link (no password): the
 * questionnaire with its progress, drafts that keep every valid answer (also saved in the
 * background by the page script), the «su versión / versión guardada» choice when the answers
 * changed elsewhere, submission behind a confirmation page, and the receipt with its folio and PDF.
 * The same actions in the JSON API, authenticated by the invitation token as a bearer token.
 */
import { Router, type Request, type Response } from 'express';
import { InvitationModel } from '../models/invitation.js';
import { activeInvitation, currentRespondent, invitationCheck, principalOf, requireRespondent, requireRespondentLater, type RespondentPrincipal } from '../auth/access.js';
import type { JSONSchemaType } from 'ajv';
import { HttpProblem, badRequest, type FieldError } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { startSession } from '../auth/session.js';
import { flash, renderPage } from '../http/render.js';
import { answerConflicts, answersFromForm, errorsByPath, labelledErrors, questionnaireView, resolveConflicts, type FormAnswers } from '../http/questionnaireForm.js';
import { answeredCount, editionInstrument, loadResponse, saveDraft, submitAnswers, STATUS_LABELS, type Actor, type SaveResult } from '../services/responses.js';
import { refusal } from '../services/editionLifecycle.js';
import { receiptPdf } from '../services/receipts.js';
import { normaliseAnswers, progress, validateAnswers } from '../../questionnaires/engine.js';
import { download, type ApiRegistry } from '../http/api.js';
import { EVIDENCE_FILE_FIELD, commitEvidence, countEvidence, discardReceived, evidenceByItem, evidenceItems, evidenceSettings, listEvidence, megabytes, removeEvidence, EVIDENCE_TYPE_WORDS } from '../files/evidence.js';
import { receiveEvidence, receivedFiles, recordEvidence, rejectionText } from './evidence.js';
import { PROBLEM_RESPONSE } from '../http/apiSchemas.js';

const EDITABLE = ['draft', 'returned'] as const;

function respondentActor(principal: RespondentPrincipal, institutionName: string): Actor {
  return { kind: 'respondent', id: principal.invitationId, label: `Sujeto obligado: ${institutionName}`, role: 'respondent' };
}

async function respondentContext(principal: RespondentPrincipal) {
  const instrument = await editionInstrument(principal.edition, 'institution');
  const current = await loadResponse(principal.edition, principal.institution, instrument);
  return { instrument, current, actor: respondentActor(principal, current.institution.name) };
}

type RespondentContext = Awaited<ReturnType<typeof respondentContext>>;

function commentsOf(current: RespondentContext['current']): Record<string, string> {
  if (current.status !== 'returned') return {};
  return Object.fromEntries((current.response?.comments ?? []).map((c) => [c.item, c.comment]));
}

/** Why the page is read-only although the answers could be edited: the edition is closed or past its deadline. */
function closedMessage(current: RespondentContext['current']): string | undefined {
  if (!(EDITABLE as readonly string[]).includes(current.status)) return undefined;
  return refusal(current.edition, 'respond')?.pageMessage;
}

function latestReceipt(current: RespondentContext['current']) {
  const receipts = current.response?.receipts ?? [];
  return ['submitted', 'approved'].includes(current.status) ? receipts[receipts.length - 1] : undefined;
}

declare module 'express-session' {
  interface SessionData {
    /** The revision a form post of this browser was stored as; the next page tells the page script. */
    draftConfirmed?: number;
  }
}

interface Override {
  /** The revision the posted form was stored as (the page script then keeps only the rejected answers). */
  confirmedRevision?: number;
  answers: FormAnswers;
  errors: FieldError[];
  reason: string;
  status: number;
  /** The heading of the error summary ("Se guardaron 11 respuestas; 1 no se guardó"). */
  errorsHeading?: string;
}

function savedSummary(saved: SaveResult): string {
  const stored = answeredCount(saved.answers);
  const notStored = new Set(saved.rejected.map((e) => e.field.replace(/\[\d+\].*$/, ''))).size;
  return `Se ${stored === 1 ? 'guardó 1 respuesta' : `guardaron ${stored} respuestas`}; ${notStored === 1 ? '1 no se guardó' : `${notStored} no se guardaron`}:`;
}

async function renderQuestionnaire(req: Request, res: Response, override?: Override) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const closed = closedMessage(current);
  const editable = (EDITABLE as readonly string[]).includes(current.status) && !closed;
  const answers = override?.answers ?? current.answers;
  const errors = override?.errors ?? [];
  const settings = evidenceSettings();
  const files = {
    accepts: new Set(evidenceItems(instrument.definition).keys()),
    byItem: evidenceByItem(await listEvidence(principal.edition, principal.institution)),
    editable,
    maxPerItem: settings.maxFilesPerItem,
  };
  const sections = questionnaireView(instrument.definition, answers, { institution: current.context.institution, errors: errorsByPath(errors), comments: commentsOf(current), newRows: editable, files });
  const confirmedRevision = override?.confirmedRevision ?? req.session?.draftConfirmed;
  if (req.session?.draftConfirmed !== undefined) delete req.session.draftConfirmed;
  renderPage(
    req,
    res,
    'respond/questionnaire',
    {
      title: instrument.title,
      instrument: { id: instrument.id, title: instrument.title, hash: instrument.hash },
      edition: current.edition,
      deadline: current.edition.deadline,
      institution: current.institution,
      status: current.status,
      statusLabel: STATUS_LABELS[current.status],
      progress: progress(instrument.definition, answers, current.context),
      editable,
      closed,
      reopenReason: current.status === 'returned' ? current.response?.reopenReason : undefined,
      needsReason: Boolean(current.response?.firstSubmittedAt),
      reason: override?.reason ?? '',
      sections,
      errors: labelledErrors(instrument.definition, errors),
      errorsHeading: override?.errorsHeading,
      savedAt: current.response?.updatedAt,
      revision: current.revision,
      confirmedRevision,
      receipt: latestReceipt(current),
      draftKey: `mga-borrador-${principal.invitationId}`,
      evidenceLimits: `${EVIDENCE_TYPE_WORDS}; hasta ${megabytes(settings.maxBytes)} por archivo y ${settings.maxFilesPerItem} archivos por pregunta`,
      // Read-only pages still run it: it clears this browser's copy once the server holds the answers.
      scripts: ['/static/questionnaire.js'],
    },
    { status: override?.status },
  );
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The revision a page was rendered from (its hidden field); absent or malformed: none. */
function baseRevisionOf(body: unknown): number | undefined {
  const text = field(body, 'baseRevision');
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

async function renderConflict(req: Request, res: Response, mine: FormAnswers, reason: string) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const institution = current.context.institution;
  const conflicts = answerConflicts(instrument.definition, mine, current.answers, institution, (answers) => normaliseAnswers(instrument.definition, answers, institution));
  renderPage(
    req,
    res,
    'respond/conflict',
    {
      title: 'Sus respuestas cambiaron',
      institution: current.institution,
      conflicts,
      mine: JSON.stringify(mine),
      revision: current.revision,
      status: current.status,
      editable: (EDITABLE as readonly string[]).includes(current.status),
      needsReason: Boolean(current.response?.firstSubmittedAt),
      reason,
      draftKey: `mga-borrador-${principal.invitationId}`,
      scripts: ['/static/questionnaire.js'],
    },
    { status: 409 },
  );
}

/**
 * Saves a posted form as a draft (every valid answer kept). Handles the page outcomes of a refusal:
 * a stale revision shows the conflict view, a closed edition or a submitted response explains why;
 * returns the result when something could be saved.
 */
async function saveFromForm(req: Request, res: Response, answers: FormAnswers, ctx?: RespondentContext): Promise<SaveResult | undefined> {
  const principal = currentRespondent(res);
  const { instrument, actor, current } = ctx ?? (await respondentContext(principal));
  const reason = field(req.body, 'reason');
  try {
    return await saveDraft(principal.edition, principal.institution, instrument, answers, { actor, reason, baseRevision: baseRevisionOf(req.body), editableIn: EDITABLE, preloaded: current });
  } catch (error) {
    if (!(error instanceof HttpProblem)) throw error;
    if (error.code === 'stale_revision') return void (await renderConflict(req, res, answers, reason));
    if (error.status === 400) {
      return void (await renderQuestionnaire(req, res, { answers, errors: error.errors ?? [{ field: '', reason: error.pageMessage ?? error.title }], reason, status: 400, errorsHeading: 'No se guardó nada:' }));
    }
    if (error.code === 'response_state') {
      flash(req, 'Sus respuestas ya fueron enviadas: no se pueden cambiar hasta que la evaluación las devuelva.', 'error');
      return void res.redirect(303, '/responder');
    }
    if (error.status === 409) {
      return void (await renderQuestionnaire(req, res, { answers, errors: [{ field: '', reason: error.pageMessage ?? error.title }], reason, status: 409, errorsHeading: 'No se guardó nada:' }));
    }
    throw error;
  }
}

/** The evidence files of a page post: the accepted ones, or the Spanish reasons for refusing the post. */
async function checkPostedFiles(req: Request, files: ReturnType<typeof receivedFiles>, ctx: RespondentContext): Promise<{ accepted: { evidenceId: string; item: string }[] } | { errors: FieldError[] }> {
  const res = req.res!;
  const principal = currentRespondent(res);
  const settings = evidenceSettings();
  if (res.locals.evidenceUploadError) {
    return { errors: [{ field: '', reason: `El envío se interrumpió porque un archivo es mucho más grande que el límite de ${megabytes(settings.maxBytes)}. Vuelva a capturar sus cambios y adjunte archivos más pequeños.` }] };
  }
  const items = evidenceItems(ctx.instrument.definition);
  const errors: FieldError[] = [];
  const accepted: { evidenceId: string; item: string }[] = [];
  const perItem = new Map<string, number>();
  for (const file of files) {
    const item = file.fieldname.startsWith(EVIDENCE_FILE_FIELD) ? file.fieldname.slice(EVIDENCE_FILE_FIELD.length) : '';
    if (!items.has(item)) {
      errors.push({ field: '', reason: `El archivo «${file.originalname}» no corresponde a una pregunta que pida evidencia; no se guardó.` });
      continue;
    }
    const refused = rejectionText(file);
    if (refused) {
      errors.push({ field: `${item}:archivo`, reason: refused });
      continue;
    }
    const count = (perItem.get(item) ?? (await countEvidence(principal.edition, principal.institution, item))) + 1;
    perItem.set(item, count);
    if (count > settings.maxFilesPerItem) {
      errors.push({ field: `${item}:archivo`, reason: `Cada pregunta admite hasta ${settings.maxFilesPerItem} archivos; quite uno antes de adjuntar «${file.originalname}».` });
      continue;
    }
    accepted.push({ evidenceId: file.evidenceId!, item });
  }
  return errors.length ? { errors } : { accepted };
}

async function afterDraft(req: Request, res: Response, answers: FormAnswers, saved: SaveResult, submit: boolean, note = '') {
  const principal = currentRespondent(res);
  const reason = field(req.body, 'reason');
  if (saved.rejected.length) {
    const heading = `${savedSummary(saved)}${submit ? ' por eso todavía no se puede enviar.' : ''}`;
    return renderQuestionnaire(req, res, { answers, errors: saved.rejected, reason, status: 400, errorsHeading: heading, confirmedRevision: saved.revision });
  }
  req.session.draftConfirmed = saved.revision;
  if (!submit) {
    const answered = answeredCount(saved.answers);
    flash(req, `Borrador guardado: ${answered === 1 ? '1 respuesta' : `${answered.toLocaleString('es-MX')} respuestas`}.${note ? ` ${note}` : ''}`);
    return res.redirect(303, '/responder');
  }
  // The draft is stored; submitting needs every required answer, then a confirmation.
  const { instrument, current } = await respondentContext(principal);
  const check = validateAnswers(instrument.definition, current.answers, { ...current.context, mode: 'submit' });
  if (!check.ok) {
    return renderQuestionnaire(req, res, {
      answers,
      errors: check.errors.map((e) => ({ field: e.item, reason: e.reason })),
      reason,
      status: 400,
      errorsHeading: 'Se guardó el borrador, pero todavía no se puede enviar:',
      confirmedRevision: saved.revision,
    });
  }
  res.redirect(303, '/responder/enviar');
}

async function renderConfirmation(req: Request, res: Response, error?: string) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  if (!(EDITABLE as readonly string[]).includes(current.status)) {
    flash(req, 'Sus respuestas ya fueron enviadas.');
    return res.redirect(303, '/responder');
  }
  const check = validateAnswers(instrument.definition, current.answers, { ...current.context, mode: 'submit' });
  const sections = questionnaireView(instrument.definition, current.answers, { institution: current.context.institution });
  renderPage(
    req,
    res,
    'respond/confirm',
    {
      title: 'Confirme el envío',
      institution: current.institution,
      instrument: { title: instrument.title },
      progress: current.progress,
      sections,
      revision: current.revision,
      ready: check.ok,
      closed: closedMessage(current),
      missing: labelledErrors(instrument.definition, check.errors.map((e) => ({ field: e.item, reason: e.reason }))),
      errors: error ? [{ field: 'confirmar', label: 'Confirmación', reason: error }] : [],
      draftKey: `mga-borrador-${principal.invitationId}`,
      scripts: ['/static/questionnaire.js'],
    },
    { status: error ? 400 : 200 },
  );
}

export function respondRouter(): Router {
  const router = Router();

  router.get('/responder', async (req, res) => {
    const valid = principalOf(res)?.kind === 'respondent' && (await invitationCheck(res).then(() => true, () => false));
    if (!valid) return renderPage(req, res, 'respond/invalid', { title: 'Abra su liga de invitación' }, { status: 401 });
    await renderQuestionnaire(req, res);
  });

  router.post('/responder', requireRespondent, receiveEvidence('page'), async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const files = receivedFiles(req).filter((f) => f.evidenceId || f.rejected);
    const answers = answersFromForm(ctx.instrument.definition, req.body);
    // Files first: a refused file means nothing of this post is kept, and the page says why.
    const checked = await checkPostedFiles(req, files, ctx);
    if ('errors' in checked) {
      await discardReceived(files);
      const upload = Boolean(res.locals.evidenceUploadError);
      return renderQuestionnaire(req, res, { answers: upload ? ctx.current.answers : answers, errors: checked.errors, reason: upload ? '' : field(req.body, 'reason'), status: upload ? 413 : 400, errorsHeading: 'No se guardó nada:' });
    }
    const saved = await saveFromForm(req, res, answers, ctx);
    if (!saved) return discardReceived(files);
    const owner = { edition: principal.edition, institution: principal.institution, invitation: principal.invitationId };
    await commitEvidence(owner, checked.accepted);
    const attached = files.filter((f) => f.evidenceId).map((f) => ({ id: f.evidenceId!, name: f.originalname, item: f.fieldname.slice(EVIDENCE_FILE_FIELD.length) }));
    await recordEvidence('evidence.attach', ctx.actor, principal, attached);
    const removing = field(req.body, 'quitarArchivo');
    const removed = removing ? await removeEvidence(principal.edition, principal.institution, removing) : undefined;
    if (removed) await recordEvidence('evidence.remove', ctx.actor, principal, [removed]);
    const note = [
      checked.accepted.length ? (checked.accepted.length === 1 ? 'Se adjuntó 1 archivo.' : `Se adjuntaron ${checked.accepted.length} archivos.`) : '',
      removed ? `Se quitó el archivo «${removed.name}».` : '',
    ].filter(Boolean).join(' ');
    await afterDraft(req, res, answers, saved, !removing && field(req.body, 'action') === 'submit', note);
  });

  /** The conflict view's choice: per item, the posted version or the stored one. */
  router.post('/responder/conflicto', requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, current } = await respondentContext(principal);
    let mine: FormAnswers;
    try {
      const parsed = JSON.parse(field(req.body, 'mine')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      mine = parsed as FormAnswers;
    } catch {
      throw badRequest('the posted version is missing or malformed', [{ field: 'mine', reason: 'falta su versión de las respuestas; vuelva a abrir el cuestionario' }]);
    }
    const body = req.body as Record<string, unknown>;
    const takeMine = new Set(Object.entries(body).flatMap(([key, value]) => (value === 'mine' ? [/^choice\[(.{1,100})\]$/.exec(key)?.[1] ?? ''] : [])).filter(Boolean));
    const merged = resolveConflicts(instrument.definition, mine, current.answers, takeMine);
    const saved = await saveFromForm(req, res, merged);
    if (saved) await afterDraft(req, res, merged, saved, false);
  });

  /**
   * The page script's background save: the same form, answered in JSON (stale revision: 409 problem).
   * The hot path: the invitation check runs with the save's first reads (requireRespondentLater).
   */
  router.post('/responder/borrador', requireRespondentLater, async (req, res) => {
    const principal = currentRespondent(res);
    const instrument = await editionInstrument(principal.edition, 'institution');
    const answers = answersFromForm(instrument.definition, req.body);
    const saved = await saveDraft(principal.edition, principal.institution, instrument, answers, {
      actor: (name) => respondentActor(principal, name),
      reason: field(req.body, 'reason'),
      baseRevision: baseRevisionOf(req.body),
      editableIn: EDITABLE,
      verified: invitationCheck(res),
    });
    res.json({
      status: saved.status,
      revision: saved.revision,
      changed: saved.changed.length,
      saved: answeredCount(saved.answers),
      rejected: labelledErrors(instrument.definition, saved.rejected),
      progress: saved.progress,
      savedAt: saved.updatedAt ?? null,
    });
  });

  router.get('/responder/enviar', requireRespondent, (req, res) => renderConfirmation(req, res));

  router.post('/responder/enviar', requireRespondent, async (req, res) => {
    if (field(req.body, 'confirmar') !== 'si') return renderConfirmation(req, res, 'marque la casilla para confirmar que quiere enviar sus respuestas');
    const principal = currentRespondent(res);
    const { instrument, actor } = await respondentContext(principal);
    try {
      const submitted = await submitAnswers(principal.edition, principal.institution, instrument, undefined, { actor, reason: field(req.body, 'reason'), baseRevision: baseRevisionOf(req.body), editableIn: EDITABLE });
      flash(req, `Cuestionario enviado. Folio ${submitted.receipt.folio}.`);
      res.redirect(303, '/responder/acuse');
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      if (error.code === 'stale_revision') {
        flash(req, 'Sus respuestas cambiaron en otra ventana desde que abrió la confirmación: revíselas y vuelva a enviar.', 'error');
        return res.redirect(303, '/responder');
      }
      if (error.code === 'response_state') {
        flash(req, 'Sus respuestas ya fueron enviadas.');
        return res.redirect(303, '/responder');
      }
      if (error.status === 400) return renderConfirmation(req, res, error.errors?.map((e) => e.reason).join('; ') ?? error.pageMessage);
      throw error;
    }
  });

  router.get('/responder/acuse', requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, current } = await respondentContext(principal);
    const receipt = latestReceipt(current);
    if (!receipt) {
      flash(req, 'Todavía no hay un acuse: el acuse se emite al enviar el cuestionario.', 'error');
      return res.redirect(303, '/responder');
    }
    renderPage(req, res, 'respond/receipt', {
      title: `Acuse de envío ${receipt.folio}`,
      institution: current.institution,
      edition: current.edition,
      instrument: { title: instrument.title },
      receipt,
      statusLabel: STATUS_LABELS[current.status],
      sections: questionnaireView(instrument.definition, current.answers, { institution: current.context.institution, files: await respondentFiles(principal, instrument, false) }),
      draftKey: `mga-borrador-${principal.invitationId}`,
      scripts: ['/static/questionnaire.js'],
    });
  });

  router.get('/responder/acuse.pdf', requireRespondent, async (_req, res) => {
    await sendReceipt(res);
  });

  // Last: the invitation link itself ("/responder/inv_…"), after the fixed paths above.
  router.get('/responder/:token', async (req, res) => {
    const invitation = await activeInvitation(String(req.params.token));
    if (!invitation) {
      return renderPage(req, res, 'respond/invalid', { title: 'Liga no válida' }, { status: 404 });
    }
    await InvitationModel.updateOne({ _id: invitation._id }, { $set: { lastUsedAt: new Date() } });
    // startSession stores the new session before this answer: the redirect's next request relies on it.
    await startSession(req, { invitationId: String(invitation._id), respondent: { edition: invitation.edition, institution: String(invitation.institution) } });
    res.redirect(303, '/responder');
  });

  return router;
}

/** The institution's evidence files, for the questionnaire views. */
async function respondentFiles(principal: RespondentPrincipal, instrument: RespondentContext['instrument'], editable: boolean) {
  return {
    accepts: new Set(evidenceItems(instrument.definition).keys()),
    byItem: evidenceByItem(await listEvidence(principal.edition, principal.institution)),
    editable,
    maxPerItem: evidenceSettings().maxFilesPerItem,
  };
}

async function sendReceipt(res: Response) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const receipt = latestReceipt(current);
  if (!receipt) throw new HttpProblem(404, 'Not Found', 'there is no receipt yet: it is issued when the answers are submitted', undefined, { code: 'no_receipt', message: 'Todavía no hay un acuse: se emite al enviar el cuestionario.' });
  const pdf = await receiptPdf({ instrument, current, receipt, files: await respondentFiles(principal, instrument, false) });
  res.attachment(`acuse-${receipt.folio}.pdf`).type('application/pdf');
  res.setHeader('Cache-Control', 'private, no-store');
  res.send(pdf);
}

function questionnairePayload(ctx: RespondentContext, principal: RespondentPrincipal) {
  const { instrument, current } = ctx;
  const receipt = latestReceipt(current);
  const closed = refusal(current.edition, 'respond');
  return {
    edition: principal.edition,
    editionState: { status: current.edition.status, deadline: current.edition.deadline ?? null, open: !closed, ...(closed && { code: closed.code }) },
    institution: { id: String(current.institution._id), name: current.institution.name, entity: current.institution.entity, type: current.institution.type, level: current.institution.level },
    questionnaire: { id: instrument.id, hash: instrument.hash, definition: instrument.definition },
    status: current.status,
    revision: current.revision,
    answers: current.answers,
    progress: current.progress,
    comments: current.status === 'returned' ? (current.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment })) : [],
    reopenReason: current.status === 'returned' ? (current.response?.reopenReason ?? null) : null,
    receipt: receipt ? { folio: receipt.folio, at: receipt.at, revision: receipt.revision } : null,
    updatedAt: current.response?.updatedAt ?? null,
  };
}

interface AnswersBody {
  answers: Record<string, unknown>;
  reason?: string;
  baseRevision?: number;
}

/** The engine checks the answers item by item; the schema only the envelope. */
const answersBody = {
  type: 'object',
  properties: {
    answers: { type: 'object', description: 'item id → value; group id → rows; "<item>:evidence" → URL' },
    reason: { type: 'string', maxLength: 1000, nullable: true },
    baseRevision: { type: 'integer', minimum: 0, nullable: true, description: 'the revision these answers are based on; a stale one gets 409 and nothing is stored' },
  },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<AnswersBody>;
const checkAnswersBody = validator(answersBody, 'body');

interface SubmitBody {
  answers?: Record<string, unknown>;
  reason?: string;
  baseRevision?: number;
}
const submitBody = {
  ...answersBody,
  properties: { ...(answersBody as { properties: object }).properties, answers: { type: 'object', nullable: true, description: 'the answers to submit; absent: the stored draft' } },
  required: [],
} as unknown as JSONSchemaType<SubmitBody>;
const checkSubmitBody = validator(submitBody, 'body');

const questionnaireSchema = {
  type: 'object',
  required: ['edition', 'institution', 'questionnaire', 'status', 'revision', 'answers', 'progress'],
  properties: {
    edition: { type: 'string' },
    editionState: { type: 'object', properties: { status: { type: 'string' }, deadline: { type: ['string', 'null'] }, open: { type: 'boolean' }, code: { type: 'string' } } },
    institution: { type: 'object' },
    questionnaire: { type: 'object' },
    status: { type: 'string', enum: ['draft', 'submitted', 'returned', 'approved'] },
    revision: { type: 'integer', minimum: 0 },
    answers: { type: 'object' },
    progress: { type: 'object' },
    comments: { type: 'array' },
    reopenReason: { type: ['string', 'null'] },
    receipt: { type: ['object', 'null'] },
    updatedAt: { type: ['string', 'null'] },
  },
};

export function registerRespondentApi(api: ApiRegistry): void {
  const access = 'the respondent of the institution (invitation token as bearer, or the session opened by the link)';
  const stale = { ...PROBLEM_RESPONSE, description: 'stale baseRevision (code stale_revision, with currentRevision and the current answers; nothing stored), answers not editable now (response_state), or the edition closed (edition_state, deadline_passed)' };
  api.add(
    { method: 'get', path: '/respondent/questionnaire', summary: 'The questionnaire of the invited institution, its answers, revision, status, progress, review comments and receipt', tag: 'respondent', access, responses: { 200: { description: 'the questionnaire and its answers', schema: questionnaireSchema } } },
    requireRespondent,
    async (_req, res) => {
      const principal = currentRespondent(res);
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'put',
      path: '/respondent/answers',
      summary: 'Save the answers as a draft. All or nothing: any invalid answer is a 400 listing every error, and nothing is stored (the questionnaire page instead keeps every valid answer). Send baseRevision to be told (409) when the answers changed meanwhile.',
      tag: 'respondent',
      access,
      body: answersBody,
      responses: { 200: { description: 'stored; the questionnaire with its new revision', schema: questionnaireSchema }, 409: stale },
    },
    requireRespondent,
    async (req, res) => {
      const principal = currentRespondent(res);
      const ctx = await respondentContext(principal);
      const { answers, reason = '', baseRevision } = checkAnswersBody(req.body);
      await saveDraft(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, baseRevision: baseRevision ?? undefined, editableIn: EDITABLE, allOrNothing: true, preloaded: ctx.current });
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/respondent/submit',
      summary: 'Submit the answers (or the stored draft when none are sent): every required item must be answered; read-only until returned. The answer carries the receipt (folio, date and time).',
      tag: 'respondent',
      access,
      body: submitBody,
      responses: { 200: { description: 'submitted; the questionnaire with its receipt', schema: questionnaireSchema }, 409: stale },
    },
    requireRespondent,
    async (req, res) => {
      const principal = currentRespondent(res);
      const ctx = await respondentContext(principal);
      const { answers, reason = '', baseRevision } = checkSubmitBody(req.body ?? {});
      await submitAnswers(principal.edition, principal.institution, ctx.instrument, answers ?? undefined, { actor: ctx.actor, reason, baseRevision: baseRevision ?? undefined, editableIn: EDITABLE });
      res.json(questionnairePayload(await respondentContext(principal), principal));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/respondent/receipt.pdf',
      summary: 'The receipt of the latest submission (PDF): folio, date and time, and the submitted answers',
      tag: 'respondent',
      access,
      responses: { 200: download('the receipt, as an attachment named after its folio', 'application/pdf'), 404: { ...PROBLEM_RESPONSE, description: 'no submission yet (code no_receipt)' } },
    },
    requireRespondent,
    async (_req, res) => sendReceipt(res),
  );
}
