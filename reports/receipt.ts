/** The respondent's submission receipt: folio, date and time, and the submitted answers, as HTML and PDF. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { renderPdf } from './browser.js';
import { formatDateTime } from './format.js';

export interface ReceiptData {
  folio: string;
  submittedAt: Date;
  institution: { name: string; entity: string; type: string };
  edition: { id: string; title: string };
  questionnaire: string;
  progress: { answered: number; total: number };
  sections: { title: string; items: { label: string; answer: string; evidence?: string }[] }[];
  generatedAt?: Date;
}

const TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));
let template: HandlebarsTemplateDelegate | undefined;
let css: string | undefined;

export function renderReceiptHtml(data: ReceiptData): string {
  template ??= Handlebars.create().compile(readFileSync(`${TEMPLATE_DIR}receipt.hbs`, 'utf8'));
  css ??= readFileSync(`${TEMPLATE_DIR}report.css`, 'utf8');
  return template({
    ...data,
    css,
    submittedAt: formatDateTime(data.submittedAt),
    answered: data.progress.answered,
    total: data.progress.total,
    longTitle: data.institution.name.length > 70,
  });
}

export async function renderReceiptPdf(data: ReceiptData): Promise<Buffer> {
  return renderPdf(renderReceiptHtml(data), { generatedAt: data.generatedAt ?? new Date(), sources: [`Acuse ${data.folio}`] });
}
