import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/db.pool.js';
import type { Notifier } from '../db/db.notify.js';

/** Where worker nodes say join, beat and leave (`<what>:<node id>`). */
export const WORKERS_CHANNEL = 'streakpets_workers';

/**
 * The worker nodes on one database, known to each other by heartbeats on a LISTEN/NOTIFY channel,
 * so that a wake-up every worker hears is taken by one of them: `owns(key)` is true on exactly one
 * node that all members agree on (rendezvous hashing: the member whose hash with the key is highest;
 * a node joining or leaving moves only its own share). A node joins when its job workers start and
 * leaves (telling the others) when they stop; one that dies is forgotten after three missed
 * heartbeats. While views differ (a node starting, a missed notice), a key may be owned by two
 * nodes or by none: owners must tolerate a duplicate, and a durable job must cover a wake-up nobody
 * took.
 */
export class WorkerRing {
  readonly id: string = randomUUID();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private listening = false;

  constructor(
    private readonly notify: Notifier,
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly heartbeatMs = 5000,
  ) {}

  /** Whether this node takes the wake-up for key: always while it is not a member itself. */
  owns(key: string): boolean {
    if (!this.timer) return true;
    const members = this.members();
    if (members.length === 1) return true;
    let best = '';
    let owner = this.id;
    for (const member of members) {
      const score = createHash('md5').update(member).update(key).digest('hex');
      if (score > best) {
        best = score;
        owner = member;
      }
    }
    return owner === this.id;
  }

  /** The members this node knows of now, itself included while it is one. */
  members(): string[] {
    const fresh = Date.now() - this.heartbeatMs * 3;
    for (const [member, at] of this.seen) if (at < fresh) this.seen.delete(member);
    return [...(this.timer ? [this.id] : []), ...this.seen.keys()];
  }

  /** Joins: listens for the others, tells them, and keeps telling them every heartbeat. */
  async start(): Promise<void> {
    if (!this.listening) {
      this.listening = true;
      await this.notify.listen(WORKERS_CHANNEL, (items) => this.heard(items));
    }
    this.timer ??= setInterval(() => void this.say('beat'), this.heartbeatMs).unref();
    await this.say('join');
  }

  /** Leaves: the others take its share as soon as they hear it. */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.seen.clear();
    await this.say('leave');
  }

  private heard(items: string[]): void {
    for (const item of items) {
      const [what, member] = item.split(':');
      if (!member || member === this.id) continue;
      if (what === 'leave') this.seen.delete(member);
      else this.seen.set(member, Date.now());
      // a node that just joined learns the others from their answers, not a heartbeat later
      if (what === 'join' && this.timer) void this.say('beat');
    }
  }

  private async say(what: 'join' | 'beat' | 'leave'): Promise<void> {
    try {
      await this.notify.notifyOnCommit(this.db, WORKERS_CHANNEL, [`${what}:${this.id}`]);
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'worker heartbeat failed');
    }
  }
}
