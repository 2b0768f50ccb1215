import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblems, verifyPassword } from './accounts.passwords.js';

const codes = (password: string, context = {}) => passwordProblems(password, context).map((p) => p.code);

describe('password policy', () => {
  it('accepts long passphrases, even ones containing a short name', () => {
    expect(codes('my long hand password', { email: 'hand@example.test', name: 'Hand' })).toEqual([]);
    expect(codes('Tr0ub4dor&3-extended')).toEqual([]);
    expect(codes('パスワードはとても長いです')).toEqual([]);
  });

  it.each([
    ['short', 'too_short'],
    ['x'.repeat(129), 'too_long'],
    ['Password2024!', 'common'],
    ['!!iloveyou!!', 'common'],
    ['0000000000', 'common'],
    ['abababababab', 'common'],
    ['margaret.h1990', 'personal'],
    ['margaret.h', 'personal'],
  ])('refuses %s as %s', (password, code) => {
    expect(codes(password, { email: 'margaret.h@example.test', name: 'Margaret H' })).toEqual([code]);
  });

  it('counts characters, not bytes', () => {
    expect(codes('éàüöçñøåßœ')).toEqual([]);
    expect(codes('éàüöçñøåß')).toEqual(['too_short']);
  });
});

describe('password hashing', () => {
  it('verifies the right password only, and never throws on a foreign hash', async () => {
    const stored = await hashPassword('a long enough secret');
    expect(await verifyPassword(stored, 'a long enough secret')).toBe(true);
    expect(await verifyPassword(stored, 'a long enough secreT')).toBe(false);
    expect(await verifyPassword('not-a-login-account', 'anything')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
  });

  it('normalizes Unicode so composed and decomposed input match', async () => {
    const stored = await hashPassword('caf\u00e9 au lait please');
    expect(await verifyPassword(stored, 'cafe\u0301 au lait please')).toBe(true);
  });
});
