/**
 * The explanation of one institution's score that a person can check by hand, built once and shown
 * by the evaluator's page, the public institution page, the institution card PDF and the JSON API:
 * every composite node's formula with its weights and numbers (scoring/explanation.ts, from the
 * engine's own explanation) and, when the institution answered the questionnaires, every variable's
 * questions, answers in words, scores and rules (answers.ts). No id of the definition files appears
 * in any of its texts; the ids travel only in `node`, `item` and `questionnaire` fields, for API clients.
 */
import { asCompiled, type CompiledMethodology } from '../../scoring/engine.js';
import { EXPLANATION_DECIMALS, explainNodes, nodeNames, valueNumber, weightNumber, type EngineNodeScore, type NodeExplanationText } from '../../scoring/explanation.js';
import type { Methodology } from '../../scoring/methodology.js';
import { explainAnswers, type ExplainAnswersInput, type VariableWords } from './answers.js';
import { listWords } from './words.js';

export { writtenMean, type ExcludedItem, type ItemExplanation, type RowExplanation, type VariableWords, type WrittenSum } from './answers.js';
export type { FormulaText, FormulaTermText, NodeExplanationText } from '../../scoring/explanation.js';

export interface NodeValueText {
  node: string;
  abbreviation?: string;
  name: string;
  short: string;
  value: number;
  valueText: string;
}

/** A variable's value without answers behind it (a results file gave it), or without any value. */
export interface PlainVariable {
  node: string;
  name: string;
  parent?: { node: string; short: string; name: string };
  weight?: number;
  weightText?: string;
  value?: number;
  valueText?: string;
}

export interface ScoreExplanation {
  methodology: { id: string; version: string };
  /** Decimals of every number shown (whole scores are shown without decimals). */
  decimals: number;
  /** The methodology's summary nodes that have a value (IGA, T, P, TG, TC, PG, PC). */
  summary: NodeValueText[];
  /** Every composite node with a value, with its formula: summary nodes first. */
  nodes: NodeExplanationText[];
  /** Variables explained from the institution's answers, in the methodology's order. */
  variables: VariableWords[];
  /** Variables whose value the edition's data gave (no answers behind them). */
  givenVariables: PlainVariable[];
  /** Variables without a value: nothing is invented for them. */
  missing: PlainVariable[];
  /** How to read the numbers (rounding) and where they come from. */
  notes: string[];
}

export interface ExplainScoreInput {
  methodology: Methodology | CompiledMethodology;
  /** The engine's explanation of every node (scoreInstitution(...).nodes, or as stored with the score). */
  nodes: Readonly<Record<string, EngineNodeScore>>;
  /** The institution's approved answers, when its score comes from the questionnaires. */
  answers?: Omit<ExplainAnswersInput, 'methodology'>;
}

export const ROUNDING_NOTE =
  'Las cifras se muestran con 4 decimales, redondeadas (la mitad hacia arriba); los puntajes enteros, como 0 y 1, sin decimales. ' +
  'Las cuentas se hacen con los valores sin redondear; cuando con 4 decimales una cuenta rehecha a mano no daría el resultado mostrado, sus términos llevan más decimales, para que dé lo mismo.';

