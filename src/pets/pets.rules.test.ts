import { describe, expect, it } from 'vitest';
import { careNeed, conditionAt, dueEvolutions, grantXp, streakAfterActivity, streakAt, DAILY_XP_CAP } from './pets.rules.js';
import type { PetsTable } from './pets.tables.js';
import { hoursUntilLocalMidnight, localDay, safeTimeZone } from './pets.time.js';

const H = 3_600_000;
const t0 = new Date('2026-03-02T12:00:00Z');

function pet(over: Partial<PetsTable> = {}): PetsTable {
  return {
    id: 'p', user_id: 'u', name: 'Mochi', personality: ['shy'], stage: 'egg', xp: 0,
    happiness: 80, health: 100, energy: 80, stats_at: t0, mood: 'happy',
    last_interaction_at: t0, last_fed_at: t0, last_played_at: null, last_groomed_at: null,
    streak: 0, longest_streak: 0, streak_day: null, xp_day: null, xp_today: 0,
    vacation_start: null, vacation_until: null, streak_risk_day: null, care_alerted_at: null,
    created_at: t0, updated_at: t0, deleted_at: null, ...over,
  };
}

describe('decay from timestamps', () => {
  it('leaves a pet alone for a week hungry and sad, tired but not dead', () => {
    const c = conditionAt(pet(), new Date(t0.getTime() + 7 * 24 * H));
    expect(c.mood).toBe('hungry');
    expect(c.feelings).toEqual(['hungry', 'sad', 'tired']);
    expect(c.stats.happiness).toBe(0);
    expect(c.stats.energy).toBe(0);
    expect(c.stats.health).toBe(100 - 0.25 * (7 * 24 - 24));
  });

  it('makes a pet neglected for two weeks sick, never below zero', () => {
    const c = conditionAt(pet(), new Date(t0.getTime() + 14 * 24 * H));
    expect(c.mood).toBe('sick');
    expect(c.stats.health).toBe(22);
    expect(conditionAt(pet(), new Date(t0.getTime() + 100 * 24 * H)).stats.health).toBe(0);
  });

  it('pauses decay during a vacation', () => {
    const p = pet({ vacation_start: t0, vacation_until: new Date(t0.getTime() + 10 * 24 * H) });
    const c = conditionAt(p, new Date(t0.getTime() + 10 * 24 * H + 2 * H));
    expect(c.stats).toEqual({ happiness: 76, health: 100, energy: 78 });
    expect(c.mood).toBe('happy');
  });
});

