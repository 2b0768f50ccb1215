import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import type { FieldProblem } from '../platform/http/http.errors.js';

/** OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1. */
export const ARGON2_OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set(
  readFileSync(fileURLToPath(new URL('./common-passwords.txt', import.meta.url)), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l && !l.startsWith('#')),
);

function normalize(password: string): string {
  return password.normalize('NFKC');
}

/** Hashes a password with argon2id at the OWASP parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), ARGON2_OPTIONS);
}

/** Whether two passwords are the same password once normalized (as hashing sees them). */
export function samePassword(a: string, b: string): boolean {
  return normalize(a) === normalize(b);
}

let dummyHash: Promise<string> | null = null;

/**
 * Verifies a password against a stored hash, or against a dummy hash when there is no account,
 * so that login costs the same whether or not the account exists.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  dummyHash ??= hash('streakpets-dummy-password-for-timing', ARGON2_OPTIONS);
  const usable = stored?.startsWith('$argon2id$') ? stored : null;
  try {
    const ok = await verify(usable ?? (await dummyHash), normalize(password));
    return usable !== null && ok;
  } catch {
    return false;
  }
}

/** Drops leading and trailing digits, punctuation, symbols and spaces (in any script): "!!Password2024!" → "password". */
function strip(value: string): string {
  return value.replace(/^[\p{N}\p{P}\p{S}\p{Z}_]+|[\p{N}\p{P}\p{S}\p{Z}_]+$/gu, '');
}

/** Why a new password is refused (length, a common password, or built from the account's own email/name); empty when fine. */
export function passwordProblems(password: string, context: { email?: string | null; name?: string | null } = {}): FieldProblem[] {
  const field = 'body.password';
  const length = [...normalize(password)].length;
  if (length < PASSWORD_MIN_LENGTH) return [{ field, code: 'too_short', message: 'validation.too_short_chars', params: { min: PASSWORD_MIN_LENGTH } }];
  if (length > PASSWORD_MAX_LENGTH) return [{ field, code: 'too_long', message: 'validation.too_long_chars', params: { max: PASSWORD_MAX_LENGTH } }];
  const lower = normalize(password).toLowerCase();
  const base = strip(lower);
  if (COMMON.has(lower) || COMMON.has(base) || base.length === 0 || new Set(lower).size <= 2) {
    return [{ field, code: 'common', message: 'validation.password_common' }];
  }
  const local = context.email?.split('@')[0]?.toLowerCase() ?? '';
  const name = context.name?.toLowerCase().replace(/\s+/g, '') ?? '';
  const personal = [local, strip(local), name, strip(name)].filter((v) => v.length >= 4);
  const email = context.email?.toLowerCase();
  if (personal.some((v) => lower === v || base === v) || (email && lower.includes(email))) {
    return [{ field, code: 'personal', message: 'validation.password_personal' }];
  }
  return [];
}
