import type { NotificationPriority } from './notifications.tables.js';

export const NOTIFICATION_TYPES = [
  'payment_received',
  'payment_sent',
  'transaction_pending',
  'transaction_confirmed',
  'transaction_failed',
  'payment_request',
  'intent_funded',
  'intent_executed',
  'pet_evolved',
  'pet_needs_care',
  'streak_at_risk',
  'streak_lost',
  'friend_request',
  'gift_received',
  'order_completed',
  'batch_progress',
  'batch_complete',
  'security_alert',
  'system_announcement',
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const satisfies readonly NotificationPriority[];

/** Types a user cannot mute: they protect the account. */
export const UNMUTABLE_TYPES: ReadonlySet<NotificationType> = new Set(['security_alert']);

interface TypeRule {
  priority: NotificationPriority;
  /** Days a notification of this type stays in the inbox; undefined = NOTIFICATION_TTL_DAYS. */
  ttlDays?: number;
}

/** Default priority and lifetime of each type (short-lived reminders expire quickly). */
export const TYPE_RULES: Record<NotificationType, TypeRule> = {
  payment_received: { priority: 'high' },
  payment_sent: { priority: 'normal' },
  transaction_pending: { priority: 'low', ttlDays: 2 },
  transaction_confirmed: { priority: 'normal' },
  transaction_failed: { priority: 'high' },
  payment_request: { priority: 'high' },
  intent_funded: { priority: 'normal' },
  intent_executed: { priority: 'normal' },
  pet_evolved: { priority: 'normal' },
  pet_needs_care: { priority: 'normal', ttlDays: 3 },
  streak_at_risk: { priority: 'high', ttlDays: 2 },
  streak_lost: { priority: 'normal', ttlDays: 14 },
  friend_request: { priority: 'normal' },
  gift_received: { priority: 'normal' },
  order_completed: { priority: 'normal' },
  batch_progress: { priority: 'low', ttlDays: 7 },
  batch_complete: { priority: 'normal' },
  security_alert: { priority: 'high' },
  system_announcement: { priority: 'normal' },
};

export function isNotificationType(value: string): value is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(value);
}
