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
