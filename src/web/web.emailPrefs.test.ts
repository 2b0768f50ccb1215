import { describe, expect, it } from 'vitest';
import { EMAIL_CATEGORIES as WEB_CATEGORIES, emailPrefsOf } from '../../web/src/emailPrefs.js';
import { EMAIL_CATEGORIES } from '../notifications/notifications.email.types.js';

describe('the email notification settings in the web app', () => {
  it('offer the server’s categories, in its order', () => {
    expect([...WEB_CATEGORIES]).toEqual([...EMAIL_CATEGORIES]);
  });

  it('read the server’s answer, taking anything but true as off', () => {
    expect(emailPrefsOf({ email: { moneyReceived: true, paymentRequests: false, petCare: 'true' }, emailVerified: true })).toEqual({
      email: { moneyReceived: true, paymentRequests: false, petCare: false, announcements: false },
      emailVerified: true,
    });
    expect(emailPrefsOf(null)).toEqual({ email: { moneyReceived: false, paymentRequests: false, petCare: false, announcements: false }, emailVerified: false });
  });
});
