/**
 * Questionnaires as HTML forms: the view model a page renders (labels, values, conditions, errors,
 * comments) and the answers read back from a posted form. The engine stays the only judge of answers:
 * this module only moves values between field names and the engine's answer shape.
 */
import {
  EVIDENCE_SUFFIX,
  ROW_KEY,
  appliesToInstitution,
  applicableChoices,
  visibleItems,
  type Condition,
  type InstitutionContext,
  type QuestionnaireDefinition,
  type QuestionnaireItem,
  type RowItem,
} from '../../questionnaires/engine.js';

/** Form fields that carry no answer (file inputs are "archivo:<item>"; the remove buttons "quitarArchivo"). */
const RESERVED_FIELDS = new Set(['_csrf', 'action', 'reason', 'complete', 'baseRevision', 'confirmar', 'quitarArchivo', 'seccion', 'motivo']);
const FILE_FIELD_PREFIX = 'archivo:';
/** Per-item reasons of a change: "motivo[<item>]". */
const REASON_FIELD = /^motivo\[([A-Za-z0-9_]{1,100})\]$/;
const ROW_FIELD = /^([A-Za-z0-9_]+)\[(\d{1,4})\]\[([A-Za-z0-9_]+(?::evidence)?)\]$/;
/** A row's «Quitar esta fila al guardar» box: "group[3][_quitar]". */
const ROW_REMOVE = '_quitar';

export type FormAnswers = Record<string, unknown>;

/**
 * Answers from a url-encoded or multipart form: "item" → value, repeated checkboxes → list,
 * "group[3][child]" → row 3 of the group (rows in index order, blank ones kept so error paths and
 * posted files match the page's row numbers; multipart parsers hand them over already nested). A row's
 * key ("group[3][_key]") stays with the row; a row whose «quitar» box is ticked is posted blank, so it
 * is dropped. Empty fields are unanswered. Unknown names are passed on for the engine to refuse.
 */
export function answersFromForm(def: QuestionnaireDefinition, body: unknown): FormAnswers {
  const answers: FormAnswers = {};
  const rows = new Map<string, Map<number, Record<string, unknown>>>();
  const multiple = new Set<string>();
  const groups = new Set<string>();
  for (const section of def.sections) {
    for (const item of section.items) {
      if (item.kind === 'multiple') multiple.add(item.id);
      if (item.kind === 'group') {
        groups.add(item.id);
        for (const child of item.items) if (child.kind === 'multiple') multiple.add(`${item.id}.${child.id}`);
      }
    }
  }
  const rowEntry = (group: string, index: number) => {
    const groupRows = rows.get(group) ?? new Map<number, Record<string, unknown>>();
    rows.set(group, groupRows);
    const entry = groupRows.get(index) ?? {};
    groupRows.set(index, entry);
    return entry;
  };
  const clean = (key: string, value: unknown): unknown => {
    const list = (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string' && v.trim() !== '');
    if (multiple.has(key)) return list.length ? list : undefined;
    if (list.length === 0) return undefined;
    return list.length === 1 ? list[0] : list;
  };
  const cell = (group: string, index: number, child: string, value: unknown) => {
    const entry = rowEntry(group, index);
    const cleaned = clean(`${group}.${child}`, value);
    if (cleaned !== undefined) entry[child] = cleaned;
  };
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (RESERVED_FIELDS.has(key) || key.startsWith(FILE_FIELD_PREFIX) || REASON_FIELD.test(key)) continue;
    const row = ROW_FIELD.exec(key);
    if (row) {
      const [, group, index, child] = row as unknown as [string, string, string, string];
      cell(group, Number(index), child, value);
      continue;
    }
    // Multipart bodies arrive nested: "requests[2][topic]" is { requests: [ , , { topic } ] }.
    if (groups.has(key) && value && typeof value === 'object') {
      const entries = Array.isArray(value) ? [...value.entries()] : Object.entries(value).map(([i, v]) => [Number(i), v] as const);
      for (const [index, fields] of entries) {
        if (!Number.isInteger(index) || index < 0 || index > 9999) continue;
        rowEntry(key, index);
        if (fields && typeof fields === 'object' && !Array.isArray(fields)) for (const [child, v] of Object.entries(fields)) if (/^[A-Za-z0-9_]+(?::evidence)?$/.test(child)) cell(key, index, child, v);
      }
      continue;
    }
    const cleaned = clean(key, value);
    if (cleaned !== undefined) answers[key] = cleaned;
  }
  for (const [group, byIndex] of rows) {
    // Every index up to the last posted one, so a row's place in the list is its place on the page.
    const last = Math.max(...byIndex.keys());
    const ordered = Array.from({ length: last + 1 }, (_, i) => {
      const row = byIndex.get(i) ?? {};
      return row[ROW_REMOVE] !== undefined ? {} : row;
    });
    while (ordered.length && Object.keys(ordered[ordered.length - 1]!).length === 0) ordered.pop();
    if (ordered.length) answers[group] = ordered;
  }
  return answers;
}

