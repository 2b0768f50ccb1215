import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor } from '../platform/db/db.transaction.js';
import { assertMayName, type ActorContext, type RequestContext } from '../platform/http/http.context.js';
import { AppError, httpError } from '../platform/http/http.errors.js';
import { decodeCursor, toPage, type CursorPosition } from '../platform/http/http.pagination.js';
import { isTimeZoneName } from '../platform/http/http.timezone.js';
import { redactSecrets } from '../platform/observability/logger.js';
import { sql } from 'kysely';
import { activityRepo as repo, type ActivityFilter, type ActivityRow } from './activity.repo.js';
import type { ClientCategory } from './activity.schema.js';
import type { ActivityCategory } from './activity.tables.js';

const DAY_MS = 86_400_000;
const EXPORT_PAGE = 1000;
const PARTITIONS_AHEAD_DAYS = 7;
export const CLIENT_DETAILS_MAX_BYTES = 2048;

export interface ActivityQuery {
  category?: ActivityCategory;
  action?: string;
  petId?: string;
  days?: number;
  since?: Date;
  userId?: string;
}

export function toView(row: ActivityRow) {
  return {
    id: row.id,
    userId: row.user_id,
    petId: row.pet_id,
    action: row.action,
    category: row.category,
    source: row.source,
    details: (row.details ?? {}) as Record<string, unknown>,
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    timestamp: row.created_at.toISOString(),
  };
}

export type ActivityView = ReturnType<typeof toView>;

/** The columns of a CSV activity export, in order. */
export const ACTIVITY_CSV_COLUMNS = ['timestamp', 'id', 'userId', 'petId', 'category', 'action', 'source', 'ipAddress', 'userAgent', 'details', 'metadata'] as const;

const utcDate = (d: Date) => d.toISOString().slice(0, 10);

const TOP_HOURS = 5;

/** Counts added up per key. */
function sumBy<T extends { count: number }, K>(rows: T[], key: (row: T) => K): [K, number][] {
  const sums = new Map<K, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + row.count);
  return [...sums];
}

/** The daily trend (oldest day first) and the busiest hours (ties: the earlier hour) from counts per local date and hour. */
function trendAndBusiestHours(rows: { date: string; hour: number; count: number }[]) {
  return {
    daily: sumBy(rows, (r) => r.date)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([date, count]) => ({ date, count })),
    topHours: sumBy(rows, (r) => r.hour)
      .sort(([a, x], [b, y]) => y - x || a - b)
      .slice(0, TOP_HOURS)
      .map(([hour, count]) => ({ hour, count })),
  };
}

/** PostgreSQL's answer to a time zone Intl knows and its own tzdata does not (22023 "time zone … not recognized"). */
const unknownToDatabase = (err: unknown) => (err as { code?: string }).code === '22023' && /time zone/.test((err as Error).message);

/** The activity log: read side (lists, stats, export), client events, login history and retention. */
export class ActivityService {
  constructor(private readonly deps: AppDeps) {}

  /** Whose log a caller may read: their own; an admin may name any user (or everyone). */
  filterFor(ctx: RequestContext, q: ActivityQuery): ActivityFilter {
    assertMayName(ctx.user, q.userId);
    return {
      userId: q.userId ?? ctx.user.id,
      category: q.category,
      action: q.action,
      petId: q.petId,
      from: q.days ? new Date(Date.now() - q.days * DAY_MS) : undefined,
      since: q.since,
    };
  }

