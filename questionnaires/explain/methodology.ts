/**
 * A methodology and its instruments laid out for the public Metodología page: the whole tree with
 * weights and formulas, the other formulas that check it, every question that feeds each variable
 * with its rule in words, the sources, and what is official and what is this project's own
 * operationalisation (provenance.ts). Generated from the definitions, never written by hand. Pure.
 */
import { methodologyHash, type Methodology, type NodeKind, type TreeNode } from '../../scoring/methodology.js';
import { nodeNames, weightNumber, type NodeName } from '../../scoring/explanation.js';
import { topLevelItems, type GroupItem, type QuestionnaireDefinition, type QuestionnaireItem, type RowItem } from '../engine.js';
import { loadProvenance, type Provenance } from '../provenance.js';
import { appliesToWords, conditionWords, generalRuleWords, plural, type ItemLookup } from './words.js';

export const KIND_WORDS: Readonly<Record<NodeKind, string>> = {
  index: 'índice',
  dimension: 'dimensión',
  perspective: 'perspectiva',
  subindex: 'subíndice',
  variable: 'variable',
};

/** A questionnaire named by who fills it, short enough to print beside each question. */
const AUDIENCE_SHORT: Readonly<Record<QuestionnaireDefinition['audience'], string>> = {
  institution: 'Cuestionario del sujeto obligado',
  evaluator: 'Bitácora ciudadana del equipo evaluador',
};

const AUDIENCE_WORDS: Readonly<Record<QuestionnaireDefinition['audience'], string>> = {
  institution: 'lo responde el sujeto obligado (perspectiva gubernamental)',
  evaluator: 'lo llena el equipo evaluador como usuario simulado (perspectiva ciudadana)',
};

export interface QuestionOutline {
  /** Ids for programs; the page prints the words. */
  questionnaire: string;
  item: string;
  questionnaireTitle: string;
  /** Who fills it: "Cuestionario del sujeto obligado". */
  questionnaireShort: string;
  section: string;
  question: string;
  /** For a question asked once per request or proposal: the list, and how its rows combine. */
  group?: string;
  perRow?: string;
  rule: string;
  choices?: { label: string; appliesTo?: string }[];
  /** When it is asked (its condition), and to whom it applies. */
  asked?: string;
  appliesTo?: string;
  notApplicable: string;
  weight: number;
}

export interface OutlineNode extends NodeName {
  kindWords: string;
  weightText?: string;
  /** Product of the weights up to the index. */
  weightInIndex: number;
  weightInIndexText: string;
  /** For a composite node: "TG = 0.5 × Acceso a la información + …". */
  formula?: string;
  children: OutlineNode[];
  /** For a variable: the questions that feed it. */
  questions: QuestionOutline[];
  /** For a variable: what this project chose to measure it (provenance). */
  operationalisation?: string;
}

export interface MethodologyOutline {
  id: string;
  version: string;
  title: string;
  description?: string;
  hash: string;
  source: { citation: string; pages?: string; url?: string };
  tree: OutlineNode;
  /** Formulas besides the tree: nodes defined across it and equivalent ways to compute a node. */
  otherFormulas: { name: string; formula: string; description?: string }[];
  instruments: { id: string; title: string; description?: string; audience: string; questions: number }[];
  provenance?: Provenance;
  counts: { variables: number; questions: number };
}

function formulaOf(names: ReadonlyMap<string, NodeName>, head: string, terms: readonly { node: string; weight: number }[]): string {
  return `${head} = ${terms.map((t) => `${weightNumber(t.weight)} × ${names.get(t.node)?.short ?? t.node}`).join(' + ')}`;
}

function questionOutline(def: QuestionnaireDefinition, section: string, item: RowItem, lookupItem: ItemLookup, group?: GroupItem): QuestionOutline {
  const noun = (group?.rowLabel?.es ?? 'fila').toLowerCase();
  const choices =
    item.kind === 'multiple' && item.scoring?.rule === 'checklistShare'
      ? item.choices.map((c) => ({ label: c.label.es, ...(c.appliesTo && { appliesTo: `solo para ${appliesToWords(c.appliesTo)}` }) }))
      : undefined;
  const zero = item.notApplicable === 'zero';
  return {
    questionnaire: def.id,
    item: group ? `${group.id}[*].${item.id}` : item.id,
    questionnaireTitle: def.title.es,
    questionnaireShort: AUDIENCE_SHORT[def.audience],
    section,
    question: item.label.es,
    ...(group && { group: group.label.es, perRow: `Se responde por cada ${noun}; la variable usa el promedio de todas las ${plural(noun, 2)}.` }),
    rule: generalRuleWords(item, lookupItem),
    ...(choices && { choices }),
    ...(item.showIf && { asked: `Se pregunta solo si ${conditionWords(item.showIf, lookupItem)}.` }),
    ...(item.appliesTo && { appliesTo: `Solo para ${appliesToWords(item.appliesTo)}.` }),
    notApplicable: zero ? 'Si no aplica o no se pregunta, cuenta 0.' : 'Si no aplica o no se pregunta, queda fuera del promedio.',
    weight: item.weight ?? 1,
  };
}

