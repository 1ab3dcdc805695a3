/**
 * Questionnaire definitions as data: types, validation (JSON Schema plus the rules a schema cannot
 * express), a content hash and the built-in instruments. See questionnaires/README.md for the format.
 */
import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import questionnaireSchema from './schemas/questionnaire.schema.json' with { type: 'json' };
import methodologySchema from '../scoring/schemas/methodology.schema.json' with { type: 'json' };
import gobierno2017 from './instruments/mga-2017-gobierno.json' with { type: 'json' };
import ciudadano2017 from './instruments/mga-2017-ciudadano.json' with { type: 'json' };
import { canonicalJson, methodologyGraph, type Label, type Methodology } from '../scoring/methodology.js';
import { isBuiltinMethodologyId, loadBuiltinMethodology } from './methodologies.js';
import { LEVELS, foldName } from '../scoring/catalogue.js';

export type { Label };
export type Audience = 'institution' | 'evaluator';
export type NotApplicableRule = 'exclude' | 'zero';
export type ConditionValue = string | number;

export type Condition =
  | { readonly item: string; readonly equals: ConditionValue }
  | { readonly item: string; readonly in: readonly ConditionValue[] }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] };

export interface AppliesTo {
  readonly types?: readonly string[];
  readonly levels?: readonly string[];
}

export interface Choice {
  readonly id: string;
  readonly label: Label;
  readonly help?: Label;
  readonly score?: number;
  readonly appliesTo?: AppliesTo;
}

export interface YesNo1No0Rule {
  readonly rule: 'yes1no0';
}
export interface ChoiceScoreRule {
  readonly rule: 'choiceScore';
  /** Choice scores are whole points out of `scale` (3: thirds). */
  readonly scale?: number;
}
export interface ChecklistShareRule {
  readonly rule: 'checklistShare';
}
export type DayCount = 'working' | 'calendar';
export interface SpeedRule {
  readonly rule: 'speed';
  readonly from: string;
  readonly deadlineDays: number;
  readonly deadlineItem?: string;
  readonly dayCount: DayCount;
  readonly dayCountItem?: string;
  readonly zeroAtMultiple: number;
}
export interface MeanRule {
  readonly rule: 'mean';
}
export type ItemScoringRule = YesNo1No0Rule | ChoiceScoreRule | ChecklistShareRule | SpeedRule;
export type ScoringRuleName = ItemScoringRule['rule'] | MeanRule['rule'];

interface ItemBase {
  readonly id: string;
  readonly label: Label;
  readonly help?: Label;
  readonly required?: boolean;
  readonly showIf?: Condition;
  readonly appliesTo?: AppliesTo;
  /** The answer may carry one evidence link, stored under `${id}:evidence`. */
  readonly evidence?: boolean;
  /** Methodology variable fed by this item's score. */
  readonly feeds?: string;
  /** Weight among the items feeding the same variable (default 1). */
  readonly weight?: number;
  readonly notApplicable?: NotApplicableRule;
}

export interface YesNoItem extends ItemBase {
  readonly kind: 'yesno';
  readonly scoring?: YesNo1No0Rule;
}
export interface SingleItem extends ItemBase {
  readonly kind: 'single';
  readonly choices: readonly Choice[];
  readonly scoring?: ChoiceScoreRule;
}
export interface MultipleItem extends ItemBase {
  readonly kind: 'multiple';
  readonly choices: readonly Choice[];
  readonly scoring?: ChecklistShareRule;
}
export interface NumberItem extends ItemBase {
  readonly kind: 'number';
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  readonly unit?: Label;
  readonly scoring?: never;
}
export interface DateItem extends ItemBase {
  readonly kind: 'date';
  readonly notBefore?: string;
  readonly scoring?: SpeedRule;
}
export interface UrlItem extends ItemBase {
  readonly kind: 'url';
  readonly scoring?: never;
}
export interface TextItem extends ItemBase {
  readonly kind: 'text';
  readonly maxLength: number;
  readonly multiline?: boolean;
  readonly scoring?: never;
}
export interface EvidenceItem extends ItemBase {
  readonly kind: 'evidence';
  readonly maxItems: number;
  readonly scoring?: never;
}
export interface GroupItem extends ItemBase {
  readonly kind: 'group';
  readonly rowLabel?: Label;
  readonly minRows?: number;
  readonly maxRows: number;
  readonly items: readonly RowItem[];
  readonly scoring?: MeanRule;
}

export type RowItem = YesNoItem | SingleItem | MultipleItem | NumberItem | DateItem | UrlItem | TextItem | EvidenceItem;
export type QuestionnaireItem = RowItem | GroupItem;
export type ItemKind = QuestionnaireItem['kind'];
export type ChoiceItem = SingleItem | MultipleItem;

