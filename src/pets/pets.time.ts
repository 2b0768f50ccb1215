/** Calendar arithmetic in a user's time zone, on 'YYYY-MM-DD' day strings. */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const dayFormatters = new Map<string, Intl.DateTimeFormat>();
const clockFormatters = new Map<string, Intl.DateTimeFormat>();
/**
 * The last answer per zone: the rules ask about the same instant several times per pet, and a chat
 * batch settles all its pets at one instant (Intl formatting was ~3% of the CPU of a chat exchange).
 */
const lastDays = new Map<string, { ms: number; value: string }>();
const lastHoursLeft = new Map<string, { ms: number; value: number }>();

function remembered<T>(memo: Map<string, { ms: number; value: T }>, at: Date, tz: string, compute: () => T): T {
  const ms = at.getTime();
  const last = memo.get(tz);
  if (last && last.ms === ms) return last.value;
  const value = compute();
  memo.set(tz, { ms, value });
  return value;
}

/** A time zone Intl accepts; unknown names fall back to UTC so a bad profile value never breaks a pet. */
export function safeTimeZone(tz: string | null | undefined): string {
  if (!tz) return 'UTC';
  if (dayFormatters.has(tz)) return tz;
  try {
    dayFormatter(tz);
    return tz;
  } catch {
    return 'UTC';
  }
}

function dayFormatter(tz: string): Intl.DateTimeFormat {
  let f = dayFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(tz, f);
  }
  return f;
}

/** The calendar day of an instant in a time zone. */
export function localDay(at: Date, tz: string): string {
  return remembered(lastDays, at, tz, () => dayFormatter(tz).format(at));
}

/** day + n days. */
export function addDays(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + n * DAY_MS;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** Hours left before the local day of `at` ends in tz. */
export function hoursUntilLocalMidnight(at: Date, tz: string): number {
  return remembered(lastHoursLeft, at, tz, () => hoursLeftToday(at, tz));
}

/** Milliseconds since local midnight of an instant's wall clock in tz (whole seconds). */
function wallClockMs(at: Date, tz: string): number {
  let f = clockFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    clockFormatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
  return ((p.hour! * 60 + p.minute!) * 60 + p.second!) * 1000;
}

/**
 * Real hours until the local day of `at` ends: the first instant whose local date is a later day.
 * That is 24 h minus the clock on most days, 23 or 25 on the days the clocks change, and where
 * midnight itself does not exist (Santiago, Beirut, Havana spring forward from 24:00 to 01:00) the
 * day ends at what the clock shows as 01:00.
 */
function hoursLeftToday(at: Date, tz: string): number {
  const today = localDay(at, tz);
  const later = (ms: number) => dayFormatter(tz).format(new Date(ms)) > today;
  const atMs = at.getTime();
  const sameOffset = Math.floor(atMs / 1000) * 1000 + DAY_MS - wallClockMs(at, tz);
  const clockThen = wallClockMs(new Date(sameOffset), tz);
  const shifted = sameOffset - (clockThen > DAY_MS / 2 ? clockThen - DAY_MS : clockThen);
  for (const end of [Math.min(sameOffset, shifted), Math.max(sameOffset, shifted)]) {
    if (end > atMs && later(end) && !later(end - 1)) return (end - atMs) / HOUR_MS;
  }
  return (firstLaterInstant(atMs, later) - atMs) / HOUR_MS;
}

/** Bisects for the first millisecond after `from` that `later` accepts (a zone whose offset changed by hours). */
function firstLaterInstant(from: number, later: (ms: number) => boolean): number {
  let lo = from;
  let hi = from + 2 * DAY_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (later(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface Interval {
  start: Date;
  until: Date;
}

/** Milliseconds of [from, to] that fall inside the pause interval. */
function overlapMs(from: Date, to: Date, pause: Interval | null): number {
  if (!pause) return 0;
  const a = Math.max(from.getTime(), pause.start.getTime());
  const b = Math.min(to.getTime(), pause.until.getTime());
  return Math.max(0, b - a);
}

/** Hours between from and to, not counting time spent inside the pause (vacation). */
export function activeHours(from: Date, to: Date, pause: Interval | null): number {
  const span = to.getTime() - from.getTime();
  if (span <= 0) return 0;
  return (span - overlapMs(from, to, pause)) / HOUR_MS;
}

export { HOUR_MS, DAY_MS };
