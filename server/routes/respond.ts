/**
 * The respondent of an institution, through its personal invitation link (no password): the
 * questionnaire with its progress, drafts (also saved in the background by the page script), field
 * errors, submission, and a read-only view after submitting until the evaluators return it.
 * The same actions in the JSON API, authenticated by the invitation token as a bearer token.
 */
import { Router, type Request, type Response } from 'express';
import { InvitationModel } from '../models/invitation.js';
import { activeInvitation, currentRespondent, principalOf, requireRespondent, type RespondentPrincipal } from '../auth/access.js';
import type { JSONSchemaType } from 'ajv';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { validator } from '../http/validate.js';
import { startSession } from '../auth/session.js';
import { flash, renderPage } from '../http/render.js';
import { answersFromForm, errorsByPath, labelledErrors, questionnaireView, type FormAnswers } from '../http/questionnaireForm.js';
import { editionInstrument, loadResponse, saveAnswers, STATUS_LABELS, type Actor } from '../services/responses.js';
import { progress } from '../../questionnaires/engine.js';
import type { ApiRegistry } from '../http/api.js';
import { EVIDENCE_FILE_FIELD, commitEvidence, countEvidence, discardReceived, evidenceByItem, evidenceItems, evidenceSettings, listEvidence, megabytes, removeEvidence, EVIDENCE_TYPE_WORDS } from '../files/evidence.js';
import { receiveEvidence, receivedFiles, rejectionText } from './evidence.js';

const EDITABLE = ['draft', 'returned'] as const;

async function respondentContext(principal: RespondentPrincipal) {
  const instrument = await editionInstrument(principal.edition, 'institution');
  const current = await loadResponse(principal.edition, principal.institution, instrument);
  const actor: Actor = { kind: 'respondent', id: principal.invitationId, label: `Sujeto obligado: ${current.institution.name}` };
  return { instrument, current, actor };
}

function commentsOf(current: Awaited<ReturnType<typeof loadResponse>>): Record<string, string> {
  if (current.status !== 'returned') return {};
  return Object.fromEntries((current.response?.comments ?? []).map((c) => [c.item, c.comment]));
}

async function renderQuestionnaire(req: Request, res: Response, override?: { answers: FormAnswers; errors: FieldError[]; reason: string; status: number }) {
  const principal = currentRespondent(res);
  const { instrument, current } = await respondentContext(principal);
  const editable = (EDITABLE as readonly string[]).includes(current.status);
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
  renderPage(
    req,
    res,
    'respond/questionnaire',
    {
      title: instrument.title,
      instrument: { id: instrument.id, title: instrument.title, hash: instrument.hash },
      edition: principal.edition,
      institution: current.institution,
      status: current.status,
      statusLabel: STATUS_LABELS[current.status],
      progress: progress(instrument.definition, answers, current.context),
      editable,
      needsReason: Boolean(current.response?.firstSubmittedAt),
      reason: override?.reason ?? '',
      sections,
      errors: labelledErrors(instrument.definition, errors),
      savedAt: current.response?.updatedAt,
      draftKey: `mga-borrador-${principal.invitationId}`,
      evidenceLimits: `${EVIDENCE_TYPE_WORDS}; hasta ${megabytes(settings.maxBytes)} por archivo y ${settings.maxFilesPerItem} archivos por pregunta`,
      serverVersion: current.response?.updatedAt ? new Date(current.response.updatedAt).getTime() : 0,
      scripts: editable ? ['/static/questionnaire.js'] : [],
    },
    { status: override?.status },
  );
}

function reasonOf(body: unknown): string {
  const reason = (body as Record<string, unknown> | undefined)?.reason;
  return typeof reason === 'string' ? reason : '';
}

