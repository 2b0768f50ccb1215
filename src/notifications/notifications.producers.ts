import type { DomainEvent } from '../platform/events/events.bus.js';
import type { IntentEventData, TransferEventData } from '../platform/events/events.catalog.js';
import type { NotificationPriority } from './notifications.tables.js';
import type { NotificationType } from './notifications.types.js';

/** A notification before it is rendered in its recipient's locale. */
export interface Draft {
  userId: string;
  type: NotificationType;
  /** Key under notifications.templates in locales/*.json. */
  template: string;
  params: Record<string, string | number>;
  data: Record<string, unknown>;
  priority?: NotificationPriority;
  /** Shown as a name when the other side is a user, else as a shortened address. */
  counterparty?: { userId: string | null; address: string };
  /** Params whose value is a catalog key in the recipient's locale (param → key; the raw param is the fallback). */
  localized?: Record<string, string>;
  /** Only for a sign-in nobody has seen from this device before. */
  newDeviceOnly?: boolean;
}

type Producer = (event: DomainEvent) => Draft[];

const transfer = (e: DomainEvent) => e.data as TransferEventData & { reason?: string };
const moneyData = (d: TransferEventData) => ({ transactionId: d.transactionId, hash: d.hash, amount: d.amount, token: d.token });
const recipients = (...ids: Array<string | null | undefined>) => [...new Set(ids.filter((id): id is string => typeof id === 'string'))];

const onConfirmed: Producer = (e) => {
  const d = transfer(e);
  const drafts: Draft[] = [];
  const params = { amount: d.amount, token: d.token };
  if (d.fromUserId && d.toUserId && d.fromUserId !== d.toUserId) {
    drafts.push({ userId: d.fromUserId, type: 'payment_sent', template: 'payment_sent', params, data: moneyData(d), counterparty: { userId: d.toUserId, address: d.to } });
    drafts.push({ userId: d.toUserId, type: 'payment_received', template: 'payment_received', params, data: moneyData(d), counterparty: { userId: d.fromUserId, address: d.from } });
  } else if (d.fromUserId) {
    drafts.push({ userId: d.fromUserId, type: 'transaction_confirmed', template: 'transaction_confirmed', params, data: moneyData(d) });
  } else if (d.toUserId && d.type === 'faucet') {
    // test funds come from the treasury: named after the app, not by an address the user never saw
    drafts.push({ userId: d.toUserId, type: 'payment_received', template: 'payment_received', params, localized: { counterparty: 'app.name' }, data: moneyData(d) });
  } else if (d.toUserId) {
    drafts.push({ userId: d.toUserId, type: 'payment_received', template: 'payment_received', params, data: moneyData(d), counterparty: { userId: null, address: d.from } });
  }
  return drafts;
};

const onPending: Producer = (e) => {
  const d = transfer(e);
  return recipients(d.fromUserId).map((userId) => ({
    userId, type: 'transaction_pending', template: 'transaction_pending', params: { amount: d.amount, token: d.token }, data: moneyData(d),
  }));
};

const onFailed: Producer = (e) => {
  const d = transfer(e);
  return recipients(d.fromUserId).map((userId) => ({
    userId, type: 'transaction_failed', template: 'transaction_failed', params: { amount: d.amount, token: d.token, reason: d.reason ?? 'failed' }, data: { ...moneyData(d), reason: d.reason ?? null },
    // the ledger's reason code (reverted, nonce_consumed…) told in the reader's words
    localized: { reason: `wallets.failureReason.${d.reason ?? 'failed'}` },
  }));
};

const onIntent: Producer = (e) => {
  const d = e.data as IntentEventData;
  const data = { intentId: d.intentId, amount: d.amount, token: d.token, status: d.status };
  const params = { amount: d.amount, token: d.token };
  if (e.type === 'intent.created' && d.payerId && d.payerId !== d.requesterId) {
    return [{ userId: d.payerId, type: 'payment_request', template: 'payment_request', params, data: { ...data, memo: d.memo }, counterparty: { userId: d.requesterId, address: '' } }];
  }
  if (d.status === 'funded') return [{ userId: d.requesterId, type: 'intent_funded', template: 'intent_funded', params, data }];
  // an update back to created is a payment that failed: the requester learns the request is open again
  if (e.type === 'intent.updated' && d.status === 'created') return [{ userId: d.requesterId, type: 'transaction_failed', template: 'intent_payment_failed', params, data }];
  if (d.status === 'executed') {
    return recipients(d.requesterId, d.payerId).map((userId) => ({ userId, type: 'intent_executed', template: 'intent_executed', params, data }));
  }
  return [];
};

