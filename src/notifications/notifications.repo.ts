import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { DB } from '../platform/db/db.types.js';
import type { CursorPosition } from '../platform/http/http.pagination.js';
import type { NotificationPriority } from './notifications.tables.js';

export interface NotificationRow {
  id: string;
  user_id: string;
  type: string;
  priority: NotificationPriority;
  title: string;
  body: string;
  data: unknown;
  render: NotificationRender | null;
  created_at: Date;
  seen_at: Date | null;
  read_at: Date | null;
  archived_at: Date | null;
  expires_at: Date | null;
}

export interface NewNotification {
  id: string;
  user_id: string;
  type: string;
  priority: NotificationPriority;
  title: string;
  body: string;
  data: string;
  render?: NotificationRender | null;
  source_event_id: string | null;
  expires_at: Date | null;
}

/** What a notification is rendered from: re-rendered at read time in the reader's language. */
export interface NotificationRender {
  template: string;
  params: Record<string, unknown>;
  /** Params whose value is a catalog key (param → key). */
  localized: Record<string, string>;
  /** The user named as params.counterparty and their wallet address (''), so deleting their account can re-tell it. */
  counterparty?: { userId: string; address: string };
}

export interface ListFilter {
  userId: string;
  unreadOnly: boolean;
  type?: string;
  since?: Date;
  includeArchived: boolean;
  after: CursorPosition | null;
  limit: number;
}

const live = (eb: ExpressionBuilder<DB, 'notifications'>): Expression<SqlBool> =>
  eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]);

const COLUMNS = ['id', 'user_id', 'type', 'priority', 'title', 'body', 'data', 'render', 'created_at', 'seen_at', 'read_at', 'archived_at', 'expires_at'] as const;

/** New rows as one JSON array for jsonb_populate_recordset; `data` is JSON text already and goes in as it is. */
function rowsJson(rows: NewNotification[]): string {
  return `[${rows.map(({ data, ...rest }) => `${JSON.stringify(rest).slice(0, -1)},"data":${data || '{}'}}`).join(',')}]`;
}

