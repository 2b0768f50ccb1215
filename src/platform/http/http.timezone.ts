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

/**
 * The zone in its usual spelling, so what is stored and shown back is a name people and PostgreSQL
 * recognize: Intl's ("europe/paris" → Europe/Paris, "utc" → UTC). A name Intl answers with another
 * one (Asia/Kolkata with the older Asia/Calcutta) is kept as written when each part starts with a
 * capital, and otherwise given as Intl's ("asia/kolkata" → Asia/Calcutta).
 */
export function timeZoneSpelling(tz: string): string {
  const resolved = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  if (resolved.toLowerCase() === tz.toLowerCase()) return resolved;
  return tz.split('/').every((part) => /^[A-Z]/.test(part)) ? tz : resolved;
}

/** A request field holding an IANA time zone (America/Santiago), in its usual spelling. */
export const timeZoneName = z.string().refine(isTimeZoneName, 'validation.timezone').transform(timeZoneSpelling);
