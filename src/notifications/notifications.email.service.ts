import { publicBaseUrl } from '../accounts/accounts.messages.js';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { configuredSecrets, hideSecrets, shortErrorText } from '../platform/observability/logger.js';
import { notificationEmailsRepo as repo, type MailCandidate, type QueuedMail } from './notifications.email.repo.js';
import { CATEGORY_COLUMN, CATEGORY_OF_TYPE, EMAIL_CATEGORIES, EMAIL_DEFAULTS, SECURITY_COLUMN, categoryFromColumn, type EmailCategory } from './notifications.email.types.js';
import type { NotificationRender } from './notifications.repo.js';
import type { NotificationType } from './notifications.types.js';

export const EMAIL_JOB = 'notifications.email';

/** Title and body of a notification in a locale (the notifications service's renderer). */
export type Teller = (recipe: NotificationRender, locale: string, bodyKey?: string) => { title: string; body: string };

/**
 * Templates whose app text names the other user (their display name, which they write themselves): a
 * mail tells them without it, so nobody can put words of their choosing into a genuine StreakPets mail
 * to someone else by paying them or asking them to pay. The app shows who it was.
 */
const MAIL_BODIES = new Set(['payment_received', 'payment_request']);

const DEFAULT_ON = EMAIL_CATEGORIES.filter((c) => EMAIL_DEFAULTS[c]).map((c) => CATEGORY_COLUMN[c]);

/**
 * Notifications by mail: per-user choices per category, a mail queued (as a job, on the dispatcher's
 * transaction) for a stored notification of a chosen category when the user's email is verified, at most
 * one per user and category per NOTIFICATION_EMAIL_WINDOW_MINUTES, told in the user's language.
 */
export class NotificationEmails {
  constructor(
    private readonly deps: AppDeps,
    private readonly tell: Teller,
  ) {}

  /** The caller's mail choice per category (defaults where never chosen) and whether their email is verified. */
  async preferences(userId: string): Promise<{ email: Record<EmailCategory, boolean>; emailVerified: boolean }> {
    const [rows, emailVerified] = await Promise.all([repo.preferences(this.deps.db, userId), repo.emailVerified(this.deps.db, userId)]);
    const email = { ...EMAIL_DEFAULTS };
    for (const row of rows) {
      const category = categoryFromColumn(row.category);
      if (category) email[category] = row.enabled;
    }
    return { email, emailVerified };
  }

  /** Turns the given categories' mail on or off for the caller; answers every category as preferences does. */
  async setPreferences(ctx: RequestContext, email: Partial<Record<EmailCategory, boolean>>) {
    const rows = Object.entries(email).map(([category, enabled]) => ({ category: CATEGORY_COLUMN[category as EmailCategory], enabled: Boolean(enabled) }));
    await repo.setPreferences(this.deps.db, ctx.user.id, rows);
    return this.preferences(ctx.user.id);
  }

  /** For notifications just stored on the dispatcher's transaction: claims each user's category window and queues the mails that pass. */
  async queue(trx: Tx, rows: Array<{ id: string; user_id: string; type: string }>): Promise<number> {
    const seen = new Set<string>();
    const candidates: MailCandidate[] = [];
    const security: MailCandidate[] = [];
    for (const row of rows) {
      if (row.type === 'security_alert') {
        security.push({ notification_id: row.id, user_id: row.user_id, category: SECURITY_COLUMN });
        continue;
      }
      const category = CATEGORY_OF_TYPE[row.type as NotificationType];
      if (!category) continue;
      const key = `${row.user_id}/${category}`;
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push({ notification_id: row.id, user_id: row.user_id, category: CATEGORY_COLUMN[category] });
    }
    // every security alert goes out: no choice holds it back, and no window (a password change right after a new sign-in is mailed too)
    const alerts = await repo.recordAlways(trx, security);
    if (alerts.length) await this.deps.jobs.enqueueMany(EMAIL_JOB, alerts.map((notificationId) => ({ notificationId })), { trx });
    return alerts.length + (await this.claimAndQueue(trx, candidates));
  }

