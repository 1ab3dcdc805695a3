/**
 * Questionnaires as HTML forms: the view model a page renders (labels, values, conditions, errors,
 * comments) and the answers read back from a posted form. The engine stays the only judge of answers:
 * this module only moves values between field names and the engine's answer shape.
 */
import {
  EVIDENCE_SUFFIX,
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
const RESERVED_FIELDS = new Set(['_csrf', 'action', 'reason', 'complete', 'baseRevision', 'confirmar', 'quitarArchivo']);
const FILE_FIELD_PREFIX = 'archivo:';
const ROW_FIELD = /^([A-Za-z0-9_]+)\[(\d{1,4})\]\[([A-Za-z0-9_]+(?::evidence)?)\]$/;

export type FormAnswers = Record<string, unknown>;

/**
 * Answers from a url-encoded or multipart form: "item" → value, repeated checkboxes → list,
 * "group[3][child]" → row 3 of the group (rows in index order, blank ones kept so error paths match
 * the page). Empty fields are unanswered. Unknown names are passed on for the engine to refuse.
 */
export function answersFromForm(def: QuestionnaireDefinition, body: unknown): FormAnswers {
  const answers: FormAnswers = {};
  const rows = new Map<string, Map<number, Record<string, unknown>>>();
  const multiple = new Set<string>();
  for (const section of def.sections) {
    for (const item of section.items) {
      if (item.kind === 'multiple') multiple.add(item.id);
      if (item.kind === 'group') for (const child of item.items) if (child.kind === 'multiple') multiple.add(`${item.id}.${child.id}`);
    }
  }
  const clean = (key: string, value: unknown): unknown => {
    const list = (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string' && v.trim() !== '');
    if (multiple.has(key)) return list.length ? list : undefined;
    if (list.length === 0) return undefined;
    return list.length === 1 ? list[0] : list;
  };
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (RESERVED_FIELDS.has(key) || key.startsWith(FILE_FIELD_PREFIX)) continue;
    const row = ROW_FIELD.exec(key);
    if (row) {
      const [, group, index, child] = row as unknown as [string, string, string, string];
      const groupRows = rows.get(group) ?? new Map<number, Record<string, unknown>>();
      rows.set(group, groupRows);
      const entry = groupRows.get(Number(index)) ?? {};
      groupRows.set(Number(index), entry);
      const cleaned = clean(`${group}.${child}`, value);
      if (cleaned !== undefined) entry[child] = cleaned;
      continue;
    }
    const cleaned = clean(key, value);
    if (cleaned !== undefined) answers[key] = cleaned;
  }
  for (const [group, byIndex] of rows) {
    const ordered = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
    while (ordered.length && Object.keys(ordered[ordered.length - 1]!).length === 0) ordered.pop();
    if (ordered.length) answers[group] = ordered;
  }
  return answers;
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
  /** Evidence files of an item that takes them (top-level items only). */
  files?: FilesView;
  error?: string;
  comment?: string;
  /** The answer as text, for read-only pages. */
  display: string;
  links?: string[];
  [flag: `is${string}`]: boolean | undefined;
}

export interface GroupView {
  isGroup: true;
  path: string;
  itemId: string;
  domId: string;
  label: string;
  help?: string;
  required: boolean;
  rowLabel: string;
  rows: { index: number; label: string; fields: FieldView[]; isNew: boolean }[];
  error?: string;
  comment?: string;
  display: string;
}

export interface SectionView {
  id: string;
  title: string;
  description?: string;
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
  /** Items that take files. */
  accepts: ReadonlySet<string>;
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
  /** Evidence files attached to items (their errors come in `errors` under "<item>:archivo"). */
  files?: EvidenceFilesOptions;
}

function filesView(itemId: string, options: FormViewOptions): FilesView | undefined {
  const files = options.files;
  if (!files?.accepts.has(itemId)) return undefined;
  const list = (files.byItem.get(itemId) ?? []).map((f) => ({ ...f, ...(files.downloadBase && { href: files.downloadBase + f.id }) }));
  const path = `${itemId}:archivo`;
  return { name: FILE_FIELD_PREFIX + itemId, domId: domIdOf(path), list, editable: files.editable, canAdd: files.editable && list.length < files.maxPerItem, error: options.errors?.[path] };
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
function conditionSentence(def: QuestionnaireDefinition, condition: Condition, row?: readonly RowItem[]): string {
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
    ...(!row && { files: filesView(item.id, options) }),
    error: options.errors?.[names.path],
    comment: options.comments?.[names.path],
    ...displayOf(item, value, options.institution),
  };
}

/** The page model of a questionnaire for an institution, from stored answers or a re-posted form. */
export function questionnaireView(def: QuestionnaireDefinition, answers: FormAnswers, options: FormViewOptions): SectionView[] {
  const shownIds = new Set(visibleItems(def, answers, options.institution).map((view) => view.item.id));
  return def.sections
    .map((section): SectionView => ({
      id: section.id,
      title: section.title.es,
      description: section.description?.es,
      items: section.items
        .filter((item) => appliesToInstitution(item.appliesTo, options.institution))
        .map((item): FieldView | GroupView => {
          if (item.kind !== 'group') {
            return fieldView(def, item, answers, { path: item.id, name: (id) => id }, options, shownIds.has(item.id));
          }
          const stored = Array.isArray(answers[item.id]) ? (answers[item.id] as Record<string, unknown>[]) : [];
          const rows = stored.map((values, index) => ({ values, index, isNew: false }));
          if (options.newRows && rows.length < item.maxRows) rows.push({ values: {}, index: rows.length, isNew: true });
          const rowLabel = item.rowLabel?.es ?? 'Registro';
          return {
            isGroup: true,
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
            rows: rows.map(({ values, index, isNew }) => ({
              index,
              isNew,
              label: isNew ? `${rowLabel} (nueva fila)` : `${rowLabel} ${index + 1}`,
              fields: item.items
                .filter((child) => appliesToInstitution(child.appliesTo, options.institution))
                .map((child) =>
                  fieldView(def, child, values, { path: `${item.id}[${index}].${child.id}`, name: (id) => `${item.id}[${index}][${id}]` }, options, !child.showIf || !isNew, item.items),
                ),
            })),
          };
        }),
    }))
    .filter((section) => section.items.length > 0);
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
    const match = /^([A-Za-z0-9_]+)(?:\[(\d+)\]\.([A-Za-z0-9_]+))?(:evidence|:archivo)?$/.exec(error.field);
    if (!match) return { ...error, label: error.field || 'Respuestas' };
    const [, top, index, child, suffix] = match;
    const evidence = suffix === ':evidence' ? 'evidencia' : suffix === ':archivo' ? 'archivo de evidencia' : undefined;
    const item = labelOfItem(def, top!);
    const childItem = item?.kind === 'group' && child ? item.items.find((c) => c.id === child) : undefined;
    const label = [item?.label.es ?? top, index !== undefined ? `registro ${Number(index) + 1}` : undefined, childItem?.label.es ?? child, evidence].filter(Boolean).join(' › ');
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
