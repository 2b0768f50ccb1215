/** USDC amounts as the API takes them: at most 6 decimals, below one trillion (the server's AMOUNT_PATTERN). */
export const MAX_DECIMALS = 6;
export const MAX_WHOLE_DIGITS = 12;

/** What is wrong with a typed amount: not a positive decimal, thousands separators, one trillion or more. */
export type AmountProblem = 'invalid' | 'grouping' | 'tooLarge';

export type ReadAmount = { amount: string; problem: null } | { amount: null; problem: AmountProblem };

/** A locale's decimal and grouping separators ("," and "." in German). */
export function separatorsOf(locale: string): { decimal: string; group: string } {
  const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
  return { decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.', group: parts.find((p) => p.type === 'group')?.value ?? ',' };
}

/**
 * A decimal with a point ("007", "00.5", "1.50") as the API writes it ("7", "0.5", "1.50"): leading zeros
 * of the whole part dropped, the decimals kept as typed. Null when it is not digits with at most 6
 * decimals (signs, exponents, ".5", "1."), is not above 0, or is one trillion or more ('tooLarge').
 */
export function canonicalAmount(value: string): { amount: string; problem: null } | { amount: null; problem: 'invalid' | 'tooLarge' } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m || (m[2] !== undefined && m[2].length > MAX_DECIMALS) || !/[1-9]/.test(value)) return { amount: null, problem: 'invalid' };
  const whole = m[1].replace(/^0+(?=\d)/, '');
  if (whole.length > MAX_WHOLE_DIGITS) return { amount: null, problem: 'tooLarge' };
  return { amount: m[2] === undefined ? whole : `${whole}.${m[2]}`, problem: null };
}

/**
 * An amount as typed in `locale` ("1,5", "01,5", "1.5") read into the API's form ("1.5"), or why it
 * cannot be: `grouping` when it carries thousands separators ("1,000.50", "1 000", "1.500" in German),
 * `tooLarge` from one trillion on, `invalid` when it is not a positive decimal with at most 6 decimals.
 * "01" reads as "1": the review and the request show and send what the server accepts (it refuses "01").
 */
export function readAmountIn(input: string, locale: string): ReadAmount {
  const value = input.trim();
  const { decimal, group } = separatorsOf(locale);
  const seps = value.replace(/\d/g, '');
  if (/^[1-9]\d{0,2}(?:[,.'\s\u00a0\u202f]\d{3})+(?:[.,]\d+)?$/.test(value) && (seps.length > 1 || !/^[.,]$/.test(seps) || (seps === group && group !== decimal))) {
    return { amount: null, problem: 'grouping' };
  }
  return canonicalAmount(value.replace(/^(\d+),(\d+)$/, '$1.$2'));
}