/** The per-item reasons of a posted form ("motivo[tpUrl]" → tpUrl), blank ones left out. */
export function reasonsFromForm(body: unknown): Record<string, string> {
  const reasons: Record<string, string> = {};
  const take = (item: string | undefined, value: unknown) => {
    const text = Array.isArray(value) ? value.find((v) => typeof v === 'string') : value;
    if (item && /^[A-Za-z0-9_]{1,100}$/.test(item) && typeof text === 'string' && text.trim()) reasons[item] = text;
  };
  const fields = (body ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) take(REASON_FIELD.exec(key)?.[1], value);
  // Multipart forms arrive through multer, which nests "motivo[tpUrl]" as { motivo: { tpUrl } }.
  const nested = fields.motivo;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) for (const [item, value] of Object.entries(nested)) take(item, value);
  return reasons;
}

/** The field beside an answer where the respondent says why it changes (answers already submitted once). */
export interface ChangeReasonView {
  name: string;
  domId: string;
  value: string;
  error?: string;
  /** Shown open: the answer already changed since it was returned, or the field has text or an error. */
  open: boolean;
}

export interface ChoiceView {
  id: string;
  label: string;
  help?: string;
  checked: boolean;
  domId: string;
}

export interface FieldView {
  /** Engine path: "aiUnit", "requests[0].dateFiled". */
  path: string;
  itemId: string;
  name: string;
  domId: string;
  kind: string;
  label: string;
  help?: string;
  required: boolean;
  value: string;
  choices?: ChoiceView[];
  min?: number;
  max?: number;
  step?: string;
  maxLength?: number;
  multiline?: boolean;
  unit?: string;
  /** The condition as JSON, for the page script; a sentence for readers without it. */
  showIf?: string;
  conditionText?: string;
  /** Hidden now because its condition does not hold for the saved answers (the script may reveal it). */
  hiddenNow: boolean;
  evidence?: { name: string; domId: string; value: string; error?: string };
  /** The id of the question's block on its page (top-level items only): links from comments and errors lead there. */
  anchor?: string;
  /** Evidence files of an item that takes them (top-level items, and the citizen logs' rows). */
  files?: FilesView;
  error?: string;
  comment?: string;
  changeReason?: ChangeReasonView;
  /** The answer as text, for read-only pages. */
  display: string;
  links?: string[];
  [flag: `is${string}`]: boolean | undefined;
}

export interface GroupView {
  isGroup: true;
  anchor: string;
  path: string;
  itemId: string;
  domId: string;
  label: string;
  help?: string;
  required: boolean;
  rowLabel: string;
  rows: RowView[];
  /** The conditions of the row fields, said once for the whole group. */
  conditions: ConditionNote[];
  error?: string;
  comment?: string;
  changeReason?: ChangeReasonView;
  display: string;
}

export interface RowView {
  index: number;
  label: string;
  fields: FieldView[];
  isNew: boolean;
  /** The row's stable key, posted back in a hidden field so the row keeps its identity (and files). */
  key?: { name: string; value: string };
  /** The «quitar esta fila» box of a stored row (forms that remove rows). */
  remove?: { name: string; domId: string; label: string };
}

/** One condition said once: «Si «¿Se respondió?» es «Sí»»: the questions it governs. */
export interface ConditionNote {
  text: string;
  items: string[];
}

export interface SectionView {
  id: string;
  /** 1-based position among the sections shown to this institution (the section pages' numbers). */
  number: number;
  title: string;
  description?: string;
  /** The conditions of the section's items, said once for the section. */
  conditions: ConditionNote[];
  items: (FieldView | GroupView)[];
}

