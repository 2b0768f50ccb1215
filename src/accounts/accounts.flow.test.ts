import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../test/helpers/smtp.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ captureLogs: true, env: { RATE_LIMIT_STRICT: '1000', SMTP_URL: smtp.url, PUBLIC_URL: 'https://pets.example.test' } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const PASSWORD = 'correct horse battery staple';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const tokenFrom = (link: string) => new URL(link).searchParams.get('token')!;

async function post(url: string, payload?: object, token?: string) {
  return t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: token ? bearer(token) : {} });
}

describe('register → verify email → sign in → enable 2FA → sign out → sign in with TOTP', () => {
  it('works end to end over HTTP with the mail read from a real SMTP server', async () => {
    const email = `flow-${Date.now()}@example.test`;
    const reg = await post('/auth/register', { email, password: PASSWORD, name: 'Flo', locale: 'fr' });
    expect(reg.statusCode).toBe(201);

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe('Confirmez votre adresse e-mail StreakPets');
    expect(mail.links).toHaveLength(1);
    expect(mail.links[0]).toMatch(/^https:\/\/pets\.example\.test\/verify-email\?token=/);
    const verify = await post('/auth/verify-email', { token: tokenFrom(mail.links[0]) });
    expect(verify.statusCode).toBe(200);
    expect((await post('/auth/verify-email', { token: tokenFrom(mail.links[0]) })).json().code).toBe('link_invalid');

    const login = await post('/auth/login', { email, password: PASSWORD });
    expect(login.statusCode).toBe(200);
    const session = login.json();
    expect(session.user.emailVerified).toBe(true);

    const setup = await post('/auth/2fa/setup', undefined, session.accessToken);
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUrl, qrDataUrl } = setup.json();
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/StreakPets:/);
    expect(qrDataUrl).toMatch(/^data:image\/png;base64,/);
    const wrong = await post('/auth/2fa/enable', { code: '000000', currentPassword: PASSWORD }, session.accessToken);
    expect(wrong.json().code).toBe('code_invalid');
    const enableCode = await generate({ secret });
    const enable = await post('/auth/2fa/enable', { code: enableCode, currentPassword: PASSWORD }, session.accessToken);
    expect(enable.statusCode).toBe(200);
    const { recoveryCodes } = enable.json();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    expect((await post('/auth/logout', undefined, session.accessToken)).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(session.accessToken) })).statusCode).toBe(401);

    const noCode = await post('/auth/login', { email, password: PASSWORD });
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().code).toBe('totp_required');
    const replay = await post('/auth/login', { email, password: PASSWORD, totpCode: enableCode });
    expect(replay.json().code).toBe('totp_invalid');
    const nextCode = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const withTotp = await post('/auth/login', { email, password: PASSWORD, totpCode: nextCode });
    expect(withTotp.statusCode).toBe(200);
    expect(withTotp.json().user.twoFactorEnabled).toBe(true);

    const withRecovery = await post('/auth/login', { email, password: PASSWORD, recoveryCode: recoveryCodes[0].toUpperCase() });
    expect(withRecovery.statusCode).toBe(200);
    expect((await post('/auth/login', { email, password: PASSWORD, recoveryCode: recoveryCodes[0] })).json().code).toBe('totp_invalid');

    const me = withTotp.json().accessToken;
    const logins = (await t.app.inject({ method: 'GET', url: '/api/v1/me/logins', headers: bearer(me) })).json().items;
    expect(logins.map((l: { success: boolean; method: string; reason: string | null }) => [l.success, l.reason ?? l.method])).toEqual([
      [false, 'bad_totp'],
      [true, 'recovery_code'],
      [true, 'totp'],
      [false, 'bad_totp'],
      [false, 'totp_required'],
      [true, 'password'],
      [true, 'sign_up'],
    ]);

    expect((await post('/auth/2fa/disable', { recoveryCode: recoveryCodes[1] }, me)).statusCode).toBe(204);
    expect((await post('/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);

    await t.deps.events.drain();
    const types = (await t.deps.db.selectFrom('domain_events').select('type').where('actor_id', '=', reg.json().user.id).orderBy('created_at').execute()).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['auth.registered', 'auth.email_verified', 'auth.login_succeeded', 'auth.2fa_enabled', 'auth.logged_out', 'auth.2fa_disabled']),
    );

    const secrets = [tokenFrom(mail.links[0]), session.refreshToken, session.accessToken, secret, enableCode, nextCode, recoveryCodes[0], PASSWORD];
    const logText = t.logs.join('');
    expect(logText).toContain('"template":"verify_email","transport":"smtp","msg":"message delivered"');
    for (const s of secrets) expect(logText).not.toContain(s);
    const stored = await t.deps.db.selectFrom('users').select('totp_secret').where('email', '=', email).executeTakeFirstOrThrow();
    expect(stored.totp_secret).toBeNull();
  });
});