const forUsers = (
  type: NotificationType,
  params: (e: DomainEvent) => Record<string, string | number>,
  localized?: (e: DomainEvent) => Record<string, string>,
): Producer => (e) =>
  e.userIds.map((userId) => ({ userId, type, template: type, params: params(e), localized: localized?.(e), data: { petId: e.petId, ...(e.data as object) } }));

const security = (template: string, priority: NotificationPriority = 'high', newDeviceOnly = false): Producer => (e) =>
  recipients(e.actorId, ...e.userIds).map((userId) => ({
    userId,
    type: 'security_alert',
    template,
    params: { ip: e.context.ip ?? '?' },
    data: { reason: template.replace('security_', ''), ip: e.context.ip, userAgent: e.context.userAgent },
    priority,
    newDeviceOnly,
  }));

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
/** The pet's name from a pet event (isolated when told, as a name people chose); absent on events older than it. */
const petName = (e: DomainEvent): { name?: string } => {
  const name = (e.data as { name?: unknown }).name;
  return typeof name === 'string' && name ? { name } : {};
};

/** Which notifications each domain event produces. Unlisted events produce none. */
export const PRODUCERS: Record<string, Producer> = {
  'transfer.pending': onPending,
  'transfer.confirmed': onConfirmed,
  'transfer.failed': onFailed,
  'intent.created': onIntent,
  'intent.updated': onIntent,
  'pet.evolved': forUsers('pet_evolved', (e) => {
    const d = e.data as { from: string; to: string; level: number };
    return { from: d.from, to: d.to, level: d.level, ...petName(e) };
  }, (e) => {
    const d = e.data as { from: string; to: string };
    return { from: `pets.stages.${d.from}`, to: `pets.stages.${d.to}` };
  }),
  // context picks the sentence written for the stat (body_happiness, …); the stat's name is told in the reader's words
  'pet.needs_care': forUsers('pet_needs_care', (e) => {
    const d = e.data as { stat?: string; value?: number };
    return { stat: String(d.stat ?? ''), value: num(d.value), context: String(d.stat ?? ''), ...petName(e) };
  }, (e) => ({ stat: `pets.stats.${String((e.data as { stat?: string }).stat ?? '')}` })),
  'pet.streak_at_risk': forUsers('streak_at_risk', (e) => {
    const d = e.data as { streak: number; hoursLeft: number };
    return { streak: d.streak, hoursLeft: d.hoursLeft, ...petName(e) };
  }),
  'pet.streak_lost': forUsers('streak_lost', (e) => ({ streak: num((e.data as { streak: number }).streak), ...petName(e) })),
  'friend.requested': forUsers('friend_request', (e) => ({ name: String((e.data as { fromName?: string }).fromName ?? '') })),
  'gift.sent': forUsers('gift_received', (e) => {
    const d = e.data as { fromName?: string; gift?: string };
    return { name: String(d.fromName ?? ''), gift: String(d.gift ?? '') };
  }),
  'order.completed': forUsers('order_completed', (e) => ({ reference: String((e.data as { reference?: string }).reference ?? '') })),
  'batch.progress': (e) => {
    const d = e.data as { milestone?: boolean; processed: number; total: number };
    if (!d.milestone) return [];
    return forUsers('batch_progress', () => ({ processed: num(d.processed), total: num(d.total) }))({ ...e, userIds: recipients(e.actorId, ...e.userIds) });
  },
  'batch.completed': (e) => {
    const d = e.data as { total: number; succeeded: number; failed: number };
    return forUsers('batch_complete', () => ({ total: num(d.total), succeeded: num(d.succeeded), failed: num(d.failed) }))({ ...e, userIds: recipients(e.actorId, ...e.userIds) });
  },
  'auth.login_succeeded': security('security_new_login', 'high', true),
  'auth.2fa_enabled': security('security_2fa_enabled'),
  'auth.2fa_disabled': security('security_2fa_disabled', 'urgent'),
  'auth.password_changed': security('security_password_changed', 'high'),
  'auth.session_revoked': (e) =>
    (e.data as { reason?: string }).reason === 'refresh_reuse' ? security('security_session_reuse', 'urgent')(e) : [],
};
