import { describe, expect, it } from 'vitest';
import { timeZoneChoices, timeZoneToAdopt } from '../../web/src/timezone.js';

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
