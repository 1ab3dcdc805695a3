/**
 * Answers, conditions and scoring rules of a questionnaire in plain Spanish words, from the
 * definition's own labels: what the explanations and the Metodología page print instead of the
 * definition's ids and option codes. Pure.
 */
import type { ScoreBasis } from '../answers.js';
import type { AnswerValue, AppliesTo, Condition, ConditionValue, DayCount, InstitutionContext, ItemState, QuestionnaireItem, RowItem, SpeedRule } from '../engine.js';
import { appliesToInstitution } from '../engine.js';
import { foldName } from '../../scoring/catalogue.js';
import { termNumber, valueNumber } from '../../scoring/explanation.js';

export const YES_NO_WORDS: Readonly<Record<string, string>> = { yes: 'Sí', no: 'No' };
export const DAY_COUNT_WORDS: Readonly<Record<DayCount, string>> = { working: 'días hábiles', calendar: 'días naturales' };

const dateFormat = new Intl.DateTimeFormat('es-MX', { dateStyle: 'long', timeZone: 'UTC' });

/** "2016-08-01" → "1 de agosto de 2016". */
export function dateWords(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? isoDate : dateFormat.format(date);
}

/** "«texto»", cut to `max` characters at a word boundary. */
export function quote(text: string, max = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return `«${flat}»`;
  const cut = flat.slice(0, max - 1);
  return `«${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2)).trimEnd()}…»`;
}

