import { describe, expect, it } from 'vitest';
import { loginOutcome } from '../../web/src/logins.js';

describe('a sign-in history entry in Settings', () => {
  it('shows the first step of a two-step sign-in as a password accepted, not a failure', () => {
    expect(loginOutcome({ success: false, reason: 'totp_required', method: 'password' })).toEqual({ tone: 'info', label: 'settings.loginCodeAsked', detail: null });
  });

  it('shows why a sign-in failed', () => {
    expect(loginOutcome({ success: false, reason: 'bad_credentials', method: 'password' })).toEqual({ tone: 'bad', label: 'settings.loginFailed', detail: 'settings.loginReason.bad_credentials' });
    expect(loginOutcome({ success: false, reason: 'bad_totp', method: 'password' }).detail).toBe('settings.loginReason.bad_totp');
    expect(loginOutcome({ success: false, reason: 'something_new', method: null })).toEqual({ tone: 'bad', label: 'settings.loginFailed', detail: null });
  });

  it('shows how a sign-in succeeded', () => {
    expect(loginOutcome({ success: true, reason: null, method: 'recovery_code' })).toEqual({ tone: 'good', label: 'settings.loginOk', detail: 'settings.loginMethod.recovery_code' });
    expect(loginOutcome({ success: true, reason: null, method: 'sign_up' }).detail).toBe('settings.loginMethod.sign_up');
    expect(loginOutcome({ success: true, reason: null, method: null }).detail).toBeNull();
  });
});
