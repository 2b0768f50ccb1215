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

/** The wall clock of an instant in tz, and how far that clock is ahead of UTC (its offset), in ms. */
function wallClock(at: Date, tz: string): { elapsedHours: number; offsetMs: number } {
  let f = clockFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    clockFormatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return { elapsedHours: p.hour! + p.minute! / 60 + p.second! / 3600, offsetMs: wall - Math.floor(at.getTime() / 1000) * 1000 };
}

/** Real hours to the next local midnight: 23 or 25 on the days the clocks change, not always 24 minus the clock. */
function hoursLeftToday(at: Date, tz: string): number {
  const now = wallClock(at, tz);
  const byClock = 24 - now.elapsedHours;
  const shift = wallClock(new Date(at.getTime() + byClock * HOUR_MS), tz).offsetMs - now.offsetMs;
  return byClock - shift / HOUR_MS;
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
