import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api.js';
import { actionRequest, actionsFor, adminAccess, adminTab, kycRows, kycValue, lostAdminAccess, normalizeAdminUser, searchQuery } from '../../web/src/admin.js';

const user = (over: Record<string, unknown> = {}) => normalizeAdminUser({ id: 'u1', email: 'a@x.test', name: 'Ann', role: 'user', disabled: false, twoFactorEnabled: false, kycStatus: 'none', ...over });

describe('the admin screen', () => {
  it('offers disable or enable and a role change, never disabling or demoting oneself', () => {
    expect(actionsFor(user(), 'me')).toEqual(['disable', 'makeAdmin']);
    expect(actionsFor(user({ disabled: true }), 'me')).toEqual(['enable', 'makeAdmin']);
    expect(actionsFor(user({ role: 'admin' }), 'me')).toEqual(['disable', 'makeUser']);
    expect(actionsFor(user({ id: 'me', role: 'admin' }), 'me')).toEqual([]);
    // a deleted account stays as its owner left it (the server answers 409 account_deleted)
    expect(actionsFor(user({ deleted: true, disabled: true }), 'me')).toEqual([]);
  });

  it('sends each action to its route, the reason trimmed and the new role named', () => {
    expect(actionRequest('u1', 'disable', '  spam  ')).toEqual({ path: '/admin/users/u1/disable', body: { reason: 'spam' } });
    expect(actionRequest('u1', 'enable')).toEqual({ path: '/admin/users/u1/enable', body: {} });
    expect(actionRequest('u1', 'makeAdmin')).toEqual({ path: '/admin/users/u1/role', body: { role: 'admin' } });
    expect(actionRequest('u1', 'makeUser')).toEqual({ path: '/admin/users/u1/role', body: { role: 'user' } });
  });

  it('builds the search query from the filters, leaving out the empty ones', () => {
    expect(searchQuery({ q: '  ann ', role: '', status: '', kycStatus: '' })).toEqual({ q: 'ann', role: undefined, disabled: undefined, kycStatus: undefined });
    expect(searchQuery({ q: ' ', role: 'admin', status: 'disabled', kycStatus: 'pending' })).toEqual({ q: undefined, role: 'admin', disabled: 'true', kycStatus: 'pending' });
    expect(searchQuery({ q: '', role: '', status: 'active', kycStatus: '' }).disabled).toBe('false');
  });

  it('is for admins, and asks an admin without two-step verification to turn it on', () => {
    expect(adminAccess(null)).toBe('none');
    expect(adminAccess({ role: 'user', twoFactorEnabled: true })).toBe('none');
    expect(adminAccess({ role: 'admin', twoFactorEnabled: false })).toBe('needs2fa');
    expect(adminAccess({ role: 'admin', twoFactorEnabled: true })).toBe('ok');
  });

  it('knows a refusal that means the admin lost the role or 2FA while the page was open', () => {
    const problem = (status: number, code: string) => new ApiError({ type: 'about:blank', title: code, status, code });
    expect(lostAdminAccess(problem(403, 'forbidden'))).toBe(true);
    expect(lostAdminAccess(problem(403, 'admin_2fa_required'))).toBe(true);
    // refusals of the action itself leave the page as it is
    expect(lostAdminAccess(problem(403, 'admin_self_disable'))).toBe(false);
    expect(lostAdminAccess(problem(409, 'last_admin'))).toBe(false);
    expect(lostAdminAccess(new Error('network'))).toBe(false);
    expect(lostAdminAccess(null)).toBe(false);
  });

  it('reads its tab from the address and the submitted KYC details in a fixed order', () => {
    expect(adminTab('kyc')).toBe('kyc');
    expect(adminTab('nope')).toBe('users');
    expect(adminTab(null)).toBe('users');
    expect(kycRows({ documentNumber: 'M1', fullName: 'Kim', submittedAt: '2026-01-01', country: '' })).toEqual([['fullName', 'Kim'], ['documentNumber', 'M1']]);
    expect(kycRows(null)).toEqual([]);
    expect(normalizeAdminUser({ role: 'root' }).role).toBe('user');
  });

  it('shows a KYC date of birth and country in the language of the admin, not as 1990-04-01 and JP', () => {
    expect(kycValue('dateOfBirth', '1990-04-01', 'es')).toBe('1 abr 1990');
    expect(kycValue('dateOfBirth', '1990-04-01', 'ja')).toBe('1990/04/01');
    expect(kycValue('dateOfBirth', '1990-04-01', 'en')).toBe('Apr 1, 1990');
    // the birth date is a calendar day: no time zone moves it to the day before
    expect(kycValue('dateOfBirth', '1985-12-31', 'de')).toMatch(/^31\./);
    expect(kycValue('country', 'JP', 'es')).toBe('Japón (JP)');
    expect(kycValue('country', 'FR', 'ja')).toBe('フランス (FR)');
    // what it cannot read is shown as sent
    expect(kycValue('dateOfBirth', '01/04/1990', 'es')).toBe('01/04/1990');
    expect(kycValue('country', 'Narnia', 'es')).toBe('Narnia');
    expect(kycValue('documentNumber', 'TK1234567', 'es')).toBe('TK1234567');
  });
});
