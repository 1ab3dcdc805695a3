/** What a page shows for the answers so far, and how far the respondent has got. */
import { topLevelItems, type Choice, type GroupItem, type QuestionnaireDefinition, type QuestionnaireItem } from './definition.js';
import { applicableChoices, isShown, resolveAnswers, resolveRow, type InstitutionContext, type ItemState, type RowStates } from './resolve.js';
import { normaliseAnswers, type AnswerContext } from './validation.js';

export interface ItemView {
  readonly section: string;
  readonly item: QuestionnaireItem;
  /** single / multiple: the choices that apply to the institution. */
  readonly choices?: readonly Choice[];
  /** group: for each answered row (blank rows dropped), the items shown in it. */
  readonly rows?: readonly (readonly ItemView[])[];
  /** group: the items shown in a new, empty row. */
  readonly newRow?: readonly ItemView[];
}

function viewsOf(section: string, items: readonly QuestionnaireItem[], states: ReadonlyMap<string, ItemState>, institution: InstitutionContext): ItemView[] {
  return items
    .filter((item) => isShown(states.get(item.id)))
    .map((item) => ({ section, item, ...((item.kind === 'single' || item.kind === 'multiple') && { choices: applicableChoices(item, institution) }) }));
}

/**
 * The items to show, in order: those that apply to the institution and whose condition holds for the
 * answers (raw or normalised). An item whose condition tests a still unanswered item is not shown.
 */
export function visibleItems(def: QuestionnaireDefinition, answers: unknown, institution: InstitutionContext): ItemView[] {
  const resolution = resolveAnswers(def, normaliseAnswers(def, answers, institution), institution);
  return topLevelItems(def).flatMap(({ section, item }) =>
    viewsOf(section.id, [item], resolution.items, institution).map((view) => {
      if (item.kind !== 'group') return view;
      const rows = (resolution.rows.get(item.id) ?? []).map((states) => viewsOf(section.id, item.items, states, institution));
      const newRow = viewsOf(section.id, item.items, resolveRow(item, {}, institution, resolution.items), institution);
      return { ...view, rows, newRow };
    }),
  );
}

export interface SectionProgress {
  readonly id: string;
  /** Shown items (a group counts as one) that are answered. */
  readonly answered: number;
  /** Shown items that are required (a group when it is required or has minRows). */
  readonly required: number;
  readonly requiredAnswered: number;
  /** Shown items. */
  readonly total: number;
}

export interface Progress extends Omit<SectionProgress, 'id'> {
  /** Share of the required items answered, 0–100 rounded down (of all shown items when none is required). */
  readonly percent: number;
  /** Every required item answered: submission will not fail for missing answers. */
  readonly complete: boolean;
  readonly sections: readonly SectionProgress[];
}

/** A group is answered once it has its minimum rows (at least one) and no row lacks a required item. */
function groupAnswered(group: GroupItem, rows: readonly RowStates[]): boolean {
  return (
    rows.length >= Math.max(1, group.minRows ?? 0) &&
    rows.every((states) => group.items.every((child) => !child.required || states.get(child.id)?.status !== 'unanswered'))
  );
}

export function progress(def: QuestionnaireDefinition, answers: unknown, ctx: AnswerContext): Progress {
  const resolution = resolveAnswers(def, normaliseAnswers(def, answers, ctx.institution), ctx.institution);
  const sections = def.sections.map((section): SectionProgress => {
    const counts = { id: section.id, answered: 0, required: 0, requiredAnswered: 0, total: 0 };
    for (const item of section.items) {
      const state = resolution.items.get(item.id);
      if (!isShown(state)) continue;
      const required = item.kind === 'group' ? Boolean(item.required) || (item.minRows ?? 0) > 0 : Boolean(item.required);
      const answered = item.kind === 'group' ? groupAnswered(item, resolution.rows.get(item.id) ?? []) : state!.status === 'answered';
      counts.total++;
      if (answered) counts.answered++;
      if (required) counts.required++;
      if (required && answered) counts.requiredAnswered++;
    }
    return counts;
  });
  const sum = (key: 'answered' | 'required' | 'requiredAnswered' | 'total') => sections.reduce((total, s) => total + s[key], 0);
  const [answered, required, requiredAnswered, total] = [sum('answered'), sum('required'), sum('requiredAnswered'), sum('total')];
  const percent = required > 0 ? Math.floor((100 * requiredAnswered) / required) : total > 0 ? Math.floor((100 * answered) / total) : 100;
  return { answered, required, requiredAnswered, total, percent, complete: requiredAnswered === required, sections };
}
