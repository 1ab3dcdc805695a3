/**
 * The respondent of an institution, through its personal invitation link (no password): the
 * questionnaire with its progress, drafts that keep every valid answer (also saved in the
 * background by the page script), the «su versión / versión guardada» choice when the answers
 * changed elsewhere, submission behind a confirmation page, and the receipt with its folio and PDF.
 * The questionnaire is shown one section per page from an index with the progress of each section.
 * The same actions in the JSON API: respondApi.ts.
 */
import { Router, type Request, type Response } from 'express';
import { InvitationModel } from '../models/invitation.js';
import { prefetchedEdition } from '../auth/savePrefetch.js';
import { activeInvitation, currentRespondent, invitationCheck, principalOf, requireRespondent, requireRespondentLater, type RespondentPrincipal } from '../auth/access.js';
import { HttpProblem, badRequest, type FieldError } from '../http/problem.js';
import { startSession } from '../auth/session.js';
import { flash, renderPage } from '../http/render.js';
import { answerConflicts, answersFromForm, errorsByPath, labelledErrors, questionnaireView, reasonsFromForm, resolveConflicts, type FormAnswers } from '../http/questionnaireForm.js';
import { answeredCount, editionInstrument, loadResponse, saveDraft, submitAnswers, withinScope, STATUS_LABELS, type Actor, type SaveResult } from '../services/responses.js';
import { changesSinceReturn } from '../services/answerChanges.js';
import { cachedInstitution } from '../services/responseStore.js';
import { commentedItems, errorLinks, sectionIndex, sectionNav, sectionScope, sectionOfItems } from '../http/questionnaireSections.js';
import { refusal } from '../services/editionLifecycle.js';
import { receiptPdf } from '../services/receipts.js';
import { normaliseAnswers, progress, validateAnswers } from '../../questionnaires/engine.js';
import { EVIDENCE_FILE_FIELD, commitEvidence, countEvidence, discardReceived, evidenceByItem, evidenceItems, evidenceSettings, listEvidence, megabytes, removeEvidence, EVIDENCE_TYPE_WORDS } from '../files/evidence.js';
import { receiveEvidence, receivedFiles, recordEvidence, rejectionText } from './evidence.js';

export const EDITABLE = ['draft', 'returned'] as const;

function respondentActor(principal: RespondentPrincipal, institutionName: string): Actor {
  return { kind: 'respondent', id: principal.invitationId, label: `Sujeto obligado: ${institutionName}`, role: 'respondent' };
}

export async function respondentContext(principal: RespondentPrincipal) {
  const instrument = await editionInstrument(principal.edition, 'institution');
  const current = await loadResponse(principal.edition, principal.institution, instrument);
  return { instrument, current, actor: respondentActor(principal, current.institution.name) };
}

export type RespondentContext = Awaited<ReturnType<typeof respondentContext>>;

function commentsOf(current: RespondentContext['current']): Record<string, string> {
  if (current.status !== 'returned') return {};
  return Object.fromEntries((current.response?.comments ?? []).map((c) => [c.item, c.comment]));
}

/** Why the page is read-only although the answers could be edited: the edition is closed or past its deadline. */
function closedMessage(current: RespondentContext['current']): string | undefined {
  if (!(EDITABLE as readonly string[]).includes(current.status)) return undefined;
  return refusal(current.edition, 'respond')?.pageMessage;
}

export function latestReceipt(current: RespondentContext['current']) {
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
  /** The per-item reasons as posted ("motivo[<item>]"). */
  reasons?: Record<string, string>;
  status: number;
  /** The heading of the error summary ("Se guardaron 11 respuestas; 1 no se guardó"). */
  errorsHeading?: string;
}

function savedSummary(saved: SaveResult): string {
  const stored = answeredCount(saved.answers);
  const notStored = new Set(saved.rejected.map((e) => e.field.replace(/\[\d+\].*$/, ''))).size;
  return `Se ${stored === 1 ? 'guardó 1 respuesta' : `guardaron ${stored} respuestas`}; ${notStored === 1 ? '1 no se guardó' : `${notStored} no se guardaron`}:`;
}

