import { parse as parseUuid, stringify as uuidStringify, v5 as uuidv5, v7 as uuidv7At } from 'uuid';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { DomainEvent } from '../platform/events/events.bus.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { decodeCursor, toPage } from '../platform/http/http.pagination.js';
import { isolatedText } from '../platform/http/http.text.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { deviceName } from '../platform/http/http.device.js';
import { userRoom } from '../platform/realtime/realtime.events.js';
import { NotificationEmails } from './notifications.email.service.js';
import { notificationErrors } from './notifications.errors.js';
import type { Draft } from './notifications.producers.js';
import { notificationsRepo as repo, type NewNotification, type NotificationRender, type NotificationRow } from './notifications.repo.js';
import type { NotificationPriority } from './notifications.tables.js';
import { NOTIFICATION_TYPES, TYPE_RULES, UNMUTABLE_TYPES, isNotificationType, type NotificationType } from './notifications.types.js';

const DAY_MS = 86_400_000;
const PURGE_BATCH = 5000;
const FAN_OUT_CHUNK = 5000;
/**
 * A notification's id is derived from its source event, user and type, so a re-dispatched event (after a
 * later subscriber failed) pushes the same id again and clients can drop the duplicate.
 */
const NOTIFICATION_ID_NAMESPACE = '0b6f4c1e-8d0a-4e44-9f6b-6a2f0e5c7d21';

/**
 * A UUIDv7 derived from the event, the user and the type: the same on every dispatch of the event, and
 * ordered as the events are. Notifications stored by one statement share their created_at and lists
 * break that tie by id, so the id's leading bits are those of the event's own UUIDv7 (its millisecond and
 * the counter that keeps the ids of one millisecond in creation order) and only the last 32 bits come
 * from a UUIDv5 of event, user and type (which sets apart the notifications of one event). Four
 * evolutions of one settle thus list in the order they happened, and a transfer's "confirmed" sorts above
 * its "pending" when both were stored together. An event id that is not a UUIDv7 (none is recorded so)
 * falls back to the event's time and the hash alone.
 */
function notificationId(event: Pick<DomainEvent, 'id' | 'createdAt'>, userId: string, type: string): string {
  const hash = parseUuid(uuidv5(`${event.id}/${userId}/${type}`, NOTIFICATION_ID_NAMESPACE));
  const source = parseUuid(event.id);
  if (source[6] >> 4 !== 7) return uuidv7At({ msecs: event.createdAt.getTime(), random: hash });
  const bytes = new Uint8Array(16);
  bytes.set(source.subarray(0, 12), 0);
  bytes.set(hash.subarray(12, 16), 12);
  return uuidStringify(bytes);
}
export const ANNOUNCE_JOB = 'notifications.announce';

/** What the announcement job needs (the system.announcement event, flattened). */
export interface AnnouncementFanOut {
  eventId: string;
  announcementId: string;
  title: string;
  body: string;
  priority: string;
  expiresAt: string | null;
  createdAt: string;
}

export interface ListQuery {
  limit: number;
  cursor?: string;
  unreadOnly?: boolean;
  type?: string;
  since?: Date;
  includeArchived?: boolean;
}

/** Params that hold what people wrote or chose (a display name, a device string), shown isolated. */
const USER_TEXT_PARAMS = ['counterparty', 'name', 'gift', 'reference', 'device'];

/** Templates that name the pet ({{name}}); a notification stored before pet events carried the name says "your pet". */
const PET_NAMED_TEMPLATES = new Set(['pet_evolved', 'pet_needs_care', 'streak_at_risk', 'streak_lost']);

const capitalized = (text: string) => text.charAt(0).toLocaleUpperCase() + text.slice(1);

/** Title and body of a notification's template in `locale` (the body from `bodyKey` where given). */
export function tell(recipe: NotificationRender, locale: string, bodyKey = `notifications.templates.${recipe.template}.body`): { title: string; body: string } {
  const params = { ...recipe.params };
  for (const name of USER_TEXT_PARAMS) if (typeof params[name] === 'string') params[name] = isolatedText(params[name]);
  for (const [name, key] of Object.entries(recipe.localized ?? {})) params[name] = translate(locale, key, { defaultValue: String(recipe.params[name] ?? '') });
  const unnamed = PET_NAMED_TEMPLATES.has(recipe.template) && typeof params.name !== 'string';
  if (unnamed) params.name = translate(locale, 'notifications.petFallback');
  const title = translate(locale, `notifications.templates.${recipe.template}.title`, params);
  const body = translate(locale, bodyKey, params);
  return unnamed ? { title: capitalized(title), body: capitalized(body) } : { title, body };
}