/** "a", "a y b", "a, b y c" (or "o"). */
export function listWords(words: readonly string[], conjunction: 'y' | 'o' = 'y'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`;
}

/** "solicitud" → "solicitudes", "propuesta" → "propuestas". */
export function plural(noun: string, n: number): string {
  if (n === 1) return noun;
  if (/ón$/.test(noun)) return `${noun.slice(0, -2)}ones`;
  return /[aeiouáéó]$/i.test(noun) ? `${noun}s` : `${noun}es`;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

/** The label of a choice (or Sí/No) for a stored value of an item. */
export function valueWords(item: QuestionnaireItem | undefined, value: ConditionValue): string {
  if (!item) return String(value);
  if (item.kind === 'yesno') return YES_NO_WORDS[String(value)] ?? String(value);
  if (item.kind === 'single' || item.kind === 'multiple') return item.choices.find((c) => c.id === value)?.label.es ?? String(value);
  return String(value);
}

/** An answer in words: option labels, Sí/No, dates spelled out, numbers with their unit. */
export function answerWords(item: QuestionnaireItem, value: AnswerValue): string {
  switch (item.kind) {
    case 'yesno':
    case 'single':
      return valueWords(item, value as string);
    case 'multiple': {
      const ticked = value as readonly string[];
      return ticked.length === 0 ? 'Ninguna opción marcada' : ticked.map((v) => valueWords(item, v)).join('; ');
    }
    case 'number':
      return `${new Intl.NumberFormat('es-MX').format(value as number)}${item.unit ? ` ${item.unit.es}` : ''}`;
    case 'date':
      return dateWords(value as string);
    case 'evidence':
      return (value as readonly string[]).join(' ');
    default:
      return String(value);
  }
}

/** Who an `appliesTo` covers, in words ("sujetos obligados de tipo Municipio o Partido"). */
export function appliesToWords(appliesTo: AppliesTo): string {
  const parts: string[] = [];
  if (appliesTo.types) parts.push(`de tipo ${listWords(appliesTo.types, 'o')}`);
  if (appliesTo.levels) parts.push(`de nivel ${listWords(appliesTo.levels.map(lowerFirst), 'o')}`);
  return `sujetos obligados ${parts.join(' y ')}`;
}

/** Finds the definition of an item a condition tests: in the same row first, then at the top level. */
export type ItemLookup = (id: string) => QuestionnaireItem | undefined;

/** The condition in words, as a clause: "«¿Se recibió respuesta?» es «Sí»". */
export function conditionWords(condition: Condition, lookupItem: ItemLookup): string {
  if ('all' in condition) return listWords(condition.all.map((c) => conditionWords(c, lookupItem)), 'y');
  if ('any' in condition) return listWords(condition.any.map((c) => conditionWords(c, lookupItem)), 'o');
  const item = lookupItem(condition.item);
  const label = item?.label.es ?? condition.item;
  const expected = 'equals' in condition ? [condition.equals] : condition.in;
  const values = listWords(expected.map((v) => `«${valueWords(item, v)}»`), 'o');
  if (item?.kind === 'multiple') return `en «${label}» se marca ${values}`;
  return `la respuesta a «${label}» es ${values}`;
}

export type NotApplicableCount = 'zero' | 'exclude';

const countWords = (counts: NotApplicableCount) => (counts === 'zero' ? 'cuenta 0' : 'no cuenta en el promedio');

/**
 * Why an item was not asked or does not apply, and how it counts: "No se preguntó: solo se pregunta
 * si la respuesta a «¿Se recibió respuesta?» es «Sí», y fue «No». Cuenta 0."
 */
export function notApplicableWords(
  item: QuestionnaireItem,
  because: 'appliesTo' | 'showIf',
  counts: NotApplicableCount,
  context: { institution: InstitutionContext; lookupItem: ItemLookup; lookupState: (id: string) => ItemState | undefined },
): string {
  const how = countWords(counts);
  if (because === 'appliesTo') {
    const { institution } = context;
    if (item.appliesTo && !appliesToInstitution(item.appliesTo, institution)) {
      const typeFits = !item.appliesTo.types || item.appliesTo.types.some((t) => foldName(t) === foldName(institution.type));
      const whom = typeFits ? `de nivel ${lowerFirst(institution.level)}` : `de tipo ${institution.type}`;
      return `No aplica a los sujetos obligados ${whom}: ${how}.`;
    }
    return `Ninguna de sus opciones aplica a los sujetos obligados de tipo ${institution.type}: ${how}.`;
  }
  const condition = item.showIf;
  if (!condition) return `No se preguntó: ${how}.`;
  const clause = conditionWords(condition, context.lookupItem);
  if (!('all' in condition) && !('any' in condition)) {
    const tested = context.lookupItem(condition.item);
    const state = context.lookupState(condition.item);
    if (tested && state?.status === 'answered') {
      return `No se preguntó: solo se pregunta si ${clause}, y fue «${answerWords(tested, state.value as AnswerValue)}». ${capitalise(how)}.`;
    }
    if (state?.status === 'notApplicable') {
      return `No se preguntó: solo se pregunta si ${clause}, y esa pregunta tampoco se hizo. ${capitalise(how)}.`;
    }
  }
  return `No se preguntó: solo se pregunta si ${clause}, y no es así. ${capitalise(how)}.`;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * How a score follows from an answer, in words, with the numbers a person needs to redo it:
 * "1 de 3 posibles: Personal que comparte esta tarea con otras funciones".
 */
export function ruleWords(item: RowItem, basis: ScoreBasis, score: number, lookupItem: ItemLookup): string {
  switch (basis.rule) {
    case 'yes1no0':
      return 'Sí vale 1; No vale 0';
    case 'choiceScore': {
      const label = valueWords(item, basis.choice);
      return basis.scale === undefined
        ? `${termNumber(basis.points)} de 1 posible: ${label}`
        : `${termNumber(basis.points)} de ${basis.scale} posibles: ${label}`;
    }
    case 'checklistShare': {
      const n = basis.applicable.length;
      return `${basis.ticked.length} de ${n} ${plural('opción', n)} que aplican: ${basis.ticked.length} ÷ ${n}`;
    }
    case 'speed': {
      const days = DAY_COUNT_WORDS[basis.dayCount];
      const fromLabel = item.scoring?.rule === 'speed' ? lookupItem((item.scoring as SpeedRule).from)?.label.es : undefined;
      const span = `${basis.days} ${days} del ${dateWords(basis.from)}${fromLabel ? ` («${fromLabel}»)` : ''} al ${dateWords(basis.to)}`;
      const scale = `plazo de ${basis.deadline} ${days}; 0 a los ${basis.zeroAt}`;
      if (basis.days <= basis.deadline) return `${span}; ${scale}: dentro del plazo vale 1`;
      if (basis.days >= basis.zeroAt) return `${span}; ${scale}: vale 0`;
      return `${span}; ${scale}: (${basis.zeroAt} − ${basis.days}) ÷ (${basis.zeroAt} − ${basis.deadline}) = ${valueNumber(score)}`;
    }
    case 'notApplicable':
      return 'No aplica: cuenta 0';
    case 'mean':
      return `Promedio de ${basis.rows}`;
  }
}

/** The rule of an item in general (for the Metodología page), independent of any answer. */
export function generalRuleWords(item: RowItem, lookupItem: ItemLookup): string {
  const scoring = item.scoring;
  switch (scoring?.rule) {
    case 'yes1no0':
      return 'Sí vale 1; No vale 0.';
    case 'choiceScore': {
      const choices = item.kind === 'single' ? item.choices : [];
      const scale = scoring.scale;
      return `${choices.map((c) => `«${c.label.es}» vale ${scale === undefined ? termNumber(c.score ?? 0) : `${c.score ?? 0} de ${scale}`}`).join('; ')}.${scale === undefined ? '' : ` El puntaje es los puntos entre ${scale}.`}`;
    }
    case 'checklistShare':
      return 'Opciones marcadas entre opciones que aplican al sujeto obligado (cada opción pesa lo mismo).';
    case 'speed': {
      const from = lookupItem(scoring.from)?.label.es ?? scoring.from;
      const deadlineItem = scoring.deadlineItem ? lookupItem(scoring.deadlineItem)?.label.es : undefined;
      const dayCountItem = scoring.dayCountItem ? lookupItem(scoring.dayCountItem)?.label.es : undefined;
      const days = DAY_COUNT_WORDS[scoring.dayCount];
      const m = scoring.zeroAtMultiple;
      return [
        `Se cuentan los ${days}${scoring.dayCount === 'working' ? ' (lunes a viernes; no se descuentan los días festivos)' : ''} desde «${from}» hasta esta fecha.`,
        `Dentro del plazo de ${scoring.deadlineDays} días vale 1; después baja en línea recta hasta 0 a los ${m * scoring.deadlineDays} días (${m === 2 ? 'el doble' : `${m} veces`} del plazo): (${m} × plazo − días) ÷ (${m} × plazo − plazo).`,
        deadlineItem ? `Si se anota otro plazo en «${deadlineItem}», se usa ese.` : '',
        dayCountItem ? `Si en «${dayCountItem}» se elige otra forma de contar, se usa esa.` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    default:
      return '';
  }
}
