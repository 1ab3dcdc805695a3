/**
 * An edition's details (admins): title, year, deadline and the help contact of the e-mails, on the
 * page /admin/ediciones/<id>/datos and in the API (GET /editions/{edition}/details; changes through
 * PATCH /editions/{edition}); and the template of the sample file, as CSV and XLSX. The rules live in
 * server/services/editionSettings.ts.
 */
import { Router, type Request, type Response } from 'express';
import { currentUser, requireUser, userActor } from '../auth/access.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { formFields } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { fromLocalDateTime, localDateTimeValue } from '../http/mexicoTime.js';
import { problem } from '../http/apiSchemas.js';
import { download, type ApiRegistry } from '../http/api.js';
import { institutionTypeNames } from '../models/institutionType.js';
import { EDITION_STATUS_LABELS, formatDeadline, loadEdition, refusal } from '../services/editionLifecycle.js';
import { DETAIL_FIELD_LABELS, editionDetails, updateEditionDetails, type DetailsChange, type EditionDetails } from '../services/editionSettings.js';
import { mailSettings } from '../mail/settings.js';
import { sampleTemplateCsv, sampleTemplateXlsx } from '../../reports/sampleTemplate.js';
import { pageErrors } from './institutionAdmin.js';

export const EDITION_DETAILS_SCHEMA = {
  type: 'object',
  required: ['editionId', 'title', 'year', 'status', 'deadline', 'help', 'revision'],
  properties: {
    editionId: { type: 'string' },
    title: { type: 'string' },
    year: { type: 'integer' },
    status: { type: 'string', enum: ['draft', 'collecting', 'review', 'published'] },
    deadline: { type: 'string', format: 'date-time', nullable: true },
    help: { type: 'object', required: ['name', 'email', 'phone'], properties: { name: { type: 'string', nullable: true }, email: { type: 'string', nullable: true }, phone: { type: 'string', nullable: true } } },
    revision: { type: 'integer', description: 'send it back as baseRevision when changing the details' },
  },
};

interface DetailsForm {
  title: string;
  year: string;
  deadline: string;
  helpName: string;
  helpEmail: string;
  helpPhone: string;
  reason: string;
}

const formOf = (d: EditionDetails): DetailsForm => ({
  title: d.title,
  year: String(d.year),
  deadline: d.deadline ? localDateTimeValue(d.deadline) : '',
  helpName: d.help.name ?? '',
  helpEmail: d.help.email ?? '',
  helpPhone: d.help.phone ?? '',
  reason: '',
});

const FORM_LABELS: Record<keyof DetailsForm, string> = {
  title: DETAIL_FIELD_LABELS.title!,
  year: DETAIL_FIELD_LABELS.year!,
  deadline: DETAIL_FIELD_LABELS.deadline!,
  helpName: DETAIL_FIELD_LABELS['help.name']!,
  helpEmail: DETAIL_FIELD_LABELS['help.email']!,
  helpPhone: DETAIL_FIELD_LABELS['help.phone']!,
  reason: DETAIL_FIELD_LABELS.reason!,
};

function deadlineHelp(): string {
  const days = mailSettings().reminderDays;
  const reminders = days.length
    ? `Los recordatorios automáticos salen ${days.map((d) => (d === 0 ? 'el mismo día' : d === 1 ? '1 día' : `${d} días`)).join(' y ')} antes de la fecha límite a quienes no han enviado sus respuestas; si cambia la fecha, se programan para la nueva y los pendientes de la fecha anterior ya no se envían.`
    : 'Los recordatorios automáticos están desactivados en este servicio.';
  return `Después de esta fecha los sujetos obligados ya no pueden guardar ni enviar, y quienes no enviaron aparecen como atrasados en la revisión. ${reminders}`;
}

async function renderDetails(req: Request, res: Response, editionId: string, extra: { form?: DetailsForm; errors?: FieldError[]; conflict?: { label: string; mine: string; saved: string }[]; status?: number } = {}) {
  const edition = await loadEdition(editionId);
  const details = editionDetails(edition);
  const settings = mailSettings();
  renderPage(
    req,
    res,
    'admin/editionDetails',
    {
      title: `Datos de ${edition.title}`,
      edition,
      statusLabel: EDITION_STATUS_LABELS[edition.status as keyof typeof EDITION_STATUS_LABELS],
      form: extra.form ?? formOf(details),
      baseRevision: details.revision,
      readOnly: refusal(edition, 'settings')?.pageMessage,
      deadlineHelp: deadlineHelp(),
      currentDeadline: details.deadline ? formatDeadline(details.deadline) : undefined,
      helpFallback: settings.helpEmail ? `el correo general del servicio (${settings.helpEmail})` : 'el correo de la persona de la administración que envía',
      conflict: extra.conflict,
      fieldErrors: Object.fromEntries((extra.errors ?? []).map((e) => [e.field, e.message ?? e.reason])),
      errors: extra.errors ?? [],
    },
    { form: true, status: extra.status },
  );
}

