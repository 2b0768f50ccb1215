import { z } from 'zod';

/** Region/City, UTC, Etc/GMT+5…: never a numeric offset, which PostgreSQL's AT TIME ZONE reads with the opposite sign. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether tz is an IANA time zone name that Intl knows (any letter case). */
export function isTimeZoneName(tz: string): boolean {
  if (tz.length > 64 || !IANA_NAME.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A request field holding an IANA time zone (America/Santiago). */
export const timeZoneName = z.string().refine(isTimeZoneName, 'validation.timezone');
