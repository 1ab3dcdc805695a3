/**
 * JSON Schema of a score explanation (questionnaires/explain/index.ts ScoreExplanation) for the API
 * operations that return one: the public score and the review. Texts are Spanish; ids (node, item,
 * questionnaire) are for programs and never appear in the texts.
 */
const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const strings = { type: 'array', items: str } as const;

const writtenSum = {
  type: 'object',
  required: ['text', 'reproducible'],
  properties: { text: str, reproducible: bool, shownSum: str },
} as const;

const formula = {
  type: 'object',
  description: 'A formula written with names (symbolic) and with weights and numbers (numeric).',
  required: ['path', 'terms', 'symbolic', 'numeric', 'value', 'agrees', 'reproducible'],
  properties: {
    path: str,
    description: str,
    terms: { type: 'array', items: { type: 'object', required: ['node', 'short', 'weight', 'value'], properties: { node: str, short: str, weight: num, value: num } } },
    symbolic: str,
    numeric: str,
    value: num,
    agrees: bool,
    reproducible: bool,
    shownSum: str,
  },
} as const;

const parent = { type: 'object', required: ['node', 'short', 'name'], properties: { node: str, short: str, name: str } } as const;

const plainVariable = {
  type: 'object',
  required: ['node', 'name'],
  properties: { node: str, name: str, parent, weight: num, weightText: str, value: num, valueText: str },
} as const;

const row = {
  type: 'object',
  required: ['row', 'label', 'answer', 'score', 'scoreText', 'rule'],
  properties: { row: { type: 'integer' }, label: str, answer: str, score: num, scoreText: str, rule: str, notApplicable: bool },
} as const;

const item = {
  type: 'object',
  required: ['questionnaire', 'item', 'question', 'section', 'answer', 'score', 'scoreText', 'weight', 'rule'],
  properties: {
    questionnaire: str,
    item: str,
    question: str,
    section: str,
    group: str,
    answer: str,
    score: num,
    scoreText: str,
    weight: num,
    rule: str,
    notApplicable: bool,
    rows: { type: 'array', items: row },
  },
} as const;

export const scoreExplanationSchema = {
  type: 'object',
  description: 'The score explained for a hand check: formulas with weights and numbers, and each variable from the answers in words.',
  required: ['methodology', 'decimals', 'summary', 'nodes', 'variables', 'givenVariables', 'missing', 'notes'],
  properties: {
    methodology: { type: 'object', required: ['id', 'version'], properties: { id: str, version: str } },
    decimals: { type: 'integer' },
    summary: {
      type: 'array',
      items: { type: 'object', required: ['node', 'name', 'short', 'value', 'valueText'], properties: { node: str, abbreviation: str, name: str, short: str, value: num, valueText: str } },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'name', 'short', 'kind', 'value', 'valueText', 'source', 'checks'],
        properties: {
          node: str,
          abbreviation: str,
          name: str,
          short: str,
          kind: str,
          description: str,
          parent: str,
          weight: num,
          value: num,
          valueText: str,
          source: { type: 'string', enum: ['given', 'computed'] },
          formula,
          checks: { type: 'array', items: formula },
        },
      },
    },
    variables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'name', 'value', 'valueText', 'combination', 'formula', 'items', 'excluded'],
        properties: {
          node: str,
          name: str,
          description: str,
          parent,
          weight: num,
          weightText: str,
          value: num,
          valueText: str,
          combination: { type: 'string', enum: ['mean', 'weighted-mean'] },
          formula: writtenSum,
          items: { type: 'array', items: item },
          excluded: {
            type: 'array',
            items: { type: 'object', required: ['questionnaire', 'item', 'question', 'reason'], properties: { questionnaire: str, item: str, question: str, row: str, reason: str } },
          },
        },
      },
    },
    givenVariables: { type: 'array', items: plainVariable },
    missing: { type: 'array', items: plainVariable },
    notes: strings,
  },
} as const;
