/**
 * The template of an edition's sample of institutions: the columns the sample import accepts
 * (scoring/import/presets.ts, IDENTITY_FIELDS), one example row in plain Spanish, as CSV (UTF-8 with
 * BOM, so spreadsheet programs read the accents) and as XLSX (exceljs, like the edition workbook):
 * the first sheet is the one the import reads; the second explains each column in Spanish; the third
 * lists the accepted entities, levels and types (the first sheet offers them as drop-down lists).
 */
import ExcelJS from 'exceljs';
import { ENTITIES, LEVELS } from '../scoring/catalogue.js';
import { IDENTITY_FIELDS, REQUIRED_IDENTITY_FIELDS, type IdentityField } from '../scoring/import/presets.js';

export interface TemplateColumn {
  /** The header the import reads. */
  header: IdentityField;
  /** Its name in words. */
  title: string;
  required: boolean;
  /** What to write, in plain Spanish. */
  help: string;
  example: string;
  width: number;
}

export const SAMPLE_TEMPLATE_COLUMNS: readonly TemplateColumn[] = [
  { header: 'name', title: 'Nombre del sujeto obligado', required: true, help: 'El nombre completo, como debe aparecer en los resultados (de 2 a 400 caracteres). No repita el mismo nombre dentro de una entidad.', example: 'Municipio de San Pedro Tlaquepaque', width: 40 },
  { header: 'entity', title: 'Entidad federativa', required: true, help: 'Una de las 32 entidades o «Federal» (vea la hoja «Valores válidos»). Se aceptan variantes sin acentos, como «Nuevo Leon».', example: 'Jalisco', width: 20 },
  { header: 'level', title: 'Nivel de gobierno', required: true, help: 'Federal, Estatal o Municipal.', example: 'Municipal', width: 16 },
  { header: 'type', title: 'Tipo de sujeto obligado', required: true, help: 'Uno de los tipos registrados en el servicio (vea la hoja «Valores válidos»), por ejemplo Municipio, Universidad o Partido.', example: 'Municipio', width: 22 },
  { header: 'externalId', title: 'Clave propia', required: false, help: 'Opcional. Una clave de su propio registro para reconocer al sujeto obligado (a lo más 100 caracteres).', example: 'JAL-098', width: 14 },
  { header: 'contactName', title: 'Nombre del contacto', required: false, help: 'Opcional. La persona que recibe por correo la liga de invitación y los recordatorios.', example: 'María López Hernández', width: 26 },
  { header: 'contactEmail', title: 'Correo del contacto', required: false, help: 'Opcional, pero sin él no se puede enviar la invitación por correo. Una sola dirección.', example: 'maria.lopez@tlaquepaque.example', width: 32 },
  { header: 'contactCc', title: 'Copias', required: false, help: 'Opcional. Otras direcciones que reciben copia de los correos, separadas por punto y coma (a lo más 10).', example: 'transparencia@tlaquepaque.example', width: 32 },
];

// The template and the import must never drift apart.
if (SAMPLE_TEMPLATE_COLUMNS.map((c) => c.header).join() !== IDENTITY_FIELDS.join() || !REQUIRED_IDENTITY_FIELDS.every((f) => SAMPLE_TEMPLATE_COLUMNS.find((c) => c.header === f)?.required)) {
  throw new Error('the sample template columns differ from the import\'s identity fields');
}

