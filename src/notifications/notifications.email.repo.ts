import { sql } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { NotificationRender } from './notifications.repo.js';

/** A notification that may be mailed: its id, its user and its category's stored name. */
export interface MailCandidate {
  notification_id: string;
  user_id: string;
  category: string;
}

/** What the mail job needs about one queued mail, its notification and its user. */
export interface QueuedMail {
  notification_id: string;
  category: string;
  sent_at: Date | null;
  skipped: string | null;
  title: string;
  body: string;
  render: NotificationRender | null;
  email: string;
  name: string;
  locale: string;
  email_verified_at: Date | null;
  disabled_at: Date | null;
  enabled: boolean | null;
}

export const notificationEmailsRepo = {
  async preferences(db: Executor, userId: string) {
    return db.selectFrom('notification_email_preferences').select(['category', 'enabled']).where('user_id', '=', userId).execute();
  },

  async setPreferences(db: Executor, userId: string, prefs: Array<{ category: string; enabled: boolean }>): Promise<void> {
    if (!prefs.length) return;
    await db
      .insertInto('notification_email_preferences')
      .values(prefs.map((p) => ({ user_id: userId, category: p.category, enabled: p.enabled })))
      .onConflict((oc) => oc.columns(['user_id', 'category']).doUpdateSet((eb) => ({ enabled: eb.ref('excluded.enabled'), updated_at: sql`now()` })))
      .execute();
  },

  async emailVerified(db: Executor, userId: string): Promise<boolean> {
    const row = await db.selectFrom('users').select('email_verified_at').where('id', '=', userId).executeTakeFirst();
    return Boolean(row?.email_verified_at);
  },

  /**
   * Of the candidates (at most one per user and category), those whose user is active, has a verified
   * email and wants the category (`defaults`: the categories on when never chosen), and whose category
   * has not mailed them within the window: the window is claimed and the mail recorded, in one statement.
   */
  async claim(db: Executor, candidates: MailCandidate[], defaults: string[], windowMinutes: number): Promise<string[]> {
    if (!candidates.length) return [];
    const result = await sql<{ notification_id: string }>`
      with c as (
        select * from jsonb_to_recordset(${JSON.stringify(candidates)}::jsonb) as c(notification_id uuid, user_id uuid, category text)
      ),
      eligible as (
        select c.notification_id, c.user_id, c.category from c
        join users u on u.id = c.user_id and u.disabled_at is null and u.email_verified_at is not null
        left join notification_email_preferences p on p.user_id = c.user_id and p.category = c.category
        where coalesce(p.enabled, c.category = any(${defaults}::text[]))
      ),
      claimed as (
        insert into notification_email_windows (user_id, category, mailed_at)
        select user_id, category, now() from eligible
        on conflict (user_id, category) do update set mailed_at = excluded.mailed_at
          where notification_email_windows.mailed_at <= now() - make_interval(mins => ${windowMinutes}::int)
        returning user_id, category
      )
      insert into notification_emails (notification_id, user_id, category)
      select e.notification_id, e.user_id, e.category from eligible e join claimed k on k.user_id = e.user_id and k.category = e.category
      on conflict do nothing
      returning notification_id`.execute(db);
    return result.rows.map((r) => r.notification_id);
  },

  /** Of the candidates, those whose user is active with a verified email: their mails are recorded, with no choice and no window. */
  async recordAlways(db: Executor, candidates: MailCandidate[]): Promise<string[]> {
    if (!candidates.length) return [];
    const result = await sql<{ notification_id: string }>`
      insert into notification_emails (notification_id, user_id, category)
      select c.notification_id, c.user_id, c.category
      from jsonb_to_recordset(${JSON.stringify(candidates)}::jsonb) as c(notification_id uuid, user_id uuid, category text)
      join users u on u.id = c.user_id and u.disabled_at is null and u.email_verified_at is not null
      on conflict do nothing
      returning notification_id`.execute(db);
    return result.rows.map((r) => r.notification_id);
  },

  /** The announcement's notifications stored for users in (after, upTo] who turned its mail on (announcements are off unless chosen). */
  async announcementCandidates(db: Executor, eventId: string, category: string, after: string | null, upTo: string | null): Promise<MailCandidate[]> {
    return db
      .selectFrom('notifications as n')
      .innerJoin('notification_email_preferences as p', (j) => j.onRef('p.user_id', '=', 'n.user_id').on('p.category', '=', category).on('p.enabled', '=', true))
      .select(['n.id as notification_id', 'n.user_id', sql.val(category).as('category')])
      .where('n.source_event_id', '=', eventId)
      .where('n.type', '=', 'system_announcement')
      .$if(after !== null, (q) => q.where('n.user_id', '>', after!))
      .$if(upTo !== null, (q) => q.where('n.user_id', '<=', upTo!))
      .execute() as Promise<MailCandidate[]>;
  },

  async find(db: Executor, notificationId: string): Promise<QueuedMail | undefined> {
    return db
      .selectFrom('notification_emails as e')
      .innerJoin('notifications as n', 'n.id', 'e.notification_id')
      .innerJoin('users as u', 'u.id', 'e.user_id')
      .leftJoin('notification_email_preferences as p', (j) => j.onRef('p.user_id', '=', 'e.user_id').onRef('p.category', '=', 'e.category'))
      .select([
        'e.notification_id', 'e.category', 'e.sent_at', 'e.skipped', 'n.title', 'n.body', 'n.render',
        'u.email', 'u.name', 'u.locale', 'u.email_verified_at', 'u.disabled_at', 'p.enabled',
      ])
      .where('e.notification_id', '=', notificationId)
      .executeTakeFirst() as Promise<QueuedMail | undefined>;
  },

  async markSent(db: Executor, notificationId: string): Promise<void> {
    await db.updateTable('notification_emails').set({ sent_at: new Date(), last_error: null }).where('notification_id', '=', notificationId).execute();
  },

  async markSkipped(db: Executor, notificationId: string, reason: string): Promise<void> {
    await db.updateTable('notification_emails').set({ skipped: reason }).where('notification_id', '=', notificationId).execute();
  },
  /**
   * Gives back the window this mail claimed, when it still holds it (claimed in the statement that wrote the
   * mail, so at its created_at): a skipped mail was no mail, and must not hold back the next one.
   */
  async releaseWindow(db: Executor, notificationId: string): Promise<void> {
    await sql`
      delete from notification_email_windows w using notification_emails e
      where e.notification_id = ${notificationId} and w.user_id = e.user_id and w.category = e.category and w.mailed_at = e.created_at`.execute(db);
  },

  async markFailed(db: Executor, notificationId: string, error: string): Promise<void> {
    await db.updateTable('notification_emails').set({ last_error: error }).where('notification_id', '=', notificationId).execute();
  },
};