describe('streaks in the owner time zone', () => {
  it('counts local days: the same UTC instants are two days in Auckland and one in Los Angeles', () => {
    const first = new Date('2026-03-02T10:00:00Z');
    const second = new Date('2026-03-02T12:00:00Z');
    for (const [tz, expected] of [['Pacific/Auckland', 2], ['America/Los_Angeles', 1]] as const) {
      const a = streakAfterActivity(pet(), first, tz);
      const b = streakAfterActivity(pet({ streak: a.streak, longest_streak: a.longest, streak_day: a.day }), second, tz);
      expect(b.streak).toBe(expected);
    }
  });

  it('breaks after a missed local day and reports the lost streak', () => {
    const p = pet({ streak: 5, longest_streak: 5, streak_day: '2026-03-02' });
    expect(streakAt(p, new Date('2026-03-04T07:59:00Z'), 'America/Los_Angeles')).toMatchObject({ current: 5, atRisk: true, broken: false });
    expect(streakAt(p, new Date('2026-03-04T08:00:00Z'), 'America/Los_Angeles')).toMatchObject({ current: 0, broken: true });
    expect(streakAfterActivity(p, new Date('2026-03-04T20:00:00Z'), 'America/Los_Angeles')).toMatchObject({ streak: 1, longest: 5, lost: 5 });
  });

  it('keeps the streak across days covered by a vacation', () => {
    const p = pet({
      streak: 3, longest_streak: 3, streak_day: '2026-03-02',
      vacation_start: new Date('2026-03-02T20:00:00Z'), vacation_until: new Date('2026-03-08T12:00:00Z'),
    });
    expect(streakAfterActivity(p, new Date('2026-03-09T09:00:00Z'), 'UTC')).toMatchObject({ streak: 4, lost: 0 });
    expect(streakAt(p, new Date('2026-03-10T09:00:00Z'), 'UTC')).toMatchObject({ current: 0, broken: true });
  });

  it('never extends the streak nor resets the daily XP on a local day at or before the recorded one (zone switches)', () => {
    const now = new Date('2026-11-25T20:00:00Z'); // 10:00 on 25 Nov in Honolulu, 10:00 on 26 Nov in Kiritimati
    const honolulu = 'Pacific/Honolulu';
    const kiritimati = 'Pacific/Kiritimati';
    const first = pet({ streak: 1, longest_streak: 1, streak_day: '2026-11-25', xp_day: '2026-11-25', xp_today: 93 });
    const east = streakAfterActivity(first, now, kiritimati);
    expect(east).toMatchObject({ streak: 2, day: '2026-11-26' });
    expect(grantXp(first, 10, false, now, kiritimati)).toEqual({ gained: 10, xpDay: '2026-11-26', xpToday: 10 });

    const later = pet({ streak: 2, longest_streak: 2, streak_day: '2026-11-26', xp_day: '2026-11-26', xp_today: 145 });
    expect(streakAfterActivity(later, now, honolulu)).toEqual({ streak: 2, longest: 2, day: '2026-11-26', lost: 0 });
    expect(grantXp(later, 10, false, now, honolulu)).toEqual({ gained: 5, xpDay: '2026-11-26', xpToday: 150 });
    expect(streakAt(later, now, honolulu)).toMatchObject({ current: 2, broken: false, atRisk: false });
    const nextRealDay = new Date(now.getTime() + 24 * H); // 26 Nov in Honolulu: still the recorded day
    expect(streakAfterActivity(later, nextRealDay, honolulu)).toMatchObject({ streak: 2, day: '2026-11-26' });
    expect(grantXp(later, 10, false, nextRealDay, honolulu).gained).toBe(5);
    const dayAfter = new Date(now.getTime() + 48 * H); // 27 Nov in Honolulu: the next day
    expect(streakAfterActivity(later, dayAfter, honolulu)).toMatchObject({ streak: 3, day: '2026-11-27' });
    expect(grantXp(later, 10, false, dayAfter, honolulu)).toMatchObject({ gained: 10, xpToday: 10 });
  });

  it('treats a switch east that skips a whole local day like any missed day', () => {
    const now = new Date('2026-11-25T10:30:00Z'); // 23:30 on 24 Nov at UTC-11, 00:30 on 26 Nov in Kiritimati
    const p = pet({ streak: 4, longest_streak: 4, streak_day: '2026-11-24' });
    expect(streakAfterActivity(p, now, 'Pacific/Kiritimati')).toMatchObject({ streak: 1, longest: 4, day: '2026-11-26', lost: 4 });
  });

  it('measures the hours left in the local day', () => {
    expect(localDay(new Date('2026-03-02T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-03-03');
    expect(hoursUntilLocalMidnight(new Date('2026-03-02T05:00:00Z'), 'America/Los_Angeles')).toBe(3);
    // the days the clocks change are 23 and 25 hours long
    expect(hoursUntilLocalMidnight(new Date('2026-03-08T05:00:00Z'), 'America/New_York')).toBe(23);
    expect(hoursUntilLocalMidnight(new Date('2026-11-01T04:00:00Z'), 'America/New_York')).toBe(25);
    expect(hoursUntilLocalMidnight(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe(22.5);
    expect(safeTimeZone('Not/AZone')).toBe('UTC');
    expect(safeTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });

  it('answers each (instant, zone) on its own when asked again and again in any order (the last answer per zone is kept)', () => {
    const [a, b] = [new Date('2026-03-02T23:30:00Z'), new Date('2026-03-03T16:00:00Z')];
    for (let i = 0; i < 2; i++) {
      expect(localDay(a, 'Asia/Tokyo')).toBe('2026-03-03');
      expect(localDay(a, 'UTC')).toBe('2026-03-02');
      expect(localDay(b, 'Asia/Tokyo')).toBe('2026-03-04');
      expect(localDay(new Date(a), 'Asia/Tokyo')).toBe('2026-03-03');
      expect(hoursUntilLocalMidnight(a, 'UTC')).toBe(0.5);
      expect(hoursUntilLocalMidnight(a, 'Asia/Tokyo')).toBe(15.5);
      expect(hoursUntilLocalMidnight(b, 'UTC')).toBe(8);
    }
  });
});

describe('xp and evolution', () => {
  it('caps daily XP per local day and halves it while sick', () => {
    const now = new Date('2026-03-02T12:00:00Z');
    expect(grantXp(pet({ xp_day: '2026-03-02', xp_today: DAILY_XP_CAP - 4 }), 10, false, now, 'UTC').gained).toBe(4);
    expect(grantXp(pet({ xp_day: '2026-03-01', xp_today: DAILY_XP_CAP }), 10, false, now, 'UTC').gained).toBe(10);
    expect(grantXp(pet(), 15, true, now, 'UTC').gained).toBe(7);
  });

  it('catches up several stages at once when age and XP allow, and stops before a manual stage', () => {
    expect(dueEvolutions('baby', { xp: 600, ageDays: 7, health: 90, longestStreak: 7 })).toEqual(['child', 'teen']);
    expect(dueEvolutions('baby', { xp: 600, ageDays: 3, health: 90, longestStreak: 3 })).toEqual([]);
    expect(dueEvolutions('teen', { xp: 9000, ageDays: 90, health: 90, longestStreak: 30 })).toEqual(['adult']);
    expect(dueEvolutions('baby', { xp: 600, ageDays: 7, health: 20, longestStreak: 7 })).toEqual([]);
  });
});

describe('needing care', () => {
  it('needs care once a stat is below the level at which the pet feels sick, sad or tired, the most urgent first', () => {
    expect(careNeed({ happiness: 30, health: 30, energy: 20 })).toBeNull();
    expect(careNeed({ happiness: 29.6, health: 90, energy: 80 })).toEqual({ stat: 'happiness', value: 30 });
    expect(careNeed({ happiness: 10, health: 90, energy: 5 })).toEqual({ stat: 'happiness', value: 10 });
    expect(careNeed({ happiness: 10, health: 29, energy: 5 })).toEqual({ stat: 'health', value: 29 });
    expect(careNeed({ happiness: 50, health: 90, energy: 19 })).toEqual({ stat: 'energy', value: 19 });
    // a week alone: the pet reads sad and tired, and needs care for its happiness first
    expect(careNeed(conditionAt(pet(), new Date(t0.getTime() + 7 * 24 * H)).stats)).toEqual({ stat: 'happiness', value: 0 });
  });
});
