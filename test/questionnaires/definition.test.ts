import { expect } from 'chai';
import gobiernoJson from '../../questionnaires/instruments/mga-2017-gobierno.json' with { type: 'json' };
import {
  BUILTIN_INSTRUMENT_IDS,
  builtinInstruments,
  loadInstrument,
  questionnaireHash,
  QuestionnaireValidationError,
  topLevelItems,
  validateQuestionnaire,
  type QuestionnaireItem,
} from '../../questionnaires/engine.js';
import { methodologyGraph } from '../../scoring/methodology.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { label, rawDefinition, yesno } from './helpers.js';

function issuesOf(json: unknown): { path: string; message: string }[] {
  try {
    validateQuestionnaire(json);
  } catch (error) {
    expect(error).to.be.instanceOf(QuestionnaireValidationError);
    return [...(error as QuestionnaireValidationError).issues];
  }
  throw new Error('expected the definition to be rejected');
}

/** Every scored item, group children included. */
function scoredItems(items: readonly QuestionnaireItem[]): QuestionnaireItem[] {
  return items.flatMap((item) => (item.kind === 'group' ? scoredItems(item.items) : item.feeds ? [item] : []));
}

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  return value;
}

describe('questionnaire definitions', () => {
  describe('the built-in 2017 instruments', () => {
    const variables = methodologyGraph(loadBuiltinMethodology('mga-2017'))
      .nodes.filter((n) => n.kind === 'variable')
      .map((n) => n.id);

    it('both validate against the schema and the semantic rules', () => {
      expect(BUILTIN_INSTRUMENT_IDS).to.deep.equal(['mga-2017-gobierno', 'mga-2017-ciudadano']);
      for (const id of BUILTIN_INSTRUMENT_IDS) expect(loadInstrument(id).id).to.equal(id);
    });

    it('have Spanish and English labels on every item', () => {
      for (const id of BUILTIN_INSTRUMENT_IDS) {
        for (const { item } of topLevelItems(loadInstrument(id))) {
          for (const each of item.kind === 'group' ? [item, ...item.items] : [item]) {
            expect(each.label.es, each.id).to.be.a('string').and.not.empty;
            expect(each.label.en, each.id).to.be.a('string').and.not.empty;
          }
        }
      }
    });

    it('between them feed every variable of mga-2017: TG and PG from the institution, TC and PC from the evaluator', () => {
      const fed = (id: string) => new Set(scoredItems(topLevelItems(loadInstrument(id)).map((e) => e.item)).map((i) => i.feeds));
      const government = fed('mga-2017-gobierno');
      const citizen = fed('mga-2017-ciudadano');
      expect(loadInstrument('mga-2017-gobierno').audience).to.equal('institution');
      expect(loadInstrument('mga-2017-ciudadano').audience).to.equal('evaluator');
      expect([...government].sort()).to.deep.equal(variables.filter((v) => v.startsWith('TG.') || v.startsWith('PG.')).sort());
      expect([...citizen].sort()).to.deep.equal(variables.filter((v) => v.startsWith('TC.') || v.startsWith('PC.')).sort());
    });

    it('lists the built-ins with their hashes', () => {
      const list = builtinInstruments();
      expect(list.map((i) => i.id)).to.deep.equal(BUILTIN_INSTRUMENT_IDS);
      for (const entry of list) expect(entry.hash).to.equal(questionnaireHash(loadInstrument(entry.id)));
    });

    it('rejects an unknown built-in id', () => {
      expect(() => loadInstrument('mga-2099')).to.throw(RangeError, /unknown built-in instrument/);
    });

    it('returns frozen definitions', () => {
      expect(Object.isFrozen(loadInstrument('mga-2017-gobierno').sections[0]!.items[0])).to.equal(true);
    });
  });

  describe('hash', () => {
    it('is a stable sha256 that ignores key order', () => {
      const def = loadInstrument('mga-2017-gobierno');
      const hash = questionnaireHash(def);
      expect(hash).to.match(/^[0-9a-f]{64}$/);
      expect(questionnaireHash(validateQuestionnaire(reverseKeys(gobiernoJson)))).to.equal(hash);
      expect(questionnaireHash(validateQuestionnaire(structuredClone(gobiernoJson)))).to.equal(hash);
    });

    it('changes with any content', () => {
      const changed = structuredClone(gobiernoJson) as any;
      changed.sections[0].items[0].label.es += ' ';
      expect(questionnaireHash(validateQuestionnaire(changed))).to.not.equal(questionnaireHash(loadInstrument('mga-2017-gobierno')));
    });
  });

  describe('broken definitions', () => {
    it('a definition that is not an object, or lacks required fields', () => {
      expect(issuesOf(null)[0]!.message).to.match(/must be object/);
      const { sections: _sections, ...withoutSections } = rawDefinition([yesno('a')]);
      expect(issuesOf(withoutSections).map((i) => i.message)).to.include("must have required property 'sections'");
    });

    it('an unknown audience, kind or property', () => {
      expect(issuesOf(rawDefinition([yesno('a')], { audience: 'public' }))[0]!.path).to.equal('/audience');
      expect(issuesOf(rawDefinition([{ id: 'a', kind: 'slider', label: label('a') }])).some((i) => i.message.includes('"yesno"'))).to.equal(true);
      const extra = issuesOf(rawDefinition([{ ...yesno('a'), colour: 'red' }]));
      expect(extra.some((i) => i.message.includes('"colour"'))).to.equal(true);
    });

    it('item ids that are not safe field names', () => {
      for (const id of ['__proto__', 'constructor', 'a.b', '$gt', 'Ä']) {
        expect(issuesOf(rawDefinition([yesno(id)])).some((i) => i.path.endsWith('/id')), id).to.equal(true);
      }
    });

    it('a scored item without its variable or not-applicable rule, and a scoring rule of another kind', () => {
      const { notApplicable: _na, ...noNa } = yesno('a');
      expect(issuesOf(rawDefinition([noNa])).map((i) => i.message)).to.include('must have properties scoring, notApplicable when property feeds is present');
      const { feeds: _feeds, ...noFeeds } = yesno('a');
      expect(issuesOf(rawDefinition([noFeeds])).map((i) => i.message)).to.include('must have properties feeds, notApplicable when property scoring is present');
      expect(issuesOf(rawDefinition([{ ...yesno('a'), scoring: { rule: 'checklistShare' } }])).some((i) => i.path.includes('/scoring/rule'))).to.equal(true);
    });

    it('duplicate ids, unknown variables and unknown methodologies', () => {
      expect(issuesOf(rawDefinition([yesno('a'), yesno('a')])).map((i) => i.message)).to.include('duplicate item id "a" (also at /sections/0/items/0)');
      expect(issuesOf(rawDefinition([yesno('a', 'TG.XX')]))[0]).to.deep.equal({ path: '/sections/0/items/0/feeds', message: '"TG.XX" is not a variable of methodology "mga-2017"' });
      expect(issuesOf(rawDefinition([yesno('a', 'TG')]))[0]!.message).to.match(/not a variable/);
      expect(issuesOf(rawDefinition([yesno('a')], { methodology: 'mga-1999' }))[0]).to.deep.equal({ path: '/methodology', message: 'unknown methodology "mga-1999"' });
    });

    it('conditions on later, unknown or untestable items, or with impossible values', () => {
      const later = rawDefinition([yesno('a', 'TG.AI', { showIf: { item: 'b', equals: 'yes' } }), yesno('b')]);
      expect(issuesOf(later)[0]!.message).to.equal('"b" is not an item declared before this one');
      const text = { id: 't', kind: 'text', label: label('t'), maxLength: 10 };
      expect(issuesOf(rawDefinition([text, yesno('a', 'TG.AI', { showIf: { item: 't', equals: 'x' } })]))[0]!.message).to.match(/cannot test a text item/);
      expect(issuesOf(rawDefinition([yesno('b'), yesno('a', 'TG.AI', { showIf: { any: [{ item: 'b', equals: 'si' }] } })]))[0]).to.deep.equal({
        path: '/sections/0/items/1/showIf/any/0',
        message: '"si" is not a possible answer of "b"',
      });
      expect(issuesOf(rawDefinition([yesno('a', 'TG.AI', { showIf: { item: 'x' } })])).length).to.be.greaterThan(0);
    });

    it('choice scores that do not fit the rule', () => {
      const single = (choices: unknown[], scoring: unknown) => ({ id: 's', kind: 'single', label: label('s'), choices, feeds: 'PG.Act', scoring, notApplicable: 'zero' });
      const thirds = issuesOf(rawDefinition([single([{ id: 'a', label: label('a'), score: 4 }], { rule: 'choiceScore', scale: 3 })]));
      expect(thirds[0]!.message).to.equal('must be a whole number of points between 0 and 3');
      expect(issuesOf(rawDefinition([single([{ id: 'a', label: label('a'), score: 1.5 }], { rule: 'choiceScore' })]))[0]!.message).to.equal('must be between 0 and 1');
      expect(issuesOf(rawDefinition([single([{ id: 'a', label: label('a') }], { rule: 'choiceScore' })]))[0]!.message).to.equal('choiceScore needs a score on every choice');
      expect(issuesOf(rawDefinition([single([{ id: 'a', label: label('a'), score: 0 }, { id: 'a', label: label('b'), score: 1 }], { rule: 'choiceScore' })]))[0]!.message).to.equal('duplicate choice id "a"');
    });

    it('speed rules whose dates or parameters do not exist, and dates without the matching notBefore', () => {
      const date = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'date', label: label(id), ...extra });
      const speed = { rule: 'speed', from: 'filed', deadlineDays: 20, dayCount: 'working', zeroAtMultiple: 2 };
      const answered = (scoring: unknown, extra: Record<string, unknown> = {}) => date('answered', { notBefore: 'filed', feeds: 'TC.Cel', scoring, notApplicable: 'zero', ...extra });
      expect(issuesOf(rawDefinition([date('filed'), answered({ ...speed, from: 'nope' })])).map((i) => i.path)).to.include('/sections/0/items/1/scoring/from');
      expect(issuesOf(rawDefinition([date('filed'), answered(speed, { notBefore: undefined })]))[0]!.message).to.match(/needs notBefore "filed"/);
      expect(issuesOf(rawDefinition([date('filed'), answered({ ...speed, zeroAtMultiple: 1 })]))[0]!.path).to.equal('/sections/0/items/1/scoring/zeroAtMultiple');
      expect(issuesOf(rawDefinition([date('filed'), yesno('count'), answered({ ...speed, dayCountItem: 'count' })]))[0]!.path).to.equal('/sections/0/items/2/scoring/dayCountItem');
    });

    it('groups: nested, scored without a mean, or with more minimum than maximum rows', () => {
      const group = (items: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'g', kind: 'group', label: label('g'), maxRows: 5, items, ...extra });
      expect(issuesOf(rawDefinition([group([yesno('a')])]))[0]!.message).to.equal('a scored item inside group "g" needs the group\'s scoring rule "mean"');
      expect(issuesOf(rawDefinition([group([yesno('a')], { scoring: { rule: 'mean' }, minRows: 6 })]))[0]!.message).to.equal('minRows 6 is greater than maxRows 5');
      expect(issuesOf(rawDefinition([group([group([yesno('a')])], { scoring: { rule: 'mean' } })])).length).to.be.greaterThan(0);
      expect(issuesOf(rawDefinition([group([yesno('a')], { feeds: 'TG.AI', scoring: { rule: 'mean' }, notApplicable: 'zero' })])).length).to.be.greaterThan(0);
    });

    it('unknown levels in appliesTo', () => {
      expect(issuesOf(rawDefinition([yesno('a', 'TG.AI', { appliesTo: { levels: ['Regional'] } })]))[0]!.message).to.match(/unknown level "Regional"/);
    });
  });
});