/** Title and body in `locale` from what the row was rendered from; the stored text where there is none. */
function retell(row: NotificationRow, locale: string | undefined): { title: string; body: string } {
  return locale && row.render?.template ? tell(row.render, locale) : { title: row.title, body: row.body };
}

/** A notification as the API answers it; with a locale (the reader's current profile language), told in it. */
export function toView(row: NotificationRow, locale?: string) {
  return {
    id: row.id,
    type: row.type,
    priority: row.priority,
    ...retell(row, locale),
    data: (row.data ?? {}) as Record<string, unknown>,
    createdAt: row.created_at.toISOString(),
    seenAt: row.seen_at?.toISOString() ?? null,
    readAt: row.read_at?.toISOString() ?? null,
    archivedAt: row.archived_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
  };
}

export type NotificationView = ReturnType<typeof toView>;

const shortAddress = (a: string) => (/^0x[0-9a-fA-F]{40}$/.test(a) ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);

/** The notifications domain: stores rendered notifications, keeps counts right across tabs, honours mutes. */
export class NotificationsService {
  /** Notifications by mail: the user's choices and the mail job. */
  readonly emails: NotificationEmails;

  constructor(private readonly deps: AppDeps) {
    this.emails = new NotificationEmails(deps, tell);
  }

  /** Renders drafts in each recipient's locale, skips muted types, stores them and pushes each live after commit. */
  async deliver(trx: Tx, event: DomainEvent, drafts: Draft[]): Promise<NotificationView[]> {
    return this.deliverMany(trx, [{ event, drafts }]);
  }

  /** deliver for the drafts of several events at once: one recipients query and one insert for all of them. */
  async deliverMany(trx: Tx, items: Array<{ event: DomainEvent; drafts: Draft[] }>): Promise<NotificationView[]> {
    const kept: Array<{ event: DomainEvent; draft: Draft }> = [];
    for (const { event, drafts } of items) {
      for (const draft of await this.dropOldDeviceLogins(trx, event, drafts)) kept.push({ event, draft });
    }
    if (!kept.length) return [];
    const ids = [...new Set(kept.flatMap(({ draft }) => [draft.userId, draft.counterparty?.userId ?? null]).filter((id): id is string => !!id))];
    const users = new Map((await repo.recipients(trx, ids)).map((u) => [u.id, u]));
    const rows: NewNotification[] = [];
    for (const { event, draft } of kept) {
      const user = users.get(draft.userId);
      if (!user || (!UNMUTABLE_TYPES.has(draft.type) && user.muted.includes(draft.type))) continue;
      rows.push(this.render(draft, user.locale, event, draft.counterparty ? users.get(draft.counterparty.userId ?? '')?.name : undefined));
    }
    // the unread count rides on the live push only: it is counted for the users a push can reach
    const hub = this.deps.services.realtime;
    const inserted = await repo.insert(trx, rows, hub ? rows.map((r) => r.user_id).filter((id) => hub.reaches(userRoom(id))) : []);
    await this.emails.queue(trx, inserted);
    return inserted.map((row) => {
      const view = toView(row);
      if (row.unread !== null) hub?.emitAfterCommit(trx, userRoom(row.user_id), 'notification', { ...view, at: view.createdAt, unreadCount: row.unread });
      return view;
    });
  }

  /**
   * Stores an announcement for every active user who has not muted announcements, a chunk of users per
   * statement (run by a job, so a million users never hold up the dispatcher). Idempotent: a retried job
   * skips the users it already served. The socket push itself goes to the system room at dispatch time; each
   * chunk queues, on its own transaction, the mails of its users who chose announcements by mail.
   */
  async fanOutAnnouncement(a: AnnouncementFanOut, chunk = FAN_OUT_CHUNK): Promise<number> {
    const row = {
      type: 'system_announcement',
      priority: a.priority as NotificationPriority,
      title: a.title,
      body: a.body,
      data: JSON.stringify({ announcementId: a.announcementId }),
      source_event_id: a.eventId,
      expires_at: a.expiresAt ? new Date(a.expiresAt) : new Date(new Date(a.createdAt).getTime() + this.deps.config.NOTIFICATION_TTL_DAYS * DAY_MS),
    };
    let total = 0;
    let after: string | null = null;
    for (;;) {
      const upTo = await repo.userChunkEnd(this.deps.db, after, chunk);
      total += await withTransaction(this.deps.db, async (trx) => {
        const stored = await repo.insertForUsers(trx, row, after, upTo);
        await this.emails.queueAnnouncement(trx, a.eventId, after, upTo);
        return stored;
      });
      if (upTo === null) return total;
      after = upTo;
    }
  }

