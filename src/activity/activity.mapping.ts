import { uuidv7 } from 'uuidv7';
import type { DomainEvent } from '../platform/events/events.bus.js';
import type { ActivityCategory } from './activity.tables.js';

/** Events that change nothing worth auditing (reading a chat happens with every reply seen: it would flood the log). */
const NOT_LOGGED = new Set(['chat.typing', 'chat.messages_read']);

const CATEGORY_BY_PREFIX: Record<string, ActivityCategory> = {
  auth: 'auth',
  pet: 'pet',
  chat: 'pet',
  wallet: 'wallet',
  transfer: 'wallet',
  basename: 'wallet',
  intent: 'wallet',
  batch: 'wallet',
  friend: 'social',
  gift: 'social',
  order: 'purchase',
  store: 'purchase',
  notification: 'system',
  system: 'system',
};

/** Keys never copied into the log; message text is replaced by its length. */
const SECRET_KEYS = new Set(['password', 'passwordHash', 'secret', 'totpSecret', 'privateKey', 'accessToken', 'refreshToken', 'recoveryCode', 'code', 'otp']);
const MAX_DETAILS_BYTES = 4096;

export function categoryOf(type: string): ActivityCategory {
  return CATEGORY_BY_PREFIX[type.split('.')[0]] ?? 'system';
}

/** A copy of an event's data safe to keep for 90 days: no secrets, no message bodies, bounded size. */
export function sanitizeDetails(data: unknown): Record<string, unknown> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (SECRET_KEYS.has(key)) continue;
    if (key === 'content' && typeof value === 'string') out.contentLength = value.length;
    else out[key] = value;
  }
  const text = JSON.stringify(out);
  return Buffer.byteLength(text) <= MAX_DETAILS_BYTES ? out : { truncated: true, keys: Object.keys(out).slice(0, 50) };
}

export interface NewActivity {
  id: string;
  event_id: string;
  user_id: string | null;
  pet_id: string | null;
  action: string;
  category: ActivityCategory;
  source: 'server' | 'client';
  details: string;
  metadata: string;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
}

interface ClientEventData {
  action: string;
  category: ActivityCategory;
  details: Record<string, unknown>;
}

/** The log rows of one domain event: one per user involved (the actor and everyone it concerns), the device only on the actor's. */
export function toActivity(event: DomainEvent): NewActivity[] {
  if (NOT_LOGGED.has(event.type)) return [];
  const client = event.type === 'activity.client' ? (event.data as ClientEventData) : null;
  const users = [...new Set([event.actorId, ...event.userIds].filter((id): id is string => typeof id === 'string'))];
  const base = {
    event_id: event.id,
    pet_id: event.petId,
    action: client ? `client.${client.action}` : event.type,
    category: client ? client.category : categoryOf(event.type),
    source: client ? ('client' as const) : ('server' as const),
    details: JSON.stringify(client ? client.details : sanitizeDetails(event.data)),
    ip_address: event.context?.ip ?? null,
    user_agent: event.context?.userAgent ?? null,
    created_at: event.createdAt,
  };
  if (!users.length) return [{ ...base, id: uuidv7(), user_id: null, metadata: JSON.stringify({ role: 'system' }) }];
  // the request's address and browser are the actor's: another user's row (a payee, an account an admin
  // changed) does not show them; with no actor (a failed sign-in on an account) they stay for its owner
  const seesDevice = (userId: string) => !event.actorId || userId === event.actorId;
  return users.map((userId) => ({
    ...base,
    ...(seesDevice(userId) ? {} : { ip_address: null, user_agent: null }),
    id: uuidv7(),
    user_id: userId,
    metadata: JSON.stringify({ role: userId === event.actorId ? 'actor' : 'subject' }),
  }));
}
