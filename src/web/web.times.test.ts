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

  it('writes a zone this browser does not know in UTC, and no moment as a dash', () => {
    expect(formatInZone(at, 'en-GB', 'Mars/Olympus_Mons', 'time')).toBe('22:30');
    expect(formatInZone(null, 'en-GB', 'Europe/Paris')).toBe('—');
    expect(formatInZone('not a date', 'en-GB', 'Europe/Paris')).toBe('—');
  });
});
