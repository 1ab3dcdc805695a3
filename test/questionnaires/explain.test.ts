import { expect } from 'chai';
import { explainScore, type ScoreExplanation } from '../../questionnaires/explain/index.js';
import { methodologyOutline } from '../../questionnaires/explain/methodology.js';
import { loadInstrument, BUILTIN_INSTRUMENT_IDS, type QuestionnaireDefinition } from '../../questionnaires/engine.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { variablesFromAnswers } from '../../questionnaires/answers.js';
import { DEMO_ANSWERS, DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS, DEMO_INSTITUTION } from '../../questionnaires/demo-answers.js';
import { scoreInstitution } from '../../scoring/engine.js';
import { formatFixed } from '../../scoring/rounding.js';
import { methodologyGraph } from '../../scoring/methodology.js';
import { DEMO_SCORE } from './demoScore.js';
import { definitionIdentifiers, identifiersIn } from '../setup/definitionIds.js';

const methodology = loadBuiltinMethodology('mga-2017');
const government = loadInstrument('mga-2017-gobierno');
const citizen = loadInstrument('mga-2017-ciudadano');
const defs = [government, citizen];
const f4 = (v: number) => formatFixed(v, 4);

function explainDemo(answers: Record<string, unknown> = DEMO_ANSWERS, institution = DEMO_INSTITUTION, used: QuestionnaireDefinition[] = defs): ScoreExplanation {
  const variables = variablesFromAnswers(used, answers, { institution });
  const score = scoreInstitution(methodology, variables.values);
  return explainScore({ methodology, nodes: score.nodes, answers: { defs: used, answersByQuestionnaire: answers, context: { institution } } });
}