/** The section a page shows (1-based), or undefined for the whole questionnaire on one page. */
function pageSection(res: Response): number | undefined {
  return res.locals.questionnaireSection as number | undefined;
}

/** Where a page of the questionnaire lives: a section page, or the whole questionnaire. */
const pageUrl = (section: number | undefined) => (section ? `/responder/seccion/${section}` : '/responder/todas');

/** The latest reason given for each item changed since the answers came back: the reason fields start with it. */
function lastReasons(changes: Awaited<ReturnType<typeof changesSinceReturn>>['changes']): Record<string, string> {
  return Object.fromEntries(changes.flatMap((c) => (c.reasons.length ? [[c.item, c.reasons[c.reasons.length - 1]!.text]] : [])));
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
    byItem: evidenceByItem(await listEvidence(principal.edition, principal.institution, 'answers')),
    editable,
    maxPerItem: settings.maxFilesPerItem,
  };
  const needsReason = Boolean(current.response?.firstSubmittedAt);
  const changes = editable && needsReason ? (await changesSinceReturn(principal.edition, principal.institution, instrument.id)).changes : [];
  const changeReasons = editable && needsReason ? { values: { ...lastReasons(changes), ...override?.reasons }, changed: new Set(changes.map((c) => c.item)) } : undefined;
  const allSections = questionnaireView(instrument.definition, answers, { institution: current.context.institution, errors: errorsByPath(errors), comments: commentsOf(current), newRows: editable, files, changeReasons });
  const section = editable ? pageSection(res) : undefined;
  const sections = section ? allSections.filter((s) => s.number === section) : allSections;
  const sectionOf = sectionOfItems(allSections);
  const confirmedRevision = override?.confirmedRevision ?? req.session?.draftConfirmed;
  if (req.session?.draftConfirmed !== undefined) delete req.session.draftConfirmed;
  const answersProgress = progress(instrument.definition, answers, current.context);
  renderPage(
    req,
    res,
    'respond/questionnaire',
    {
      title: section ? `${sections[0]!.title} · ${instrument.title}` : instrument.title,
      instrument: { id: instrument.id, title: instrument.title, hash: instrument.hash },
      ...pageHeading(current, answersProgress),
      editable,
      closed,
      reopenReason: current.status === 'returned' ? current.response?.reopenReason : undefined,
      needsReason,
      reason: override?.reason ?? '',
      sections,
      section: section && sectionNav(allSections, section, answersProgress),
      commented: commentedItems(instrument.definition, current.status === 'returned' ? (current.response?.comments ?? []) : [], sectionOf, section ?? 'all'),
      errors: errorLinks(labelledErrors(instrument.definition, errors), sectionOf, section),
      errorsHeading: override?.errorsHeading,
      savedAt: current.response?.updatedAt,
      revision: current.revision,
      confirmedRevision,
      receipt: latestReceipt(current),
      // One copy per page in this browser: a section's copy never restores into another section.
      draftKey: `mga-borrador-${principal.invitationId}${section ? `-s${section}` : ''}`,
      draftKeyPrefix: `mga-borrador-${principal.invitationId}`,
      evidenceLimits: `${EVIDENCE_TYPE_WORDS}; hasta ${megabytes(settings.maxBytes)} por archivo y ${settings.maxFilesPerItem} archivos por pregunta`,
      // Read-only pages still run it: it clears this browser's copy once the server holds the answers.
      scripts: ['/static/conditions.js', '/static/questionnaire.js'],
    },
    { status: override?.status },
  );
}

/** What the top of every questionnaire page shows: institution, edition, deadline, state and progress. */
function pageHeading(current: Awaited<ReturnType<typeof respondentContext>>['current'], answersProgress: ReturnType<typeof progress>) {
  return {
    edition: current.edition,
    deadline: current.edition.deadline,
    institution: current.institution,
    status: current.status,
    statusLabel: STATUS_LABELS[current.status],
    progress: answersProgress,
  };
}