export interface Section {
  readonly id: string;
  readonly title: Label;
  readonly description?: Label;
  readonly items: readonly QuestionnaireItem[];
}

export interface QuestionnaireDefinition {
  readonly id: string;
  readonly version: string;
  readonly title: Label;
  readonly description?: Label;
  readonly methodology: string;
  readonly audience: Audience;
  readonly notes?: Label;
  readonly sections: readonly Section[];
}

export interface QuestionnaireIssue {
  /** JSON pointer into the definition. */
  readonly path: string;
  readonly message: string;
}

export class QuestionnaireValidationError extends Error {
  constructor(readonly issues: readonly QuestionnaireIssue[]) {
    super(`invalid questionnaire:\n${issues.map((i) => `  - ${i.path || '/'}: ${i.message}`).join('\n')}`);
    this.name = 'QuestionnaireValidationError';
  }
}

/** The suffix of the answer key that holds an item's evidence link. */
export const EVIDENCE_SUFFIX = ':evidence';
/**
 * The key of a row's stable identity inside a group's row: set by the service when the row is first
 * stored and kept while the row exists, so what belongs to the row (its evidence files) follows it when
 * rows before it are removed. Item ids start with a letter, so the key cannot clash.
 */
export const ROW_KEY = '_key';
/** What a row key may look like. */
export const ROW_KEY_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** Choice ids a speed rule's dayCountItem must offer. */
export const DAY_COUNT_CHOICES: readonly DayCount[] = ['working', 'calendar'];
/** Kinds a condition may test. */
const CONDITION_KINDS: ReadonlySet<ItemKind> = new Set(['yesno', 'single', 'multiple', 'number']);
const YESNO_VALUES: readonly string[] = ['yes', 'no'];

let compiledSchema: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiledSchema) {
    // The methodology schema supplies the shared label and node-id definitions.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    ajv.addSchema(methodologySchema);
    compiledSchema = ajv.compile(questionnaireSchema);
  }
  return compiledSchema;
}

function describeAjvError(error: ErrorObject): QuestionnaireIssue {
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? error.keyword;
  if (error.keyword === 'additionalProperties') message += ` ("${String(params.additionalProperty)}")`;
  if (error.keyword === 'unevaluatedProperties') message += ` ("${String(params.unevaluatedProperty)}")`;
  if (error.keyword === 'enum') message += `: ${JSON.stringify(params.allowedValues)}`;
  if (error.keyword === 'const') message += `: ${JSON.stringify(params.allowedValue)}`;
  return { path: error.instancePath, message };
}

export interface ValidateQuestionnaireOptions {
  /** The methodology the items feed; by default the built-in one named by the definition. */
  methodology?: Methodology;
}

/**
 * Checks `json` against the questionnaire schema and the semantic rules, and returns it as a deeply
 * frozen copy. Throws QuestionnaireValidationError listing every problem (JSON pointer and reason).
 */
export function validateQuestionnaire(json: unknown, options: ValidateQuestionnaireOptions = {}): QuestionnaireDefinition {
  const validate = schemaValidator();
  if (!validate(json)) {
    // Kind branches re-check the common item schema, so the same problem can be reported twice.
    const issues = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describeAjvError);
    throw new QuestionnaireValidationError([...new Map(issues.map((i) => [`${i.path}\n${i.message}`, i])).values()]);
  }
  const definition = json as QuestionnaireDefinition;
  const issues: QuestionnaireIssue[] = [];
  checkSemantics(definition, options.methodology, issues);
  if (issues.length > 0) throw new QuestionnaireValidationError(issues);
  return deepFreeze(structuredClone(definition));
}

/** Variable ids of the methodology, or undefined (with an issue) when it cannot be found. */
function methodologyVariables(def: QuestionnaireDefinition, given: Methodology | undefined, issues: QuestionnaireIssue[]): Set<string> | undefined {
  let methodology = given;
  if (!methodology) {
    if (!isBuiltinMethodologyId(def.methodology)) {
      issues.push({ path: '/methodology', message: `unknown methodology "${def.methodology}"` });
      return undefined;
    }
    methodology = loadBuiltinMethodology(def.methodology);
  } else if (methodology.id !== def.methodology) {
    issues.push({ path: '/methodology', message: `the definition feeds "${def.methodology}" but methodology "${methodology.id}" was given` });
    return undefined;
  }
  return new Set(methodologyGraph(methodology).nodes.filter((n) => n.kind === 'variable').map((n) => n.id));
}

/** Items an item may refer to: earlier items of its own row, and earlier top-level items. */
interface Scope {
  readonly row?: ReadonlyMap<string, RowItem>;
  readonly top: ReadonlyMap<string, QuestionnaireItem>;
}

