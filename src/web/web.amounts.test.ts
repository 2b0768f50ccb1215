import { describe, expect, it } from 'vitest';
import { canonicalAmount, MAX_DECIMALS, readAmountIn, separatorsOf } from '../../web/src/amounts.js';
import { isValidAmount, MAX_DECIMALS as SERVER_MAX_DECIMALS } from '../wallets/wallets.amounts.js';

const read = (input: string, locale = 'en') => readAmountIn(input, locale);

describe('a locale\'s separators (how amounts are shown and read)', () => {
  it('finds the grouping separator also where four-digit numbers are not grouped (Spanish showed 1,000,50)', () => {
    expect(separatorsOf('es')).toEqual({ decimal: ',', group: '.' });
    expect(separatorsOf('de')).toEqual({ decimal: ',', group: '.' });
    expect(separatorsOf('en')).toEqual({ decimal: '.', group: ',' });
  });
});

describe('an amount typed in the web app', () => {
  it('reads leading zeros as the number they write, in the form the server accepts', () => {
    expect(read('01')).toEqual({ amount: '1', problem: null });
    expect(read('007')).toEqual({ amount: '7', problem: null });
    expect(read('00.5')).toEqual({ amount: '0.5', problem: null });
    expect(read('0.5')).toEqual({ amount: '0.5', problem: null });
    expect(read(' 0010.250 ')).toEqual({ amount: '10.250', problem: null });
    // the server refuses "01": what the web sends must pass its pattern
    expect(isValidAmount('01')).toBe(false);
    expect(isValidAmount(read('01').amount!)).toBe(true);
  });

  it('reads them with a decimal comma too', () => {
    expect(read('01,5', 'fr')).toEqual({ amount: '1.5', problem: null });
    expect(read('00,5', 'de')).toEqual({ amount: '0.5', problem: null });
    expect(read('007,25', 'it')).toEqual({ amount: '7.25', problem: null });
    expect(read('1,5', 'en')).toEqual({ amount: '1.5', problem: null });
    expect(read('1.500', 'de')).toEqual({ amount: null, problem: 'grouping' });
    expect(read('1,000.50', 'en')).toEqual({ amount: null, problem: 'grouping' });
  });

  it('still refuses what the server refuses', () => {
    for (const bad of ['0', '00', '0.000000', '-1', '+1', '1e3', '1E3', '0x10', '1.', '.5', '1.1234567', '01.0000000', 'abc', '', '١٢']) {
      expect(read(bad), bad).toEqual({ amount: null, problem: 'invalid' });
    }
    expect(read('1000000000000')).toEqual({ amount: null, problem: 'tooLarge' });
    expect(read('0001000000000000,5', 'fr')).toEqual({ amount: null, problem: 'tooLarge' });
    expect(read('999999999999.999999')).toEqual({ amount: '999999999999.999999', problem: null });
    expect(read('000999999999999')).toEqual({ amount: '999999999999', problem: null });
  });

  it('accepts exactly what the server’s pattern takes, once leading zeros are dropped', () => {
    expect(MAX_DECIMALS).toBe(SERVER_MAX_DECIMALS);
    const samples = ['1', '01', '10', '0.1', '00.000001', '0.0000001', '123456789012', '1234567890123', '0123456789012', '5.', '5.5', '05.500000', '0'];
    for (const s of samples) {
      const web = canonicalAmount(s);
      if (web.amount !== null) expect(isValidAmount(web.amount), s).toBe(true);
      expect(web.amount !== null, s).toBe(isValidAmount(s.replace(/^0+(?=\d)/, '')));
    }
  });
});