  /** For one chunk of an announcement's fan-out: queues the mails of the users in (after, upTo] who chose announcements by mail. */
  async queueAnnouncement(db: Executor, eventId: string, after: string | null, upTo: string | null): Promise<number> {
    return this.claimAndQueue(db, await repo.announcementCandidates(db, eventId, CATEGORY_COLUMN.announcements, after, upTo));
  }

  /**
   * The job: mails one queued notification in its user's current language, unless it went already, the
   * user can no longer get it (disabled, email no longer verified, category turned off), or there is no
   * SMTP server (no SMTP_URL: notification mail is not kept in the dev outbox); a skipped mail gives back
   * the category's window it claimed.
   */
  async send(notificationId: string): Promise<void> {
    const mail = await repo.find(this.deps.db, notificationId);
    if (!mail || mail.sent_at || mail.skipped) return;
    const skip = this.skipReason(mail);
    if (skip) {
      // the window opens with a mail, not with a notification: a skipped one gives it back
      await withTransaction(this.deps.db, async (trx) => {
        await repo.markSkipped(trx, notificationId, skip);
        await repo.releaseWindow(trx, notificationId);
      });
      this.deps.logger.info({ notificationId, reason: skip }, 'notification mail skipped');
      return;
    }
    const { subject, text } = this.compose(mail);
    try {
      await this.deps.services.accountsModule.mailer.send(mail.email, subject, text);
    } catch (err) {
      await repo.markFailed(this.deps.db, notificationId, hideSecrets(shortErrorText(err), configuredSecrets(this.deps.config)).slice(0, 500));
      throw err;
    }
    await repo.markSent(this.deps.db, notificationId);
    this.deps.logger.info({ notificationId, category: mail.category }, 'notification mail sent');
  }

  private async claimAndQueue(db: Executor, candidates: MailCandidate[]): Promise<number> {
    if (!candidates.length) return 0;
    const ids = await repo.claim(db, candidates, DEFAULT_ON, this.deps.config.NOTIFICATION_EMAIL_WINDOW_MINUTES);
    if (ids.length) await this.deps.jobs.enqueueMany(EMAIL_JOB, ids.map((notificationId) => ({ notificationId })), { trx: db });
    return ids.length;
  }

  private skipReason(mail: QueuedMail): string | null {
    const category = categoryFromColumn(mail.category);
    if (mail.disabled_at) return 'user_disabled';
    if (!mail.email_verified_at) return 'email_unverified';
    if (mail.category !== SECURITY_COLUMN && (!category || !(mail.enabled ?? EMAIL_DEFAULTS[category]))) return 'category_off';
    if (this.deps.services.accountsModule.mailer.usesDevOutbox) return 'no_smtp';
    return null;
  }

  /** Subject and plain-text body: the notification as the app tells it, a link to it and one to these choices. No tokens, no amounts beyond the text. */
  private compose(mail: QueuedMail): { subject: string; text: string } {
    const { locale } = mail;
    const template = mail.render?.template;
    const told = template ? this.tell(mail.render!, locale, MAIL_BODIES.has(template) ? `notificationPrefs.mail.bodies.${template}` : undefined) : { title: mail.title, body: mail.body };
    const base = publicBaseUrl(this.deps.config);
    const category = mail.category === SECURITY_COLUMN ? '' : translate(locale, `notificationPrefs.categories.${categoryFromColumn(mail.category)}`);
    const params = { name: mail.name, title: told.title, body: told.body, category, link: `${base}/notifications`, settingsLink: `${base}/settings` };
    // a security mail greets nobody by name, as the account's own security mails do, and offers no switch
    const bodyKey = mail.category === SECURITY_COLUMN ? 'notificationPrefs.mail.securityBody' : 'notificationPrefs.mail.body';
    return { subject: translate(locale, 'notificationPrefs.mail.subject', params), text: translate(locale, bodyKey, params) };
  }
}
