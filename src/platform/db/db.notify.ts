import pg from 'pg';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { bufferUntilCommit, type Executor } from './db.transaction.js';

/** Gets the items of one notification (a sender's items may arrive together in one). */
type Handler = (items: string[]) => void;
/** Told that listening resumed after a gap in which notifications may have been lost. */
type ResumeHandler = () => void;

/** The notifications of one transaction, sent with its COMMIT. */
const NOTIFICATIONS = Symbol('notifications');
/** PostgreSQL refuses a payload of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;
const RECONNECT_MS = [100, 500, 1000, 2000, 5000];

/**
 * PostgreSQL LISTEN/NOTIFY between the nodes on one database: a node wakes the others the moment
 * its transaction commits (a notification is delivered only if it does) without them polling.
 * Listening takes one dedicated connection, opened on the first listen and re-opened (with every
 * channel listened again) when it drops. A notification sent while no node listens is lost, so a
 * wake-up only speeds up work that something durable (a job, a sweep) also covers.
 */
export class Notifier {
  private readonly handlers = new Map<string, Handler[]>();
  private readonly resumers = new Map<string, ResumeHandler[]>();
  /** A listening connection was open before: the next one that opens ends a gap. */
  private listenedBefore = false;
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private failures = 0;
  private retry: NodeJS.Timeout | null = null;
  /** The LISTEN each heard channel is under now (see listeningEpoch), numbered from `epochs`. */
  private readonly heard = new Map<string, number>();
  private epochs = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Calls handler with the items of every notification on channel, from any node (this one too). */
  async listen(channel: string, handler: Handler): Promise<void> {
    const known = this.handlers.get(channel);
    if (known) {
      known.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    await this.connecting?.catch(() => undefined);
    if (this.client) {
      const client = this.client;
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      if (this.client === client) this.heard.set(channel, ++this.epochs);
      return;
    }
    if (this.retry) return;
    await this.connect().catch((err) => {
      this.logger.warn({ reason: (err as Error).message }, 'LISTEN connection failed; trying again');
      this.reconnect();
    });
  }

  /**
   * Calls onResume whenever this node listens on channel again after its listening connection
   * dropped: what was notified meanwhile is lost, so whoever acts on notices re-checks what they
   * cover.
   */
  onResume(channel: string, onResume: ResumeHandler): void {
    this.resumers.set(channel, [...(this.resumers.get(channel) ?? []), onResume]);
  }

  /**
   * Sends items on channel when trx commits (nothing if it rolls back), in the COMMIT's round trip;
   * without a transaction, at once. Items (ids, names: no commas) are packed into as few
   * notifications as fit.
   */
  async notifyOnCommit(trx: Executor, channel: string, items: string[]): Promise<void> {
    if (items.some((item) => item.includes(','))) throw new Error('notification items cannot contain commas');
    const all = items.map((item) => ({ channel, item }));
    if (!all.length) return;
    if (!all.every((one) => bufferUntilCommit(trx, NOTIFICATIONS, one, (t, buffered) => send(t, buffered)))) await send(trx, all);
  }

  /**
   * Which LISTEN on channel this node is under: a number that stays the same for as long as every
   * notification on channel is heard, and changes (or is null, while not listening) after any gap
   * in which one could have been missed. What a node caches on the strength of notifications is good
   * only while the epoch it was read under is still the current one.
   */
  listeningEpoch(channel: string): number | null {
    return this.heard.get(channel) ?? null;
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'streakpets-listen' });
      client.on('notification', (msg) => {
        for (const handler of this.handlers.get(msg.channel) ?? []) {
          try {
            handler((msg.payload ?? '').split(','));
          } catch (err) {
            this.logger.warn({ err, channel: msg.channel }, 'notification handler failed');
          }
        }
      });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
        for (const channel of this.handlers.keys()) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
        this.client = client;
        for (const channel of this.handlers.keys()) this.heard.set(channel, ++this.epochs);
        this.failures = 0;
        if (this.listenedBefore) this.resumed();
        this.listenedBefore = true;
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private resumed(): void {
    for (const channel of this.handlers.keys()) {
      for (const onResume of this.resumers.get(channel) ?? []) {
        try {
          onResume();
        } catch (err) {
          this.logger.warn({ err, channel }, 'resume handler failed');
        }
      }
    }
  }

  /** The listening connection dropped: connect again after a growing pause, until closed. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.heard.clear();
    if (this.closed) return;
    this.logger.warn('the LISTEN connection dropped; reconnecting');
    this.reconnect();
  }

  private reconnect(): void {
    const pause = RECONNECT_MS[Math.min(this.failures++, RECONNECT_MS.length - 1)];
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.closed) return;
      this.connect().catch((err) => {
        this.logger.warn({ reason: (err as Error).message }, 'LISTEN reconnect failed; trying again');
        this.reconnect();
      });
    }, pause);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    this.heard.clear();
    await client?.end().catch(() => undefined);
  }
}

/** One statement for all of a transaction's notifications, items joined per channel under the size limit. */
async function send(trx: Executor, items: Array<{ channel: string; item: string }>): Promise<void> {
  const channels: string[] = [];
  const payloads: string[] = [];
  const open = new Map<string, number>();
  for (const { channel, item } of items) {
    const at = open.get(channel);
    if (at !== undefined && payloads[at].length + 1 + item.length <= MAX_PAYLOAD) {
      payloads[at] += `,${item}`;
      continue;
    }
    open.set(channel, payloads.length);
    channels.push(channel);
    payloads.push(item);
  }
  await sql`select pg_notify(c, p) from unnest(${channels}::text[], ${payloads}::text[]) as n(c, p)`.execute(trx);
}