export function respondRouter(): Router {
  const router = Router();

  router.get('/responder/:token', async (req, res) => {
    const invitation = await activeInvitation(String(req.params.token));
    if (!invitation) {
      return renderPage(req, res, 'respond/invalid', { title: 'Liga no válida' }, { status: 404 });
    }
    await InvitationModel.updateOne({ _id: invitation._id }, { $set: { lastUsedAt: new Date() } });
    await startSession(req, { invitationId: String(invitation._id) });
    res.redirect(303, '/responder');
  });

  router.get('/responder', async (req, res) => {
    if (principalOf(res)?.kind !== 'respondent') return renderPage(req, res, 'respond/invalid', { title: 'Abra su liga de invitación' }, { status: 401 });
    await renderQuestionnaire(req, res);
  });

  router.post('/responder', requireRespondent, receiveEvidence('page'), async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, actor, current } = await respondentContext(principal);
    const files = receivedFiles(req).filter((f) => f.evidenceId || f.rejected);
    const discardAll = () => discardReceived(files);
    if (res.locals.evidenceUploadError) {
      await discardAll();
      const limit = megabytes(evidenceSettings().maxBytes);
      return renderQuestionnaire(req, res, { answers: current.answers, errors: [{ field: '', reason: `El envío se interrumpió porque un archivo es mucho más grande que el límite de ${limit}. No se guardó nada de este envío: vuelva a capturar sus cambios y adjunte archivos más pequeños.` }], reason: '', status: 413 });
    }
    const body = req.body as Record<string, unknown>;
    const submit = body.action === 'submit';
    const answers = answersFromForm(instrument.definition, body);
    const reason = reasonOf(body);
    const removing = typeof body.quitarArchivo === 'string' ? body.quitarArchivo : undefined;

    // Files first: any refused file means nothing of this post is kept, and the page says why.
    const items = evidenceItems(instrument.definition);
    const settings = evidenceSettings();
    const fileErrors: FieldError[] = [];
    const accepted: { evidenceId: string; item: string }[] = [];
    const perItem = new Map<string, number>();
    for (const file of files) {
      const item = file.fieldname.startsWith(EVIDENCE_FILE_FIELD) ? file.fieldname.slice(EVIDENCE_FILE_FIELD.length) : '';
      if (!items.has(item)) {
        fileErrors.push({ field: '', reason: `El archivo «${file.originalname}» no corresponde a una pregunta que pida evidencia; no se guardó.` });
        continue;
      }
      const refused = rejectionText(file);
      if (refused) {
        fileErrors.push({ field: `${item}:archivo`, reason: refused });
        continue;
      }
      const count = (perItem.get(item) ?? (await countEvidence(principal.edition, principal.institution, item))) + 1;
      perItem.set(item, count);
      if (count > settings.maxFilesPerItem) {
        fileErrors.push({ field: `${item}:archivo`, reason: `Cada pregunta admite hasta ${settings.maxFilesPerItem} archivos; quite uno antes de adjuntar «${file.originalname}».` });
        continue;
      }
      accepted.push({ evidenceId: file.evidenceId!, item });
    }
    if (fileErrors.length) {
      await discardAll();
      return renderQuestionnaire(req, res, { answers, errors: fileErrors, reason, status: 400 });
    }
    try {
      await saveAnswers(principal.edition, principal.institution, instrument, answers, {
        actor,
        reason,
        editableIn: EDITABLE,
        mode: submit ? 'submit' : 'draft',
        nextStatus: submit ? 'submitted' : undefined,
      });
    } catch (error) {
      await discardAll();
      if (error instanceof HttpProblem && error.status === 400) return renderQuestionnaire(req, res, { answers, errors: error.errors ?? [{ field: '', reason: error.detail ?? error.title }], reason, status: 400 });
      if (error instanceof HttpProblem && error.status === 409) {
        flash(req, 'Sus respuestas ya fueron enviadas: no se pueden cambiar hasta que la evaluación las devuelva.');
        return res.redirect(303, '/responder');
      }
      throw error;
    }
    await commitEvidence({ edition: principal.edition, institution: principal.institution, invitation: principal.invitationId }, accepted);
    const removed = removing && !submit ? await removeEvidence(principal.edition, principal.institution, removing) : undefined;
    const attached = accepted.length ? ` ${accepted.length === 1 ? 'Se adjuntó 1 archivo.' : `Se adjuntaron ${accepted.length} archivos.`}` : '';
    flash(req, submit ? `Cuestionario enviado. El equipo evaluador lo revisará.${attached}` : removed ? `Se quitó el archivo «${removed.name}». Borrador guardado.` : `Borrador guardado.${attached}`);
    res.redirect(303, '/responder');
  });

  /** The page script's background save: the same form, answered in JSON. */
  router.post('/responder/borrador', requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const { instrument, actor } = await respondentContext(principal);
    const answers = answersFromForm(instrument.definition, req.body);
    const saved = await saveAnswers(principal.edition, principal.institution, instrument, answers, { actor, reason: reasonOf(req.body), editableIn: EDITABLE, mode: 'draft' });
    const current = await loadResponse(principal.edition, principal.institution, instrument);
    res.json({ status: saved.status, changed: saved.changed.length, progress: current.progress, savedAt: current.response?.updatedAt });
  });

  return router;
}

