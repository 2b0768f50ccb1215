import { describe, expect, it } from 'vitest';
import { formatApprox } from './wallets.amounts.js';

describe('formatApprox', () => {
  it('keeps four significant digits, rounding half up', () => {
    expect(formatApprox(203_338_072_320_000n, 18)).toBe('0.0002033');
    expect(formatApprox(78_242_120_334_840n, 18)).toBe('0.00007824');
    expect(formatApprox(9_875_338_657_657_720n, 18)).toBe('0.009875');
    expect(formatApprox(9_875_500_000_000_000n, 18)).toBe('0.009876');
    expect(formatApprox(99_995n, 0)).toBe('100000');
  });

  it('leaves short amounts exact', () => {
    expect(formatApprox(0n, 18)).toBe('0');
    expect(formatApprox('25', 1)).toBe('2.5');
    expect(formatApprox(1_234n, 18)).toBe('0.000000000000001234');
    expect(formatApprox(10_000_000_000_000_000n, 18)).toBe('0.01');
  });
});
