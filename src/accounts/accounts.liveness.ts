import { LRUCache } from 'lru-cache';
import type { Notifier } from '../platform/db/db.notify.js';
import { afterCommit, type Tx } from '../platform/db/db.transaction.js';

/** The channel the database's own triggers (migration 0102) tell every node on about identity changes. */
export const IDENTITY_CHANNEL = 'accounts_identity';
/** Sessions remembered at once (a few MB at most); the least recently used go first. */
const MAX_ENTRIES = 10_000;
/**
 * How long a session seen live is taken on trust. Notices forget it at once; this bounds the one
 * case they cannot cover: a listening connection that died without this node hearing it die yet.
 */
const TRUST_MS = 10_000;

/** What a live session decides about a request: its user (with role and 2FA state) and when the session ends. */
export interface LiveIdentity {
  id: string;
  role: 'user' | 'admin';
  totp_enabled_at: Date | null;
  session_id: string;
  family_id: string;
  expires_at: Date;
}

/** Where a session read began: its answer is remembered only if nothing was forgotten, and no notice could be missed, meanwhile. */
export interface ReadMark {
  forgets: number;
  epoch: number | null;
}

/**
 * The sessions this node has lately seen live, so that an authenticated request does not ask the
 * database again. A session is forgotten the moment anything that decides it changes: the database
 * notifies every node when a session is revoked, ended or deleted, and when a user is disabled,
 * deleted, or given another role or 2FA state; the node that makes such a change also forgets at
 * its own COMMIT, before it answers. An entry is good only under the LISTEN it was read under
 * (none is used or stored while this node is not listening, or after a gap in which a notice could
 * have been lost), only until its session expires, and for TRUST_MS at most.
 */
export class LiveSessions {
  private readonly entries = new LRUCache<string, { identity: LiveIdentity; epoch: number }>({ max: MAX_ENTRIES, ttl: TRUST_MS });
  private forgets = 0;
  private readonly userWatchers: Array<(userIds: string[] | 'everyone') => void> = [];

  constructor(private readonly notifier: Notifier) {}

  /** Starts hearing the database's notices (retried in the background while it cannot). */
  async listen(): Promise<void> {
    await this.notifier.listen(IDENTITY_CHANNEL, (items) => {
      this.forget(items);
      const userIds = items.filter((i) => i.startsWith('u:')).map((i) => i.slice(2));
      if (userIds.length) for (const watcher of this.userWatchers) watcher(userIds);
    });
    // notices missed while the connection was down could have named anyone
    this.notifier.onResume(IDENTITY_CHANNEL, () => {
      for (const watcher of this.userWatchers) watcher('everyone');
    });
  }

  /**
   * Calls onChange with the users each notice names, after their sessions are forgotten (so a check
   * it makes reads the database), or with 'everyone' when listening resumed after a gap.
   */
  watchUsers(onChange: (userIds: string[] | 'everyone') => void): void {
    this.userWatchers.push(onChange);
  }

  /** The remembered live identity of a session, if it is still good. */
  get(sessionId: string): LiveIdentity | undefined {
    const hit = this.entries.get(sessionId);
    if (!hit) return undefined;
    if (hit.epoch === this.notifier.listeningEpoch(IDENTITY_CHANNEL) && hit.identity.expires_at.getTime() > Date.now()) return hit.identity;
    this.entries.delete(sessionId);
    return undefined;
  }

  /** Taken before reading a session from the database, and handed to remember with its answer. */
  mark(): ReadMark {
    return { forgets: this.forgets, epoch: this.notifier.listeningEpoch(IDENTITY_CHANNEL) };
  }

  /** Remembers a session read live since mark, unless a notice or a gap came in between (the read may predate a change). */
  remember(mark: ReadMark, identity: LiveIdentity): void {
    if (mark.epoch === null || mark.epoch !== this.notifier.listeningEpoch(IDENTITY_CHANNEL) || mark.forgets !== this.forgets) return;
    this.entries.set(identity.session_id, { identity, epoch: mark.epoch });
  }

  /** Forgets what notices name: `s:<session id>` a session, `u:<user id>` every session of a user. */
  forget(items: string[]): void {
    this.forgets++;
    const users = new Set(items.filter((i) => i.startsWith('u:')).map((i) => i.slice(2)));
    for (const item of items) if (item.startsWith('s:')) this.entries.delete(item.slice(2));
    if (!users.size) return;
    const gone = [...this.entries.entries()].filter(([, e]) => users.has(e.identity.id)).map(([sessionId]) => sessionId);
    for (const sessionId of gone) this.entries.delete(sessionId);
  }

  /** This node changed a user's sessions or identity on trx: they are forgotten as it commits, before the change is answered. */
  forgetUserOnCommit(trx: Tx, userId: string): void {
    afterCommit(trx, () => this.forget([`u:${userId}`]));
  }
}