/** The respondent's starting page: the sections with their progress, the evaluators' comments first. */
async function renderIndex(req: Request, res: Response) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const sections = questionnaireView(instrument.definition, current.answers, { institution: current.context.institution, comments: commentsOf(current) });
  const answersProgress = progress(instrument.definition, current.answers, current.context);
  const needsReason = Boolean(current.response?.firstSubmittedAt);
  const changes = needsReason ? (await changesSinceReturn(principal.edition, principal.institution, instrument.id)).changes : [];
  renderPage(req, res, 'respond/index', {
    title: instrument.title,
    instrument: { title: instrument.title },
    ...pageHeading(current, answersProgress),
    savedAt: current.response?.updatedAt,
    reopenReason: current.status === 'returned' ? current.response?.reopenReason : undefined,
    commented: commentedItems(instrument.definition, current.status === 'returned' ? (current.response?.comments ?? []) : [], sectionOfItems(sections), 'index'),
    changedCount: changes.length,
    sections: sectionIndex(sections, answersProgress),
  });
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
async function saveFromForm(req: Request, res: Response, answers: FormAnswers, ctx?: RespondentContext, scope?: readonly string[]): Promise<SaveResult | undefined> {
  const principal = currentRespondent(res);
  const { instrument, actor, current } = ctx ?? (await respondentContext(principal));
  const reason = field(req.body, 'reason');
  const reasons = reasonsFromForm(req.body);
  // A section's post stands for the whole answers with that section replaced (what the pages show).
  const whole = scope ? (withinScope(current.answers, answers, scope) as FormAnswers) : answers;
  try {
    return await saveDraft(principal.edition, principal.institution, instrument, answers, { actor, reason, reasons, scope, baseRevision: baseRevisionOf(req.body), editableIn: EDITABLE, preloaded: current });
  } catch (error) {
    if (!(error instanceof HttpProblem)) throw error;
    if (error.code === 'stale_revision') return void (await renderConflict(req, res, whole, reason));
    if (error.status === 400) {
      return void (await renderQuestionnaire(req, res, { answers: whole, errors: error.errors ?? [{ field: '', reason: error.pageMessage ?? error.title }], reason, reasons, status: 400, errorsHeading: 'No se guardó nada:' }));
    }
    if (error.code === 'response_state') {
      flash(req, 'Sus respuestas ya fueron enviadas: no se pueden cambiar hasta que la evaluación las devuelva.', 'error');
      return void res.redirect(303, '/responder');
    }
    if (error.status === 409) {
      return void (await renderQuestionnaire(req, res, { answers: whole, errors: [{ field: '', reason: error.pageMessage ?? error.title }], reason, reasons, status: 409, errorsHeading: 'No se guardó nada:' }));
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

async function afterDraft(req: Request, res: Response, answers: FormAnswers, saved: SaveResult, submit: boolean, note = '', next = '/responder') {
  const principal = currentRespondent(res);
  const reason = field(req.body, 'reason');
  const reasons = reasonsFromForm(req.body);
  if (saved.rejected.length) {
    const heading = `${savedSummary(saved)}${submit ? ' por eso todavía no se puede enviar.' : ''}`;
    return renderQuestionnaire(req, res, { answers: { ...saved.answers, ...answers }, errors: saved.rejected, reason, reasons, status: 400, errorsHeading: heading, confirmedRevision: saved.revision });
  }
  req.session.draftConfirmed = saved.revision;
  if (!submit) {
    const answered = answeredCount(saved.answers);
    flash(req, `Borrador guardado: ${answered === 1 ? '1 respuesta' : `${answered.toLocaleString('es-MX')} respuestas`}.${note ? ` ${note}` : ''}`);
    return res.redirect(303, next);
  }
  // The draft is stored; submitting needs every required answer, then a confirmation.
  const { instrument, current } = await respondentContext(principal);
  const check = validateAnswers(instrument.definition, current.answers, { ...current.context, mode: 'submit' });
  if (!check.ok) {
    return renderQuestionnaire(req, res, {
      answers: current.answers,
      errors: check.errors.map((e) => ({ field: e.item, reason: e.reason })),
      reason,
      reasons,
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
  // What will be sent, files included: the same view the receipt shows afterwards.
  const sections = questionnaireView(instrument.definition, current.answers, { institution: current.context.institution, files: await respondentFiles(principal, instrument, false) });
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
      // Each missing answer links to its section's page.
      missing: errorLinks(labelledErrors(instrument.definition, check.errors.map((e) => ({ field: e.item, reason: e.reason }))), sectionOfItems(sections), 0),
      errors: error ? [{ field: 'confirmar', label: 'Confirmación', reason: error }] : [],
      draftKey: `mga-borrador-${principal.invitationId}`,
      scripts: ['/static/questionnaire.js'],
    },
    { status: error ? 400 : 200 },
  );
}

/** The number of a section shown to this institution ("3" → 3), or undefined when there is none. */
function sectionNumber(text: string, def: RespondentContext['instrument']['definition'], institution: RespondentContext['current']['context']['institution']): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const number = Number(text);
  return sectionScope(def, institution, number) ? number : undefined;
}

/**
 * Where a saved page leads: «Guardar y seguir» to the next section (the index after the last),
 * «Guardar» and removing a file back to the same page; the whole questionnaire back to itself.
 */
function nextPage(action: string, section: number | undefined, def: RespondentContext['instrument']['definition'], institution: RespondentContext['current']['context']['institution'], stay: boolean): string {
  if (!section) return pageUrl(undefined);
  if (action === 'next' && !stay) return sectionScope(def, institution, section + 1) ? pageUrl(section + 1) : '/responder';
  if (action === 'index' && !stay) return '/responder';
  return pageUrl(section);
}

export function respondRouter(): Router {
  const router = Router();

  router.get('/responder', async (req, res) => {
    const valid = principalOf(res)?.kind === 'respondent' && (await invitationCheck(res).then(() => true, () => false));
    if (!valid) return renderPage(req, res, 'respond/invalid', { title: 'Abra su liga de invitación' }, { status: 401 });
    const { current } = await respondentContext(currentRespondent(res));
    // While the answers can be changed: the sections and their progress; otherwise the answers as sent.
    if ((EDITABLE as readonly string[]).includes(current.status) && !closedMessage(current)) return renderIndex(req, res);
    await renderQuestionnaire(req, res);
  });

  router.get('/responder/todas', requireRespondent, async (req, res) => {
    await renderQuestionnaire(req, res);
  });

  router.get('/responder/seccion/:number', requireRespondent, async (req, res) => {
    const { instrument, current } = await respondentContext(currentRespondent(res));
    if (!(EDITABLE as readonly string[]).includes(current.status) || closedMessage(current)) return res.redirect(303, '/responder');
    const number = sectionNumber(String(req.params.number), instrument.definition, current.context.institution);
    if (number === undefined) {
      return renderPage(req, res, 'error', { title: 'Sección no encontrada', message: `El cuestionario no tiene una sección ${String(req.params.number).slice(0, 20)}. Vuelva al índice de secciones.` }, { status: 404 });
    }
    res.locals.questionnaireSection = number;
    await renderQuestionnaire(req, res);
  });

  router.post('/responder', requireRespondent, receiveEvidence('page'), async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const files = receivedFiles(req).filter((f) => f.evidenceId || f.rejected);
    const answers = answersFromForm(ctx.instrument.definition, req.body);
    // A section's page posts its number: only that section's answers are replaced.
    const posted = field(req.body, 'seccion');
    const section = posted ? sectionNumber(posted, ctx.instrument.definition, ctx.current.context.institution) : undefined;
    if (posted && section === undefined) {
      await discardReceived(files);
      return renderQuestionnaire(req, res, { answers: ctx.current.answers, errors: [{ field: 'seccion', reason: `Sección: el cuestionario no tiene una sección «${posted.slice(0, 20)}»; no se guardó nada. Vuelva al índice de secciones.` }], reason: '', status: 400, errorsHeading: 'No se guardó nada:' });
    }
    res.locals.questionnaireSection = section;
    const scope = section ? sectionScope(ctx.instrument.definition, ctx.current.context.institution, section) : undefined;
    // Files first: a refused file means nothing of this post is kept, and the page says why.
    const checked = await checkPostedFiles(req, files, ctx);
    if ('errors' in checked) {
      await discardReceived(files);
      const upload = Boolean(res.locals.evidenceUploadError);
      const shown = upload ? ctx.current.answers : scope ? (withinScope(ctx.current.answers, answers, scope) as FormAnswers) : answers;
      return renderQuestionnaire(req, res, { answers: shown, errors: checked.errors, reason: upload ? '' : field(req.body, 'reason'), reasons: upload ? {} : reasonsFromForm(req.body), status: upload ? 413 : 400, errorsHeading: 'No se guardó nada:' });
    }
    const saved = await saveFromForm(req, res, answers, ctx, scope);
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
    const action = field(req.body, 'action');
    const next = nextPage(action, section, ctx.instrument.definition, ctx.current.context.institution, removing !== '');
    await afterDraft(req, res, answers, saved, !removing && action === 'submit', note, next);
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
    if (saved) await afterDraft(req, res, merged, saved, false, '', '/responder');
  });

  /**
   * The page script's background save: the same form, answered in JSON (stale revision: 409 problem).
   * The hot path: the invitation check runs with the save's first reads (requireRespondentLater).
   */
  router.post('/responder/borrador', requireRespondentLater, async (req, res) => {
    const principal = currentRespondent(res);
    const instrument = await editionInstrument(principal.edition, 'institution');
    const answers = answersFromForm(instrument.definition, req.body);
    // A section page's save covers only its section (the other answers are kept as stored).
    const posted = field(req.body, 'seccion');
    let scope: string[] | undefined;
    if (posted) {
      const cached = await cachedInstitution(principal.edition, principal.institution);
      const institution = { type: cached.type, level: cached.level };
      scope = /^\d{1,3}$/.test(posted) ? sectionScope(instrument.definition, institution, Number(posted)) : undefined;
      if (!scope) throw badRequest(`the questionnaire has no section "${posted.slice(0, 20)}"`, [{ field: 'seccion', reason: `Sección: el cuestionario no tiene una sección «${posted.slice(0, 20)}»` }]);
    }
    const saved = await saveDraft(principal.edition, principal.institution, instrument, answers, {
      actor: (name) => respondentActor(principal, name),
      reason: field(req.body, 'reason'),
      reasons: reasonsFromForm(req.body),
      scope,
      baseRevision: baseRevisionOf(req.body),
      editableIn: EDITABLE,
      verified: invitationCheck(res),
      edition: prefetchedEdition(req, res, principal.edition),
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
    byItem: evidenceByItem(await listEvidence(principal.edition, principal.institution, 'answers')),
    editable,
    maxPerItem: evidenceSettings().maxFilesPerItem,
  };
}

export async function sendReceipt(res: Response) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const receipt = latestReceipt(current);
  if (!receipt) throw new HttpProblem(404, 'Not Found', 'there is no receipt yet: it is issued when the answers are submitted', undefined, { code: 'no_receipt', message: 'Todavía no hay un acuse: se emite al enviar el cuestionario.' });
  const pdf = await receiptPdf({ instrument, current, receipt, files: await respondentFiles(principal, instrument, false) });
  res.attachment(`acuse-${receipt.folio}.pdf`).type('application/pdf');
  res.setHeader('Cache-Control', 'private, no-store');
  res.send(pdf);
}
