import { describe, expect, it } from 'vitest';
import { recentDays, timeZoneChoices, timeZoneToAdopt } from '../../web/src/timezone.js';

describe('the time zone the web app saves on a profile', () => {
  it('adopts the browser zone while the profile has the default UTC', () => {
    expect(timeZoneToAdopt({ timezone: 'UTC', timezoneChosen: false }, 'Europe/Paris')).toBe('Europe/Paris');
    expect(timeZoneToAdopt({ timezone: null, timezoneChosen: false }, 'Asia/Tokyo')).toBe('Asia/Tokyo');
  });

  it('leaves a zone the user has, or chose, and a browser in UTC', () => {
    expect(timeZoneToAdopt({ timezone: 'America/New_York', timezoneChosen: false }, 'Europe/Paris')).toBeNull();
    expect(timeZoneToAdopt({ timezone: 'UTC', timezoneChosen: true }, 'Europe/Paris')).toBeNull();
    expect(timeZoneToAdopt({ timezone: 'UTC', timezoneChosen: false }, 'UTC')).toBeNull();
    expect(timeZoneToAdopt({ timezone: 'UTC', timezoneChosen: false }, null)).toBeNull();
  });

  it('offers UTC first, the known zones, and the current one even when the browser lacks it', () => {
    const zones = timeZoneChoices('Etc/GMT+5');
    expect(zones[0]).toBe('UTC');
    expect(zones).toEqual(expect.arrayContaining(['Europe/Paris', 'Asia/Tokyo', 'Etc/GMT+5']));
    expect(new Set(zones).size).toBe(zones.length);
  });
});

describe('the days of the activity trend', () => {
  it('end with today in the zone the stats were counted in, not in UTC', () => {
    const now = new Date('2026-06-01T11:00:00Z'); // 01:00 on 2 June in Kiritimati, 07:00 on 1 June in Santiago
    expect(recentDays(3, 'Pacific/Kiritimati', now)).toEqual(['2026-05-31', '2026-06-01', '2026-06-02']);
    expect(recentDays(2, 'America/Santiago', new Date('2026-06-01T03:30:00Z'))).toEqual(['2026-05-30', '2026-05-31']);
    expect(recentDays(2, 'UTC', now)).toEqual(['2026-05-31', '2026-06-01']);
  });

  it('count calendar days across a daylight-saving change and fall back to UTC for a zone the browser lacks', () => {
    expect(recentDays(3, 'America/Santiago', new Date('2026-09-06T05:00:00Z'))).toEqual(['2026-09-04', '2026-09-05', '2026-09-06']);
    expect(recentDays(1, 'Mars/Olympus_Mons', new Date('2026-06-01T23:30:00Z'))).toEqual(['2026-06-01']);
  });
});
