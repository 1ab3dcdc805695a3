import { expect } from 'chai';
import { loadInstrument, validateAnswers } from '../../questionnaires/engine.js';
import { DEMO_ANSWERS, DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS, DEMO_INSTITUTION } from '../../questionnaires/demo-answers.js';
import { AnswersInvalidError, elapsedDays, speedScore, variablesFromAnswers } from '../../questionnaires/answers.js';
import { scoreInstitution } from '../../scoring/engine.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { definition, label, MUNICIPIO, PARTIDO, yesno } from './helpers.js';
import { DEMO_SCORE } from './demoScore.js';

const EPSILON = 1e-12;
const government = loadInstrument('mga-2017-gobierno');
const citizen = loadInstrument('mga-2017-ciudadano');

/** The values one definition gives for `answers`. */
function valuesOf(def: ReturnType<typeof definition>, answers: unknown, institution = MUNICIPIO) {
  return variablesFromAnswers([def], { [def.id]: answers }, { institution });
}

const single = (id: string, feeds: string, scores: number[], scale?: number) => ({
  id,
  kind: 'single',
  label: label(id),
  choices: scores.map((score, i) => ({ id: `c${i}`, label: label(`c${i}`), score })),
  feeds,
  scoring: { rule: 'choiceScore', ...(scale && { scale }) },
  notApplicable: 'zero',
});

