import { sql, type SelectQueryBuilder } from 'kysely';
import pg from 'pg';
import type { Executor, Tx } from '../platform/db/db.transaction.js';
import type { DB } from '../platform/db/db.types.js';
import type { CursorPosition } from '../platform/http/http.pagination.js';
import type { NewActivity } from './activity.mapping.js';
import type { ActivityCategory } from './activity.tables.js';

export interface ActivityFilter {
  /** null = every user (admins only). */
  userId: string | null;
  category?: ActivityCategory;
  action?: string;
  petId?: string;
  from?: Date;
  since?: Date;
}

export interface ActivityRow {
  id: string;
  user_id: string | null;
  pet_id: string | null;
  action: string;
  category: ActivityCategory;
  source: 'server' | 'client';
  details: unknown;
  metadata: unknown;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
}

const INSERT_COLUMNS = ['id', 'event_id', 'user_id', 'pet_id', 'action', 'category', 'source', 'details', 'metadata', 'ip_address', 'user_agent', 'created_at'] as const;
let savepoints = 0;

/** A literal escaped by pg itself (NUL, which PostgreSQL text cannot hold, is dropped). */
function literal(value: string | Date | null): string {
  if (value === null) return 'null';
  return pg.escapeLiteral(value instanceof Date ? value.toISOString() : value.replace(/\0/g, ''));
}

const COLUMNS = ['id', 'user_id', 'pet_id', 'action', 'category', 'source', 'details', 'metadata', 'ip_address', 'user_agent', 'created_at'] as const;

function filtered<O>(q: SelectQueryBuilder<DB, 'activity_log', O>, f: ActivityFilter) {
  if (f.userId) q = q.where('user_id', '=', f.userId);
  if (f.category) q = q.where('category', '=', f.category);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.petId) q = q.where('pet_id', '=', f.petId);
  if (f.from) q = q.where('created_at', '>=', f.from);
  if (f.since) q = q.where('created_at', '>', f.since);
  return q;
}

export const activityRepo = {
  /** Every log row about a user (account deletion); the row recording the deletion names no one. */
  async removeAllOfUser(db: Executor, userId: string): Promise<void> {
    await db.deleteFrom('activity_log').where('user_id', '=', userId).execute();
  },

  async insert(db: Executor, rows: NewActivity[]): Promise<void> {
    if (rows.length) await db.insertInto('activity_log').values(rows).execute();
  },

  /**
   * Inserts inside its own savepoint in ONE round trip (savepoint; insert; release as a simple-protocol
   * batch with pg-escaped literals): the dispatcher runs this for every event, so round trips are its cost.
   * On failure the savepoint is rolled back and the error rethrown; the caller's transaction stays usable.
   */
  async insertIsolated(trx: Tx, rows: NewActivity[]): Promise<void> {
    if (!rows.length) return;
    const name = `activity_log_sp_${++savepoints}`;
    const values = rows.map((r) => `(${INSERT_COLUMNS.map((c) => literal(r[c])).join(', ')})`).join(', ');
    const text = `savepoint ${name}; insert into activity_log (${INSERT_COLUMNS.join(', ')}) values ${values}; release savepoint ${name}`;
    try {
      await sql.raw(text).execute(trx);
    } catch (err) {
      await sql.raw(`rollback to savepoint ${name}; release savepoint ${name}`).execute(trx);
      throw err;
    }
  },

  async page(db: Executor, f: ActivityFilter, after: CursorPosition | null, limit: number): Promise<ActivityRow[]> {
    let q = filtered(db.selectFrom('activity_log').select(COLUMNS), f);
    if (after) {
      const at = new Date(after.k);
      q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', after.id)])]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute() as Promise<ActivityRow[]>;
  },

  async byCategory(db: Executor, f: ActivityFilter) {
    return filtered(db.selectFrom('activity_log').select(['category', sql<number>`count(*)::int`.as('count')]), f).groupBy('category').execute();
  },

  /**
   * Rows per local date and hour in timeZone, in one scan. The rows are counted in 15-minute bins of UTC
   * first and only the bins are converted (every offset in use is a multiple of 15 minutes, and clocks
   * change on such a boundary): converting every row to a named zone doubled the cost of the scan.
   */
  async countsByLocalHour(db: Executor, f: ActivityFilter, timeZone: string) {
    const bins = filtered(
      db.selectFrom('activity_log').select([sql<Date>`date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00')`.as('bin'), sql<number>`count(*)`.as('n')]),
      f,
    ).groupBy(sql`1`);
    const local = sql`bin at time zone ${timeZone}`;
    return db
      .selectFrom(bins.as('bins'))
      .select([sql<string>`to_char(${local}, 'YYYY-MM-DD')`.as('date'), sql<number>`extract(hour from ${local})::int`.as('hour'), sql<number>`sum(n)::int`.as('count')])
      .groupBy([sql`1`, sql`2`])
      .execute();
  },

  async loginHistory(db: Executor, userId: string, ip: string | null, userAgent: string | null, excludeEventId: string) {
    const row = await db
      .selectFrom('activity_log')
      .select([
        sql<number>`count(*)::int`.as('previous'),
        sql<number>`count(*) filter (where ip_address is not distinct from ${ip} and user_agent is not distinct from ${userAgent})::int`.as('fromThisDevice'),
      ])
      .where('user_id', '=', userId)
      .where('action', '=', 'auth.login_succeeded')
      .where((eb) => eb.or([eb('event_id', 'is', null), eb('event_id', '!=', excludeEventId)]))
      .executeTakeFirstOrThrow();
    return row;
  },

  async ensurePartitions(db: Executor, from: string, to: string): Promise<number> {
    const { rows } = await sql<{ n: number }>`select activity_log_ensure_partitions(${from}::date, ${to}::date) as n`.execute(db);
    return rows[0].n;
  },

  async dropExpired(db: Executor, cutoff: Date): Promise<{ dropped: number; deleted: number }> {
    const { rows } = await sql<{ dropped: number; deleted: string | number }>`select * from activity_log_drop_expired(${cutoff})`.execute(db);
    return { dropped: rows[0].dropped, deleted: Number(rows[0].deleted) };
  },

  async partitions(db: Executor): Promise<string[]> {
    const { rows } = await sql<{ relname: string }>`
      select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'activity_log'::regclass order by c.relname`.execute(db);
    return rows.map((r) => r.relname);
  },
};
