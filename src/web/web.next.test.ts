import { describe, expect, it } from 'vitest';
import { safeNext } from '../../web/src/next.js';

describe('the page to open after signing in (?next=)', () => {
  it('keeps a path of the app with its query', () => {
    expect(safeNext('/wallet?tab=names')).toBe('/wallet?tab=names');
    expect(safeNext('/chat')).toBe('/chat');
    expect(safeNext('/')).toBe('/');
  });

  it('falls back to home when there is none', () => {
    expect(safeNext(null)).toBe('/');
    expect(safeNext(undefined)).toBe('/');
    expect(safeNext('')).toBe('/');
  });

  it('refuses anything that leaves the origin', () => {
    for (const next of ['//evil.example/x', '/\\evil.example/x', 'https://other.site/', 'javascript:alert(1)', 'evil.example', '/\t/evil.example', '\\\\evil.example']) {
      expect(safeNext(next), next).toBe('/');
    }
  });
});