describe('scoring answers into variables', () => {
  describe('yes1no0', () => {
    it('scores yes 1 and no 0; a variable is the mean of its items', () => {
      const def = definition([yesno('a'), yesno('b'), yesno('c')]);
      expect(valuesOf(def, { a: 'yes', b: 'no', c: 'yes' }).values['TG.AI']).to.be.closeTo(2 / 3, EPSILON);
      expect(valuesOf(def, { a: 'no' }).values['TG.AI']).to.equal(0);
    });
  });

  describe('choiceScore', () => {
    it('gives exact thirds from whole points out of the scale', () => {
      const def = definition([single('actors', 'PG.Act', [0, 1, 2, 3], 3)]);
      expect([0, 1, 2, 3].map((i) => valuesOf(def, { actors: `c${i}` }).values['PG.Act'])).to.deep.equal([0, 1 / 3, 2 / 3, 1]);
      expect(valuesOf(def, { actors: 'c2' }).explanation['PG.Act']!.items[0]).to.deep.include({ answer: 'c2', score: 2 / 3, detail: '2/3' });
    });

    it('uses 0–1 choice scores directly without a scale', () => {
      const def = definition([single('format', 'PG.Form', [0, 1])]);
      expect(valuesOf(def, { format: 'c0' }).values['PG.Form']).to.equal(0);
      expect(valuesOf(def, { format: 'c1' }).values['PG.Form']).to.equal(1);
    });
  });

  describe('checklistShare', () => {
    it('is the share of checklist items met', () => {
      const values = variablesFromAnswers([government], { [government.id]: { aiChannels: ['pnt', 'email', 'phone'] } }, { institution: MUNICIPIO });
      expect(values.explanation['TG.AI']!.items[0]).to.deep.include({ item: 'aiChannels', score: 3 / 5, detail: '3/5' });
    });

    it('counts only the obligations that apply to the institution type', () => {
      const met = { trObligations: ['legal_framework', 'structure', 'council_minutes'] };
      // Municipality: 15 common obligations + development plan + council minutes.
      expect(variablesFromAnswers([government], { [government.id]: met }, { institution: MUNICIPIO }).values['TG.TR']).to.be.closeTo(3 / 17, EPSILON);
      // Party: 15 common obligations + members and funding.
      const party = { trObligations: ['legal_framework', 'structure', 'party_members'] };
      expect(variablesFromAnswers([government], { [government.id]: party }, { institution: PARTIDO }).values['TG.TR']).to.be.closeTo(3 / 16, EPSILON);
      // A decentralised body has only the common ones.
      const decentralised = { type: 'Descentralizado', level: 'Federal' };
      expect(variablesFromAnswers([government], { [government.id]: { trObligations: [] } }, { institution: decentralised }).explanation['TG.TR']!.items[0]!.detail).to.equal('0/15');
    });
  });

  describe('speed', () => {
    it('counts working days Monday to Friday after the start date, or calendar days', () => {
      expect(elapsedDays('2016-08-01', '2016-08-01', 'working')).to.equal(0);
      expect(elapsedDays('2016-08-01', '2016-08-08', 'working')).to.equal(5); // Monday to Monday
      expect(elapsedDays('2016-08-05', '2016-08-08', 'working')).to.equal(1); // Friday to Monday
      expect(elapsedDays('2016-08-05', '2016-08-06', 'working')).to.equal(0); // Friday to Saturday
      expect(elapsedDays('2016-08-06', '2016-08-08', 'working')).to.equal(1); // Saturday to Monday
      expect(elapsedDays('2016-08-01', '2016-08-29', 'working')).to.equal(20);
      expect(elapsedDays('2016-08-03', '2016-09-21', 'working')).to.equal(35);
      expect(elapsedDays('2016-08-01', '2016-08-29', 'calendar')).to.equal(28);
      expect(elapsedDays('2016-02-28', '2016-03-01', 'calendar')).to.equal(2); // leap year
      expect(elapsedDays('2016-12-30', '2017-01-02', 'working')).to.equal(1);
    });

    it('is 1 within the deadline, linear to 0 at the multiple, 0 beyond', () => {
      expect(speedScore(0, 20, 2)).to.equal(1);
      expect(speedScore(20, 20, 2)).to.equal(1);
      expect(speedScore(21, 20, 2)).to.be.closeTo(19 / 20, EPSILON);
      expect(speedScore(30, 20, 2)).to.equal(0.5);
      expect(speedScore(40, 20, 2)).to.equal(0);
      expect(speedScore(90, 20, 2)).to.equal(0);
      expect(speedScore(40, 20, 3)).to.equal(0.5);
    });

    it('uses each row\'s deadline and day count when given, and scores 0 for a request never answered', () => {
      const row = (changes: Record<string, unknown>) => ({ topic: 't', dateFiled: '2016-08-01', answered: 'yes', delivered: 'yes', complete: 'yes', clear: 'yes', ...changes });
      const answers = {
        requests: [
          row({ dateAnswered: '2016-08-29' }), // 20 working days: 1
          row({ dateAnswered: '2016-09-05' }), // 25 working days: (40 − 25) / 20 = 0.75
          row({ dateAnswered: '2016-09-05', deadlineDays: 30 }), // 25 ≤ 30: 1
          row({ dateAnswered: '2016-08-29', dayCount: 'calendar', deadlineDays: 20 }), // 28 calendar days: (40 − 28) / 20 = 0.6
          { topic: 't', dateFiled: '2016-08-01', answered: 'no' }, // never answered: 0
        ],
      };
      const result = variablesFromAnswers([citizen], { [citizen.id]: answers }, { institution: MUNICIPIO });
      expect(result.explanation['TC.Cel']!.items[0]!.rows!.map((r) => r.score)).to.deep.equal([1, 0.75, 1, 0.6, 0]);
      expect(result.values['TC.Cel']).to.be.closeTo((1 + 0.75 + 1 + 0.6 + 0) / 5, EPSILON);
      expect(result.explanation['TC.Cel']!.items[0]!.rows![3]!.detail).to.equal('28 días naturales desde 2016-08-01; plazo 20, 0 a los 40');
    });
  });

  describe('mean over the rows of a group', () => {
    it('gives TC.Disp, TC.Comp, TC.Clar and TC.Cel as means over the requests', () => {
      const { values, explanation } = variablesFromAnswers([citizen], { [citizen.id]: DEMO_CITIZEN_ANSWERS }, { institution: DEMO_INSTITUTION });
      // Requests: answered in 15 working days, complete and clear; in 30 days, incomplete; in 25 of an
      // extended 30 days, not delivered; never answered.
      expect(values['TC.Disp']).to.equal((1 + 1 + 0 + 0) / 4);
      expect(values['TC.Comp']).to.equal((1 + 0 + 0 + 0) / 4);
      expect(values['TC.Clar']).to.equal((1 + 1 + 0 + 0) / 4);
      expect(values['TC.Cel']).to.equal((1 + 0.5 + 1 + 0) / 4);
      expect(explanation['TC.Comp']!.items[0]).to.deep.include({ item: 'requests[*].complete', rule: 'yes1no0', score: 0.25 });
      expect(explanation['TC.Comp']!.items[0]!.rows!.map((r) => [r.item, r.answer, r.score])).to.deep.equal([
        ['requests[0].complete', 'yes', 1],
        ['requests[1].complete', 'no', 0],
        ['requests[2].complete', null, 0],
        ['requests[3].complete', null, 0],
      ]);
    });

    it('gives PC.Met, PC.Recep, PC.Act and PC.Cel as means over the proposals', () => {
      const proposals = [
        { contactMethod: 'specific', dateSent: '2016-08-01', receiptAcknowledged: 'yes', mechanismActivated: 'yes', responded: 'yes', dateResponse: '2016-08-15' },
        { contactMethod: 'none' },
      ];
      const { values } = variablesFromAnswers([citizen], { [citizen.id]: { proposals } }, { institution: MUNICIPIO });
      expect(values).to.deep.equal({ 'PC.Met': 0.5, 'PC.Recep': 0.5, 'PC.Act': 0.5, 'PC.Cel': 0.5 });
    });
  });

  describe('items that do not apply', () => {
    const def = definition([
      yesno('everyone'),
      yesno('partiesExcluded', 'TG.AI', { appliesTo: { types: ['Partido'] }, notApplicable: 'exclude' }),
      yesno('partiesZero', 'TG.AI', { appliesTo: { types: ['Partido'] }, notApplicable: 'zero' }),
      yesno('hasData', 'TG.DA'),
      yesno('openFormat', 'TG.DA', { showIf: { item: 'hasData', equals: 'yes' } }),
      yesno('licence', 'TG.DA', { showIf: { item: 'hasData', equals: 'yes' }, notApplicable: 'exclude' }),
    ]);

    it('exclude leaves the item out of the mean; zero counts it as 0', () => {
      const { values, explanation } = valuesOf(def, { everyone: 'yes' });
      expect(values['TG.AI']).to.equal((1 + 0) / 2);
      expect(explanation['TG.AI']!.notApplicable).to.deep.equal(['partiesExcluded']);
      expect(explanation['TG.AI']!.items[1]).to.deep.include({ item: 'partiesZero', answer: null, score: 0, notApplicable: true, detail: 'no aplica a la institución: cuenta 0' });
      expect(valuesOf(def, { everyone: 'yes', partiesExcluded: 'yes', partiesZero: 'no' }, PARTIDO).values['TG.AI']).to.be.closeTo(2 / 3, EPSILON);
    });

    it('applies the same rule to items hidden by their condition', () => {
      const { values, explanation } = valuesOf(def, { hasData: 'no' });
      expect(values['TG.DA']).to.equal(0); // hasData 0, openFormat 0 (zero), licence excluded
      expect(explanation['TG.DA']!.items.map((i) => i.item)).to.deep.equal(['hasData', 'openFormat']);
      expect(explanation['TG.DA']!.notApplicable).to.deep.equal(['licence']);
      expect(valuesOf(def, { hasData: 'yes', openFormat: 'yes', licence: 'no' }).values['TG.DA']).to.be.closeTo(2 / 3, EPSILON);
    });

    it('values no variable from applicability alone, nor while a condition is undecided', () => {
      // For a municipality with no answers, partiesZero would count 0 only because it does not apply.
      const { values, missing } = valuesOf(def, {});
      expect(values).to.deep.equal({});
      expect(missing).to.include('TG.DA');
    });

    it('a group that does not apply makes its items not apply, each by its own rule', () => {
      const grouped = definition([
        yesno('hasLog', 'TC.Disp'),
        {
          id: 'log',
          kind: 'group',
          label: label('log'),
          maxRows: 3,
          showIf: { item: 'hasLog', equals: 'yes' },
          scoring: { rule: 'mean' },
          items: [yesno('zeroed', 'TC.Disp'), yesno('excluded', 'TC.Clar', { notApplicable: 'exclude' })],
        },
      ]);
      const { values, explanation } = valuesOf(grouped, { hasLog: 'no' });
      expect(values).to.deep.equal({ 'TC.Disp': 0 });
      expect(explanation['TC.Disp']!.items.map((i) => i.item)).to.deep.equal(['hasLog', 'log[*].zeroed']);
      expect(valuesOf(grouped, { hasLog: 'yes', log: [{ zeroed: 'yes', excluded: 'yes' }, { zeroed: 'no' }] }).values).to.deep.equal({ 'TC.Disp': (1 + 0.5) / 2, 'TC.Clar': 1 });
    });
  });

  describe('variables', () => {
    it('a weighted mean when items state weights', () => {
      const def = definition([yesno('a', 'TG.AI', { weight: 3 }), yesno('b', 'TG.AI', { weight: 1 })]);
      const { values, explanation } = valuesOf(def, { a: 'yes', b: 'no' });
      expect(values['TG.AI']).to.equal(0.75);
      expect(explanation['TG.AI']!.rule).to.equal('weighted-mean');
      expect(explanation['TG.AI']!.items.map((i) => i.weight)).to.deep.equal([3, 1]);
    });

    it('are never invented: unanswered items give nothing, and every variable without a value is listed as missing', () => {
      const { values, explanation, missing } = variablesFromAnswers([government, citizen], { [government.id]: { aiUnit: 'yes' } }, { institution: MUNICIPIO });
      expect(values).to.deep.equal({ 'TG.AI': 1 });
      expect(Object.keys(explanation)).to.deep.equal(['TG.AI']);
      expect(missing).to.deep.equal(['TG.TR', 'TG.TP', 'TG.DA', 'TC.Disp', 'TC.Clar', 'TC.Comp', 'TC.Cel', 'PG.Mec', 'PG.Act', 'PG.Fun', 'PG.Form', 'PG.Seg', 'PC.Met', 'PC.Recep', 'PC.Act', 'PC.Cel']);
    });

    it('refuses invalid stored answers instead of scoring them', () => {
      expect(() => variablesFromAnswers([government], { [government.id]: { aiUnit: { $gt: '' } } }, { institution: MUNICIPIO }))
        .to.throw(AnswersInvalidError, /aiUnit/);
    });

    it('refuses questionnaires of different methodologies', () => {
      const other = { ...definition([yesno('a')]), methodology: 'mga-2019' };
      expect(() => variablesFromAnswers([government, other], {}, { institution: MUNICIPIO })).to.throw(RangeError, /different methodologies/);
    });
  });

  describe('full example: demo answers → variables → scoreInstitution(mga-2017)', () => {
    const variables = variablesFromAnswers([government, citizen], DEMO_ANSWERS, { institution: DEMO_INSTITUTION });
    const score = scoreInstitution(loadBuiltinMethodology('mga-2017'), variables.values);
    const value = (node: string) => score.nodes[node]!.value;

    // Hand-computed from questionnaires/demo-answers.ts.
    const { TG, TC, PG, PC, GA } = DEMO_SCORE;

    it('gives every variable, none missing', () => {
      expect(variables.missing).to.deep.equal([]);
      expect(variables.values['TG.AI']).to.be.closeTo(47 / 60, EPSILON);
      expect(variables.values['TG.TP']).to.be.closeTo(4 / 9, EPSILON);
      expect(variables.values['PC.Cel']).to.equal(0.25);
    });

    it('scores TG, TC, PG, PC and GA as computed by hand', () => {
      expect(value('TG')).to.be.closeTo(TG, EPSILON);
      expect(value('TC')).to.be.closeTo(TC, EPSILON);
      expect(value('PG')).to.be.closeTo(PG, EPSILON);
      expect(value('PC')).to.be.closeTo(PC, EPSILON);
      expect(value('GA')).to.be.closeTo(GA, EPSILON);
      expect([TG, TC, PG, PC, GA].map((v) => v.toFixed(4))).to.deep.equal(['0.6935', '0.4688', '0.5667', '0.4833', '0.5531']);
      expect(score.discrepancies).to.deep.equal([]);
      expect(score.undetermined).to.deep.equal([]);
    });

    it('scores the same from the answers as stored after submission', () => {
      const submitted = (def: typeof government, answers: unknown) => validateAnswers(def, answers, { institution: DEMO_INSTITUTION, mode: 'submit' }).answers;
      const stored = JSON.parse(JSON.stringify({ [government.id]: submitted(government, DEMO_GOVERNMENT_ANSWERS), [citizen.id]: submitted(citizen, DEMO_CITIZEN_ANSWERS) }));
      expect(variablesFromAnswers([government, citizen], stored, { institution: DEMO_INSTITUTION }).values).to.deep.equal(variables.values);
    });
  });
});