export const notificationsRepo = {
  /** Every notification and mute setting of a user (account deletion). */
  /** Other users' notifications that name this user (render.counterparty), with their readers' locales. */
  namingUser(db: Executor, userId: string) {
    return db
      .selectFrom('notifications')
      .innerJoin('users', 'users.id', 'notifications.user_id')
      .select(['notifications.id', 'notifications.data', 'notifications.render', 'users.locale'])
      .where(sql<SqlBool>`notifications.render ? 'counterparty'`)
      .where(sql<string>`notifications.render -> 'counterparty' ->> 'userId'`, '=', userId)
      .execute() as Promise<Array<{ id: string; data: unknown; render: NotificationRender; locale: string }>>;
  },

  async retell(db: Executor, id: string, n: { title: string; body: string; render: NotificationRender; data: unknown }): Promise<void> {
    await db
      .updateTable('notifications')
      .set({ title: n.title, body: n.body, render: JSON.stringify(n.render), data: JSON.stringify(n.data) })
      .where('id', '=', id)
      .execute();
  },

  async removeIds(db: Executor, ids: string[]): Promise<void> {
    if (ids.length) await db.deleteFrom('notifications').where('id', 'in', ids).execute();
  },

  async removeAllOfUser(db: Executor, userId: string): Promise<void> {
    await db.deleteFrom('notifications').where('user_id', '=', userId).execute();
    await db.deleteFrom('notification_preferences').where('user_id', '=', userId).execute();
    await db.deleteFrom('notification_email_preferences').where('user_id', '=', userId).execute();
    await db.deleteFrom('notification_email_windows').where('user_id', '=', userId).execute();
  },

  /** The user's current language, in which their notifications are told. */
  async localeOf(db: Executor, userId: string): Promise<string | undefined> {
    return (await db.selectFrom('users').select('locale').where('id', '=', userId).executeTakeFirst())?.locale;
  },

  /** Active users with their locale, name and muted types, in one query. */
  async recipients(db: Executor, userIds: string[]) {
    if (!userIds.length) return [];
    return db
      .selectFrom('users as u')
      .select([
        'u.id',
        'u.locale',
        'u.name',
        sql<string[]>`coalesce((select array_agg(p.type) from notification_preferences p where p.user_id = u.id and p.muted), '{}')`.as('muted'),
      ])
      .where('u.id', '=', sql<string>`any(${userIds}::uuid[])`)
      .where('u.disabled_at', 'is', null)
      .execute();
  },

  /**
   * Inserts (once per source event, user and type) and returns each stored row, in creation order,
   * with its user's new unread count, counted once per user — only for the users in `countFor` (all
   * by default; the others get null). One statement text whatever the number of rows (a JSON array
   * parameter), so it is prepared once instead of once per batch size.
   */
  async insert(db: Executor, rows: NewNotification[], countFor: string[] = rows.map((r) => r.user_id)): Promise<Array<NotificationRow & { unread: number | null }>> {
    if (!rows.length) return [];
    const result = await sql<NotificationRow & { unread: number | null }>`
      with ins as (
        insert into notifications (id, user_id, type, priority, title, body, data, render, source_event_id, expires_at)
        select id, user_id, type, priority, title, body, data, render, source_event_id, expires_at
        from jsonb_populate_recordset(null::notifications, ${rowsJson(rows)}::jsonb)
        on conflict (source_event_id, user_id, type) where source_event_id is not null do nothing
        returning ${sql.join(COLUMNS.map((c) => sql.ref(c)))}
      ),
      counts as (
        select u.user_id, ((select count(*) from notifications n where n.user_id = u.user_id and n.read_at is null and n.archived_at is null
          and (n.expires_at is null or n.expires_at > now())) + (select count(*) from ins i where i.user_id = u.user_id))::int as unread
        from (select distinct user_id from ins where user_id = any(${[...new Set(countFor)]}::uuid[])) u
      )
      select ins.*, counts.unread from ins left join counts on counts.user_id = ins.user_id order by ins.id`.execute(db);
    return result.rows;
  },

  /** The id closing a chunk of `size` users after `after` (keyset order), or null when fewer remain. */
  async userChunkEnd(db: Executor, after: string | null, size: number): Promise<string | null> {
    let q = db.selectFrom('users').select('id').orderBy('id').offset(size - 1).limit(1);
    if (after) q = q.where('id', '>', after);
    return (await q.executeTakeFirst())?.id ?? null;
  },

  /** Gives every active user in (after, upTo] who has not muted the type one notification (announcements). */
  async insertForUsers(db: Executor, n: Omit<NewNotification, 'id' | 'user_id'>, after: string | null, upTo: string | null): Promise<number> {
    const result = await db
      .insertInto('notifications')
      .columns(['id', 'user_id', 'type', 'priority', 'title', 'body', 'data', 'source_event_id', 'expires_at'])
      .expression((eb) =>
        eb
          .selectFrom('users as u')
          .select([
            sql<string>`gen_random_uuid()`.as('id'),
            'u.id as user_id',
            sql.val(n.type).as('type'),
            sql.val(n.priority).as('priority'),
            sql.val(n.title).as('title'),
            sql.val(n.body).as('body'),
            sql`${n.data}::jsonb`.as('data'),
            sql`${n.source_event_id}::uuid`.as('source_event_id'),
            sql`${n.expires_at}::timestamptz`.as('expires_at'),
          ])
          .where('u.disabled_at', 'is', null)
          .$if(after !== null, (qb) => qb.where('u.id', '>', after!))
          .$if(upTo !== null, (qb) => qb.where('u.id', '<=', upTo!))
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('notification_preferences as p')
                  .select('p.user_id')
                  .whereRef('p.user_id', '=', 'u.id')
                  .where('p.type', '=', n.type)
                  .where('p.muted', '=', true),
              ),
            ),
          ),
      )
      .onConflict((oc) => oc.columns(['source_event_id', 'user_id', 'type']).where('source_event_id', 'is not', null).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  },

  async list(db: Executor, f: ListFilter): Promise<NotificationRow[]> {
    let q = db.selectFrom('notifications').select(COLUMNS).where('user_id', '=', f.userId).where(live);
    if (!f.includeArchived) q = q.where('archived_at', 'is', null);
    if (f.unreadOnly) q = q.where('read_at', 'is', null);
    if (f.type) q = q.where('type', '=', f.type);
    if (f.since) q = q.where('created_at', '>', f.since);
    if (f.after) {
      const at = new Date(f.after.k);
      q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', f.after!.id)])]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute() as Promise<NotificationRow[]>;
  },

  async counts(db: Executor, userId: string): Promise<{ unread: number; unseen: number }> {
    const row = await db
      .selectFrom('notifications')
      .select([
        sql<number>`count(*) filter (where read_at is null)::int`.as('unread'),
        sql<number>`count(*) filter (where seen_at is null and read_at is null)::int`.as('unseen'),
      ])
      .where('user_id', '=', userId)
      .where('archived_at', 'is', null)
      .where('read_at', 'is', null)
      .where(live)
      .executeTakeFirstOrThrow();
    return { unread: row.unread, unseen: row.unseen };
  },

  async findOwn(db: Executor, userId: string, id: string): Promise<NotificationRow | undefined> {
    return db.selectFrom('notifications').select(COLUMNS).where('id', '=', id).where('user_id', '=', userId).where(live).forUpdate().executeTakeFirst() as Promise<NotificationRow | undefined>;
  },

  async markRead(db: Executor, userId: string, ids: string[] | 'all'): Promise<string[]> {
    let q = db.updateTable('notifications').set({ read_at: new Date(), seen_at: sql`coalesce(seen_at, now())` }).where('user_id', '=', userId).where('read_at', 'is', null).where('archived_at', 'is', null);
    if (ids !== 'all') q = q.where('id', 'in', ids);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  },

  async markSeen(db: Executor, userId: string): Promise<number> {
    const result = await db.updateTable('notifications').set({ seen_at: new Date() }).where('user_id', '=', userId).where('seen_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  async archive(db: Executor, userId: string, id: string): Promise<NotificationRow | undefined> {
    return db
      .updateTable('notifications')
      .set({ archived_at: sql`coalesce(archived_at, now())`, read_at: sql`coalesce(read_at, now())` })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning(COLUMNS)
      .executeTakeFirst() as Promise<NotificationRow | undefined>;
  },

  async remove(db: Executor, userId: string, id: string): Promise<boolean> {
    const result = await db.deleteFrom('notifications').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async purgeExpired(db: Executor, batch: number): Promise<number> {
    const result = await db
      .deleteFrom('notifications')
      .where('id', 'in', (eb) => eb.selectFrom('notifications').select('id').where('expires_at', '<=', sql<Date>`now()`).limit(batch))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },

  async preferences(db: Executor, userId: string) {
    return db.selectFrom('notification_preferences').select(['type', 'muted']).where('user_id', '=', userId).execute();
  },

  async setPreferences(db: Executor, userId: string, prefs: Array<{ type: string; muted: boolean }>): Promise<void> {
    if (!prefs.length) return;
    await db
      .insertInto('notification_preferences')
      .values(prefs.map((p) => ({ user_id: userId, type: p.type, muted: p.muted })))
      .onConflict((oc) => oc.columns(['user_id', 'type']).doUpdateSet((eb) => ({ muted: eb.ref('excluded.muted'), updated_at: sql`now()` })))
      .execute();
  },

  async insertAnnouncement(db: Executor, a: { id: string; author_id: string; title: string; body: string; priority: NotificationPriority; expires_at: Date | null }) {
    return db.insertInto('announcements').values(a).returningAll().executeTakeFirstOrThrow();
  },
};