describe('turning 2FA on needs the current password', () => {
  it('a stolen access token alone cannot turn it on and lock the owner out', async () => {
    const email = `stolen-${Date.now()}@example.test`;
    const stolen = (await post('/auth/register', { email, password: PASSWORD, name: 'Sto' })).json().accessToken;
    const { secret } = (await post('/auth/2fa/setup', undefined, stolen)).json();
    const code = await generate({ secret });
    const missing = await post('/auth/2fa/enable', { code }, stolen);
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.currentPassword' }] });
    // refused as POST /me/password refuses a wrong current password
    const guessed = await post('/auth/2fa/enable', { code, currentPassword: 'not the password' }, stolen);
    expect(guessed.json()).toMatchObject({
      status: 422,
      code: 'current_password_invalid',
      errors: [{ field: 'body.currentPassword', code: 'wrong', message: 'is not your current password' }],
    });
    const owner = await post('/auth/login', { email, password: PASSWORD });
    expect(owner.statusCode).toBe(200);
    expect(owner.json().user.twoFactorEnabled).toBe(false);
    expect(t.logs.join('')).not.toContain('not the password');
  });

  it('a password reset by the emailed link leaves 2FA on; a recovery code signs in and can turn it off', async () => {
    const email = `lost-${Date.now()}@example.test`;
    const token = (await post('/auth/register', { email, password: PASSWORD, name: 'Los' })).json().accessToken;
    const { secret } = (await post('/auth/2fa/setup', undefined, token)).json();
    const { recoveryCodes } = (await post('/auth/2fa/enable', { code: await generate({ secret }), currentPassword: PASSWORD }, token)).json();
    await post('/auth/password/forgot', { email });
    const mail = await smtp.waitFor(email, (m) => m.subject.startsWith('Reset'));
    expect((await post('/auth/password/reset', { token: tokenFrom(mail.links[0]), password: 'a brand new long secret' })).statusCode).toBe(204);
    const password = 'a brand new long secret';
    expect((await post('/auth/login', { email, password })).json().code).toBe('totp_required');
    const signedIn = await post('/auth/login', { email, password, recoveryCode: recoveryCodes[0] });
    expect(signedIn.statusCode).toBe(200);
    expect((await post('/auth/2fa/disable', { recoveryCode: recoveryCodes[1] }, signedIn.json().accessToken)).statusCode).toBe(204);
    expect((await post('/auth/login', { email, password })).statusCode).toBe(200);
  });
});

describe('turning 2FA off', () => {
  it('is throttled per account: after 5 wrong codes even the right one is refused (429 totp_code_throttled) and 2FA stays on', async () => {
    const email = `off-${Date.now()}@example.test`;
    const token = (await post('/auth/register', { email, password: PASSWORD, name: 'Otto' })).json().accessToken;
    const { secret } = (await post('/auth/2fa/setup', undefined, token)).json();
    expect((await post('/auth/2fa/enable', { code: await generate({ secret }), currentPassword: PASSWORD }, token)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await post('/auth/2fa/disable', { code: '000000' }, token)).json().code).toBe('code_invalid');
    const right = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const paused = await post('/auth/2fa/disable', { code: right }, token);
    expect(paused.statusCode).toBe(429);
    expect(paused.json().code).toBe('totp_code_throttled');
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).json().twoFactorEnabled).toBe(true);
  });
});

