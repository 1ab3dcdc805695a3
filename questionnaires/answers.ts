/**
 * From questionnaire answers to the values of methodology variables, for scoring/engine.ts: each
 * scored item gives a 0–1 score by its rule, and a variable is the mean (or the stated weighted mean)
 * of the scores of the items that feed it. Pure: no I/O.
 */
import {
  applicableChoices,
  isShown,
  resolveAnswers,
  topLevelItems,
  validateAnswers,
  type AnswerContext,
  type AnswerError,
  type AnswerValue,
  type DayCount,
  type GroupItem,
  type ItemState,
  type QuestionnaireDefinition,
  type RowItem,
  type ScoringRuleName,
  type SpeedRule,
  type StateLookup,
} from './engine.js';
import { methodologyGraph, type Methodology } from '../scoring/methodology.js';
import { isBuiltinMethodologyId, loadBuiltinMethodology } from './methodologies.js';

export interface ScoredAnswer {
  /** Item id, or a row path such as "requests[2].dateAnswered". */
  item: string;
  /** The normalised answer; null when the item does not apply and counts as 0. */
  answer: AnswerValue | null;
  score: number;
  /** How the score follows from the answer, e.g. "25 días hábiles; plazo 20, 0 a los 40". */
  detail?: string;
  /** The facts the score was computed from, for explanations in words (questionnaires/explain/). */
  basis?: ScoreBasis;
}

/** What a score was computed from: the numbers an explanation shows so a person can redo the sum. */
export type ScoreBasis =
  | { rule: 'yes1no0' }
  /** `points` is the choice's score; with a scale, the score is points ÷ scale. */
  | { rule: 'choiceScore'; choice: string; points: number; scale?: number }
  /** Choice ids ticked among those that apply, and every choice that applies to the institution. */
  | { rule: 'checklistShare'; ticked: string[]; applicable: string[] }
  | { rule: 'speed'; from: string; to: string; days: number; dayCount: DayCount; deadline: number; zeroAt: number }
  /** The item did not apply and counts 0 (notApplicable "zero"). */
  | { rule: 'notApplicable'; because: 'appliesTo' | 'showIf' }
  /** A group's item: the mean of its row scores. */
  | { rule: 'mean'; rows: number };

export interface ItemContribution extends ScoredAnswer {
  questionnaire: string;
  rule: ScoringRuleName;
  weight: number;
  /** Did not apply and counts as 0 (notApplicable "zero"). */
  notApplicable?: true;
  /** Items inside a group: the score of each row; `score` is their mean. */
  rows?: ScoredAnswer[];
}

export interface VariableExplanation {
  /** How the item scores combine: plain mean, or weighted mean when an item states a weight. */
  rule: 'mean' | 'weighted-mean';
  value: number;
  items: ItemContribution[];
  /** Items or rows left out because they do not apply (notApplicable "exclude"). */
  notApplicable?: string[];
}

export interface AnswerVariables {
  /** Variable id → value, only for variables with at least one applicable answer. */
  values: Record<string, number>;
  explanation: Record<string, VariableExplanation>;
  /** Variables of the methodology without a value (nothing is invented for them). */
  missing: string[];
}

export class AnswersInvalidError extends Error {
  constructor(
    readonly questionnaire: string,
    readonly errors: readonly AnswerError[],
  ) {
    super(`answers to "${questionnaire}" are invalid: ${errors.map((e) => `${e.item || '/'}: ${e.reasonEn}`).join('; ')}`);
    this.name = 'AnswersInvalidError';
  }
}

const MS_PER_DAY = 86_400_000;

function utcDay(isoDate: string): number {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day);
}

/**
 * Days from `from` to `to` (ISO dates, to ≥ from): calendar days, or working days = Mondays to
 * Fridays after `from` up to and including `to` (public holidays are not subtracted).
 */
export function elapsedDays(from: string, to: string, dayCount: DayCount): number {
  const start = utcDay(from);
  const calendarDays = Math.round((utcDay(to) - start) / MS_PER_DAY);
  if (dayCount === 'calendar' || calendarDays <= 0) return calendarDays;
  const fullWeeks = Math.floor(calendarDays / 7);
  const startWeekday = new Date(start).getUTCDay();
  let days = fullWeeks * 5;
  for (let i = 1; i <= calendarDays % 7; i++) {
    const weekday = (startWeekday + i) % 7;
    if (weekday !== 0 && weekday !== 6) days++;
  }
  return days;
}

/** 1 within the deadline, falling linearly to 0 at zeroAtMultiple × deadline, 0 beyond. */
export function speedScore(days: number, deadline: number, zeroAtMultiple: number): number {
  if (days <= deadline) return 1;
  const zeroAt = zeroAtMultiple * deadline;
  return days >= zeroAt ? 0 : (zeroAt - days) / (zeroAt - deadline);
}

const DAY_COUNT_WORDS: Record<DayCount, string> = { working: 'días hábiles', calendar: 'días naturales' };

function answeredValue(state: ItemState | undefined): AnswerValue | undefined {
  return state?.status === 'answered' ? (state.value as AnswerValue) : undefined;
}

