/** Words no one may register: they would impersonate the service or confuse readers. */
export const RESERVED_BASENAMES = new Set([
  'admin', 'administrator', 'root', 'system', 'support', 'help', 'official', 'staff', 'moderator', 'mod', 'security',
  'treasury', 'faucet', 'wallet', 'wallets', 'streakpets', 'streakpet', 'api', 'www', 'mail', 'null', 'undefined', 'base', 'eth',
]);

export const BASENAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$/;

/** Normalizes user input to a basename ("  Alice.base " → "alice"); null when it cannot be one. */
export function normalizeBasename(input: string): string | null {
  let name = input.normalize('NFKC').trim().toLowerCase();
  name = name.replace(/\.base(\.eth)?$/, '');
  if (!BASENAME_PATTERN.test(name) || name.includes('--')) return null;
  return name;
}

export type BasenameVerdict = { ok: true; name: string } | { ok: false; name: string | null; reason: 'invalid' | 'reserved' };

/** Validates a name: 3–32 characters of lowercase letters, digits and single hyphens inside, not reserved. */
export function checkBasename(input: string): BasenameVerdict {
  const name = normalizeBasename(input);
  if (!name) return { ok: false, name: null, reason: 'invalid' };
  if (RESERVED_BASENAMES.has(name)) return { ok: false, name, reason: 'reserved' };
  return { ok: true, name };
}
