import { describe, expect, it } from 'vitest';
import { formatWait } from '../../web/src/duration.js';

describe('a cooldown wait in the pet view', () => {
  it('reads in the UI language, not as a bare "m"/"s"', () => {
    expect(formatWait(30, 'en')).toBe('30 sec');
    expect(formatWait(90, 'en')).toBe('2 min');
    expect(formatWait(30, 'de')).toBe('30 Sek.');
    expect(formatWait(90, 'ja')).toBe('2 分');
  });

  it('rounds up, so it never says 0', () => {
    expect(formatWait(0.2, 'en')).toBe('1 sec');
    expect(formatWait(60, 'en')).toBe('1 min');
    expect(formatWait(61, 'en')).toBe('2 min');
  });
});