function checkSemantics(def: QuestionnaireDefinition, methodology: Methodology | undefined, issues: QuestionnaireIssue[]): void {
  const variables = methodologyVariables(def, methodology, issues);
  const declared = new Map<string, string>();
  const top = new Map<string, QuestionnaireItem>();
  const sectionIds = new Set<string>();
  const issue = (path: string, message: string) => issues.push({ path, message });
  const levels = new Set(LEVELS.map(foldName));

  const checkAppliesTo = (appliesTo: AppliesTo | undefined, pointer: string) => {
    appliesTo?.levels?.forEach((level, i) => {
      if (!levels.has(foldName(level))) issue(`${pointer}/appliesTo/levels/${i}`, `unknown level "${level}"; expected one of ${LEVELS.join(', ')}`);
    });
  };

  const checkCondition = (condition: Condition, pointer: string, scope: Scope) => {
    if ('all' in condition) return condition.all.forEach((c, i) => checkCondition(c, `${pointer}/all/${i}`, scope));
    if ('any' in condition) return condition.any.forEach((c, i) => checkCondition(c, `${pointer}/any/${i}`, scope));
    const target = scope.row?.get(condition.item) ?? scope.top.get(condition.item);
    if (!target) return issue(`${pointer}/item`, `"${condition.item}" is not an item declared before this one`);
    if (!CONDITION_KINDS.has(target.kind)) return issue(`${pointer}/item`, `conditions cannot test a ${target.kind} item ("${condition.item}")`);
    const values = 'equals' in condition ? [condition.equals] : condition.in;
    for (const value of values) {
      const allowed =
        target.kind === 'number'
          ? typeof value === 'number'
          : target.kind === 'yesno'
            ? YESNO_VALUES.includes(value as string)
            : (target as ChoiceItem).choices.some((c) => c.id === value);
      if (!allowed) issue(pointer, `${JSON.stringify(value)} is not a possible answer of "${condition.item}"`);
    }
  };

  /** An earlier item of the same row (inside a group) or of the top level (outside). */
  const sameLevelItem = (id: string, scope: Scope) => (scope.row ? scope.row.get(id) : scope.top.get(id));

  const checkChoices = (item: ChoiceItem, pointer: string) => {
    const ids = new Set<string>();
    item.choices.forEach((choice, i) => {
      if (ids.has(choice.id)) issue(`${pointer}/choices/${i}/id`, `duplicate choice id "${choice.id}"`);
      ids.add(choice.id);
      checkAppliesTo(choice.appliesTo, `${pointer}/choices/${i}`);
      if (choice.score === undefined) return;
      if (item.scoring?.rule !== 'choiceScore') return issue(`${pointer}/choices/${i}/score`, 'a choice score is used only by the choiceScore rule');
      const scale = item.scoring.scale;
      if (scale === undefined ? choice.score > 1 : !Number.isInteger(choice.score) || choice.score > scale) {
        issue(`${pointer}/choices/${i}/score`, scale === undefined ? 'must be between 0 and 1' : `must be a whole number of points between 0 and ${scale}`);
      }
    });
    if (item.scoring?.rule === 'choiceScore') {
      item.choices.forEach((choice, i) => {
        if (choice.score === undefined) issue(`${pointer}/choices/${i}`, 'choiceScore needs a score on every choice');
      });
    }
  };

  const checkSpeed = (rule: SpeedRule, pointer: string, scope: Scope) => {
    if (sameLevelItem(rule.from, scope)?.kind !== 'date') issue(`${pointer}/scoring/from`, `"${rule.from}" is not a date item declared before this one at the same level`);
    if (rule.deadlineItem !== undefined && sameLevelItem(rule.deadlineItem, scope)?.kind !== 'number') {
      issue(`${pointer}/scoring/deadlineItem`, `"${rule.deadlineItem}" is not a number item declared before this one at the same level`);
    }
    if (rule.dayCountItem !== undefined) {
      const target = sameLevelItem(rule.dayCountItem, scope);
      const ids = target?.kind === 'single' ? target.choices.map((c) => c.id).sort() : [];
      if (canonicalJson(ids) !== canonicalJson([...DAY_COUNT_CHOICES].sort())) {
        issue(`${pointer}/scoring/dayCountItem`, `"${rule.dayCountItem}" must be a single-choice item declared before this one with the choices ${DAY_COUNT_CHOICES.join(' and ')}`);
      }
    }
  };

  const checkItem = (item: QuestionnaireItem, pointer: string, scope: Scope, group?: GroupItem) => {
    if (declared.has(item.id)) issue(`${pointer}/id`, `duplicate item id "${item.id}" (also at ${declared.get(item.id)})`);
    declared.set(item.id, pointer);
    if (item.showIf) checkCondition(item.showIf, `${pointer}/showIf`, scope);
    checkAppliesTo(item.appliesTo, pointer);
    if (item.feeds !== undefined && variables && !variables.has(item.feeds)) {
      issue(`${pointer}/feeds`, `"${item.feeds}" is not a variable of methodology "${def.methodology}"`);
    }
    if (item.feeds !== undefined && group && group.scoring?.rule !== 'mean') {
      issue(`${pointer}/feeds`, `a scored item inside group "${group.id}" needs the group's scoring rule "mean"`);
    }
    switch (item.kind) {
      case 'single':
      case 'multiple':
        checkChoices(item, pointer);
        break;
      case 'number':
        if (item.min !== undefined && item.max !== undefined && item.min > item.max) issue(pointer, `min ${item.min} is greater than max ${item.max}`);
        break;
      case 'date':
        if (item.notBefore !== undefined && sameLevelItem(item.notBefore, scope)?.kind !== 'date') {
          issue(`${pointer}/notBefore`, `"${item.notBefore}" is not a date item declared before this one at the same level`);
        }
        if (item.scoring) {
          checkSpeed(item.scoring, pointer, scope);
          // Elapsed days are never negative only if the answer date cannot precede the start date.
          if (item.notBefore !== item.scoring.from) issue(`${pointer}/notBefore`, `a speed-scored date needs notBefore "${item.scoring.from}" (its rule's from)`);
        }
        break;
      case 'group': {
        if (group) return issue(pointer, 'groups cannot be nested');
        if ((item.minRows ?? 0) > item.maxRows) issue(pointer, `minRows ${item.minRows} is greater than maxRows ${item.maxRows}`);
        const row = new Map<string, RowItem>();
        // Typed as any item: the schema lets a group through inside a group, rejected above.
        (item.items as readonly QuestionnaireItem[]).forEach((child, i) => {
          checkItem(child, `${pointer}/items/${i}`, { row, top: scope.top }, item);
          if (child.kind !== 'group') row.set(child.id, child);
        });
        if (item.scoring && !item.items.some((child) => child.feeds !== undefined)) issue(`${pointer}/scoring`, 'no item of the group feeds a variable');
        break;
      }
    }
  };

  def.sections.forEach((section, s) => {
    if (sectionIds.has(section.id)) issue(`/sections/${s}/id`, `duplicate section id "${section.id}"`);
    sectionIds.add(section.id);
    section.items.forEach((item, i) => {
      checkItem(item, `/sections/${s}/items/${i}`, { top });
      top.set(item.id, item);
    });
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** SHA-256 (hex) of the definition's canonical JSON: identifies the exact instrument answers belong to. */
export function questionnaireHash(definition: QuestionnaireDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/** Every top-level item with its section, in declaration order. */
export function topLevelItems(def: QuestionnaireDefinition): { section: Section; item: QuestionnaireItem }[] {
  return def.sections.flatMap((section) => section.items.map((item) => ({ section, item })));
}

const BUILTIN_SOURCES = { 'mga-2017-gobierno': gobierno2017, 'mga-2017-ciudadano': ciudadano2017 } as const;
export type BuiltinInstrumentId = keyof typeof BUILTIN_SOURCES;
export const BUILTIN_INSTRUMENT_IDS = Object.keys(BUILTIN_SOURCES) as BuiltinInstrumentId[];

const builtinCache = new Map<BuiltinInstrumentId, QuestionnaireDefinition>();

export function isBuiltinInstrumentId(id: string): id is BuiltinInstrumentId {
  return Object.hasOwn(BUILTIN_SOURCES, id);
}

/** An instrument shipped with the project, validated once. Throws RangeError for an unknown id. */
export function loadInstrument(id: string): QuestionnaireDefinition {
  if (!isBuiltinInstrumentId(id)) {
    throw new RangeError(`unknown built-in instrument "${id}"; available: ${BUILTIN_INSTRUMENT_IDS.join(', ')}`);
  }
  let definition = builtinCache.get(id);
  if (!definition) {
    definition = validateQuestionnaire(BUILTIN_SOURCES[id]);
    builtinCache.set(id, definition);
  }
  return definition;
}

export interface InstrumentSummary {
  readonly id: string;
  readonly version: string;
  readonly title: Label;
  readonly audience: Audience;
  readonly methodology: string;
  readonly hash: string;
}

/** The built-in instruments, for listings. */
export function builtinInstruments(): InstrumentSummary[] {
  return BUILTIN_INSTRUMENT_IDS.map((id) => {
    const def = loadInstrument(id);
    return { id: def.id, version: def.version, title: def.title, audience: def.audience, methodology: def.methodology, hash: questionnaireHash(def) };
  });
}
