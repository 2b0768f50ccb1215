import { readAmountIn, separatorsOf, type ReadAmount } from './amounts';
import { currentLocale } from './i18n';
import { formatInZone } from './times';

/** Formats a decimal-string amount for display without ever turning it into a float. */
export function formatAmount(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const s = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return s;
  const [, sign, whole, frac = ''] = m;
  const { group, decimal } = separatorsOf(currentLocale());
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const shown = frac.replace(/0+$/, '').padEnd(2, '0');
  return `${sign}${grouped}${decimal}${shown}`;
}

/**
 * Wei (base units of ETH, a digit string) as ETH for people to read: rounded half up to four
 * significant digits with integer arithmetic ("0.00007824"), then formatted as formatAmount does.
 */
export function formatEth(wei: string | null | undefined): string {
  if (!wei || !/^\d+$/.test(wei)) return '—';
  let value = BigInt(wei);
  const drop = value.toString().length - 4;
  if (drop > 0) {
    const unit = 10n ** BigInt(drop);
    value = ((value + unit / 2n) / unit) * unit;
  }
  const digits = value.toString().padStart(19, '0');
  return `${formatAmount(`${digits.slice(0, -18)}.${digits.slice(-18)}`)} ETH`;
}

/** A whole count given as a digit string (gas used, a block number) grouped the UI locale's way, without a float. */
export function formatCount(value: string | null | undefined): string {
  if (!value || !/^\d+$/.test(value)) return '—';
  return new Intl.NumberFormat(currentLocale()).format(BigInt(value));
}

/** "0.00" written with the UI locale's decimal separator, for amount fields' placeholders. */
export function amountPlaceholder(): string {
  return `0${separatorsOf(currentLocale()).decimal}00`;
}

/** An amount as typed in the UI locale, read into the API's canonical form ("01,5" → "1.5"), or why it cannot be (see readAmountIn). */
export function readAmount(input: string): ReadAmount {
  return readAmountIn(input, currentLocale());
}

/** A moment as a date, or a date and time, in the UI language; in `timeZone` (the profile's) when given, else in the browser's zone. */
export function formatDateTime(value: string | number | Date | null | undefined, style: 'date' | 'dateTime' = 'dateTime', timeZone?: string): string {
  return formatInZone(value, currentLocale(), timeZone, style);
}

/** A moment's time of day ("14:05") in the UI language; in `timeZone` (the profile's) when given, else in the browser's zone. */
export function formatTime(value: string | Date, timeZone?: string): string {
  return formatInZone(value, currentLocale(), timeZone, 'time');
}

/** "3 minutes ago" in the UI language; past a month the date and time, in `timeZone` when given. */
export function formatRelative(value: string | number | Date | null | undefined, timeZone?: string): string {
  if (!value) return '';
  const d = new Date(value).getTime();
  if (Number.isNaN(d)) return '';
  const diff = (d - Date.now()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' });
  const abs = Math.abs(diff);
  if (abs < 45) return rtf.format(Math.round(diff), 'second');
  if (abs < 2700) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 64800) return rtf.format(Math.round(diff / 3600), 'hour');
  if (abs < 2_592_000) return rtf.format(Math.round(diff / 86400), 'day');
  return formatDateTime(value, 'dateTime', timeZone);
}

export function shortAddress(address: string | null | undefined): string {
  if (!address) return '—';
  return address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** Compares two decimal strings exactly (BigInt on 6-decimal base units): -1, 0 or 1. */
export function compareAmounts(a: string, b: string): number {
  const units = (v: string) => {
    const [w, f = ''] = v.trim().split('.');
    return BigInt((w || '0') + f.padEnd(6, '0').slice(0, 6));
  };
  try {
    const x = units(a);
    const y = units(b);
    return x === y ? 0 : x < y ? -1 : 1;
  } catch {
    return 0;
  }
}
