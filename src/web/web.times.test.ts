import { describe, expect, it } from 'vitest';
import { formatInZone } from '../../web/src/times.js';

// 22:30 UTC on 1 June: 00:30 on 2 June in Paris, 07:30 on 2 June in Tokyo, 18:30 on 1 June in New York
const at = '2026-06-01T22:30:00Z';

describe('times in the profile time zone', () => {
  it('reads the clock and the calendar of the zone given, not of the browser', () => {
    expect(formatInZone(at, 'en-GB', 'Europe/Paris', 'time')).toBe('00:30');
    expect(formatInZone(at, 'en-GB', 'Asia/Tokyo', 'time')).toBe('07:30');
    expect(formatInZone(at, 'en-GB', 'America/New_York', 'time')).toBe('18:30');
    expect(formatInZone(at, 'en-GB', 'Europe/Paris', 'date')).toBe('2 Jun 2026');
    expect(formatInZone(at, 'en-GB', 'America/New_York', 'date')).toBe('1 Jun 2026');
    expect(formatInZone(at, 'en-GB', 'Asia/Tokyo', 'dateTime')).toBe('2 Jun 2026, 07:30');
  });

  it('writes a zone this browser does not know in UTC, saying so, and no moment as a dash', () => {
    // read silently in UTC, 22:30 passed for the reader's own clock (00:30 in Paris)
    expect(formatInZone(at, 'en-GB', 'Mars/Olympus_Mons', 'time')).toBe('22:30 UTC');
    expect(formatInZone(at, 'en-GB', 'Mars/Olympus_Mons', 'dateTime')).toBe('1 Jun 2026, 22:30 UTC');
    expect(formatInZone(at, 'de', 'Mars/Olympus_Mons', 'dateTime')).toBe('1. Juni 2026, 22:30 UTC');
    expect(formatInZone(at, 'en-GB', 'Mars/Olympus_Mons', 'date')).toBe('1 Jun 2026');
    expect(formatInZone(null, 'en-GB', 'Europe/Paris')).toBe('—');
    expect(formatInZone('not a date', 'en-GB', 'Europe/Paris')).toBe('—');
  });
});
