import { sql } from 'kysely';
import type { Database } from '../platform/db/db.pool.js';

export const PURGE_JOB = 'accounts.purge-expired';

/**
 * Deletes what no longer protects anyone: session rows a week past expiry, used or expired
 * link tokens, phone codes and email-change codes (which hold the address asked for) after a day, delivered messages after a week, and login history
 * older than the retention setting.
 */
export async function purgeExpired(db: Database, loginRetentionDays: number): Promise<Record<string, number>> {
  const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  const day = sql<Date>`now() - interval '1 day'`;
  const week = sql<Date>`now() - interval '7 days'`;
  return {
    sessions: count(await db.deleteFrom('sessions').where('expires_at', '<', week).executeTakeFirst()),
    accountTokens: count(
      await db.deleteFrom('account_tokens').where((eb) => eb.or([eb('expires_at', '<', day), eb('used_at', '<', day)])).executeTakeFirst(),
    ),
    phoneCodes: count(await db.deleteFrom('phone_codes').where('expires_at', '<', day).executeTakeFirst()),
    emailChanges: count(await db.deleteFrom('email_changes').where('expires_at', '<', day).executeTakeFirst()),
    messages: count(await db.deleteFrom('outbound_messages').where('delivered_at', '<', week).executeTakeFirst()),
    loginAttempts: count(
      await db
        .deleteFrom('login_attempts')
        .where('created_at', '<', sql<Date>`now() - make_interval(days => ${loginRetentionDays})`)
        .executeTakeFirst(),
    ),
  };
}