const csvCell = (text: string) => (/[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** The CSV template: the header row and the example row. */
export function sampleTemplateCsv(): Buffer {
  const lines = [SAMPLE_TEMPLATE_COLUMNS.map((c) => c.header), SAMPLE_TEMPLATE_COLUMNS.map((c) => c.example)].map((row) => row.map(csvCell).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf-8');
}

export const TEMPLATE_SHEET_NAMES = { sample: 'Muestra', help: 'Instrucciones', values: 'Valores válidos' } as const;

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
const HEADER_FONT: Partial<ExcelJS.Font> = { bold: true, color: { argb: 'FFFFFFFF' } };
const EXAMPLE_FONT: Partial<ExcelJS.Font> = { italic: true, color: { argb: 'FF555555' } };
/** Rows of the first sheet that offer the drop-down lists. */
const LIST_ROWS = 2000;

/** The XLSX template; `types` are the institution types the service knows. */
export async function sampleTemplateXlsx(types: readonly string[], now = new Date()): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Métrica de Gobierno Abierto';
  workbook.created = now;
  workbook.modified = now;

  const sample = workbook.addWorksheet(TEMPLATE_SHEET_NAMES.sample, { views: [{ state: 'frozen', ySplit: 1 }] });
  sample.columns = SAMPLE_TEMPLATE_COLUMNS.map((c) => ({ header: c.header, key: c.header, width: c.width }));
  sample.getRow(1).eachCell((cell) => {
    cell.fill = HEADER_FILL;
    cell.font = HEADER_FONT;
  });
  SAMPLE_TEMPLATE_COLUMNS.forEach((c, i) => {
    sample.getRow(1).getCell(i + 1).note = `${c.title}${c.required ? ' (obligatorio)' : ' (opcional)'}: ${c.help}`;
  });
  const example = sample.addRow(SAMPLE_TEMPLATE_COLUMNS.map((c) => c.example));
  example.font = EXAMPLE_FONT;

  const help = workbook.addWorksheet(TEMPLATE_SHEET_NAMES.help);
  help.columns = [
    { header: 'Columna', key: 'header', width: 16 },
    { header: 'Qué es', key: 'title', width: 28 },
    { header: '¿Obligatoria?', key: 'required', width: 14 },
    { header: 'Qué escribir', key: 'help', width: 80 },
    { header: 'Ejemplo', key: 'example', width: 34 },
  ];
  help.getRow(1).eachCell((cell) => {
    cell.fill = HEADER_FILL;
    cell.font = HEADER_FONT;
  });
  for (const c of SAMPLE_TEMPLATE_COLUMNS) help.addRow({ header: c.header, title: c.title, required: c.required ? 'Sí' : 'No', help: c.help, example: c.example });
  help.addRow([]);
  const notes = [
    'Cómo usar esta plantilla:',
    `1. Escriba un sujeto obligado por fila en la hoja «${TEMPLATE_SHEET_NAMES.sample}», debajo de los encabezados. No cambie ni traduzca los encabezados: el servicio los lee tal como están.`,
    '2. Borre la fila de ejemplo (la segunda, en cursivas) antes de importar: si la deja, se importa como un sujeto obligado más.',
    `3. La hoja «${TEMPLATE_SHEET_NAMES.sample}» debe quedar como la primera del archivo; las demás hojas no se importan.`,
    '4. Guarde el archivo como XLSX, o como «CSV UTF-8» si prefiere CSV, e impórtelo en la página de la edición, en «Muestra de sujetos obligados».',
    '5. Si una fila tiene un error, no se importa nada: la página dice la fila, la columna y qué corregir.',
    '6. Importar de nuevo un sujeto obligado con el mismo nombre y entidad actualiza sus datos en lugar de duplicarlo.',
  ];
  for (let r = 2; r <= help.rowCount; r++) help.getRow(r).alignment = { wrapText: true, vertical: 'top' };
  for (const line of notes) {
    const row = help.addRow([line]);
    row.getCell(1).font = line.endsWith(':') ? { bold: true } : {};
    row.getCell(1).alignment = { wrapText: true, vertical: 'top' };
    // Each note spans the table's width (one merged cell), so it reads as a paragraph.
    help.mergeCells(row.number, 1, row.number, 5);
    row.height = line.length > 150 ? 30 : 16;
  }

  // Sheets in this order: the one the import reads, the explanation, the lists.
  const sortedTypes = [...types].sort((a, b) => a.localeCompare(b, 'es'));
  const values = workbook.addWorksheet(TEMPLATE_SHEET_NAMES.values);
  values.columns = [
    { header: 'Entidad federativa (entity)', key: 'entity', width: 30 },
    { header: 'Nivel de gobierno (level)', key: 'level', width: 26 },
    { header: 'Tipo de sujeto obligado (type)', key: 'type', width: 32 },
  ];
  values.getRow(1).eachCell((cell) => {
    cell.fill = HEADER_FILL;
    cell.font = HEADER_FONT;
  });
  const longest = Math.max(ENTITIES.length, LEVELS.length, sortedTypes.length);
  for (let i = 0; i < longest; i++) values.addRow([ENTITIES[i]?.name ?? null, LEVELS[i] ?? null, sortedTypes[i] ?? null]);
  const listOf = (column: 'A' | 'B' | 'C', count: number) => `'${TEMPLATE_SHEET_NAMES.values}'!$${column}$2:$${column}$${count + 1}`;
  const lists: Partial<Record<IdentityField, string>> = { entity: listOf('A', ENTITIES.length), level: listOf('B', LEVELS.length), ...(sortedTypes.length && { type: listOf('C', sortedTypes.length) }) };
  SAMPLE_TEMPLATE_COLUMNS.forEach((c, i) => {
    const formula = lists[c.header];
    if (!formula) return;
    const letter = sample.getColumn(i + 1).letter;
    // One rule for the whole range (exceljs writes a sqref), not one per cell.
    (sample as unknown as { dataValidations: { add(range: string, rule: ExcelJS.DataValidation): void } }).dataValidations.add(`${letter}2:${letter}${LIST_ROWS}`, {
      type: 'list',
      allowBlank: true,
      formulae: [formula],
      showErrorMessage: true,
      errorStyle: 'warning',
      errorTitle: c.title,
      error: `Elija un valor de la hoja «${TEMPLATE_SHEET_NAMES.values}».`,
    });
  });

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
