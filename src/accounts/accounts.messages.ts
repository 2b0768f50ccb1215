import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { uuidv7 } from 'uuidv7';
import type { Config } from '../config.js';
import type { Database } from '../platform/db/db.pool.js';
import type { Executor } from '../platform/db/db.transaction.js';
import type { JobQueue } from '../platform/jobs/jobs.queue.js';
import { translate } from '../platform/i18n/i18n.service.js';

export const DELIVER_MESSAGE_JOB = 'accounts.deliver-message';
export type MessageTemplate = 'verify_email' | 'reset_password' | 'phone_code' | 'email_change_code' | 'email_changed' | 'account_deleted';

/** Sends a text message to a phone. A real provider clears the stored body after sending; the dev one keeps it readable. */
export interface SmsProvider {
  readonly name: string;
  /** True for the dev outbox: the message stays in outbound_messages for a person to read. */
  readonly keepsBody: boolean;
  send(to: string, text: string): Promise<void>;
}

/** The default SMS provider: nothing leaves the machine; the message is read from GET /api/v1/dev/outbox. */
export class DevOutboxSmsProvider implements SmsProvider {
  readonly name = 'dev';
  readonly keepsBody = true;
  async send(): Promise<void> {}
}

/** Mail over SMTP (nodemailer) when SMTP_URL is set; otherwise mail stays in the dev outbox table. */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(private readonly config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>) {
    this.transport = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : null;
  }

  get usesDevOutbox(): boolean {
    return this.transport === null;
  }

  async send(to: string, subject: string, text: string): Promise<void> {
    if (!this.transport) throw new Error('no SMTP transport configured');
    await this.transport.sendMail({ from: this.config.MAIL_FROM, to, subject, text });
  }
}

/** Is the dev outbox readable over HTTP: never in production, never when real mail is configured. */
export function devOutboxEnabled(config: Pick<Config, 'NODE_ENV' | 'SMTP_URL'>): boolean {
  return config.NODE_ENV !== 'production' && !config.SMTP_URL;
}

/** Where links in mail point: PUBLIC_URL, or the local server. */
export function publicBaseUrl(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

const LINK = /https?:\/\/[^\s<>"]+/g;

/** Renders, stores and delivers (through a job) the mail and SMS the accounts domain sends. */
export class Messages {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly mailer: Mailer,
    private readonly sms: SmsProvider,
    private readonly logger: Logger,
  ) {}

  /** Writes the message and its delivery job on the caller's transaction: no mail for a rolled-back change. */
  async queue(
    trx: Executor,
    input: { channel: 'email' | 'sms'; to: string; template: MessageTemplate; locale: string; params: Record<string, unknown> },
  ): Promise<string> {
    const id = uuidv7();
    const key = `accounts.messages.${input.template}`;
    await trx
      .insertInto('outbound_messages')
      .values({
        id,
        channel: input.channel,
        recipient: input.to,
        subject: input.channel === 'email' ? translate(input.locale, `${key}.subject`, input.params) : null,
        body: translate(input.locale, `${key}.body`, input.params),
        template: input.template,
        transport: null,
        delivered_at: null,
        last_error: null,
      })
      .execute();
    await this.jobs.enqueue(DELIVER_MESSAGE_JOB, { messageId: id }, { trx });
    return id;
  }

  /** The job: hands one stored message to SMTP / the SMS provider, or leaves it in the dev outbox. */
  async deliver(messageId: string): Promise<void> {
    const db = this.db;
    const row = await db.selectFrom('outbound_messages').selectAll().where('id', '=', messageId).executeTakeFirst();
    if (!row || row.delivered_at || row.body === null) return;
    const log = { messageId, channel: row.channel, template: row.template };
    let transport: string;
    let keepBody: boolean;
    try {
      if (row.channel === 'email') {
        if (this.mailer.usesDevOutbox) {
          transport = 'dev';
          keepBody = true;
        } else {
          await this.mailer.send(row.recipient, row.subject ?? '', row.body);
          transport = 'smtp';
          keepBody = false;
        }
      } else {
        await this.sms.send(row.recipient, row.body);
        transport = `sms:${this.sms.name}`;
        keepBody = this.sms.keepsBody;
      }
    } catch (err) {
      await db.updateTable('outbound_messages').set({ last_error: String((err as Error).message).slice(0, 500) }).where('id', '=', messageId).execute();
      throw err;
    }
    await db
      .updateTable('outbound_messages')
      .set({ delivered_at: new Date(), transport, last_error: null, ...(keepBody ? {} : { body: null }) })
      .where('id', '=', messageId)
      .execute();
    if (keepBody) this.logger.info(log, `${row.channel === 'email' ? 'mail' : 'sms'} is in the dev outbox: GET /api/v1/dev/outbox`);
    else this.logger.info({ ...log, transport }, 'message delivered');
  }

  /** The newest messages kept in the dev outbox, with the links they carry. */
  async devOutbox(limit: number) {
    const rows = await this.db
      .selectFrom('outbound_messages')
      .select(['id', 'channel', 'recipient', 'subject', 'body', 'template', 'created_at', 'delivered_at'])
      .where('body', 'is not', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      to: r.recipient,
      subject: r.subject,
      text: r.body ?? '',
      template: r.template,
      links: (r.body ?? '').match(LINK) ?? [],
      createdAt: r.created_at.toISOString(),
      deliveredAt: r.delivered_at?.toISOString() ?? null,
    }));
  }
}