export interface EvidenceFileView {
  id: string;
  name: string;
  typeLabel: string;
  sizeLabel: string;
}

export interface FilesView {
  name: string;
  domId: string;
  list: (EvidenceFileView & { href?: string })[];
  /** A file input is shown (editable page, fewer files than the limit). */
  canAdd: boolean;
  editable: boolean;
  error?: string;
}

export interface EvidenceFilesOptions {
  /** Items that take files: item ids, and "<group>.<item>" for the items of rows. */
  accepts: ReadonlySet<string>;
  /** Item id, or "<group>.<item>#<row key>" for a row's item → its files. */
  byItem: ReadonlyMap<string, readonly EvidenceFileView[]>;
  editable: boolean;
  maxPerItem: number;
  /** Base of download links (readers who may download), e.g. "/api/v1/editions/e/institutions/i/evidence/". */
  downloadBase?: string;
}

export interface FormViewOptions {
  institution: InstitutionContext;
  /** Engine path → message. */
  errors?: Record<string, string>;
  /** Item id → evaluator comment. */
  comments?: Record<string, string>;
  /** Add one empty row to each group (editable pages). */
  newRows?: boolean;
  /** A «quitar esta fila» box in each stored row (editable pages that remove rows). */
  removableRows?: boolean;
  /** Evidence files attached to items (their errors come in `errors` under "<item>:archivo"). */
  files?: EvidenceFilesOptions;
  /**
   * A reason field beside each top-level answer (answers already submitted once): the values typed so
   * far, by item, and the items that already changed since the answers came back (shown open).
   */
  changeReasons?: { values: Readonly<Record<string, string>>; changed: ReadonlySet<string> };
}

function changeReasonView(itemId: string, options: FormViewOptions): ChangeReasonView | undefined {
  if (!options.changeReasons) return undefined;
  const path = itemId + ':motivo';
  const value = options.changeReasons.values[itemId] ?? '';
  const error = options.errors?.[path];
  return { name: `motivo[${itemId}]`, domId: domIdOf(path), value, error, open: Boolean(value || error || options.changeReasons.changed.has(itemId)) };
}

/** The conditions of some items, each said once with the questions it governs, in order of appearance. */
function conditionNotes(def: QuestionnaireDefinition, items: readonly RowItem[] | readonly QuestionnaireItem[], row?: readonly RowItem[]): ConditionNote[] {
  const notes = new Map<string, string[]>();
  for (const item of items) {
    if (!item.showIf) continue;
    const text = conditionSentence(def, item.showIf, row);
    notes.set(text, [...(notes.get(text) ?? []), item.label.es]);
  }
  return [...notes].map(([text, labels]) => ({ text, items: labels }));
}

/**
 * The files of an item, or of a row's item: `row` gives the group, the row's place on the page (its
 * file input is "archivo:<group>[<index>].<item>") and its key (where its stored files are).
 */
function filesView(itemId: string, options: FormViewOptions, row?: { group: string; index: number; key?: string }): FilesView | undefined {
  const files = options.files;
  const accepted = row ? `${row.group}.${itemId}` : itemId;
  if (!files?.accepts.has(accepted)) return undefined;
  const stored = row ? (row.key ? files.byItem.get(`${accepted}#${row.key}`) : undefined) : files.byItem.get(itemId);
  const list = (stored ?? []).map((f) => ({ ...f, ...(files.downloadBase && { href: files.downloadBase + f.id }) }));
  const field = row ? `${row.group}[${row.index}].${itemId}` : itemId;
  const path = `${field}:archivo`;
  return { name: FILE_FIELD_PREFIX + field, domId: domIdOf(path), list, editable: files.editable, canAdd: files.editable && list.length < files.maxPerItem, error: options.errors?.[path] };
}

const YES_NO = [
  { id: 'yes', label: 'Sí' },
  { id: 'no', label: 'No' },
];

