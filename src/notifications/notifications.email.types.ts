import type { NotificationType } from './notifications.types.js';

/** The categories of notifications a user can also get by mail (API names; stored in snake case). */
export const EMAIL_CATEGORIES = ['moneyReceived', 'paymentRequests', 'petCare', 'announcements'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];

/** Stored name of each category (notification_email_preferences.category). */
export const CATEGORY_COLUMN: Record<EmailCategory, string> = {
  moneyReceived: 'money_received',
  paymentRequests: 'payment_requests',
  petCare: 'pet_care',
  announcements: 'announcements',
};

/**
 * Defaults for a user who never chose: mail about money someone sent or asks for (a person is involved
 * and may be waiting), none about pet care or announcements (frequent or general: opt in).
 */
export const EMAIL_DEFAULTS: Record<EmailCategory, boolean> = {
  moneyReceived: true,
  paymentRequests: true,
  petCare: false,
  announcements: false,
};

/** Stored category of security alerts: always mailed (to a verified address), never a choice, no window. */
export const SECURITY_COLUMN = 'security';

/** Which notification types each category mails; security alerts go by SECURITY_COLUMN; every other type is never mailed. */
export const CATEGORY_OF_TYPE: Partial<Record<NotificationType, EmailCategory>> = {
  payment_received: 'moneyReceived',
  payment_request: 'paymentRequests',
  pet_needs_care: 'petCare',
  streak_at_risk: 'petCare',
  system_announcement: 'announcements',
};

export const categoryFromColumn = (column: string): EmailCategory | undefined =>
  EMAIL_CATEGORIES.find((c) => CATEGORY_COLUMN[c] === column);
