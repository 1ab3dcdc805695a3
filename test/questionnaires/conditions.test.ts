import { expect } from 'chai';
import {
  evaluateCondition,
  loadInstrument,
  progress,
  visibleItems,
  type Condition,
  type ItemState,
} from '../../questionnaires/engine.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { definition, label, MUNICIPIO, PARTIDO, yesno } from './helpers.js';

const ids = (views: readonly { item: { id: string } }[]) => views.map((v) => v.item.id);

describe('conditions and applicability', () => {
  describe('evaluateCondition', () => {
    const states: Record<string, ItemState> = {
      yes: { status: 'answered', value: 'yes' },
      list: { status: 'answered', value: ['a', 'b'] },
      open: { status: 'unanswered' },
      gone: { status: 'notApplicable', because: 'showIf' },
    };
    const test = (condition: Condition) => evaluateCondition(condition, (id) => states[id]);

    it('equals and in, on single values and checklists', () => {
      expect(test({ item: 'yes', equals: 'yes' })).to.equal(true);
      expect(test({ item: 'yes', equals: 'no' })).to.equal(false);
      expect(test({ item: 'yes', in: ['no', 'yes'] })).to.equal(true);
      expect(test({ item: 'list', equals: 'b' })).to.equal(true);
      expect(test({ item: 'list', in: ['c', 'd'] })).to.equal(false);
    });

    it('is undecided on an unanswered item and false on one that does not apply', () => {
      expect(test({ item: 'open', equals: 'yes' })).to.equal(undefined);
      expect(test({ item: 'gone', equals: 'yes' })).to.equal(false);
    });

    it('combines with all / any in three-valued logic', () => {
      expect(test({ all: [{ item: 'yes', equals: 'yes' }, { item: 'list', equals: 'a' }] })).to.equal(true);
      expect(test({ all: [{ item: 'yes', equals: 'yes' }, { item: 'open', equals: 'yes' }] })).to.equal(undefined);
      expect(test({ all: [{ item: 'yes', equals: 'no' }, { item: 'open', equals: 'yes' }] })).to.equal(false);
      expect(test({ any: [{ item: 'yes', equals: 'no' }, { item: 'open', equals: 'yes' }] })).to.equal(undefined);
      expect(test({ any: [{ item: 'yes', equals: 'yes' }, { item: 'open', equals: 'yes' }] })).to.equal(true);
      expect(test({ any: [{ item: 'gone', equals: 'yes' }, { item: 'yes', equals: 'no' }] })).to.equal(false);
    });
  });

  describe('visibleItems', () => {
    const def = definition([
      yesno('hasUnit'),
      yesno('staffed', 'TG.AI', { showIf: { item: 'hasUnit', equals: 'yes' } }),
      { id: 'size', kind: 'number', label: label('size'), showIf: { all: [{ item: 'hasUnit', equals: 'yes' }, { item: 'staffed', equals: 'yes' }] } },
      yesno('municipal', 'TG.AI', { appliesTo: { types: ['municipio'] } }),
      yesno('stateLevel', 'TG.AI', { appliesTo: { levels: ['Estatal'] } }),
      yesno('stateParty', 'TG.AI', { appliesTo: { types: ['Partido'], levels: ['Estatal'] } }),
      {
        id: 'obligations',
        kind: 'multiple',
        label: label('obligations'),
        choices: [
          { id: 'common', label: label('common') },
          { id: 'council', label: label('council'), appliesTo: { types: ['Municipio'] } },
        ],
      },
      {
        id: 'onlyMunicipal',
        kind: 'single',
        label: label('only municipal choices'),
        choices: [{ id: 'x', label: label('x'), appliesTo: { types: ['Municipio'] } }],
      },
    ]);

    it('hides items whose condition is false or still undecided', () => {
      expect(ids(visibleItems(def, {}, MUNICIPIO))).to.deep.equal(['hasUnit', 'municipal', 'obligations', 'onlyMunicipal']);
      expect(ids(visibleItems(def, { hasUnit: 'no' }, MUNICIPIO))).to.deep.equal(['hasUnit', 'municipal', 'obligations', 'onlyMunicipal']);
      expect(ids(visibleItems(def, { hasUnit: 'yes' }, MUNICIPIO))).to.deep.equal(['hasUnit', 'staffed', 'municipal', 'obligations', 'onlyMunicipal']);
      expect(ids(visibleItems(def, { hasUnit: 'yes', staffed: 'yes' }, MUNICIPIO))).to.include('size');
    });

    it('shows items by institution type and level, ignoring case and accents', () => {
      expect(ids(visibleItems(def, {}, PARTIDO))).to.deep.equal(['hasUnit', 'stateLevel', 'stateParty', 'obligations']);
      expect(ids(visibleItems(def, {}, { type: 'MUNICIPIO', level: 'municipal' }))).to.include('municipal');
      expect(ids(visibleItems(def, {}, { type: 'Partido', level: 'Federal' }))).to.not.include('stateParty');
    });

    it('offers only the choices that apply, and hides a choice item when none applies', () => {
      const choicesOf = (institution: typeof MUNICIPIO) => visibleItems(def, {}, institution).find((v) => v.item.id === 'obligations')!.choices!.map((c) => c.id);
      expect(choicesOf(MUNICIPIO)).to.deep.equal(['common', 'council']);
      expect(choicesOf(PARTIDO)).to.deep.equal(['common']);
    });

    it('ignores invalid raw answers when deciding what to show', () => {
      expect(ids(visibleItems(def, { hasUnit: { $ne: 'no' } }, MUNICIPIO))).to.not.include('staffed');
    });

    it('gives the items of each row and of a new row of a group', () => {
      const citizen = loadInstrument('mga-2017-ciudadano');
      const [requests] = visibleItems(citizen, DEMO_CITIZEN_ANSWERS, MUNICIPIO);
      expect(ids(requests!.newRow!)).to.deep.equal(['topic', 'folio', 'channel', 'dateFiled', 'dayCount', 'deadlineDays', 'answered', 'requestNotes']);
      expect(requests!.rows!.map(ids)).to.deep.equal([
        ['topic', 'folio', 'channel', 'dateFiled', 'dayCount', 'deadlineDays', 'answered', 'dateAnswered', 'delivered', 'complete', 'clear', 'requestNotes'],
        ['topic', 'folio', 'channel', 'dateFiled', 'dayCount', 'deadlineDays', 'answered', 'dateAnswered', 'delivered', 'complete', 'clear', 'requestNotes'],
        ['topic', 'folio', 'channel', 'dateFiled', 'dayCount', 'deadlineDays', 'answered', 'dateAnswered', 'delivered', 'requestNotes'],
        ['topic', 'folio', 'channel', 'dateFiled', 'dayCount', 'deadlineDays', 'answered', 'requestNotes'],
      ]);
    });

    it('applies the Transparency Committee item to every type but trusts', () => {
      const government = loadInstrument('mga-2017-gobierno');
      expect(ids(visibleItems(government, {}, MUNICIPIO))).to.include('aiCommittee');
      expect(ids(visibleItems(government, {}, { type: 'Fideicomiso', level: 'Federal' }))).to.not.include('aiCommittee');
    });
  });

  describe('progress', () => {
    const government = loadInstrument('mga-2017-gobierno');

    it('counts shown items, required ones and sections', () => {
      const empty = progress(government, {}, { institution: MUNICIPIO });
      // Shown with no answers: 7 + 1 + 1 + 1 + 1 + 1 items; required: aiUnit, aiElectronicSystem, aiChannels, aiProcedure, aiCommittee, aiTraining, trObligations, tpPublishes, daPublishes, pgMechanisms.
      expect(empty).to.deep.include({ answered: 0, required: 10, requiredAnswered: 0, total: 12, percent: 0, complete: false });
      expect(empty.sections[0]).to.deep.equal({ id: 'access', answered: 0, required: 6, requiredAnswered: 0, total: 7 });
    });

    it('grows with answers, including items revealed by them', () => {
      const some = progress(government, { aiUnit: 'yes', aiHead: 'no', aiRequestsLastYear: '15' }, { institution: MUNICIPIO });
      // aiUnit reveals aiHead, aiStaffCount and aiStaffing (2 more required).
      expect(some.sections[0]).to.deep.equal({ id: 'access', answered: 3, required: 8, requiredAnswered: 2, total: 10 });
      expect(some.percent).to.equal(Math.floor((100 * 2) / 12));
    });

    it('is complete for the demo answers; a group counts once its rows have their required items', () => {
      expect(progress(government, DEMO_GOVERNMENT_ANSWERS, { institution: MUNICIPIO })).to.deep.include({ percent: 100, complete: true });
      const citizen = loadInstrument('mga-2017-ciudadano');
      expect(progress(citizen, DEMO_CITIZEN_ANSWERS, { institution: MUNICIPIO })).to.deep.include({ answered: 2, required: 2, percent: 100, complete: true });
      const incomplete = { ...DEMO_CITIZEN_ANSWERS, requests: [{ topic: 'x', dateFiled: '2016-08-01', answered: 'yes' }] };
      expect(progress(citizen, incomplete, { institution: MUNICIPIO })).to.deep.include({ answered: 1, requiredAnswered: 1, percent: 50, complete: false });
    });
  });
});