/** Every scored question of the instruments, by the variable it feeds. */
function questionsByVariable(instruments: readonly QuestionnaireDefinition[]): Map<string, QuestionOutline[]> {
  const byVariable = new Map<string, QuestionOutline[]>();
  const add = (variable: string, q: QuestionOutline) => byVariable.set(variable, [...(byVariable.get(variable) ?? []), q]);
  for (const def of instruments) {
    const top = new Map(topLevelItems(def).map(({ item }) => [item.id, item as QuestionnaireItem]));
    for (const { item, section } of topLevelItems(def)) {
      if (item.kind === 'group') {
        const lookup: ItemLookup = (id) => (item.items.find((c) => c.id === id) as QuestionnaireItem | undefined) ?? top.get(id);
        for (const child of item.items) if (child.feeds) add(child.feeds, questionOutline(def, section.title.es, child, lookup, item));
      } else if (item.feeds) {
        add(item.feeds, questionOutline(def, section.title.es, item, (id) => top.get(id)));
      }
    }
  }
  return byVariable;
}

/** The methodology and the instruments that feed it (those whose `methodology` is its id). */
export function methodologyOutline(methodology: Methodology, instruments: readonly QuestionnaireDefinition[]): MethodologyOutline {
  const names = nodeNames(methodology);
  const feeding = instruments.filter((d) => d.methodology === methodology.id);
  const questions = questionsByVariable(feeding);
  const provenance = loadProvenance(methodology);

  const walk = (node: TreeNode, inIndex: number): OutlineNode => {
    const name = names.get(node.id)!;
    const children = (node.children ?? []).map((c) => walk(c, inIndex * (c.weight ?? 0)));
    return {
      ...name,
      kindWords: KIND_WORDS[node.kind],
      ...(node.weight !== undefined && { weightText: weightNumber(node.weight) }),
      weightInIndex: inIndex,
      weightInIndexText: weightNumber(inIndex),
      ...(children.length > 0 && { formula: formulaOf(names, name.short, (node.children ?? []).map((c) => ({ node: c.id, weight: c.weight ?? 0 }))) }),
      children,
      questions: questions.get(node.id) ?? [],
      ...(provenance?.operationalisation.variables[node.id] && { operationalisation: provenance.operationalisation.variables[node.id] }),
    };
  };
  const tree = walk(methodology.tree, 1);

  const otherFormulas = [
    ...(methodology.crossNodes ?? []).map((c) => ({ name: names.get(c.id)!.name, formula: formulaOf(names, names.get(c.id)!.short, c.terms), ...(c.description && { description: c.description.es }) })),
    ...methodology.equivalentPaths.map((p) => ({ name: names.get(p.node)!.name, formula: formulaOf(names, names.get(p.node)!.short, p.terms), ...(p.description && { description: p.description.es }) })),
  ];
  const variables = [...names.values()].filter((n) => n.kind === 'variable').length;
  return {
    id: methodology.id,
    version: methodology.version,
    title: methodology.title.es,
    ...(methodology.description && { description: methodology.description.es }),
    hash: methodologyHash(methodology),
    source: { citation: methodology.source.citation, ...(methodology.source.pages && { pages: methodology.source.pages }), ...(methodology.source.url && { url: methodology.source.url }) },
    tree,
    otherFormulas,
    instruments: feeding.map((d) => ({
      id: d.id,
      title: d.title.es,
      ...(d.description && { description: d.description.es }),
      audience: AUDIENCE_WORDS[d.audience],
      questions: [...questions.values()].flat().filter((q) => q.questionnaire === d.id).length,
    })),
    ...(provenance && { provenance }),
    counts: { variables, questions: [...questions.values()].flat().length },
  };
}