const domIdOf = (path: string) => `f-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.trim()) return value.split(/\s+/).filter(Boolean);
  return [];
}

function labelOfItem(def: QuestionnaireDefinition, id: string, row?: readonly RowItem[]): QuestionnaireItem | undefined {
  const inRow = row?.find((item) => item.id === id);
  if (inRow) return inRow;
  for (const section of def.sections) for (const item of section.items) if (item.id === id) return item;
  return undefined;
}

/** "Se responde cuando «…» es «Sí»" for readers without the page script. */
export function conditionSentence(def: QuestionnaireDefinition, condition: Condition, row?: readonly RowItem[]): string {
  if ('all' in condition) return condition.all.map((c) => conditionSentence(def, c, row)).join(' y ');
  if ('any' in condition) return condition.any.map((c) => conditionSentence(def, c, row)).join(' o ');
  const item = labelOfItem(def, condition.item, row);
  const valueLabel = (value: string | number) => {
    if (item?.kind === 'yesno') return value === 'yes' ? 'Sí' : 'No';
    if (item && (item.kind === 'single' || item.kind === 'multiple')) return item.choices.find((c) => c.id === value)?.label.es ?? String(value);
    return String(value);
  };
  const values = 'equals' in condition ? [condition.equals] : condition.in;
  return `«${item?.label.es ?? condition.item}» es ${values.map((v) => `«${valueLabel(v)}»`).join(' o ')}`;
}

function displayOf(item: RowItem, value: unknown, institution: InstitutionContext): { display: string; links?: string[] } {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0 && item.kind !== 'multiple')) return { display: 'Sin respuesta' };
  switch (item.kind) {
    case 'yesno':
      return { display: value === 'yes' || value === true ? 'Sí' : value === 'no' || value === false ? 'No' : String(value) };
    case 'single':
      return { display: applicableChoices(item, institution).find((c) => c.id === value)?.label.es ?? String(value) };
    case 'multiple': {
      const chosen = asList(value);
      return { display: chosen.length ? chosen.map((id) => item.choices.find((c) => c.id === id)?.label.es ?? id).join('; ') : 'Ninguna' };
    }
    case 'evidence':
    case 'url': {
      const links = asList(value);
      return { display: links.join(' '), links };
    }
    case 'number':
      return { display: `${String(value)}${item.unit ? ` ${item.unit.es}` : ''}` };
    default:
      return { display: String(value) };
  }
}

function fieldView(
  def: QuestionnaireDefinition,
  item: RowItem,
  values: Record<string, unknown>,
  names: { path: string; name: (id: string) => string },
  options: FormViewOptions,
  shown: boolean,
  row?: readonly RowItem[],
): FieldView {
  const value = values[item.id];
  const evidenceValue = values[item.id + EVIDENCE_SUFFIX];
  const selected = new Set(asList(value));
  const choices =
    item.kind === 'yesno' ? YES_NO : item.kind === 'single' || item.kind === 'multiple' ? applicableChoices(item, options.institution).map((c) => ({ id: c.id, label: c.label.es, help: c.help?.es })) : undefined;
  const domId = domIdOf(names.path);
  const evidencePath = names.path + EVIDENCE_SUFFIX;
  const scalar = Array.isArray(value) ? value.join(item.kind === 'evidence' ? '\n' : ' ') : value === undefined || value === null ? '' : String(value);
  return {
    path: names.path,
    itemId: item.id,
    name: names.name(item.id),
    domId,
    kind: item.kind,
    [`is${item.kind[0]!.toUpperCase()}${item.kind.slice(1)}`]: true,
    isChoice: Boolean(choices),
    isRadio: item.kind === 'yesno' || item.kind === 'single',
    label: item.label.es,
    help: item.help?.es,
    required: Boolean(item.required),
    value: scalar,
    choices: choices?.map((c) => ({ ...c, checked: item.kind === 'yesno' ? scalar === c.id || (c.id === 'yes' && String(value) === 'true') || (c.id === 'no' && String(value) === 'false') : selected.has(c.id), domId: `${domId}-${c.id}` })),
    ...(item.kind === 'number' && { min: item.min, max: item.max, step: item.integer ? '1' : 'any', unit: item.unit?.es }),
    ...(item.kind === 'text' && { maxLength: item.maxLength, multiline: Boolean(item.multiline) }),
    ...(item.showIf && { showIf: JSON.stringify(item.showIf), conditionText: conditionSentence(def, item.showIf, row) }),
    hiddenNow: !shown,
    ...(item.evidence && {
      evidence: {
        name: names.name(item.id + EVIDENCE_SUFFIX),
        domId: domIdOf(evidencePath),
        value: Array.isArray(evidenceValue) ? evidenceValue.join(' ') : evidenceValue === undefined ? '' : String(evidenceValue),
        error: options.errors?.[evidencePath],
      },
    }),
    ...(!row && { anchor: `pregunta-${item.id}`, files: filesView(item.id, options), changeReason: changeReasonView(item.id, options) }),
    error: options.errors?.[names.path],
    comment: options.comments?.[names.path],
    ...displayOf(item, value, options.institution),
  };
}

/** The page model of a questionnaire for an institution, from stored answers or a re-posted form. */
export function questionnaireView(def: QuestionnaireDefinition, answers: FormAnswers, options: FormViewOptions): SectionView[] {
  const shownIds = new Set(visibleItems(def, answers, options.institution).map((view) => view.item.id));
  return def.sections
    .map((section): Omit<SectionView, 'number'> => {
      const applying = section.items.filter((item) => appliesToInstitution(item.appliesTo, options.institution));
      return {
      id: section.id,
      title: section.title.es,
      description: section.description?.es,
      conditions: conditionNotes(def, applying),
      items: applying
        .map((item): FieldView | GroupView => {
          if (item.kind !== 'group') {
            return fieldView(def, item, answers, { path: item.id, name: (id) => id }, options, shownIds.has(item.id));
          }
          const stored = Array.isArray(answers[item.id]) ? (answers[item.id] as Record<string, unknown>[]) : [];
          const rows = stored.map((values, index) => ({ values, index, isNew: false }));
          if (options.newRows && rows.length < item.maxRows) rows.push({ values: {}, index: rows.length, isNew: true });
          const rowLabel = item.rowLabel?.es ?? 'Registro';
          const children = item.items.filter((child) => appliesToInstitution(child.appliesTo, options.institution));
          const keyOf = (values: Record<string, unknown>) => (typeof values[ROW_KEY] === 'string' ? (values[ROW_KEY] as string) : undefined);
          return {
            isGroup: true,
            anchor: `pregunta-${item.id}`,
            conditions: conditionNotes(def, children, item.items),
            changeReason: changeReasonView(item.id, options),
            path: item.id,
            itemId: item.id,
            domId: domIdOf(item.id),
            label: item.label.es,
            help: item.help?.es,
            required: Boolean(item.required) || (item.minRows ?? 0) > 0,
            rowLabel,
            error: options.errors?.[item.id],
            comment: options.comments?.[item.id],
            display: `${stored.length} ${stored.length === 1 ? 'registro' : 'registros'}`,
            rows: rows.map(({ values, index, isNew }): RowView => {
              const key = keyOf(values);
              return {
                index,
                isNew,
                label: isNew ? `${rowLabel} (nueva fila)` : `${rowLabel} ${index + 1}`,
                ...(key && { key: { name: `${item.id}[${index}][${ROW_KEY}]`, value: key } }),
                ...(options.removableRows && !isNew && { remove: { name: `${item.id}[${index}][${ROW_REMOVE}]`, domId: domIdOf(`${item.id}[${index}]:quitar`), label: `Quitar ${rowLabel} ${index + 1} al guardar, con sus archivos de evidencia` } }),
                fields: children.map((child) => {
                  const field = fieldView(def, child, values, { path: `${item.id}[${index}].${child.id}`, name: (id) => `${item.id}[${index}][${id}]` }, options, !child.showIf || !isNew, item.items);
                  const files = filesView(child.id, options, { group: item.id, index, key });
                  return files ? { ...field, files } : field;
                }),
              };
            }),
          };
        }),
      };
    })
    .filter((section) => section.items.length > 0)
    .map((section, index) => ({ ...section, number: index + 1 }));
}

/** Engine errors keyed by path, for the fields; the summary keeps their order. */
export function errorsByPath(errors: readonly { field: string; reason: string }[]): Record<string, string> {
  const byPath: Record<string, string> = {};
  for (const error of errors) byPath[error.field] ??= error.reason;
  return byPath;
}

/** Labels for the error summary: "Sección › pregunta" instead of raw ids. */
export function labelledErrors(def: QuestionnaireDefinition, errors: readonly { field: string; reason: string }[]) {
  return errors.map((error) => {
    if (error.field === 'reason') return { ...error, label: 'Motivo de los cambios' };
    const match = /^([A-Za-z0-9_]+)(?:\[(\d+)\]\.([A-Za-z0-9_]+))?(:evidence|:archivo|:motivo)?$/.exec(error.field);
    if (!match) return { ...error, label: error.field || 'Respuestas' };
    const [, top, index, child, suffix] = match;
    const evidence = suffix === ':evidence' ? 'evidencia' : suffix === ':archivo' ? 'archivo de evidencia' : suffix === ':motivo' ? 'motivo del cambio' : undefined;
    const item = labelOfItem(def, top!);
    const group = item?.kind === 'group' ? item : undefined;
    const childItem = group && child ? group.items.find((c) => c.id === child) : undefined;
    // The row as the page names it («Solicitud 3»).
    const rowName = index !== undefined ? `${group?.rowLabel?.es ?? 'Registro'} ${Number(index) + 1}` : undefined;
    const childLabel = child === ROW_KEY ? 'clave de la fila' : (childItem?.label.es ?? child);
    const label = [item?.label.es ?? top, rowName, childLabel, evidence].filter(Boolean).join(' › ');
    return { ...error, label };
  });
}

/** One answer as people read it; a group as its rows, one line each ("Registro 1: …; …"). */
export function answerText(def: QuestionnaireDefinition, itemId: string, value: unknown, institution: InstitutionContext): string {
  const item = labelOfItem(def, itemId);
  if (!item) return value === undefined || value === null ? 'Sin respuesta' : String(value);
  if (item.kind !== 'group') return displayOf(item, value, institution).display;
  const rows = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  if (rows.length === 0) return 'Sin registros';
  const rowLabel = item.rowLabel?.es ?? 'Registro';
  return rows
    .map((row, i) => `${rowLabel} ${i + 1}: ${item.items.filter((child) => row[child.id] !== undefined).map((child) => `${child.label.es}: ${displayOf(child, row[child.id], institution).display}`).join('; ')}`)
    .join('\n');
}

export interface ConflictItem {
  itemId: string;
  label: string;
  mine: string;
  saved: string;
}

/**
 * The items whose answer (or evidence link) differs between what the person posted and what is
 * stored now, for the «su versión / versión guardada» choice. Posted values are compared in the
 * engine's normal form where they are valid, as posted where they are not.
 */
export function answerConflicts(def: QuestionnaireDefinition, mine: FormAnswers, saved: FormAnswers, institution: InstitutionContext, normalise: (answers: FormAnswers) => FormAnswers): ConflictItem[] {
  const normal = normalise(mine);
  const posted = (key: string) => (Object.hasOwn(normal, key) ? normal[key] : mine[key]);
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const conflicts: ConflictItem[] = [];
  for (const section of def.sections) {
    for (const item of section.items) {
      if (!appliesToInstitution(item.appliesTo, institution)) continue;
      const evidenceKey = item.id + EVIDENCE_SUFFIX;
      if (same(posted(item.id), saved[item.id]) && same(posted(evidenceKey), saved[evidenceKey])) continue;
      const withEvidence = (value: unknown, evidence: unknown) => {
        const text = answerText(def, item.id, value, institution);
        return evidence === undefined || evidence === null || evidence === '' ? text : `${text}\nEvidencia: ${String(evidence)}`;
      };
      conflicts.push({ itemId: item.id, label: item.label.es, mine: withEvidence(posted(item.id), posted(evidenceKey)), saved: withEvidence(saved[item.id], saved[evidenceKey]) });
    }
  }
  return conflicts;
}

/** The stored answers with the chosen items taken from the posted ones (and their evidence links). */
export function resolveConflicts(def: QuestionnaireDefinition, mine: FormAnswers, saved: FormAnswers, takeMine: ReadonlySet<string>): FormAnswers {
  const merged: FormAnswers = { ...saved };
  for (const itemId of takeMine) {
    if (!labelOfItem(def, itemId)) continue;
    for (const key of [itemId, itemId + EVIDENCE_SUFFIX]) {
      if (Object.hasOwn(mine, key)) merged[key] = mine[key];
      else delete merged[key];
    }
  }
  return merged;
}
