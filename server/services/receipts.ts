/** The PDF receipt of a submission, from the stored answers, through the reports' renderer. */
import { questionnaireView, type EvidenceFilesOptions, type FieldView, type GroupView } from '../http/questionnaireForm.js';
import { renderReceiptPdf, type ReceiptData } from '../../reports/receipt.js';
import type { Instrument } from './instruments.js';
import type { LoadedResponse } from './responseStore.js';

export function receiptData(instrument: Instrument, current: LoadedResponse, receipt: { folio: string; at: Date }, files?: EvidenceFilesOptions): ReceiptData {
  const sections = questionnaireView(instrument.definition, current.answers, { institution: current.context.institution, ...(files && { files }) });
  return {
    folio: receipt.folio,
    submittedAt: receipt.at,
    institution: { name: current.institution.name, entity: current.institution.entity, type: current.institution.type },
    edition: { id: current.edition.editionId, title: current.edition.title },
    questionnaire: instrument.title,
    progress: { answered: current.progress.requiredAnswered, total: current.progress.required },
    sections: sections.map((section) => ({
      title: section.title,
      items: section.items.flatMap((item) => {
        if ((item as GroupView).isGroup === true) {
          const group = item as GroupView;
          const rows = group.rows.map((row) => `${row.label}: ${row.fields.filter((f) => !f.hiddenNow && f.display !== 'Sin respuesta').map((f) => `${f.label}: ${f.display}`).join('; ')}`);
          return [{ label: group.label, answer: rows.length ? rows.join('\n') : 'Sin registros' }];
        }
        const field = item as FieldView;
        if (field.hiddenNow) return [];
        // Evidence: the link, and the names of the attached files (the files themselves stay in the service).
        const evidence = [field.evidence?.value, ...(field.files?.list ?? []).map((f) => `archivo «${f.name}» (${f.typeLabel}, ${f.sizeLabel})`)].filter(Boolean).join('; ');
        return [{ label: field.label, answer: field.display, ...(evidence && { evidence }) }];
      }),
    })),
  };
}

export async function receiptPdf(input: { instrument: Instrument; current: LoadedResponse; receipt: { folio: string; at: Date }; files?: EvidenceFilesOptions }): Promise<Buffer> {
  return renderReceiptPdf(receiptData(input.instrument, input.current, input.receipt, input.files));
}
