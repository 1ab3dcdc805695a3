/**
 * Report data → HTML (handlebars templates in ./templates, one view module per report in ./views)
 * → PDF (the shared browser).
 *
 * Each report's data is turned into a view: every number already printed (half-up, es-MX) and every
 * chart already drawn, so the templates only lay things out and escape text.
 */
import { renderPdf, type RenderPdfOptions } from './browser.js';
import { renderInstitutionCardPdfs } from './cards.js';
import type { EntityReportData } from './models/entity.js';
import type { InstitutionReportData } from './models/institution.js';
import type { NationalReportData } from './models/national.js';
import { footerInfo } from './views/common.js';
import { renderEntityReportHtml } from './views/entity.js';
import { renderInstitutionReportHtml } from './views/institution.js';
import { renderNationalReportHtml } from './views/national.js';

export { renderEntityReportHtml, renderInstitutionReportHtml, renderNationalReportHtml };

export type ReportData = NationalReportData | EntityReportData | InstitutionReportData;

// ───────────────────────────── dispatch and PDF ─────────────────────────────

export function renderReportHtml(data: ReportData): string {
  switch (data.kind) {
    case 'national':
      return renderNationalReportHtml(data);
    case 'entity':
      return renderEntityReportHtml(data);
    case 'institution':
      return renderInstitutionReportHtml(data);
  }
}

/**
 * Any report as PDF through the shared browser (launched on first use; see closeBrowser). Institution
 * cards take the cards path (cards.ts), so one card alone looks exactly like one out of a bulk run.
 */
export async function renderReportPdf(data: ReportData, options: RenderPdfOptions = {}): Promise<Buffer> {
  if (data.kind === 'institution') return (await renderInstitutionCardPdfs([data], options))[0]!;
  return renderPdf(renderReportHtml(data), footerInfo(data.meta), options);
}

export const renderNationalReportPdf = (data: NationalReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
export const renderEntityReportPdf = (data: EntityReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
export const renderInstitutionReportPdf = (data: InstitutionReportData, options?: RenderPdfOptions): Promise<Buffer> => renderReportPdf(data, options);