  /** One page of the caller's activity, newest first. */
  async list(ctx: RequestContext, q: ActivityQuery & { limit: number; cursor?: string }) {
    const rows = await repo.page(this.deps.db, this.filterFor(ctx, q), decodeCursor(q.cursor), q.limit + 1);
    const page = toPage(rows, q.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
    return { items: page.items.map(toView), hasMore: page.hasMore, nextCursor: page.nextCursor };
  }

  /**
   * Counts by category, the last 10 entries, a daily trend and the 5 busiest hours over the last `days`;
   * days and hours are those of `timeZone`, by default the time zone of the user whose log it is.
   */
  async stats(ctx: RequestContext, q: { days: number; userId?: string; timeZone?: string }) {
    const f = this.filterFor(ctx, q);
    const timeZone = q.timeZone ?? (await this.timeZoneOf(f.userId ?? ctx.user.id));
    const [byCategory, recent, hours] = await Promise.all([
      repo.byCategory(this.deps.db, f),
      repo.page(this.deps.db, f, null, 10),
      repo.countsByLocalHour(this.deps.db, f, timeZone),
    ]).catch((err: unknown) => {
      throw unknownToDatabase(err) ? httpError('validation_failed', { count: 1 }, [{ field: 'querystring.timeZone', message: 'validation.timezone', code: 'invalid_time_zone' }]) : err;
    });
    return {
      days: q.days,
      timeZone,
      total: byCategory.reduce((sum, r) => sum + r.count, 0),
      byCategory: Object.fromEntries(byCategory.map((r) => [r.category, r.count])),
      recent: recent.map(toView),
      ...trendAndBusiestHours(hours),
    };
  }

  /** The user's profile time zone, UTC when it is not an IANA name. */
  private async timeZoneOf(userId: string): Promise<string> {
    const user = await this.deps.services.accounts.findById(userId);
    return user && isTimeZoneName(user.timezone) ? user.timezone : 'UTC';
  }

  /** Every matching entry, newest first, fetched a page at a time so an export never holds the table in memory. */
  async *exportRows(ctx: RequestContext, q: ActivityQuery): AsyncGenerator<ActivityView> {
    const f = this.filterFor(ctx, q);
    let after: CursorPosition | null = null;
    for (;;) {
      const rows = await repo.page(this.deps.db, f, after, EXPORT_PAGE);
      for (const row of rows) yield toView(row);
      if (rows.length < EXPORT_PAGE) return;
      const last = rows[rows.length - 1];
      after = { k: last.created_at.toISOString(), id: last.id };
    }
  }

  /** Logs a client-side event through the outbox (the same mechanism as every server action), only under a client category (pet, social). */
  async recordClientEvent(ctx: RequestContext, input: { action: string; category: ClientCategory; petId?: string; details: Record<string, unknown> }) {
    const size = Buffer.byteLength(JSON.stringify(input.details));
    if (size > CLIENT_DETAILS_MAX_BYTES) throw new AppError(413, 'activity_details_too_large', { max: CLIENT_DETAILS_MAX_BYTES });
    const event = await withTransaction(this.deps.db, async (trx) => {
      // a client event may name only one of the caller's own pets (others' answer 404, as everywhere)
      if (input.petId) await this.deps.services.pets.requirePet(trx, ctx, input.petId);
      return this.deps.events.record(trx, {
        type: 'activity.client',
        actorId: ctx.user.id,
        petId: input.petId ?? null,
        // a password or token a client put in its details is never stored
        data: { action: input.action, category: input.category, details: redactSecrets(input.details) },
        context: { ip: ctx.ip, userAgent: ctx.userAgent },
      });
    });
    return { accepted: true as const, id: event.id };
  }

  /** How often a user signed in before, and from this device (ip + user agent), not counting one event. */
  async loginHistory(db: Executor, userId: string, from: ActorContext, excludeEventId: string) {
    return repo.loginHistory(db, userId, from.ip, from.userAgent, excludeEventId);
  }

  /** Creates the day partitions from yesterday to a week ahead (idempotent; run at start-up and daily). */
  async ensurePartitions(now = new Date()): Promise<number> {
    return repo.ensurePartitions(this.deps.db, utcDate(new Date(now.getTime() - DAY_MS)), utcDate(new Date(now.getTime() + PARTITIONS_AHEAD_DAYS * DAY_MS)));
  }

  /** On account deletion (the account.deleted event): every log row about the user is deleted. */
  async eraseUser(db: Executor, userId: string): Promise<void> {
    await repo.removeAllOfUser(db, userId);
  }

  /** Removes everything older than ACTIVITY_RETENTION_DAYS: whole day partitions, then the rows of the boundary day. */

  async purgeExpired(now = new Date()): Promise<{ cutoff: string; dropped: number; deleted: number }> {
    const cutoff = new Date(now.getTime() - this.deps.config.ACTIVITY_RETENTION_DAYS * DAY_MS);
    const result = await withTransaction(this.deps.db, async (trx) => {
      await sql`set local lock_timeout = '10s'`.execute(trx);
      return repo.dropExpired(trx, cutoff);
    });
    return { cutoff: cutoff.toISOString(), ...result };
  }
}