function scoreSpeed(rule: SpeedRule, answeredOn: string, lookup: StateLookup): Omit<ScoredAnswer, 'item' | 'answer'> | undefined {
  const from = answeredValue(lookup(rule.from));
  if (typeof from !== 'string') return undefined; // no start date: the speed cannot be known
  const deadlineAnswer = rule.deadlineItem === undefined ? undefined : answeredValue(lookup(rule.deadlineItem));
  const dayCountAnswer = rule.dayCountItem === undefined ? undefined : answeredValue(lookup(rule.dayCountItem));
  const deadline = typeof deadlineAnswer === 'number' ? deadlineAnswer : rule.deadlineDays;
  const dayCount = dayCountAnswer === 'calendar' || dayCountAnswer === 'working' ? dayCountAnswer : rule.dayCount;
  const days = elapsedDays(from, answeredOn, dayCount);
  return {
    score: speedScore(days, deadline, rule.zeroAtMultiple),
    detail: `${days} ${DAY_COUNT_WORDS[dayCount]} desde ${from}; plazo ${deadline}, 0 a los ${rule.zeroAtMultiple * deadline}`,
    basis: { rule: 'speed', from, to: answeredOn, days, dayCount, deadline, zeroAt: rule.zeroAtMultiple * deadline },
  };
}

/** The score of an answered item by its rule; undefined when another answer it needs is missing. */
function scoreAnswer(item: RowItem, value: AnswerValue, lookup: StateLookup, ctx: AnswerContext): Omit<ScoredAnswer, 'item' | 'answer'> | undefined {
  switch (item.scoring?.rule) {
    case 'yes1no0':
      return { score: value === 'yes' ? 1 : 0, basis: { rule: 'yes1no0' } };
    case 'choiceScore': {
      const choice = (item.kind === 'single' ? item.choices : []).find((c) => c.id === value);
      if (!choice || choice.score === undefined) return undefined;
      const scale = item.scoring.scale;
      const basis: ScoreBasis = { rule: 'choiceScore', choice: choice.id, points: choice.score, ...(scale !== undefined && { scale }) };
      return scale === undefined ? { score: choice.score, basis } : { score: choice.score / scale, detail: `${choice.score}/${scale}`, basis };
    }
    case 'checklistShare': {
      const applicable = item.kind === 'multiple' ? applicableChoices(item, ctx.institution).map((c) => c.id) : [];
      const ticked = applicable.filter((id) => (value as readonly string[]).includes(id));
      const met = ticked.length;
      return { score: met / applicable.length, detail: `${met}/${applicable.length}`, basis: { rule: 'checklistShare', ticked, applicable } };
    }
    case 'speed':
      return scoreSpeed(item.scoring, value as string, lookup);
    default:
      return undefined;
  }
}

/** `fromAnswers` is false only for a 0 given because the item does not apply to the institution's type or level. */
type Outcome = { kind: 'scored'; scored: Omit<ScoredAnswer, 'item'>; notApplicable: boolean; fromAnswers: boolean } | { kind: 'excluded' } | { kind: 'none' };

/** What a scored item contributes in its state: a score, exclusion, or nothing yet (unanswered). */
function outcomeOf(item: RowItem, state: ItemState | undefined, lookup: StateLookup, ctx: AnswerContext): Outcome {
  if (state?.status === 'notApplicable') {
    if (item.notApplicable !== 'zero') return { kind: 'excluded' };
    const detail = state.because === 'showIf' ? 'oculta por su condición: cuenta 0' : 'no aplica a la institución: cuenta 0';
    const basis: ScoreBasis = { rule: 'notApplicable', because: state.because };
    return { kind: 'scored', scored: { answer: null, score: 0, detail, basis }, notApplicable: true, fromAnswers: state.because === 'showIf' };
  }
  if (state?.status !== 'answered') return { kind: 'none' };
  const value = state.value as AnswerValue;
  const scored = scoreAnswer(item, value, lookup, ctx);
  return scored ? { kind: 'scored', scored: { answer: value, ...scored }, notApplicable: false, fromAnswers: true } : { kind: 'none' };
}

interface Collected {
  items: ItemContribution[];
  notApplicable: string[];
  /** Some contribution follows from an answer (a variable is never valued from applicability alone). */
  fromAnswers: boolean;
}

function contribution(def: QuestionnaireDefinition, item: RowItem, scored: ScoredAnswer, notApplicable: boolean): ItemContribution {
  return {
    questionnaire: def.id,
    item: scored.item,
    rule: item.scoring!.rule,
    weight: item.weight ?? 1,
    answer: scored.answer,
    score: scored.score,
    ...(scored.detail && { detail: scored.detail }),
    ...(scored.basis && { basis: scored.basis }),
    ...(notApplicable && { notApplicable: true as const }),
  };
}

