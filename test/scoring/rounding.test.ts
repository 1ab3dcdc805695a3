import { expect } from 'chai';
import { scoreInstitutions } from '../../scoring/engine.js';
import { groupByKeys } from '../../scoring/grouping.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { formatFixed, roundHalfUp } from '../../scoring/rounding.js';

describe('half-up rounding', () => {
  const cases: [number, number, string][] = [
    [0.195, 2, '0.20'], // stored as 0.19500000000000000666
    [0.685, 2, '0.69'], // a T of 0.685 is published as 0.69 (METHODOLOGY.md §3)
    [1.005, 2, '1.01'], // stored as 1.00499999999999989: Math.round(1.005 * 100) gives 100
    [2.675, 2, '2.68'], // (2.675).toFixed(2) gives "2.67"
    [0.005, 2, '0.01'],
    [0.125, 2, '0.13'], // exactly representable half
    [0.135, 2, '0.14'],
    [0.1949999, 2, '0.19'], // below the half in decimal: not snapped
    [0.19499999999999998, 2, '0.20'], // a mean of 4-decimal values whose exact decimal value is 0.195
    [9.995, 2, '10.00'], // carry into the integer part
    [0.999, 2, '1.00'],
    [0.994, 2, '0.99'],
    [123456.785, 2, '123456.79'],
    [0.1, 4, '0.1000'],
    [0.38868612334801, 2, '0.39'],
    [0.05, 1, '0.1'],
    [1e-20, 2, '0.00'],
    [0, 2, '0.00'],
  ];
  for (const [value, decimals, expected] of cases) {
    it(`${value} to ${decimals} decimals → ${expected}`, () => {
      expect(formatFixed(value, decimals)).to.equal(expected);
      expect(roundHalfUp(value, decimals)).to.equal(Number(expected));
    });
  }

  it('is symmetric for negatives: half away from zero', () => {
    expect(formatFixed(-0.195, 2)).to.equal('-0.20');
    expect(roundHalfUp(-1.005, 2)).to.equal(-1.01);
    expect(roundHalfUp(-0.125, 2)).to.equal(-0.13);
    expect(roundHalfUp(-0.685, 2)).to.equal(-0.69);
    expect(roundHalfUp(-2.5, 0)).to.equal(-3);
    expect(roundHalfUp(-0.1949999, 2)).to.equal(-0.19);
  });

  it('never produces a negative zero', () => {
    expect(formatFixed(-0.001, 2)).to.equal('0.00');
    expect(Object.is(roundHalfUp(-0.001, 2), 0)).to.equal(true);
  });

  it('handles integers and zero decimals', () => {
    expect(roundHalfUp(3, 2)).to.equal(3);
    expect(formatFixed(3, 2)).to.equal('3.00');
    expect(formatFixed(2.5, 0)).to.equal('3');
    expect(formatFixed(0.5, 0)).to.equal('1');
    expect(formatFixed(0.49, 0)).to.equal('0');
    expect(formatFixed(1234.5, 0)).to.equal('1235');
    expect(roundHalfUp(1, 0)).to.equal(1);
  });

  it('rounds means computed from floats as their exact decimal value', () => {
    // (0.19 + 0.19 + 0.205) / 3 is exactly 0.195 in decimal, but 0.19499999999999998 in binary.
    const naive = (0.19 + 0.19 + 0.205) / 3;
    expect(naive).to.be.below(0.195);
    expect(Math.round(naive * 100) / 100).to.equal(0.19); // the trap
    expect(roundHalfUp(naive, 2)).to.equal(0.2);

    // The same through the engine and a grouping.
    const m = loadBuiltinMethodology('mga-2017');
    const table = scoreInstitutions(m, [{ TG: 0.19 }, { TG: 0.19 }, { TG: 0.205 }]);
    const [group] = groupByKeys(table, ['a', 'a', 'a'], 'test').groups;
    expect(formatFixed(group!.values.TG!, 2)).to.equal('0.20');
    const table2 = scoreInstitutions(m, [{ T: 0.68 }, { T: 0.69 }]);
    expect(formatFixed(groupByKeys(table2, ['a', 'a'], 'test').groups[0]!.values.T!, 2)).to.equal('0.69');
  });

  it('refuses bad arguments', () => {
    expect(() => formatFixed(NaN, 2)).to.throw(RangeError, /non-finite/);
    expect(() => formatFixed(Infinity, 2)).to.throw(RangeError);
    expect(() => formatFixed(0.5, -1)).to.throw(RangeError, /decimals/);
    expect(() => formatFixed(0.5, 1.5)).to.throw(RangeError, /decimals/);
  });
});