  /** The caller's notifications, newest first, without expired (and by default archived) ones. */
  async list(userId: string, q: ListQuery) {
    const [locale, rows] = await Promise.all([repo.localeOf(this.deps.db, userId), repo.list(this.deps.db, {
      userId,
      limit: q.limit,
      after: decodeCursor(q.cursor),
      unreadOnly: q.unreadOnly ?? false,
      type: q.type,
      since: q.since,
      includeArchived: q.includeArchived ?? false,
    })]);
    const page = toPage(rows, q.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
    return { items: page.items.map((r) => toView(r, locale)), hasMore: page.hasMore, nextCursor: page.nextCursor };
  }

  /** Unread (for the badge) and unseen (bell not opened since) counts. */
  async counts(userId: string) {
    return repo.counts(this.deps.db, userId);
  }

  /** Marks one notification read; every open tab hears the new unread count. */
  async markRead(ctx: RequestContext, id: string): Promise<NotificationView> {
    return withTransaction(this.deps.db, async (trx) => {
      const row = await repo.findOwn(trx, ctx.user.id, id);
      if (!row) throw notificationErrors.notFound(id);
      const changed = await repo.markRead(trx, ctx.user.id, [id]);
      if (changed.length) await this.recordRead(trx, ctx, changed);
      return toView((await repo.findOwn(trx, ctx.user.id, id))!, await repo.localeOf(trx, ctx.user.id));
    });
  }

  /** Marks everything read. */
  async markAllRead(ctx: RequestContext): Promise<{ updated: number; unreadCount: number }> {
    return withTransaction(this.deps.db, async (trx) => {
      const changed = await repo.markRead(trx, ctx.user.id, 'all');
      const unreadCount = changed.length ? await this.recordRead(trx, ctx, 'all') : (await repo.counts(trx, ctx.user.id)).unread;
      return { updated: changed.length, unreadCount };
    });
  }

  /** Marks the bell as seen without reading anything. */
  async markSeen(ctx: RequestContext): Promise<{ updated: number; unseenCount: number }> {
    const updated = await repo.markSeen(this.deps.db, ctx.user.id);
    return { updated, unseenCount: 0 };
  }

  /** Archives one notification (it leaves the inbox and counts as read). */
  async archive(ctx: RequestContext, id: string): Promise<NotificationView> {
    return withTransaction(this.deps.db, async (trx) => {
      const before = await repo.findOwn(trx, ctx.user.id, id);
      if (!before) throw notificationErrors.notFound(id);
      const row = (await repo.archive(trx, ctx.user.id, id))!;
      if (!before.read_at && !before.archived_at) await this.recordRead(trx, ctx, [id]);
      return toView(row, await repo.localeOf(trx, ctx.user.id));
    });
  }

  /**
   * On account deletion (the account.deleted event): the user's notifications and settings are deleted,
   * and other users' notifications stop naming them: a payment sent or received names the deleted
   * side's wallet address instead (as for any outside address) without the memo, and a payment request
   * they made (cancelled with the account) is deleted.
   */
  async eraseUser(trx: Tx, userId: string): Promise<void> {
    await repo.removeAllOfUser(trx, userId);
    const gone: string[] = [];
    for (const row of await repo.namingUser(trx, userId)) {
      const address = row.render.counterparty?.address ?? '';
      if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
        gone.push(row.id);
        continue;
      }
      const { counterparty: _named, ...rest } = row.render;
      const render: NotificationRender = { ...rest, params: { ...rest.params, counterparty: shortAddress(address) } };
      const { memo: _memo, ...data } = (row.data ?? {}) as Record<string, unknown>;
      await repo.retell(trx, row.id, { ...tell(render, row.locale), render, data });
    }
    await repo.removeIds(trx, gone);
  }

