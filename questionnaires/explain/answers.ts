/**
 * From an institution's answers to each methodology variable explained in words: per question its
 * text, the answer in words, the score and the rule that gave it; per citizen-log item, each request
 * or proposal; items that did not apply, why, and how they count; the variable's sum written out.
 * The numbers are those of variablesFromAnswers (answers.ts), never recomputed here. Pure.
 */
import {
  resolveAnswers,
  topLevelItems,
  validateAnswers,
  type AnswerContext,
  type AnswerRow,
  type AnswerValue,
  type GroupItem,
  type ItemState,
  type QuestionnaireDefinition,
  type QuestionnaireItem,
  type Resolution,
  type RowItem,
} from '../engine.js';
import { variablesFromAnswers, type AnswerVariables, type ItemContribution, type ScoredAnswer, type VariableExplanation } from '../answers.js';
import { decimalsThatAddUp, termNumber, valueNumber, weightNumber, type NodeName } from '../../scoring/explanation.js';
import type { Methodology } from '../../scoring/methodology.js';
import { answerWords, notApplicableWords, plural, quote, ruleWords, type ItemLookup } from './words.js';

export interface RowExplanation {
  /** Position of the row in the stored answers (0-based). */
  row: number;
  /** "Solicitud 1 («Número de plazas del personal…»)". */
  label: string;
  answer: string;
  score: number;
  scoreText: string;
  rule: string;
  notApplicable?: true;
}

export interface ItemExplanation {
  /** Questionnaire and item ids, for API clients (pages print the words). */
  questionnaire: string;
  item: string;
  /** The question as the questionnaire asks it. */
  question: string;
  section: string;
  /** For an item asked once per request or proposal: the list it belongs to. */
  group?: string;
  answer: string;
  score: number;
  scoreText: string;
  weight: number;
  rule: string;
  notApplicable?: true;
  rows?: RowExplanation[];
}

export interface ExcludedItem {
  questionnaire: string;
  item: string;
  question: string;
  /** The request or proposal, for an item of a list. */
  row?: string;
  reason: string;
}

/** A sum written out, and whether the rounded numbers shown give the rounded result shown. */
export interface WrittenSum {
  text: string;
  reproducible: boolean;
  shownSum?: string;
}

export interface VariableWords {
  node: string;
  name: string;
  description?: string;
  /** The sub-index it belongs to, and its weight there. */
  parent?: { node: string; short: string; name: string };
  /** Weight in the sub-index, and as printed ("0.5"). */
  weight?: number;
  weightText?: string;
  value: number;
  valueText: string;
  combination: 'mean' | 'weighted-mean';
  /** "Acceso a la información = (1 + 1 + 0.6667 + …) ÷ 8 = 0.7833". */
  formula: WrittenSum;
  items: ItemExplanation[];
  /** Questions that did not apply and are left out of the mean. */
  excluded: ExcludedItem[];
}

/**
 * "(1 + 0.6667 + 0) ÷ 3 = 0.5556" (or weighted: "(3 × 1 + 1 × 0) ÷ (3 + 1) = 0.75"), checked against
 * the rounded numbers it prints.
 */
export function writtenMean(scores: readonly number[], weights: readonly number[] | undefined, result: number): WrittenSum {
  const resultText = valueNumber(result);
  const weighted = weights !== undefined && weights.some((w) => w !== 1);
  const w = (i: number) => (weighted ? weights![i]! : 1);
  const total = scores.reduce((sum, _s, i) => sum + w(i), 0);
  const sum = decimalsThatAddUp(scores.map((value, i) => ({ weight: w(i), value })), total, result);
  const term = (s: number) => termNumber(s, sum.decimals);
  let text: string;
  if (scores.length === 1 && !weighted) text = `${resultText} (una sola pregunta)`;
  else if (weighted) text = `(${scores.map((s, i) => `${termNumber(w(i))} × ${term(s)}`).join(' + ')}) ÷ (${scores.map((_s, i) => termNumber(w(i))).join(' + ')}) = ${resultText}`;
  else text = `(${scores.map(term).join(' + ')}) ÷ ${scores.length} = ${resultText}`;
  return { text, reproducible: sum.reproducible, ...(sum.shownSum !== undefined && { shownSum: sum.shownSum }) };
}

interface Parsed {
  def: QuestionnaireDefinition;
  resolution: Resolution;
  answers: Readonly<Record<string, unknown>>;
  items: Map<string, QuestionnaireItem>;
  sectionOf: Map<string, string>;
}