/** The posted form as a change; errors of its own (a malformed date or year) are collected. */
function changeFrom(form: DetailsForm): { change: DetailsChange; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const change: DetailsChange = { title: form.title, help: { name: form.helpName, email: form.helpEmail, phone: form.helpPhone } };
  if (/^\d{4}$/.test(form.year.trim())) change.year = Number(form.year.trim());
  else errors.push({ field: 'year', value: form.year, reason: 'a year such as 2026', code: 'format', message: 'escriba un año de cuatro cifras, como 2026' });
  if (form.deadline.trim() === '') change.deadline = null;
  else {
    const deadline = fromLocalDateTime(form.deadline);
    if (deadline) change.deadline = deadline;
    else errors.push({ field: 'deadline', value: form.deadline, reason: 'a date and time (YYYY-MM-DDTHH:MM)', code: 'format', message: 'escriba la fecha y la hora (AAAA-MM-DD HH:MM)' });
  }
  return { change, errors };
}

const ERROR_LABELS: Record<string, string> = DETAIL_FIELD_LABELS;

export function editionDetailsRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.get('/admin/ediciones/:edition/datos', admin, async (req, res) => renderDetails(req, res, String(req.params.edition)));

  router.post('/admin/ediciones/:edition/datos', admin, async (req, res) => {
    const editionId = String(req.params.edition);
    await loadEdition(editionId);
    const fields = formFields(req.body);
    const text = (key: keyof DetailsForm) => (typeof fields[key] === 'string' ? (fields[key] as string) : '');
    const form: DetailsForm = { title: text('title'), year: text('year'), deadline: text('deadline'), helpName: text('helpName'), helpEmail: text('helpEmail'), helpPhone: text('helpPhone'), reason: text('reason') };
    const base = typeof fields.baseRevision === 'string' && /^\d{1,9}$/.test(fields.baseRevision) ? Number(fields.baseRevision) : undefined;
    try {
      const { change, errors } = changeFrom(form);
      if (errors.length) throw new HttpProblem(400, 'Bad Request', 'invalid edition details', errors, { code: 'validation_failed' });
      const result = await updateEditionDetails(editionId, change, { actor: userActor(currentUser(res)), reason: form.reason, baseRevision: base });
      flash(req, result.changed.length ? 'Datos de la edición guardados.' : 'No había cambios que guardar.');
      res.redirect(303, `/admin/ediciones/${editionId}`);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      if (error.code === 'stale_revision') {
        const saved = formOf(editionDetails(await loadEdition(editionId)));
        const conflict = (Object.keys(FORM_LABELS) as (keyof DetailsForm)[])
          .filter((k) => k !== 'reason' && form[k].trim() !== saved[k].trim())
          .map((k) => ({ label: FORM_LABELS[k], mine: form[k] || '(vacío)', saved: saved[k] || '(vacío)' }));
        return renderDetails(req, res, editionId, { form, conflict, status: 409 });
      }
      return renderDetails(req, res, editionId, { form, errors: pageErrors(error, ERROR_LABELS, 'title'), status: error.status });
    }
  });

  return router;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function registerEditionDetailsApi(api: ApiRegistry): void {
  const admin = requireUser('admin');

  api.add(
    {
      method: 'get',
      path: '/editions/:edition/details',
      summary: 'An edition\'s details as admins edit them (title, year, status, deadline, help contact of the e-mails) with their revision',
      tag: 'admin',
      access: 'admin',
      responses: { 200: { description: 'the details', schema: EDITION_DETAILS_SCHEMA }, 404: problem('unknown edition') },
    },
    admin,
    async (req, res) => {
      const details = editionDetails(await loadEdition(String(req.params.edition)));
      res.json({ ...details, deadline: details.deadline?.toISOString() ?? null });
    },
  );

  api.add(
    {
      method: 'get',
      path: '/templates/sample.csv',
      summary: 'The template of a sample file as CSV (UTF-8 with BOM): the header row the sample import accepts and one example row',
      tag: 'admin',
      access: 'admin',
      responses: { 200: { description: 'the template', schema: { type: 'string' }, contentType: 'text/csv' } },
    },
    admin,
    (_req, res) => {
      res.attachment('plantilla-muestra.csv').type('text/csv; charset=utf-8').send(sampleTemplateCsv());
    },
  );

  api.add(
    {
      method: 'get',
      path: '/templates/sample.xlsx',
      summary: 'The template of a sample file as XLSX: the sheet the import reads (header row, one example row, drop-down lists), a sheet explaining each column in Spanish, and the accepted values',
      tag: 'admin',
      access: 'admin',
      responses: { 200: download('the template', XLSX) },
    },
    admin,
    async (_req, res) => {
      res.attachment('plantilla-muestra.xlsx').type(XLSX).send(await sampleTemplateXlsx(await institutionTypeNames()));
    },
  );
}