function questionnairePayload(ctx: Awaited<ReturnType<typeof respondentContext>>, principal: RespondentPrincipal) {
  const { instrument, current } = ctx;
  return {
    edition: principal.edition,
    institution: { id: String(current.institution._id), name: current.institution.name, entity: current.institution.entity, type: current.institution.type, level: current.institution.level },
    questionnaire: { id: instrument.id, hash: instrument.hash, definition: instrument.definition },
    status: current.status,
    answers: current.answers,
    progress: current.progress,
    comments: current.status === 'returned' ? (current.response?.comments ?? []).map((c) => ({ item: c.item, comment: c.comment })) : [],
    updatedAt: current.response?.updatedAt ?? null,
  };
}

interface AnswersBody {
  answers: Record<string, unknown>;
  reason?: string;
}

/** The engine checks the answers item by item; the schema only the envelope. */
const answersBody = {
  type: 'object',
  properties: { answers: { type: 'object', description: 'item id → value; group id → rows; "<item>:evidence" → URL' }, reason: { type: 'string', maxLength: 1000, nullable: true } },
  required: ['answers'],
  additionalProperties: false,
} as unknown as JSONSchemaType<AnswersBody>;
const checkAnswersBody = validator(answersBody, 'body');

export function registerRespondentApi(api: ApiRegistry): void {
  const access = 'the respondent of the institution (invitation token as bearer, or the session opened by the link)';
  api.add({ method: 'get', path: '/respondent/questionnaire', summary: 'The questionnaire of the invited institution, its answers, status, progress and review comments', tag: 'respondent', access }, requireRespondent, async (_req, res) => {
    const principal = currentRespondent(res);
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });

  api.add({ method: 'put', path: '/respondent/answers', summary: 'Save the answers as a draft (types and ranges checked; all or nothing)', tag: 'respondent', access, body: answersBody }, requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const { answers, reason = '' } = checkAnswersBody(req.body);
    await saveAnswers(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, editableIn: EDITABLE, mode: 'draft' });
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });

  api.add({ method: 'post', path: '/respondent/submit', summary: 'Submit the answers (every required item must be answered); read-only until returned', tag: 'respondent', access, body: answersBody }, requireRespondent, async (req, res) => {
    const principal = currentRespondent(res);
    const ctx = await respondentContext(principal);
    const { answers, reason = '' } = checkAnswersBody(req.body);
    await saveAnswers(principal.edition, principal.institution, ctx.instrument, answers, { actor: ctx.actor, reason, editableIn: EDITABLE, mode: 'submit', nextStatus: 'submitted' });
    res.json(questionnairePayload(await respondentContext(principal), principal));
  });
}