  /** Deletes one notification for good. */
  async remove(ctx: RequestContext, id: string): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const before = await repo.findOwn(trx, ctx.user.id, id);
      if (!before) throw notificationErrors.notFound(id);
      await repo.remove(trx, ctx.user.id, id);
      if (!before.read_at && !before.archived_at) await this.recordRead(trx, ctx, [id]);
    });
  }

  /** Every type with whether it is muted and whether it can be. */
  async preferences(userId: string) {
    const muted = new Map((await repo.preferences(this.deps.db, userId)).map((p) => [p.type, p.muted]));
    return {
      types: NOTIFICATION_TYPES.map((type) => ({ type, muted: muted.get(type) ?? false, mutable: !UNMUTABLE_TYPES.has(type) })),
    };
  }

  /** Mutes or unmutes types; security alerts cannot be muted (nothing is written then). */
  async setPreferences(ctx: RequestContext, muted: Record<string, boolean>) {
    const entries = Object.entries(muted);
    for (const [type, value] of entries) {
      if (isNotificationType(type) && UNMUTABLE_TYPES.has(type) && value) throw notificationErrors.notMutable(type);
    }
    await repo.setPreferences(this.deps.db, ctx.user.id, entries.filter(([type]) => !UNMUTABLE_TYPES.has(type as NotificationType)).map(([type, m]) => ({ type, muted: m })));
    return this.preferences(ctx.user.id);
  }

  /** An admin's announcement: stored, then delivered to every user and pushed on the system room after commit. */
  async announce(ctx: RequestContext, input: { title: string; body: string; priority: NotificationPriority; expiresInDays?: number }) {
    return withTransaction(this.deps.db, async (trx) => {
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * DAY_MS) : null;
      const row = await repo.insertAnnouncement(trx, { id: uuidv7(), author_id: ctx.user.id, title: input.title, body: input.body, priority: input.priority, expires_at: expiresAt });
      await this.deps.events.record(trx, {
        type: 'system.announcement',
        actorId: ctx.user.id,
        data: { announcementId: row.id, title: row.title, body: row.body, priority: row.priority, expiresAt: expiresAt?.toISOString() ?? null },
        context: { ip: ctx.ip, userAgent: ctx.userAgent },
      });
      return { id: row.id, title: row.title, body: row.body, priority: row.priority, createdAt: row.created_at.toISOString(), expiresAt: expiresAt?.toISOString() ?? null };
    });
  }

  /** Deletes expired notifications in batches (hourly job). */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await repo.purgeExpired(this.deps.db, PURGE_BATCH);
      total += n;
      if (n < PURGE_BATCH) return total;
    }
  }

  private render(draft: Draft, locale: string, event: DomainEvent, counterpartyName: string | undefined): NewNotification {
    const rule = TYPE_RULES[draft.type];
    const recipe: NotificationRender = { template: draft.template, params: { ...draft.params }, localized: { ...draft.localized } };
    if (draft.counterparty) recipe.params.counterparty = counterpartyName ?? shortAddress(draft.counterparty.address);
    // a name someone else owns: their account's deletion re-tells this without it
    if (draft.counterparty?.userId && counterpartyName) recipe.counterparty = { userId: draft.counterparty.userId, address: draft.counterparty.address };
    if (draft.type === 'security_alert') {
      const device = deviceName(event.context.userAgent);
      if (device) recipe.params.device = device;
      else recipe.localized.device = 'notifications.unknownDevice';
    }
    const ttl = rule.ttlDays ?? this.deps.config.NOTIFICATION_TTL_DAYS;
    const { title, body } = tell(recipe, locale);
    return {
      id: notificationId(event, draft.userId, draft.type),
      user_id: draft.userId,
      type: draft.type,
      priority: draft.priority ?? rule.priority,
      title,
      body,
      data: JSON.stringify(draft.data),
      render: recipe,
      source_event_id: event.id,
      expires_at: new Date(event.createdAt.getTime() + ttl * DAY_MS),
    };
  }

  /** A sign-in alert is only for a device (ip + user agent) the account has not signed in from before. */
  private async dropOldDeviceLogins(db: Executor, event: DomainEvent, drafts: Draft[]): Promise<Draft[]> {
    const out: Draft[] = [];
    for (const draft of drafts) {
      if (!draft.newDeviceOnly) {
        out.push(draft);
        continue;
      }
      const history = await this.deps.services.activity?.loginHistory(db, draft.userId, event.context, event.id);
      if (history && history.previous > 0 && history.fromThisDevice === 0) out.push(draft);
    }
    return out;
  }

  private async recordRead(trx: Tx, ctx: RequestContext, ids: string[] | 'all'): Promise<number> {
    const { unread } = await repo.counts(trx, ctx.user.id);
    await this.deps.events.record(trx, {
      type: 'notification.read',
      actorId: ctx.user.id,
      userIds: [ctx.user.id],
      data: { notificationIds: ids, unreadCount: unread },
      context: { ip: ctx.ip, userAgent: ctx.userAgent },
    });
    return unread;
  }
}
