import { sql } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';

/** The address a deleted account keeps: unique, unroutable (.invalid), and free for anyone to sign up with the old one. */
export function erasedEmail(userId: string): string {
  return `deleted-${userId}@deleted.invalid`;
}

/** Erasing an account: the user row stays (the ledger references it) without anything personal; its own rows go. */
export const deletionRepo = {
  async eraseUser(db: Executor, userId: string): Promise<void> {
    await db
      .updateTable('users')
      .set({
        email: erasedEmail(userId),
        name: '',
        phone: null,
        phone_verified_at: null,
        email_verified_at: null,
        // not an argon2id hash: sign-in verifies the dummy hash instead and never matches
        password_hash: '!deleted',
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
        kyc_details: null,
        preferences: '{}',
        // an erased account holds no powers
        role: 'user',
        disabled_at: sql`now()`,
        deleted_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', userId)
      .execute();
  },

  /** Sessions, login history (ips, devices), links, codes and pending changes of the user. */
  async deleteOwnRows(db: Executor, userId: string): Promise<void> {
    await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    await db.deleteFrom('login_attempts').where('user_id', '=', userId).execute();
    await db.deleteFrom('account_tokens').where('user_id', '=', userId).execute();
    await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await db.deleteFrom('phone_codes').where('user_id', '=', userId).execute();
    await db.deleteFrom('email_changes').where('user_id', '=', userId).execute();
  },

  /** Mail and SMS kept for the user's address or phone (the dev outbox, undelivered or recently delivered), except one. */
  async deleteMessagesTo(db: Executor, recipients: string[], exceptId: string): Promise<void> {
    if (!recipients.length) return;
    await db.deleteFrom('outbound_messages').where('recipient', 'in', recipients).where('id', '!=', exceptId).execute();
  },
};
