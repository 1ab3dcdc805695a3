import { expect } from 'chai';
import { loadInstrument, MAX_ERRORS, validateAnswers, type AnswerError, type AnswerValidation } from '../../questionnaires/engine.js';
import { DEMO_CITIZEN_ANSWERS, DEMO_GOVERNMENT_ANSWERS } from '../../questionnaires/demo-answers.js';
import { MUNICIPIO, PARTIDO } from './helpers.js';

const government = loadInstrument('mga-2017-gobierno');
const citizen = loadInstrument('mga-2017-ciudadano');

const draft = (def: typeof government, answers: unknown, institution = MUNICIPIO): AnswerValidation => validateAnswers(def, answers, { institution, mode: 'draft' });
const submit = (def: typeof government, answers: unknown, institution = MUNICIPIO): AnswerValidation => validateAnswers(def, answers, { institution, mode: 'submit' });
const fields = (result: AnswerValidation) => result.errors.map((e) => [e.item, e.code]);

/** The demo citizen log with the first request changed. */
function withRequest(changes: Record<string, unknown>): Record<string, unknown> {
  const [first, ...rest] = DEMO_CITIZEN_ANSWERS.requests as Record<string, unknown>[];
  return { ...DEMO_CITIZEN_ANSWERS, requests: [{ ...first, ...changes }, ...rest] };
}

