/** The categories of notifications a user can also get by email, as GET/PUT /notifications/email-preferences name them. */
export const EMAIL_CATEGORIES = ['moneyReceived', 'paymentRequests', 'petCare', 'announcements'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];
export type EmailPrefs = Record<EmailCategory, boolean>;

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The answer of GET/PUT /notifications/email-preferences: a flag per category (off where absent or not a boolean). */
export function emailPrefsOf(body: unknown): { email: EmailPrefs; emailVerified: boolean } {
  const o = obj(body);
  const email = obj(o.email);
  return { email: Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, email[c] === true])) as EmailPrefs, emailVerified: o.emailVerified === true };
}
