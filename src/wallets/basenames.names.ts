/** Words no one may register: they would impersonate the service or confuse readers. */
export const RESERVED_BASENAMES = new Set([
  'admin', 'administrator', 'root', 'system', 'support', 'help', 'official', 'staff', 'moderator', 'mod', 'security',
  'treasury', 'faucet', 'wallet', 'wallets', 'streakpets', 'streakpet', 'api', 'www', 'mail', 'null', 'undefined', 'base', 'eth',
]);

/**
 * Words that speak for the service: reserved also as one hyphen-separated part of a name, digits after
 * them or not ("streakpets-support", "official-pay", "admin2").
 */
const AUTHORITY_WORDS = new Set([
  'admin', 'administrator', 'root', 'system', 'support', 'official', 'staff', 'moderator', 'security', 'treasury', 'faucet', 'streakpets', 'streakpet',
]);
/** The brand is reserved anywhere in a name ("mystreakpets"). */
const BRAND = 'streakpet';

/**
 * A reserved word, spelled as it is, with hyphens or digits in it ("tre-asury", "admin1"), as a part
 * of the name that speaks for the service, or the brand anywhere.
 */
function isReserved(name: string): boolean {
  const squashed = name.replace(/[-0-9]/g, '');
  if (RESERVED_BASENAMES.has(name) || RESERVED_BASENAMES.has(squashed) || squashed.includes(BRAND)) return true;
  return name.split('-').some((part) => AUTHORITY_WORDS.has(part.replace(/[0-9]+$/, '')));
}

export const BASENAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$/;

/** Normalizes user input to a basename ("  Alice.base " → "alice"); null when it cannot be one. */
export function normalizeBasename(input: string): string | null {
  let name = input.normalize('NFKC').trim().toLowerCase();
  name = name.replace(/\.base(\.eth)?$/, '');
  if (!BASENAME_PATTERN.test(name) || name.includes('--')) return null;
  return name;
}

export type BasenameVerdict = { ok: true; name: string } | { ok: false; name: string | null; reason: 'invalid' | 'reserved' };

/** Validates a name: 3–32 characters of lowercase letters, digits and single hyphens inside, not reserved (isReserved). */
export function checkBasename(input: string): BasenameVerdict {
  const name = normalizeBasename(input);
  if (!name) return { ok: false, name: null, reason: 'invalid' };
  if (isReserved(name)) return { ok: false, name, reason: 'reserved' };
  return { ok: true, name };
}
