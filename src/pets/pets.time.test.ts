import { describe, expect, it } from 'vitest';
import { hoursUntilLocalMidnight, localDay } from './pets.time.js';

/** [zone, instant, local day of the instant, hours until that day ends]; transitions from `zdump -v -c 2026,2027`. */
const cases: [string, string, string, number][] = [
  // spring forward AT midnight: 24:00 does not exist, the next day starts at 01:00
  ['America/Santiago', '2026-09-06T03:30:00Z', '2026-09-05', 0.5],
  ['America/Santiago', '2026-09-05T04:30:00Z', '2026-09-05', 23.5],
  ['America/Santiago', '2026-09-06T03:59:59Z', '2026-09-05', 1 / 3600],
  ['America/Santiago', '2026-09-06T04:00:00Z', '2026-09-06', 23],
  ['Asia/Beirut', '2026-03-28T21:30:00Z', '2026-03-28', 0.5],
  ['Asia/Beirut', '2026-03-28T19:00:00Z', '2026-03-28', 3],
  ['Asia/Beirut', '2026-03-27T22:00:00Z', '2026-03-28', 24],
  ['America/Havana', '2026-03-08T04:30:00Z', '2026-03-07', 0.5],
  ['America/Havana', '2026-03-07T05:00:00Z', '2026-03-07', 24],
  ['Africa/Cairo', '2026-04-23T21:45:00Z', '2026-04-23', 0.25],
  ['Atlantic/Azores', '2026-03-29T00:00:00Z', '2026-03-28', 1],
  // spring forward from 23:00 straight to 00:00: a 23-hour day that ends at the jump
  ['America/Nuuk', '2026-03-28T23:30:00Z', '2026-03-28', 1.5],
  ['America/Nuuk', '2026-03-28T02:00:00Z', '2026-03-28', 23],
  // fall back AT midnight: 23:00–24:00 happens twice, the day is 25 hours long
  ['America/Santiago', '2026-04-04T03:00:00Z', '2026-04-04', 25],
  ['America/Santiago', '2026-04-05T02:30:00Z', '2026-04-04', 1.5], // first 23:30 (−03)
  ['America/Santiago', '2026-04-05T03:30:00Z', '2026-04-04', 0.5], // second 23:30 (−04)
  ['Asia/Beirut', '2026-10-24T20:30:00Z', '2026-10-24', 1.5],
  ['Asia/Beirut', '2026-10-24T21:30:00Z', '2026-10-24', 0.5],
  ['America/Nuuk', '2026-10-25T00:30:00Z', '2026-10-24', 1.5],
  ['Africa/Cairo', '2026-10-29T20:30:00Z', '2026-10-29', 1.5],
  // fall back from 01:00 to 00:00: the day ends at the first midnight, the next one is 25 hours long
  ['America/Havana', '2026-11-01T03:30:00Z', '2026-10-31', 0.5],
  ['America/Havana', '2026-11-01T04:00:00Z', '2026-11-01', 25],
  ['Atlantic/Azores', '2026-10-25T00:30:00Z', '2026-10-25', 24.5],
  // ordinary transitions away from midnight, half-hour and 45-minute zones, the date line
  ['America/New_York', '2026-03-08T05:00:00Z', '2026-03-08', 23],
  ['America/New_York', '2026-11-01T04:00:00Z', '2026-11-01', 25],
  ['Europe/Berlin', '2026-10-25T00:30:00Z', '2026-10-25', 22.5],
  ['Australia/Lord_Howe', '2026-04-04T13:00:00Z', '2026-04-05', 24.5],
  ['Asia/Kathmandu', '2026-06-01T18:00:00Z', '2026-06-01', 0.25],
  ['Pacific/Chatham', '2026-06-01T10:45:00Z', '2026-06-01', 0.5],
  ['Pacific/Kiritimati', '2026-06-01T09:45:00Z', '2026-06-01', 0.25],
  ['Pacific/Pago_Pago', '2026-06-01T10:59:00Z', '2026-05-31', 1 / 60],
  ['UTC', '2026-06-01T23:59:59.500Z', '2026-06-01', 0.5 / 3600],
  // Samoa skipped 30 December 2011 altogether
  ['Pacific/Apia', '2011-12-30T09:30:00Z', '2011-12-29', 0.5],
];

/** The definition, walked minute by minute: the first instant after `at` whose local date is a later day. */
function reference(at: Date, tz: string): number {
  const today = localDay(at, tz);
  const minute = 60_000;
  let t = Math.floor(at.getTime() / minute) * minute + minute;
  while (localDay(new Date(t), tz) <= today) t += minute;
  return (t - at.getTime()) / 3_600_000;
}

describe('local days and the hours left in them', () => {
  it.each(cases)('%s at %s is on %s with %f hours left', (tz, iso, day, hours) => {
    const at = new Date(iso);
    expect(localDay(at, tz)).toBe(day);
    expect(hoursUntilLocalMidnight(at, tz)).toBeCloseTo(hours, 9);
  });

  it('agrees with the definition every 20 minutes around each 2026 transition of zones that change at or near midnight', () => {
    const days: [string, string][] = [
      ['America/Santiago', '2026-04-04'], ['America/Santiago', '2026-09-05'],
      ['Asia/Beirut', '2026-03-28'], ['Asia/Beirut', '2026-10-24'],
      ['America/Havana', '2026-03-07'], ['America/Havana', '2026-10-31'],
      ['Africa/Cairo', '2026-04-23'], ['Africa/Cairo', '2026-10-29'],
      ['America/Nuuk', '2026-03-28'], ['America/Nuuk', '2026-10-24'],
      ['Atlantic/Azores', '2026-03-28'], ['Atlantic/Azores', '2026-10-24'],
      ['Australia/Lord_Howe', '2026-04-04'], ['Australia/Lord_Howe', '2026-10-03'],
    ];
    for (const [tz, day] of days) {
      const start = Date.parse(`${day}T00:00:00Z`) - 14 * 3_600_000;
      for (let t = start; t < start + 3 * 86_400_000; t += 20 * 60_000) {
        const at = new Date(t);
        const hours = hoursUntilLocalMidnight(at, tz);
        expect({ tz, at: at.toISOString(), hours }).toEqual({ tz, at: at.toISOString(), hours: reference(at, tz) });
        expect(hours).toBeGreaterThan(0);
        expect(hours).toBeLessThanOrEqual(25);
      }
    }
  });

  it('counts a check-in at 23:30 on the day the clocks jump at midnight for that day, and one minute past the jump for the next', () => {
    expect(localDay(new Date('2026-09-06T03:30:00Z'), 'America/Santiago')).toBe('2026-09-05');
    expect(localDay(new Date('2026-09-06T04:01:00Z'), 'America/Santiago')).toBe('2026-09-06');
    expect(localDay(new Date('2026-04-05T03:30:00Z'), 'America/Santiago')).toBe('2026-04-04');
    expect(localDay(new Date('2026-04-05T04:00:00Z'), 'America/Santiago')).toBe('2026-04-05');
  });
});
