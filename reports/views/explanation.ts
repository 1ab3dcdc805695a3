/**
 * The card's «Cómo se obtiene cada cifra»: the score explanation built once for pages and cards
 * (questionnaires/explain/), laid out for print by templates/partials/explanation.hbs.
 */
import { variablesBySubindex, type ScoreExplanation } from '../../questionnaires/explain/index.js';
import type { Discrepancy } from '../../scoring/engine.js';
import { delta, numColumn, score, text, type TableView } from './common.js';

type Groups = ReturnType<typeof variablesBySubindex>;

export interface ExplanationView extends Omit<ScoreExplanation, 'nodes'> {
  nodes: (ScoreExplanation['nodes'][number] & { given: boolean })[];
  groups: (Omit<Groups[number], 'variables'> & { variables: (Groups[number]['variables'][number] & { items: (Groups[number]['variables'][number]['items'][number] & { weighted: boolean })[] })[] })[];
  discrepancyTable?: TableView;
}

/** The explanation as the card prints it, with the disagreements between given and computed values. */
export function explanationView(explanation: ScoreExplanation, discrepancies: readonly Discrepancy[]): ExplanationView {
  const anyVariable = explanation.variables.length > 0 || explanation.givenVariables.length > 0;
  const node = (id: string) => explanation.nodes.find((n) => n.node === id);
  const formulaOf = (d: Discrepancy) => {
    const n = node(d.node);
    return [n?.formula, ...(n?.checks ?? [])].find((f) => f?.path === d.via)?.symbolic ?? '';
  };
  return {
    ...explanation,
    nodes: explanation.nodes.map((n) => ({ ...n, given: n.source === 'given' })),
    groups: (anyVariable ? variablesBySubindex(explanation) : []).map((g) => ({
      ...g,
      variables: g.variables.map((v) => ({ ...v, items: v.items.map((i) => ({ ...i, weighted: i.weight !== 1 })) })),
    })),
    ...(discrepancies.length > 0 && {
      discrepancyTable: {
        caption: 'Diferencias entre valores dados y calculados (más allá de la tolerancia de 0.0001)',
        columns: [{ label: 'Índice' }, numColumn('Valor'), numColumn('Calculado'), { label: 'Fórmula' }, numColumn('Diferencia')],
        rows: discrepancies.map((d) => ({
          cells: [text(node(d.node)?.short ?? '', 'strong'), score(d.reported, 4), score(d.computed, 4), text(formulaOf(d), 'formula'), delta(d.difference)],
        })),
      },
    }),
  };
}