/** Every text of an explanation (ids excluded: `node`, `parent`, `item`, `questionnaire`, `path` and `id` are for programs). */
function texts(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return ['node', 'parent', 'item', 'questionnaire', 'path', 'kind', 'source', 'combination', 'id'].includes(key) ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((v) => texts(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => texts(v, k));
  return [];
}

/** Redoes a written weighted sum "X = w × v + w × v = r" by hand: Σ w·v rounded to 4 decimals must be r. */
function redo(numeric: string): { sum: string; shown: string } {
  const right = /^.*? = ([0-9].*)$/.exec(numeric)![1]!;
  const parts = right.split(' = ');
  const shown = parts.at(-1)!;
  const terms = parts[0]!.split(' + ').map((t) => t.split(' × ').map(Number) as [number, number]);
  return { sum: formatFixed(terms.reduce((s, [w, v]) => s + w * v, 0), 4), shown };
}

describe('explanations a person can check by hand (questionnaires/explain)', () => {
  const explanation = explainDemo();
  const variable = (name: string, parent?: string) => explanation.variables.find((v) => v.name === name && (!parent || v.parent?.short === parent))!;

  it('writes TG with its weights and the demo values computed by hand (METHODOLOGY.md §2)', () => {
    const tg = explanation.nodes.find((n) => n.abbreviation === 'TG')!;
    expect(tg.formula!.symbolic).to.equal('TG = 0.5 × Acceso a la información + 0.2 × Transparencia reactiva + 0.2 × Transparencia proactiva + 0.1 × Datos abiertos');
    const { AI, TR, TP, DA, TG } = DEMO_SCORE;
    expect(tg.formula!.numeric).to.equal(`TG = 0.5 × ${f4(AI)} + 0.2 × ${f4(TR)} + 0.2 × ${f4(TP)} + 0.1 × ${f4(DA)} = ${f4(TG)}`);
    expect(tg.formula!.numeric).to.equal('TG = 0.5 × 0.7833 + 0.2 × 0.7647 + 0.2 × 0.4444 + 0.1 × 0.6000 = 0.6935');
    expect(explanation.nodes.find((n) => n.abbreviation === 'IGA')!.formula!.numeric).to.equal('IGA = 0.5 × 0.5811 + 0.5 × 0.5250 = 0.5531');
    expect(f4(DEMO_SCORE.GA)).to.equal('0.5531');
    expect(explanation.summary.map((s) => s.short)).to.deep.equal(['IGA', 'T', 'P', 'TG', 'TC', 'PG', 'PC']);
  });

  it('every formula adds up by hand with the numbers it shows, taking more decimals where 4 would not', () => {
    const formulas = explanation.nodes.flatMap((n) => [n.formula!, ...n.checks]);
    expect(formulas).to.have.length.greaterThan(9);
    for (const formula of formulas) {
      const { sum, shown } = redo(formula.numeric);
      expect(sum, formula.numeric).to.equal(shown);
      expect(formula.reproducible).to.equal(true);
    }
    // T = (TG + TC)/2 with 4-decimal terms gives 0.58115 → 0.5812, but T is 0.58112…: the terms take 5 decimals.
    expect(explanation.nodes.find((n) => n.abbreviation === 'T')!.formula!.numeric).to.equal('T = 0.5 × 0.69350 + 0.5 × 0.46875 = 0.5811');
    let means = 0;
    for (const text of [...explanation.variables.map((v) => v.formula.text), ...explanation.variables.flatMap((v) => v.items.map((i) => i.rule))]) {
      const mean = /\(([^()]+)\) ÷ (\d+) = ([0-9.]+)$/.exec(text);
      if (!mean) continue;
      means++;
      const terms = mean[1]!.split(' + ').map(Number);
      expect(formatFixed(terms.reduce((a, b) => a + b, 0) / Number(mean[2]), 4), text).to.equal(mean[3]);
    }
    expect(means).to.be.greaterThan(5);
    for (const v of explanation.variables) expect(v.formula.reproducible, v.formula.text).to.equal(true);
  });

  it('shows each question with its text, the answer in words, the score and the rule in words', () => {
    const ai = variable('Acceso a la información');
    expect(ai).to.include({ weightText: '0.5', valueText: f4(DEMO_SCORE.AI) });
    expect(ai.parent).to.deep.include({ short: 'TG' });
    expect(ai.formula.text).to.equal('Acceso a la información = (1 + 1 + 0.6667 + 1 + 0.6000 + 1 + 1 + 0) ÷ 8 = 0.7833');
    const staffing = ai.items.find((i) => i.question === '¿Con qué personal atiende la Unidad de Transparencia las solicitudes?')!;
    expect(staffing).to.include({ answer: 'Al menos una persona dedicada de tiempo completo', scoreText: '0.6667', rule: '2 de 3 posibles: Al menos una persona dedicada de tiempo completo' });
    const channels = ai.items.find((i) => i.question.startsWith('¿Por qué medios'))!;
    expect(channels.answer).to.equal('Plataforma Nacional de Transparencia; Correo electrónico; Presencial, en la Unidad de Transparencia');
    expect(channels.rule).to.equal('3 de 5 opciones que aplican: 3 ÷ 5. Sin marcar: Correo postal o mensajería; Teléfono o de forma verbal');
    const training = ai.items.find((i) => i.question.includes('capacitación'))!;
    expect(training).to.include({ answer: 'No', score: 0, scoreText: '0', rule: 'Sí vale 1; No vale 0' });
    expect(variable('Transparencia reactiva').items[0]!.rule).to.match(/^13 de 17 opciones que aplican: 13 ÷ 17\. Sin marcar: /);
  });

  it('explains each request of the citizen logs, and says why a question was not asked and that it counts 0', () => {
    const delivered = variable('Disponibilidad').items[0]!;
    expect(delivered).to.include({ question: '¿Se entregó la información solicitada?', group: 'Solicitudes de información presentadas', answer: '4 solicitudes', score: 0.5 });
    expect(delivered.notApplicable, 'the mean over the requests is not "not applicable"').to.equal(undefined);
    expect(delivered.rule).to.equal('Promedio de 4 solicitudes: (1 + 1 + 0 + 0) ÷ 4 = 0.5000');
    expect(delivered.rows!.map((r) => [r.answer, r.scoreText])).to.deep.equal([['Sí', '1'], ['Sí', '1'], ['No', '0'], ['No se preguntó', '0']]);
    expect(delivered.rows![0]!.label).to.equal('Solicitud 1 («Número de plazas del personal de seguridad pública y su remuneración…»)');
    expect(delivered.rows![3]).to.include({ notApplicable: true, rule: 'No se preguntó: solo se pregunta si la respuesta a «¿Se recibió respuesta?» es «Sí», y fue «No». Cuenta 0.' });

    const complete = variable('Completitud').items[0]!;
    expect(complete.rows![2]!.rule).to.equal('No se preguntó: solo se pregunta si la respuesta a «¿Se entregó la información solicitada?» es «Sí», y fue «No». Cuenta 0.');
    expect(complete.rows![3]!.rule).to.equal('No se preguntó: solo se pregunta si la respuesta a «¿Se entregó la información solicitada?» es «Sí», y esa pregunta tampoco se hizo. Cuenta 0.');

    const speed = variable('Celeridad', 'TC').items[0]!;
    expect(speed.rows!.map((r) => r.score)).to.deep.equal([1, 0.5, 1, 0]);
    expect(speed.rows![1]!.rule).to.equal('30 días hábiles del 1 de agosto de 2016 («Fecha de presentación») al 12 de septiembre de 2016; plazo de 20 días hábiles; 0 a los 40: (40 − 30) ÷ (40 − 20) = 0.5000');
    expect(speed.rows![2]!.rule).to.match(/plazo de 30 días hábiles; 0 a los 60: dentro del plazo vale 1$/);
    // (1 + 0.5 + 1 + 0)/4 = 0.625, the Cel of METHODOLOGY's hand computation in demoScore.ts.
    expect(speed.score * 4).to.be.closeTo(2.5, 1e-12);
    expect(variable('Celeridad', 'PC').items[0]!.rows![0]!.rule).to.include('(40 − 35) ÷ (40 − 20) = 0.2500');
  });

  it('leaves out a question that does not apply to the institution, saying why', () => {
    const trust = { type: 'Fideicomiso', level: 'Estatal' };
    const answers = { ...DEMO_GOVERNMENT_ANSWERS, trObligations: ['legal_framework'] } as Record<string, unknown>;
    delete answers.aiCommittee;
    const result = explainDemo({ 'mga-2017-gobierno': answers }, trust, [government]);
    const ai = result.variables.find((v) => v.name === 'Acceso a la información')!;
    expect(ai.items).to.have.length(7);
    expect(ai.excluded).to.deep.equal([
      { questionnaire: 'mga-2017-gobierno', item: 'aiCommittee', question: '¿Tiene instalado su Comité de Transparencia?', reason: 'No aplica a los sujetos obligados de tipo Fideicomiso: no cuenta en el promedio.' },
    ]);
    expect(ai.formula.text).to.equal('Acceso a la información = (1 + 1 + 0.6667 + 1 + 0.6000 + 1 + 0) ÷ 7 = 0.7524');
    // Only the government questionnaire: the citizen variables have no value and are listed, never invented.
    expect(result.missing.map((m) => m.name)).to.include.members(['Disponibilidad', 'Recepción']);
    expect(result.nodes.map((n) => n.short)).to.include('TG').and.not.include('TC');
  });

  it('a hidden follow-up counts 0 and says which answer hid it', () => {
    const answers = { aiUnit: 'no', aiElectronicSystem: 'yes', aiChannels: ['pnt'], aiProcedure: 'no', aiCommittee: 'no', aiTraining: 'no' };
    const result = explainDemo({ 'mga-2017-gobierno': answers }, DEMO_INSTITUTION, [government]);
    const head = result.variables[0]!.items.find((i) => i.question.startsWith('¿La Unidad de Transparencia tiene'))!;
    expect(head).to.include({
      answer: 'No se preguntó',
      score: 0,
      notApplicable: true,
      rule: 'No se preguntó: solo se pregunta si la respuesta a «¿La institución cuenta con una Unidad de Transparencia formalmente constituida?» es «Sí», y fue «No». Cuenta 0.',
    });
  });

  it('contains no identifier of the definition files in any of its texts', () => {
    const ids = definitionIdentifiers();
    expect(ids.has('aiUnit') && ids.has('part_time') && ids.has('TG.AI') && ids.has('GAg') && ids.has('requests')).to.equal(true);
    expect(ids.has('TG') || ids.has('IGA')).to.equal(false);
    const all = texts(explanation).join('\n');
    expect(all).to.include('Acceso a la información');
    expect(identifiersIn(all, ids)).to.deep.equal([]);
    // The check itself finds what it looks for.
    expect(identifiersIn('Respuesta: part_time (aiUnit), TG.AI y GAg', ids)).to.deep.equal(['GAg', 'TG.AI', 'aiUnit', 'part_time']);
  });

  it('from given sub-indices (the 2017 data) writes the checks and says the variables are not in the data', () => {
    const given = { GA: 0.5054, T: 0.6778, P: 0.333, TG: 0.5556, TC: 0.8, PG: 0.466, PC: 0.2 };
    const result = explainScore({ methodology, nodes: scoreInstitution(methodology, given).nodes });
    const ga = result.nodes.find((n) => n.short === 'IGA')!;
    expect(ga).to.include({ source: 'given', valueText: '0.5054' });
    expect(ga.formula!.numeric).to.equal('IGA = 0.5 × 0.6778 + 0.5 × 0.3330 = 0.5054');
    expect(ga.formula!.agrees).to.equal(true);
    expect(result.variables).to.deep.equal([]);
    expect(result.notes.join(' ')).to.include('no traen las variables');
    expect(identifiersIn(texts(result).join('\n'))).to.deep.equal([]);
  });
});

describe('the Metodología page model (questionnaires/explain/methodology)', () => {
  const outline = methodologyOutline(methodology, BUILTIN_INSTRUMENT_IDS.map((id) => loadInstrument(id)));
  const flat = (n: typeof outline.tree): (typeof outline.tree)[] => [n, ...n.children.flatMap(flat)];
  const nodes = flat(outline.tree);

  it('has every node of the tree with its weight and its weight in the index', () => {
    const graph = methodologyGraph(methodology);
    expect(nodes.map((n) => n.node).sort()).to.deep.equal(graph.nodes.filter((n) => n.origin === 'tree').map((n) => n.id).sort());
    for (const n of graph.nodes.filter((x) => x.origin === 'tree' && x.parent)) {
      expect(nodes.find((o) => o.node === n.id)!.weight, n.id).to.equal(n.weightInParent);
    }
    expect(nodes.find((n) => n.name === 'Acceso a la información')).to.include({ weightText: '0.5', weightInIndexText: '0.125' });
    expect(nodes.find((n) => n.short === 'TG')!.formula).to.equal('TG = 0.5 × Acceso a la información + 0.2 × Transparencia reactiva + 0.2 × Transparencia proactiva + 0.1 × Datos abiertos');
    expect(outline.otherFormulas.map((o) => o.formula)).to.include('IGA = 0.25 × TG + 0.25 × TC + 0.25 × PG + 0.25 × PC');
  });

  it('lists every scored question under the variable it feeds, with its rule, and the project\'s operationalisation of each variable', () => {
    const scored = [government, citizen].flatMap((d) => d.sections.flatMap((s) => s.items.flatMap((i) => (i.kind === 'group' ? i.items : [i]))).filter((i) => i.feeds));
    expect(outline.counts.questions).to.equal(scored.length);
    const variables = nodes.filter((n) => n.kind === 'variable');
    expect(variables.every((v) => v.questions.length > 0 && v.operationalisation)).to.equal(true);
    const staffing = variables.flatMap((v) => v.questions).find((q) => q.question.startsWith('¿Con qué personal'))!;
    expect(staffing.rule).to.include('«Personal que comparte esta tarea con otras funciones» vale 1 de 3');
    expect(staffing.asked).to.equal('Se pregunta solo si la respuesta a «¿La institución cuenta con una Unidad de Transparencia formalmente constituida?» es «Sí».');
    expect(outline.provenance!.official.items.length).to.be.greaterThan(0);
    expect(variables.find((v) => v.node === 'PC.Cel')!.operationalisation).to.include('elección de este proyecto');
  });

  it('contains no identifier of the definition files in its texts', () => {
    expect(identifiersIn(texts(outline).join('\n'))).to.deep.equal([]);
  });
});
