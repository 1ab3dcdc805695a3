/**
 * Which items apply to an institution and are shown given the answers so far: the one place that
 * evaluates `appliesTo` and `showIf`, shared by validation, progress, page views and scoring.
 */
import { foldName } from '../scoring/catalogue.js';
import {
  topLevelItems,
  type AppliesTo,
  type Choice,
  type ChoiceItem,
  type Condition,
  type GroupItem,
  type QuestionnaireDefinition,
  type QuestionnaireItem,
} from './definition.js';

export interface InstitutionContext {
  readonly type: string;
  readonly level: string;
}

/**
 * A normalised answer: "yes" | "no" (yesno), a choice id (single), choice ids (multiple), a number,
 * an ISO date "YYYY-MM-DD", a URL, a text, or a list of URLs (evidence).
 */
export type AnswerValue = string | number | readonly string[];
export type AnswerRow = Readonly<Record<string, AnswerValue>>;
/** Normalised answers: item id (or `${id}:evidence`) → value; a group id → its rows. */
export type Answers = Readonly<Record<string, AnswerValue | readonly AnswerRow[]>>;

export type ItemState =
  | { readonly status: 'answered'; readonly value: AnswerValue | readonly AnswerRow[] }
  | { readonly status: 'unanswered' }
  /** Does not apply to the institution (appliesTo) or its condition is false. */
  | { readonly status: 'notApplicable'; readonly because: 'appliesTo' | 'showIf' }
  /** Its condition depends on an item that is shown but not answered yet: hidden, but not "not applicable". */
  | { readonly status: 'pending' };

export type StateLookup = (id: string) => ItemState | undefined;

/** Shown to the respondent (answered or still to answer). */
export function isShown(state: ItemState | undefined): boolean {
  return state?.status === 'answered' || state?.status === 'unanswered';
}

export function appliesToInstitution(appliesTo: AppliesTo | undefined, institution: InstitutionContext): boolean {
  if (!appliesTo) return true;
  const matches = (names: readonly string[] | undefined, value: string) => !names || names.some((name) => foldName(name) === foldName(value));
  return matches(appliesTo.types, institution.type) && matches(appliesTo.levels, institution.level);
}

export function applicableChoices(item: ChoiceItem, institution: InstitutionContext): Choice[] {
  return item.choices.filter((choice) => appliesToInstitution(choice.appliesTo, institution));
}

/**
 * Three-valued: true or false once every item it tests is decided, undefined while a tested item is
 * shown but unanswered. An item that is not applicable has no value, so a test on it is false.
 */
export function evaluateCondition(condition: Condition, lookup: StateLookup): boolean | undefined {
  if ('all' in condition) {
    const results = condition.all.map((c) => evaluateCondition(c, lookup));
    return results.includes(false) ? false : results.includes(undefined) ? undefined : true;
  }
  if ('any' in condition) {
    const results = condition.any.map((c) => evaluateCondition(c, lookup));
    return results.includes(true) ? true : results.includes(undefined) ? undefined : false;
  }
  const state = lookup(condition.item);
  if (!state || state.status === 'notApplicable') return false;
  if (state.status !== 'answered') return undefined;
  const expected = 'equals' in condition ? [condition.equals] : condition.in;
  const value = state.value;
  // A checklist matches when any of the expected choices is selected.
  return Array.isArray(value) ? value.some((v) => expected.includes(v as string)) : expected.includes(value as string | number);
}

function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function resolveItem(item: QuestionnaireItem, value: unknown, institution: InstitutionContext, lookup: StateLookup): ItemState {
  const noChoiceApplies = (item.kind === 'single' || item.kind === 'multiple') && applicableChoices(item, institution).length === 0;
  if (!appliesToInstitution(item.appliesTo, institution) || noChoiceApplies) return { status: 'notApplicable', because: 'appliesTo' };
  if (item.showIf) {
    const shown = evaluateCondition(item.showIf, lookup);
    if (shown === false) return { status: 'notApplicable', because: 'showIf' };
    if (shown === undefined) return { status: 'pending' };
  }
  if (value === undefined) return { status: 'unanswered' };
  return { status: 'answered', value: value as AnswerValue };
}

export type RowStates = ReadonlyMap<string, ItemState>;

export interface Resolution {
  /** States of the top-level items. */
  readonly items: ReadonlyMap<string, ItemState>;
  /** Group id → the states of each row's items (no rows while the group is not shown). */
  readonly rows: ReadonlyMap<string, readonly RowStates[]>;
}

/** States of one row's items; conditions see the row's earlier items first, then the top-level items. */
export function resolveRow(group: GroupItem, row: AnswerRow, institution: InstitutionContext, top: ReadonlyMap<string, ItemState>): RowStates {
  const states = new Map<string, ItemState>();
  for (const child of group.items) {
    states.set(child.id, resolveItem(child, ownValue(row, child.id), institution, (id) => states.get(id) ?? top.get(id)));
  }
  return states;
}

/** States of every item for normalised answers, in declaration order (conditions only look back). */
export function resolveAnswers(def: QuestionnaireDefinition, answers: Answers, institution: InstitutionContext): Resolution {
  const items = new Map<string, ItemState>();
  const rows = new Map<string, RowStates[]>();
  for (const { item } of topLevelItems(def)) {
    const state = resolveItem(item, ownValue(answers, item.id), institution, (id) => items.get(id));
    items.set(item.id, state);
    if (item.kind === 'group') {
      const groupRows = state.status === 'answered' ? (state.value as readonly AnswerRow[]) : [];
      rows.set(item.id, groupRows.map((row) => resolveRow(item, row, institution, items)));
    }
  }
  return { items, rows };
}