/** "requests[*].delivered" → group "requests", row "*", child "delivered"; "aiUnit" → item "aiUnit". */
function splitPath(path: string): { id: string; row?: number | '*'; child?: string } {
  const match = /^([^[]+)\[(\*|\d+)\]\.(.+)$/.exec(path);
  if (!match) return { id: path };
  return { id: match[1]!, row: match[2] === '*' ? '*' : Number(match[2]), child: match[3]! };
}

function rowLabel(group: GroupItem, row: number, values: AnswerRow | undefined): string {
  const noun = group.rowLabel?.es ?? 'Fila';
  const text = group.items.find((c) => c.kind === 'text' && typeof values?.[c.id] === 'string' && (values[c.id] as string).trim() !== '');
  return `${noun} ${row + 1}${text ? ` (${quote(values![text.id] as string, 70)})` : ''}`;
}

function parse(def: QuestionnaireDefinition, raw: unknown, ctx: AnswerContext): Parsed {
  const answers = validateAnswers(def, raw, { ...ctx, mode: 'draft' }).answers as Readonly<Record<string, unknown>>;
  const items = new Map<string, QuestionnaireItem>();
  const sectionOf = new Map<string, string>();
  for (const { item, section } of topLevelItems(def)) {
    items.set(item.id, item);
    sectionOf.set(item.id, section.title.es);
  }
  return { def, resolution: resolveAnswers(def, answers as never, ctx.institution), answers, items, sectionOf };
}

export interface ExplainAnswersInput {
  defs: readonly QuestionnaireDefinition[];
  answersByQuestionnaire: Readonly<Record<string, unknown>>;
  context: AnswerContext;
  methodology?: Methodology;
}

/** The answers of one institution scored (variablesFromAnswers) and explained in words. */
export function explainAnswers(input: ExplainAnswersInput, names: ReadonlyMap<string, NodeName>): { variables: AnswerVariables; words: VariableWords[] } {
  const { defs, answersByQuestionnaire, context } = input;
  const variables = variablesFromAnswers(defs, answersByQuestionnaire, context, input.methodology ? { methodology: input.methodology } : {});
  const parsed = new Map(defs.filter((d) => Object.hasOwn(answersByQuestionnaire, d.id)).map((d) => [d.id, parse(d, answersByQuestionnaire[d.id], context)]));
  const words = Object.entries(variables.explanation).map(([node, explanation]) => variableWords(node, explanation, parsed, names, context));
  return { variables, words };
}

function variableWords(node: string, explanation: VariableExplanation, parsed: ReadonlyMap<string, Parsed>, names: ReadonlyMap<string, NodeName>, context: AnswerContext): VariableWords {
  const name = names.get(node);
  const parent = name?.parent !== undefined ? names.get(name.parent) : undefined;
  const items = explanation.items.map((contribution) => itemWords(contribution, parsed.get(contribution.questionnaire)!, context));
  const mean = writtenMean(
    explanation.items.map((i) => i.score),
    explanation.items.map((i) => i.weight),
    explanation.value,
  );
  return {
    node,
    name: name?.name ?? node,
    ...(name?.description && { description: name.description }),
    ...(parent && { parent: { node: parent.node, short: parent.short, name: parent.name }, weight: name!.weight, weightText: weightNumber(name!.weight ?? 0) }),
    value: explanation.value,
    valueText: valueNumber(explanation.value),
    combination: explanation.rule,
    formula: { ...mean, text: `${name?.name ?? node} = ${mean.text}` },
    items,
    excluded: (explanation.notApplicable ?? []).flatMap((path) => {
      // Paths do not say their questionnaire: the first one that has the item does.
      for (const p of parsed.values()) {
        const excluded = excludedWords(path, p, context);
        if (excluded) return [excluded];
      }
      return [];
    }),
  };
}

/** Lookups for the words of one row (its own items first, then the top level) or of the top level. */
function lookups(p: Parsed, group?: GroupItem, row?: number): { lookupItem: ItemLookup; lookupState: (id: string) => ItemState | undefined } {
  const rowStates = group && row !== undefined ? p.resolution.rows.get(group.id)?.[row] : undefined;
  return {
    lookupItem: (id) => (group?.items.find((c) => c.id === id) as QuestionnaireItem | undefined) ?? p.items.get(id),
    lookupState: (id) => rowStates?.get(id) ?? p.resolution.items.get(id),
  };
}

function scoredWords(item: RowItem, scored: ScoredAnswer, p: Parsed, context: AnswerContext, group?: GroupItem, row?: number): { answer: string; rule: string; notApplicable?: true } {
  const look = lookups(p, group, row);
  const basis = scored.basis;
  if (basis?.rule === 'notApplicable') {
    return { answer: basis.because === 'showIf' ? 'No se preguntó' : 'No aplica', rule: notApplicableWords(item, basis.because, 'zero', { institution: context.institution, ...look }), notApplicable: true };
  }
  const answer = scored.answer === null ? '' : answerWords(item, scored.answer as AnswerValue);
  if (!basis) return { answer, rule: scored.detail ?? '' };
  let rule = ruleWords(item, basis, scored.score, look.lookupItem);
  if (basis.rule === 'checklistShare') {
    const missing = basis.applicable.filter((c) => !basis.ticked.includes(c));
    const label = (id: string) => (item.kind === 'multiple' ? item.choices.find((c) => c.id === id)?.label.es : undefined) ?? id;
    if (missing.length > 0) rule += `. Sin marcar: ${missing.map(label).join('; ')}`;
  }
  return { answer, rule };
}

function itemWords(contribution: ItemContribution, p: Parsed, context: AnswerContext): ItemExplanation {
  const path = splitPath(contribution.item);
  const top = p.items.get(path.id)!;
  const base = {
    questionnaire: contribution.questionnaire,
    item: contribution.item,
    section: p.sectionOf.get(path.id) ?? '',
    score: contribution.score,
    scoreText: termNumber(contribution.score),
    weight: contribution.weight,
  };
  if (top.kind !== 'group') {
    return { ...base, question: top.label.es, ...scoredWords(top, contribution, p, context) };
  }
  const child = top.items.find((c) => c.id === path.child)!;
  const noun = (top.rowLabel?.es ?? 'fila').toLowerCase();
  if (!contribution.rows) {
    // The whole list was not asked: the item counts once, by its own rule.
    const look = lookups(p);
    const because = contribution.basis?.rule === 'notApplicable' ? contribution.basis.because : 'showIf';
    return { ...base, question: child.label.es, group: top.label.es, answer: 'No se preguntó', rule: notApplicableWords(top, because, 'zero', { institution: context.institution, ...look }), notApplicable: true };
  }
  const storedRows = (p.answers[top.id] ?? []) as readonly AnswerRow[];
  const rows = contribution.rows.map((scored): RowExplanation => {
    const r = splitPath(scored.item).row as number;
    const words = scoredWords(child, scored, p, context, top, r);
    return { row: r, label: rowLabel(top, r, storedRows[r]), answer: words.answer, score: scored.score, scoreText: termNumber(scored.score), rule: words.rule, ...(words.notApplicable && { notApplicable: true as const }) };
  });
  const mean = writtenMean(rows.map((r) => r.score), undefined, contribution.score);
  const count = `${rows.length} ${plural(noun, rows.length)}`;
  return {
    ...base,
    question: child.label.es,
    group: top.label.es,
    answer: count,
    rule: rows.length === 1 ? `Una sola ${noun}: su puntaje` : `Promedio de ${count}: ${mean.text}${mean.reproducible ? '' : ` (con los puntajes sin redondear; con los mostrados da ${mean.shownSum})`}`,
    rows,
  };
}

function excludedWords(path: string, p: Parsed, context: AnswerContext): ExcludedItem | undefined {
  const split = splitPath(path);
  const top = p.items.get(split.id);
  if (!top) return undefined;
  const base = { questionnaire: p.def.id, item: path };
  if (top.kind !== 'group' || split.child === undefined) {
    const state = p.resolution.items.get(top.id);
    const because = state?.status === 'notApplicable' ? state.because : 'appliesTo';
    return { ...base, question: top.label.es, reason: notApplicableWords(top, because, 'exclude', { institution: context.institution, ...lookups(p) }) };
  }
  const child = top.items.find((c) => c.id === split.child);
  if (!child) return undefined;
  if (split.row === '*') {
    const state = p.resolution.items.get(top.id);
    const because = state?.status === 'notApplicable' ? state.because : 'appliesTo';
    return { ...base, question: child.label.es, reason: notApplicableWords(top, because, 'exclude', { institution: context.institution, ...lookups(p) }) };
  }
  const row = split.row!;
  const state = p.resolution.rows.get(top.id)?.[row]?.get(child.id);
  const because = state?.status === 'notApplicable' ? state.because : 'appliesTo';
  const storedRows = (p.answers[top.id] ?? []) as readonly AnswerRow[];
  return {
    ...base,
    question: child.label.es,
    row: rowLabel(top, row, storedRows[row]),
    reason: notApplicableWords(child, because, 'exclude', { institution: context.institution, ...lookups(p, top, row) }),
  };
}