describe('password reset', () => {
  it('mails a single-use link; the reset revokes every session and the new password works', async () => {
    const email = `reset-${Date.now()}@example.test`;
    const reg = (await post('/auth/register', { email, password: PASSWORD, name: 'Rey' })).json();
    const forgot = await post('/auth/password/forgot', { email: email.toUpperCase() });
    expect(forgot.statusCode).toBe(202);
    const mail = await smtp.waitFor(email, (m) => m.subject.startsWith('Reset'));
    expect(mail.text).toMatch(/^Hi,\r?\n/);
    expect(mail.text).not.toContain('Rey');
    const token = tokenFrom(mail.links[0]);

    const weak = await post('/auth/password/reset', { token, password: 'password2024!' });
    expect(weak.json().code).toBe('weak_password');
    const reset = await post('/auth/password/reset', { token, password: 'a brand new long secret' });
    expect(reset.statusCode).toBe(204);
    expect((await post('/auth/password/reset', { token, password: 'another new long secret' })).json().code).toBe('link_invalid');

    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(reg.accessToken) })).statusCode).toBe(401);
    expect((await post('/auth/refresh', { refreshToken: reg.refreshToken })).json().code).toBe('refresh_invalid');
    expect((await post('/auth/login', { email, password: PASSWORD })).json().code).toBe('invalid_credentials');
    expect((await post('/auth/login', { email, password: 'a brand new long secret' })).statusCode).toBe(200);
  });

  it('never puts the display name a sign-up chose into the mail it sends to that address', async () => {
    const email = `lure-${Date.now()}@example.test`;
    const name = 'Urgent: your account is locked, visit evil.example/unlock';
    expect((await post('/auth/register', { email, password: PASSWORD, name })).statusCode).toBe(201);
    expect((await post('/auth/password/forgot', { email })).statusCode).toBe(202);
    const verify = await smtp.waitFor(email, (m) => m.subject.startsWith('Confirm'));
    const reset = await smtp.waitFor(email, (m) => m.subject.startsWith('Reset'));
    for (const mail of [verify, reset]) {
      expect(mail.text).not.toContain('evil.example');
      expect(mail.text).toMatch(/^Hi,\r?\n/);
    }
  });

  it('answers an unknown address the same way and sends nothing', async () => {
    const email = `nobody-${Date.now()}@example.test`;
    const res = await post('/auth/password/forgot', { email });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted' });
    const queued = await t.deps.db.selectFrom('outbound_messages').select('id').where('recipient', '=', email).execute();
    expect(queued).toHaveLength(0);
  });

  it('refuses a made-up or expired token', async () => {
    expect((await post('/auth/password/reset', { token: 'made-up', password: 'a brand new long secret' })).statusCode).toBe(400);
    const email = `expire-${Date.now()}@example.test`;
    await post('/auth/register', { email, password: PASSWORD, name: 'Exp' });
    await post('/auth/password/forgot', { email });
    const mail = await smtp.waitFor(email, (m) => m.subject.startsWith('Reset'));
    await t.deps.db.updateTable('account_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('purpose', '=', 'reset_password').execute();
    const res = await post('/auth/password/reset', { token: tokenFrom(mail.links[0]), password: 'a brand new long secret' });
    expect(res.json()).toMatchObject({ status: 400, code: 'link_invalid' });
  });

  it('a new verification request retires the earlier link; a verified address cannot ask again', async () => {
    const email = `again-${Date.now()}@example.test`;
    const reg = (await post('/auth/register', { email, password: PASSWORD, name: 'Ag' })).json();
    const first = await smtp.waitFor(email);
    expect((await post('/auth/verify-email/request', undefined, reg.accessToken)).statusCode).toBe(202);
    const second = await smtp.waitFor(email, (m) => m.links[0] !== first.links[0]);
    expect((await post('/auth/verify-email', { token: tokenFrom(first.links[0]) })).json().code).toBe('link_invalid');
    expect((await post('/auth/verify-email', { token: tokenFrom(second.links[0]) })).statusCode).toBe(200);
    expect((await post('/auth/verify-email/request', undefined, reg.accessToken)).json().code).toBe('email_already_verified');
  });

  it('does not serve the dev outbox when SMTP is configured, and clears delivered bodies', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode).toBe(404);
    const delivered = await t.deps.db.selectFrom('outbound_messages').select(['body', 'transport']).where('delivered_at', 'is not', null).execute();
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((m) => m.body === null && m.transport === 'smtp')).toBe(true);
  });
});