function collect(
  def: QuestionnaireDefinition,
  answers: unknown,
  ctx: AnswerContext,
  byVariable: (variable: string) => Collected,
): void {
  const checked = validateAnswers(def, answers, { ...ctx, mode: 'draft' });
  if (!checked.ok) throw new AnswersInvalidError(def.id, checked.errors);
  const resolution = resolveAnswers(def, checked.answers, ctx.institution);
  const topLookup: StateLookup = (id) => resolution.items.get(id);

  const record = (item: RowItem, path: string, outcome: Outcome) => {
    const target = byVariable(item.feeds!);
    if (outcome.kind === 'excluded') target.notApplicable.push(path);
    if (outcome.kind !== 'scored') return;
    target.items.push(contribution(def, item, { item: path, ...outcome.scored }, outcome.notApplicable));
    target.fromAnswers ||= outcome.fromAnswers;
  };

  const scoreGroupChild = (group: GroupItem, child: RowItem) => {
    const groupState = resolution.items.get(group.id);
    const path = `${group.id}[*].${child.id}`;
    // A group that does not apply makes each of its scored items not apply, by that item's own rule.
    if (!isShown(groupState)) return record(child, path, outcomeOf(child, groupState, topLookup, ctx));
    const target = byVariable(child.feeds!);
    const rows: ScoredAnswer[] = [];
    (resolution.rows.get(group.id) ?? []).forEach((states, r) => {
      const rowPath = `${group.id}[${r}].${child.id}`;
      const outcome = outcomeOf(child, states.get(child.id), (id) => states.get(id) ?? resolution.items.get(id), ctx);
      if (outcome.kind === 'excluded') target.notApplicable.push(rowPath);
      if (outcome.kind !== 'scored') return;
      rows.push({ item: rowPath, ...outcome.scored });
      target.fromAnswers ||= outcome.fromAnswers;
    });
    if (rows.length === 0) return;
    const score = rows.reduce((sum, row) => sum + row.score, 0) / rows.length;
    target.items.push({ ...contribution(def, child, { item: path, answer: null, score, detail: `media de ${rows.length} filas`, basis: { rule: 'mean', rows: rows.length } }, false), rows });
  };

  for (const { item } of topLevelItems(def)) {
    if (item.kind === 'group') {
      for (const child of item.items) if (child.feeds !== undefined) scoreGroupChild(item, child);
    } else if (item.feeds !== undefined) {
      record(item, item.id, outcomeOf(item, resolution.items.get(item.id), topLookup, ctx));
    }
  }
}

function methodologyOf(defs: readonly QuestionnaireDefinition[], given: Methodology | undefined): Methodology | undefined {
  const ids = [...new Set(defs.map((d) => d.methodology))];
  if (ids.length > 1) throw new RangeError(`the questionnaires feed different methodologies: ${ids.join(', ')}`);
  if (given) {
    if (ids[0] !== undefined && ids[0] !== given.id) throw new RangeError(`the questionnaires feed "${ids[0]}", not "${given.id}"`);
    return given;
  }
  const id = ids[0];
  if (id === undefined) return undefined;
  if (!isBuiltinMethodologyId(id)) throw new RangeError(`unknown methodology "${id}"`);
  return loadBuiltinMethodology(id);
}

/**
 * The variable values given by the answers to several questionnaires of one institution (keyed by
 * questionnaire id; questionnaires without answers are skipped). Answers are validated in draft mode
 * first: invalid answers throw AnswersInvalidError rather than being scored.
 */
export function variablesFromAnswers(
  defs: readonly QuestionnaireDefinition[],
  answersByQuestionnaire: Readonly<Record<string, unknown>>,
  ctx: AnswerContext,
  options: { methodology?: Methodology } = {},
): AnswerVariables {
  const methodology = methodologyOf(defs, options.methodology);
  const collected = new Map<string, Collected>();
  const byVariable = (variable: string) => {
    let entry = collected.get(variable);
    if (!entry) collected.set(variable, (entry = { items: [], notApplicable: [], fromAnswers: false }));
    return entry;
  };
  for (const def of defs) {
    if (Object.hasOwn(answersByQuestionnaire, def.id)) collect(def, answersByQuestionnaire[def.id], ctx, byVariable);
  }

  const variables = methodology ? methodologyGraph(methodology).nodes.filter((n) => n.kind === 'variable').map((n) => n.id) : [];
  const values: Record<string, number> = {};
  const explanation: Record<string, VariableExplanation> = {};
  const missing: string[] = [];
  for (const variable of variables) {
    const entry = collected.get(variable);
    if (!entry?.fromAnswers) {
      missing.push(variable);
      continue;
    }
    const totalWeight = entry.items.reduce((sum, i) => sum + i.weight, 0);
    // Every score is in [0, 1]; the bound only absorbs floating-point rounding.
    const value = Math.min(1, entry.items.reduce((sum, i) => sum + i.weight * i.score, 0) / totalWeight);
    values[variable] = value;
    explanation[variable] = {
      rule: entry.items.every((i) => i.weight === 1) ? 'mean' : 'weighted-mean',
      value,
      items: entry.items,
      ...(entry.notApplicable.length > 0 && { notApplicable: entry.notApplicable }),
    };
  }
  return { values, explanation, missing };
}
