/**
 * The Spanish (Mexico) e-mails. Each template in templates/ is plain text (handlebars, without HTML
 * escaping); the HTML part is built from the same text, paragraph by paragraph, with links made
 * clickable, so both parts always say the same thing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function template(name: string): Handlebars.TemplateDelegate {
  let found = compiled.get(name);
  if (!found) {
    found = Handlebars.compile(readFileSync(`${TEMPLATES_DIR}${name}.hbs`, 'utf8'), { noEscape: true, strict: false });
    compiled.set(name, found);
  }
  return found;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlFromText(text: string): string {
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map((p) => escapeHtml(p).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`).replace(/\n/g, '<br>\n'));
  return `<!doctype html>\n<html lang="es-MX"><body style="font-family: sans-serif; line-height: 1.5">\n${paragraphs.map((p) => `<p>${p}</p>`).join('\n')}\n</body></html>\n`;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

function render(name: string, subject: string, data: Record<string, unknown>): RenderedMail {
  const text = template(name)(data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  return { subject, text, html: htmlFromText(text) };
}

const DATE = new Intl.DateTimeFormat('es-MX', { dateStyle: 'long', timeZone: 'America/Mexico_City' });
const DATE_TIME = new Intl.DateTimeFormat('es-MX', { dateStyle: 'long', timeStyle: 'short', timeZone: 'America/Mexico_City' });
/** "15 de diciembre de 2026, 6:00 p.m. (hora del centro de México)". */
export const formatMailDateTime = (date: Date) => `${DATE_TIME.format(date)} (hora del centro de México)`;
export const formatMailDate = (date: Date) => DATE.format(date);

export function invitationMail(data: { institution: string; contactName?: string; editionTitle: string; link: string; expiresAt: Date; deadline?: Date | null; helpEmail: string; helpName?: string; helpPhone?: string }): RenderedMail {
  return render('invitation', `Invitación: cuestionario de la Métrica de Gobierno Abierto (${data.editionTitle})`, {
    ...data,
    expires: formatMailDate(data.expiresAt),
    deadline: data.deadline ? formatMailDateTime(data.deadline) : undefined,
  });
}

export function reminderMail(data: { institution: string; contactName?: string; editionTitle: string; statusText?: string; deadline?: Date | null; now?: Date; helpEmail: string; helpName?: string; helpPhone?: string }): RenderedMail {
  const days = data.deadline ? Math.ceil((data.deadline.getTime() - (data.now ?? new Date()).getTime()) / 86_400_000) : undefined;
  return render('reminder', `Recordatorio: cuestionario de la Métrica de Gobierno Abierto (${data.editionTitle})`, {
    ...data,
    deadline: data.deadline ? formatMailDateTime(data.deadline) : undefined,
    daysLeft: days !== undefined && days > 0 ? (days === 1 ? '1 día' : `${days} días`) : undefined,
  });
}

export function passwordResetMail(data: { name: string; link: string; minutes: number }): RenderedMail {
  return render('passwordReset', 'Cambio de contraseña — Métrica de Gobierno Abierto', data);
}