export function explainScore(input: ExplainScoreInput): ScoreExplanation {
  const compiled = asCompiled(input.methodology);
  const names = nodeNames(compiled);
  const all = explainNodes(compiled, input.nodes);
  const nodes = all.filter((n) => n.kind !== 'variable');
  const answered = input.answers ? explainAnswers({ ...input.answers, methodology: compiled.methodology }, names) : undefined;
  const order = new Map(compiled.nodeIds.map((id, i) => [id, i]));
  const variables = (answered?.words ?? []).sort((a, b) => order.get(a.node)! - order.get(b.node)!);
  const explained = new Set(variables.map((v) => v.node));
  const plain = (id: string, value?: number): PlainVariable => {
    const name = names.get(id)!;
    const parent = name.parent === undefined ? undefined : names.get(name.parent);
    return {
      node: id,
      name: name.name,
      ...(parent && { parent: { node: parent.node, short: parent.short, name: parent.name }, weight: name.weight, weightText: weightNumber(name.weight ?? 0) }),
      ...(value !== undefined && { value, valueText: valueNumber(value) }),
    };
  };
  const variableIds = compiled.nodes.filter((n) => n.kind === 'variable').map((n) => n.id);
  const givenVariables = variableIds.filter((id) => !explained.has(id) && Object.hasOwn(input.nodes, id)).map((id) => plain(id, input.nodes[id]!.value));
  const missing = variableIds.filter((id) => !explained.has(id) && !Object.hasOwn(input.nodes, id)).map((id) => plain(id));

  const summaryIds = compiled.methodology.summaryNodes ?? nodes.map((n) => n.node);
  const summary = summaryIds.flatMap((id) => {
    const n = nodes.find((x) => x.node === id);
    return n ? [{ node: n.node, ...(n.abbreviation && { abbreviation: n.abbreviation }), name: n.name, short: n.short, value: n.value, valueText: n.valueText }] : [];
  });

  const notes = [ROUNDING_NOTE];
  const given = nodes.filter((n) => n.source === 'given');
  if (given.length > 0) {
    notes.push(
      `${listWords(given.map((n) => n.short))} ${given.length === 1 ? 'es un dato' : 'son datos'} de los resultados de la edición; ` +
        'las fórmulas de la metodología los comprueban (✓ coincide, ✗ no coincide, con una tolerancia de 0.0001).',
    );
  }
  if (variables.length > 0) {
    notes.push(
      'Cada variable es el promedio de los puntajes (de 0 a 1) de las preguntas que la alimentan, tomados de las respuestas aprobadas del sujeto obligado ' +
        'y de la bitácora ciudadana completa del equipo evaluador; las preguntas de solicitudes y propuestas se promedian primero entre todas ellas.',
    );
  } else if (givenVariables.length === 0 && nodes.length > 0) {
    notes.push('Los datos de esta edición no traen las variables de cada sujeto obligado, solo los valores que se muestran.');
  }
  return { methodology: { id: compiled.methodology.id, version: compiled.methodology.version }, decimals: EXPLANATION_DECIMALS, summary, nodes, variables, givenVariables, missing, notes };
}

/** The explanation's variables grouped under their sub-index, for pages and the card. */
export function variablesBySubindex(explanation: ScoreExplanation): {
  node: string;
  short: string;
  name: string;
  valueText?: string;
  variables: VariableWords[];
  given: PlainVariable[];
  missing: PlainVariable[];
}[] {
  const parents = explanation.nodes.filter((n) => n.kind === 'subindex');
  const groups = new Map<string, { node: string; short: string; name: string; valueText?: string; variables: VariableWords[]; given: PlainVariable[]; missing: PlainVariable[] }>();
  const groupOf = (id: string | undefined, short?: string, name?: string) => {
    const key = id ?? '';
    let g = groups.get(key);
    if (!g) {
      const node = parents.find((p) => p.node === id);
      g = { node: key, short: node?.short ?? short ?? '', name: node?.name ?? name ?? '', ...(node && { valueText: node.valueText }), variables: [], given: [], missing: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const p of parents) groupOf(p.node);
  for (const v of explanation.variables) groupOf(v.parent?.node, v.parent?.short, v.parent?.name).variables.push(v);
  for (const v of explanation.givenVariables) groupOf(v.parent?.node, v.parent?.short, v.parent?.name).given.push(v);
  for (const v of explanation.missing) groupOf(v.parent?.node, v.parent?.short, v.parent?.name).missing.push(v);
  return [...groups.values()].filter((g) => g.variables.length + g.given.length + g.missing.length > 0);
}
