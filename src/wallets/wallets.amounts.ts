import { formatUnits, parseUnits } from 'viem';
import { walletError } from './wallets.errors.js';

/** Decimal token amounts in the API: digits, at most 6 decimals, no sign, no exponent, below one trillion. */
export const AMOUNT_PATTERN = /^(?:0|[1-9]\d{0,11})(?:\.\d{1,6})?$/;
export const MAX_DECIMALS = 6;

/** True when the string is an acceptable positive amount. */
export function isValidAmount(value: string): boolean {
  return AMOUNT_PATTERN.test(value) && /[1-9]/.test(value);
}

/** Parses a decimal amount string into base units; throws a 422 invalid_amount otherwise. */
export function parseAmount(value: unknown, decimals: number, field = 'amount'): bigint {
  if (typeof value !== 'string' || !isValidAmount(value)) {
    throw walletError('invalid_amount', { value: String(value).slice(0, 40) }, [
      { field, message: 'validation.amount', code: 'invalid_amount' },
    ]);
  }
  return parseUnits(value, decimals);
}

/** Base units back to a decimal string ("12.5"). */
export function formatAmount(base: bigint | string, decimals: number): string {
  return formatUnits(BigInt(base), decimals);
}

/**
 * Base units as a short decimal for people to read (chat replies), rounded half up to `significant`
 * digits with integer arithmetic: "0.0002033" instead of "0.00020333807232". The API keeps exact amounts.
 */
export function formatApprox(base: bigint | string, decimals: number, significant = 4): string {
  const value = BigInt(base);
  const drop = value.toString().length - significant;
  if (drop <= 0) return formatUnits(value, decimals);
  const unit = 10n ** BigInt(drop);
  return formatUnits(((value + unit / 2n) / unit) * unit, decimals);
}