describe('answer validation', () => {
  describe('valid answers', () => {
    it('accepts the demo answers for submission, unchanged', () => {
      for (const [def, answers] of [[government, DEMO_GOVERNMENT_ANSWERS], [citizen, DEMO_CITIZEN_ANSWERS]] as const) {
        const result = submit(def, answers);
        expect(result.errors).to.deep.equal([]);
        expect(result.ok).to.equal(true);
        expect(result.answers).to.deep.equal(answers);
      }
    });

    it('normalises: trimmed text, numbers from strings, yes/no from booleans, canonical URLs, choices in definition order', () => {
      const result = draft(government, {
        aiUnit: true,
        aiHead: ' NO ',
        aiStaffCount: ' 3 ',
        aiChannels: ['email', 'pnt', 'email'],
        'aiUnit:evidence': ' HTTPS://Transparencia.Municipio.example/acuerdo.pdf ',
        pgMechanismName: '  Consejo  ',
        pgLastSession: '2016-09-14',
        generalComments: '',
        pgEvidence: 'https://a.example/1\nhttps://a.example/2\n',
      });
      expect(result.errors).to.deep.equal([]);
      expect(result.answers).to.deep.equal({
        aiUnit: 'yes',
        aiHead: 'no',
        aiStaffCount: 3,
        aiChannels: ['pnt', 'email'],
        'aiUnit:evidence': 'https://transparencia.municipio.example/acuerdo.pdf',
        pgMechanismName: 'Consejo',
        pgLastSession: '2016-09-14',
        pgEvidence: ['https://a.example/1', 'https://a.example/2'],
      });
    });

    it('reads a lone string or "" as a checklist answer (one box, or none ticked)', () => {
      expect(draft(government, { aiChannels: 'pnt' }).answers).to.deep.equal({ aiChannels: ['pnt'] });
      expect(draft(government, { aiChannels: '' }).answers).to.deep.equal({ aiChannels: [] });
      expect(draft(government, { aiChannels: ['', 'email'] }).answers).to.deep.equal({ aiChannels: ['email'] });
    });

    it('drops blank rows of a group', () => {
      const result = draft(citizen, { requests: [{}, { topic: ' ', folio: '' }, { topic: 'x' }] });
      expect(result.ok).to.equal(true);
      expect(result.answers).to.deep.equal({ requests: [{ topic: 'x' }] });
    });
  });

  describe('draft and submit', () => {
    it('draft accepts partial answers; submit requires every shown, applicable required item', () => {
      expect(draft(government, { aiUnit: 'yes' }).ok).to.equal(true);
      const result = submit(government, { aiUnit: 'yes' });
      expect(result.ok).to.equal(false);
      expect(result.errors.filter((e) => e.code === 'required').map((e) => e.item)).to.deep.equal([
        'aiHead', 'aiStaffing', 'aiElectronicSystem', 'aiChannels', 'aiProcedure', 'aiCommittee', 'aiTraining', 'trObligations', 'tpPublishes', 'daPublishes', 'pgMechanisms',
      ]);
      expect(result.errors[0]).to.deep.equal({ item: 'aiHead', code: 'required', reason: 'esta pregunta es obligatoria', reasonEn: 'this item is required' });
    });

    it('does not require items hidden by a condition or that do not apply to the institution', () => {
      const answers = { ...DEMO_GOVERNMENT_ANSWERS, pgMechanisms: 'no' };
      const result = submit(government, answers);
      expect(result.ok).to.equal(true);
      // Answers of the hidden participation items are dropped on submission.
      expect(Object.keys(result.answers).filter((k) => k.startsWith('pg'))).to.deep.equal(['pgMechanisms']);
      const { aiCommittee: _committee, ...trust } = DEMO_GOVERNMENT_ANSWERS;
      const trustResult = submit(government, { ...trust, trObligations: ['legal_framework', 'trust_assets'] }, { type: 'Fideicomiso', level: 'Estatal' });
      expect(trustResult.errors).to.deep.equal([]);
    });

    it('submit requires group rows (minRows) and the required items of each row', () => {
      expect(fields(submit(citizen, { proposals: DEMO_CITIZEN_ANSWERS.proposals }))).to.deep.equal([['requests', 'min_rows']]);
      const result = submit(citizen, withRequest({ answered: 'yes', dateAnswered: '', delivered: null }));
      expect(fields(result)).to.deep.equal([
        ['requests[0].dateAnswered', 'required'],
        ['requests[0].delivered', 'required'],
      ]);
    });

    it('row paths keep the index of the input even when blank rows are dropped', () => {
      const rows = [{}, { topic: 'x', dateFiled: '2016-08-01', answered: 'yes' }];
      const result = submit(citizen, { ...DEMO_CITIZEN_ANSWERS, requests: rows });
      expect(fields(result)).to.deep.equal([
        ['requests[1].dateAnswered', 'required'],
        ['requests[1].delivered', 'required'],
      ]);
    });
  });

  describe('row keys', () => {
    it('a row keeps its key ("_key") in draft and submit, and a row with only a key is blank', () => {
      const rows = (DEMO_CITIZEN_ANSWERS.requests as Record<string, unknown>[]).map((row, i) => ({ _key: `fila-${i}`, ...row }));
      const submitted = submit(citizen, { ...DEMO_CITIZEN_ANSWERS, requests: [...rows, { _key: 'vacia' }] });
      expect(submitted.errors).to.deep.equal([]);
      expect((submitted.answers.requests as Record<string, unknown>[]).map((r) => r._key)).to.deep.equal(['fila-0', 'fila-1', 'fila-2', 'fila-3']);
      const drafted = draft(citizen, { requests: [{ _key: 'a1', topic: 'x' }] });
      expect(drafted.answers.requests).to.deep.equal([{ _key: 'a1', topic: 'x' }]);
    });

    it('refuses a malformed key and a key used twice in the group, naming the row', () => {
      const result = draft(citizen, { requests: [{ _key: 'a1', topic: 'x' }, { _key: 'a1', topic: 'y' }, { _key: { $ne: 1 }, topic: 'z' }, { _key: 'con espacios', topic: 'w' }] });
      expect(fields(result)).to.deep.equal([
        ['requests[1]._key', 'duplicate_row'],
        ['requests[2]._key', 'type'],
        ['requests[3]._key', 'type'],
      ]);
    });
  });

  describe('hostile or wrong answers give field-level errors', () => {
    const codeOf = (result: AnswerValidation, item: string) => result.errors.find((e: AnswerError) => e.item === item)?.code;

    it('answers that are not an object', () => {
      for (const input of [null, 'yes', 42, [], [{ aiUnit: 'yes' }]]) {
        expect(fields(draft(government, input)), JSON.stringify(input)).to.deep.equal([['', 'not_object']]);
      }
    });

    it('wrong types', () => {
      const result = draft(government, {
        aiUnit: 'maybe',
        aiHead: 1,
        aiStaffCount: 'three',
        aiStaffing: ['none'],
        aiChannels: { pnt: true },
        pgLastSession: 20160914,
        generalComments: ['a'],
        tpUrl: true,
      });
      expect(fields(result)).to.deep.equal([
        ['aiUnit', 'type'],
        ['aiHead', 'type'],
        ['aiStaffCount', 'type'],
        ['aiStaffing', 'type'],
        ['aiChannels', 'type'],
        ['pgLastSession', 'type'],
        ['generalComments', 'type'],
        ['tpUrl', 'type'],
      ]);
      expect(result.answers).to.deep.equal({});
    });

    it('unknown items, unknown choices and choices that do not apply to the institution', () => {
      // Only items declared with `evidence: true` take an evidence link (aiHead does, aiStaffCount does not).
      expect(fields(draft(government, { aiUnitt: 'yes', 'aiHead:evidence': 'https://a.example', 'aiStaffCount:evidence': 'https://a.example', 'x:evidence': '' }))).to.deep.equal([
        ['aiUnitt', 'unknown_item'],
        ['aiStaffCount:evidence', 'unknown_item'],
        ['x:evidence', 'unknown_item'],
      ]);
      expect(fields(draft(government, { aiStaffing: 'lots', aiChannels: ['pnt', 'fax'] }))).to.deep.equal([
        ['aiStaffing', 'invalid_choice'],
        ['aiChannels', 'invalid_choice'],
      ]);
      const notForParties = draft(government, { trObligations: ['legal_framework', 'council_minutes'] }, PARTIDO);
      expect(notForParties.errors[0]).to.deep.include({ item: 'trObligations', code: 'invalid_choice', reason: 'la opción "council_minutes" no aplica a esta institución' });
    });

    it('out-of-range and non-integer numbers', () => {
      expect(fields(draft(government, { aiStaffCount: -1, daDatasetCount: 1.5, aiRequestsLastYear: 1e12 }))).to.deep.equal([
        ['aiStaffCount', 'out_of_range'],
        ['daDatasetCount', 'type'],
        ['aiRequestsLastYear', 'out_of_range'],
      ]);
      expect(fields(draft(government, { aiStaffCount: Number.NaN }))).to.deep.equal([['aiStaffCount', 'type']]);
      expect(fields(draft(government, { aiStaffCount: 'Infinity' }))).to.deep.equal([['aiStaffCount', 'type']]);
    });

    it('invalid dates, and an answer dated before the request', () => {
      const result = draft(citizen, {
        requests: [
          { dateFiled: '2016-02-30' },
          { dateFiled: '16-08-01' },
          { dateFiled: '2016-08-01T00:00:00Z' },
          { dateFiled: '1850-01-01' },
          { dateFiled: '2016-08-10', answered: 'yes', dateAnswered: '2016-08-09' },
        ],
      });
      expect(fields(result)).to.deep.equal([
        ['requests[0].dateFiled', 'invalid_date'],
        ['requests[1].dateFiled', 'invalid_date'],
        ['requests[2].dateFiled', 'invalid_date'],
        ['requests[3].dateFiled', 'invalid_date'],
        ['requests[4].dateAnswered', 'date_order'],
      ]);
      expect(result.errors[4]!.reason).to.equal('la fecha 2016-08-09 es anterior a «Fecha de presentación» (2016-08-10)');
    });

    it('URLs that are not http(s)', () => {
      for (const url of ['javascript:alert(1)', 'ftp://a.example/x', 'file:///etc/passwd', 'https://', 'not a url', 'https://a.example/ x', `https://a.example/${'x'.repeat(2000)}`]) {
        expect(codeOf(draft(government, { tpUrl: url }), 'tpUrl'), url).to.equal('invalid_url');
      }
      expect(codeOf(draft(government, { pgEvidence: ['https://a.example', 'data:text/html,x'] }), 'pgEvidence')).to.equal('invalid_url');
      expect(codeOf(draft(government, { 'aiUnit:evidence': 'mailto:a@b.example' }), 'aiUnit:evidence')).to.equal('invalid_url');
    });

    it('too-long text and control characters', () => {
      expect(codeOf(draft(government, { pgMechanismName: 'a'.repeat(301) }), 'pgMechanismName')).to.equal('too_long');
      expect(draft(government, { pgMechanismName: 'á'.repeat(300) }).ok).to.equal(true);
      expect(codeOf(draft(government, { pgMechanismName: 'a\u0000b' }), 'pgMechanismName')).to.equal('type');
    });

    it('{"$gt": ""} at the top level, as a value and inside a row', () => {
      const top = draft(government, { $gt: '', aiUnit: { $gt: '' }, aiStaffCount: { $gt: 0 } });
      expect(fields(top)).to.deep.equal([
        ['$gt', 'forbidden_key'],
        ['aiUnit', 'type'],
        ['aiStaffCount', 'type'],
      ]);
      expect(top.errors[1]!.reason).to.equal('se esperaba "yes" (sí) o "no"; no se aceptan objetos ni operadores');
      const nested = draft(citizen, { requests: [{ topic: { $gt: '' }, $where: 'sleep(1)', 'a.b': 1 }, { $ne: null }] });
      expect(fields(nested)).to.deep.equal([
        ['requests[0].topic', 'type'],
        ['requests[0].$where', 'forbidden_key'],
        ['requests[0].a.b', 'forbidden_key'],
        ['requests[1].$ne', 'forbidden_key'],
      ]);
      expect(fields(draft(citizen, { requests: { $gt: '' } }))).to.deep.equal([['requests', 'type']]);
      expect(fields(draft(citizen, { requests: ['row'] }))).to.deep.equal([['requests[0]', 'type']]);
    });

    it('__proto__, constructor and prototype keys, without touching any prototype', () => {
      const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "aiUnit": "yes", "requests": []}');
      const result = draft(government, input);
      expect(fields(result)).to.deep.equal([
        ['__proto__', 'forbidden_key'],
        ['constructor', 'forbidden_key'],
        ['requests', 'unknown_item'],
      ]);
      expect(result.answers).to.deep.equal({ aiUnit: 'yes' });
      expect(Object.getPrototypeOf(result.answers)).to.equal(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      const inRow = draft(citizen, { requests: [JSON.parse('{"__proto__": {"topic": "x"}, "prototype": 1}')] });
      expect(fields(inRow)).to.deep.equal([
        ['requests[0].__proto__', 'forbidden_key'],
        ['requests[0].prototype', 'forbidden_key'],
      ]);
    });

    it('oversized arrays: rows beyond maxRows, checklists and evidence lists', () => {
      const rows = Array.from({ length: 21 }, () => ({ topic: 'x' }));
      expect(fields(draft(citizen, { requests: rows }))).to.deep.equal([['requests', 'too_many']]);
      expect(fields(draft(citizen, { requests: rows.slice(0, 20) }))).to.deep.equal([]);
      expect(fields(draft(government, { aiChannels: Array.from({ length: 1000 }, () => 'pnt') }))).to.deep.equal([['aiChannels', 'too_many']]);
      expect(fields(draft(government, { pgEvidence: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`) }))).to.deep.equal([['pgEvidence', 'too_many']]);
    });

    it(`stops listing errors after ${MAX_ERRORS}`, () => {
      const input = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`junk${i}`, 1]));
      const result = draft(government, input);
      expect(result.errors).to.have.length(MAX_ERRORS + 1);
      expect(result.errors.at(-1)!.code).to.equal('too_many_errors');
    });

    it('every error has a Spanish and an English reason', () => {
      const result = submit(citizen, { requests: [{ dateFiled: 'x', deadlineDays: 500, answered: 'yes', dateAnswered: '2016-01-01' }], x: 1 });
      expect(result.errors.length).to.be.greaterThan(3);
      for (const error of result.errors) {
        expect(error.reason).to.be.a('string').and.not.empty;
        expect(error.reasonEn).to.be.a('string').and.not.empty;
      }
    });
  });
});
