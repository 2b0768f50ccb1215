/** The profile's time zone until someone sets it: the server counts streak days in it. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** The browser's IANA time zone ("Europe/Paris"), or null when it cannot tell. */
export function browserTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/**
 * The zone to save on a profile right after sign-up or sign-in: the browser's, when the profile still has
 * the default and its owner never picked a zone in Settings (an explicit "UTC" stays); otherwise null.
 */
export function timeZoneToAdopt(profile: { timezone: string | null; timezoneChosen: boolean }, browser: string | null): string | null {
  if (!browser || profile.timezoneChosen) return null;
  if (profile.timezone && profile.timezone !== DEFAULT_TIME_ZONE) return null;
  return browser === profile.timezone ? null : browser;
}

/** The zones the Settings picker offers: every zone the browser knows, with UTC and the current one included. */
export function timeZoneChoices(current: string | null): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  const all = new Set([DEFAULT_TIME_ZONE, ...zones]);
  if (current) all.add(current);
  return [...all].sort((a, b) => (a === DEFAULT_TIME_ZONE ? -1 : b === DEFAULT_TIME_ZONE ? 1 : a.localeCompare(b)));
}

/**
 * The last `count` calendar days ('YYYY-MM-DD', oldest first) ending with today in `timeZone`, the zone
 * the activity stats were counted in; an unknown zone counts in UTC.
 */
export function recentDays(count: number, timeZone: string, now: Date = new Date()): string[] {
  let today: string;
  try {
    today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    today = now.toISOString().slice(0, 10);
  }
  const end = Date.parse(`${today}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}
