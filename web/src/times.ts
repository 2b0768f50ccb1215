/** How a moment reads: its date, its date and time, or its time of day. */
export type TimeStyle = 'date' | 'dateTime' | 'time';

const OPTIONS: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'medium' },
  dateTime: { dateStyle: 'medium', timeStyle: 'short' },
  time: { hour: '2-digit', minute: '2-digit' },
};

/** The same styles in UTC, saying so ("22:30 UTC"): a clock read in another zone than the reader expects must not pass for theirs. */
const IN_UTC: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'medium' },
  dateTime: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' },
  time: { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' },
};

/**
 * A moment written in `locale` as the clock reads in `timeZone` (the profile's zone, as Activity counts its
 * days and hours) rather than in the browser's (undefined: the browser's); a zone this browser does not know
 * reads in UTC, and a time of day then says so ("22:30 UTC"). '—' for no or an invalid moment.
 */
export function formatInZone(value: string | number | Date | null | undefined, locale: string, timeZone: string | undefined, style: TimeStyle = 'dateTime'): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  try {
    return new Intl.DateTimeFormat(locale, { ...OPTIONS[style], timeZone }).format(d);
  } catch {
    return new Intl.DateTimeFormat(locale, { ...IN_UTC[style], timeZone: 'UTC' }).format(d);
  }
}
