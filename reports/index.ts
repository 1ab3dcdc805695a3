/** The report library: plain data in, HTML / PDF / XLSX out. No HTTP and no database here. */
export { CHROMIUM_FLAGS, ChromiumNotFoundError, NoChromiumError, resolveChromium, closeBrowser, getBrowser, renderPdf, type PdfFooterInfo, type RenderPdfOptions } from './browser.js';
export { chartHtml, groupedBarChart, rankedBarChart, referenceBarChart, renderChart, type ChartFormat, type ChartImage } from './charts.js';
export * from './data.js';
export { csvCell, toCsv, type CsvValue } from './csv.js';
export { buildEditionWorkbook, escapeCellText, SHEET_NAMES, type WorkbookOptions } from './excel.js';
export { institutionCardFileName, safeFileName, writeInstitutionCards, type BulkOptions, type BulkProgress, type BulkResult } from './bulk.js';
export {
  renderEntityReportHtml,
  renderEntityReportPdf,
  renderInstitutionReportHtml,
  renderInstitutionReportPdf,
  renderNationalReportHtml,
  renderNationalReportPdf,
  renderReportHtml,
  renderReportPdf,
  type ReportData,
} from './render.js';
