import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../test/helpers/smtp.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ captureLogs: true, env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_LENIENT: '1000', SMTP_URL: smtp.url, PUBLIC_URL: 'https://pets.example.test' } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const PASSWORD = 'correct horse battery staple';
const NAME = 'Zebulon Quirk';
let n = 0;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const address = (tag: string) => `${tag}${++n}-${Date.now()}@example.test`;

async function post(url: string, payload: object | undefined, token?: string) {
  return t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: token ? bearer(token) : {} });
}

async function signUp(locale = 'en') {
  const email = address('old');
  const res = await post('/auth/register', { email, password: PASSWORD, name: NAME, locale });
  expect(res.statusCode).toBe(201);
  return { email, id: res.json().user.id as string, token: res.json().accessToken as string };
}

async function codeMailTo(email: string, after = 0) {
  const mail = await smtp.waitFor(email, (m) => smtp.mails.indexOf(m) >= after && /\b\d{6}\b/.test(m.text));
  return { mail, code: /\b(\d{6})\b/.exec(mail.text)![1] };
}

const emailOf = async (id: string) => (await t.deps.db.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', id).executeTakeFirstOrThrow());

describe('POST /me/email → code to the new address → POST /me/email/confirm', () => {
  it('changes the sign-in address only once the code comes back; the old address is told, other devices are signed out', async () => {
    const user = await signUp();
    const other = (await post('/auth/login', { email: user.email, password: PASSWORD })).json().accessToken as string;
    const forgot = await post('/auth/password/forgot', { email: user.email });
    expect(forgot.statusCode).toBe(202);
    const resetLink = (await smtp.waitFor(user.email, (m) => m.links.some((l) => l.includes('reset-password')))).links[0];
    const newEmail = address('New');

    const wrongPassword = await post('/me/email', { newEmail, currentPassword: 'not my password at all' }, user.token);
    expect(wrongPassword.statusCode).toBe(422);
    expect(wrongPassword.json()).toMatchObject({ code: 'current_password_invalid', errors: [{ field: 'body.currentPassword' }] });

    const before = smtp.mails.length;
    const asked = await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toEqual({ expiresInSeconds: 900 });
    const { mail, code } = await codeMailTo(newEmail.toLowerCase(), before);
    expect(mail.subject).toBe('Your StreakPets email change code');
    expect(mail.text).not.toContain('Zebulon');
    expect(smtp.mails.slice(before).filter((m) => m.to.includes(user.email))).toEqual([]);

    // nothing changed yet: the old address still signs in, the new one does not
    expect((await emailOf(user.id)).email).toBe(user.email);
    expect((await post('/auth/login', { email: newEmail, password: PASSWORD })).json().code).toBe('invalid_credentials');

    const wrong = await post('/me/email/confirm', { code: code === '000000' ? '111111' : '000000' }, user.token);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json().code).toBe('code_invalid');
    expect((await emailOf(user.id)).email).toBe(user.email);

    const confirmed = await post('/me/email/confirm', { code }, user.token);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: newEmail.toLowerCase(), emailVerified: true });

    const notice = await smtp.waitFor(user.email, (m) => m.subject === 'Your StreakPets email address was changed');
    expect(notice.text).toContain('n***@example.test');
    expect(notice.text).not.toContain(newEmail.toLowerCase());
    expect(notice.text).not.toContain('Zebulon');

    expect((await post('/auth/login', { email: user.email, password: PASSWORD })).json().code).toBe('invalid_credentials');
    expect((await post('/auth/login', { email: newEmail, password: PASSWORD })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(other) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.token) })).statusCode).toBe(200);
    // a reset link mailed to the old address no longer acts on the account
    const reset = await post('/auth/password/reset', { token: new URL(resetLink).searchParams.get('token'), password: 'a brand new passphrase' });
    expect(reset.json().code).toBe('link_invalid');
    expect((await post('/me/email/confirm', { code }, user.token)).json().code).toBe('code_invalid');
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('')).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    expect(t.logs.join('')).not.toContain(PASSWORD);

    await t.deps.events.drain();
    const activity = await t.deps.db.selectFrom('activity_log').select(['action', 'details']).where('user_id', '=', user.id).where('action', '=', 'auth.email_changed').execute();
    expect(activity).toEqual([{ action: 'auth.email_changed', details: { from: user.email, to: newEmail.toLowerCase() } }]);
    const revoked = await t.deps.db.selectFrom('activity_log').select('details').where('user_id', '=', user.id).where('action', '=', 'auth.session_revoked').execute();
    expect(revoked.map((r) => (r.details as { reason: string }).reason)).toEqual(['email_change']);
  });

  it('refuses an address another account holds (as sign-up does) and the current address, mailing nothing', async () => {
    const user = await signUp();
    const holder = await signUp();
    const before = smtp.mails.length;
    const taken = await post('/me/email', { newEmail: holder.email.toUpperCase(), currentPassword: PASSWORD }, user.token);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'email_taken', errors: [{ field: 'body.newEmail', message: 'is already used by another account' }] });
    const same = await post('/me/email', { newEmail: user.email, currentPassword: PASSWORD }, user.token);
    expect(same.statusCode).toBe(422);
    expect(same.json()).toMatchObject({ code: 'email_unchanged', errors: [{ field: 'body.newEmail' }] });
    const invalid = await post('/me/email', { newEmail: 'not-an-address', currentPassword: PASSWORD }, user.token);
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors[0].field).toBe('body.newEmail');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.slice(before).filter((m) => m.subject === 'Your StreakPets email change code')).toEqual([]);
  });

  it('refuses the change when the address was taken between request and confirmation, and changes nothing', async () => {
    const user = await signUp();
    const newEmail = address('race');
    const before = smtp.mails.length;
    expect((await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token)).statusCode).toBe(202);
    const { code } = await codeMailTo(newEmail, before);
    expect((await post('/auth/register', { email: newEmail, password: PASSWORD, name: 'Someone' })).statusCode).toBe(201);
    const res = await post('/me/email/confirm', { code }, user.token);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('email_taken');
    expect((await emailOf(user.id)).email).toBe(user.email);
  });

  it('answers an expired code with code_expired, and stops a code after 5 wrong tries; nothing changes', async () => {
    const user = await signUp();
    const newEmail = address('late');
    let before = smtp.mails.length;
    await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token);
    const { code } = await codeMailTo(newEmail, before);
    await t.deps.db.updateTable('email_changes').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', user.id).execute();
    const expired = await post('/me/email/confirm', { code }, user.token);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().code).toBe('code_expired');

    before = smtp.mails.length;
    await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token);
    const fresh = await codeMailTo(newEmail, before);
    const wrong = fresh.code === '123456' ? '654321' : '123456';
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await post('/me/email/confirm', { code: wrong }, user.token)).json().code);
    expect(answers).toEqual(['code_invalid', 'code_invalid', 'code_invalid', 'code_invalid', 'code_expired']);
    expect((await post('/me/email/confirm', { code: fresh.code }, user.token)).json().code).toBe('code_expired');
    expect((await emailOf(user.id)).email).toBe(user.email);
  });

  it('asks for a code from the authenticator app when 2FA is on', async () => {
    const user = await signUp();
    const { secret } = (await post('/auth/2fa/setup', undefined, user.token)).json();
    expect((await post('/auth/2fa/enable', { code: await generate({ secret }), currentPassword: PASSWORD }, user.token)).statusCode).toBe(200);
    const newEmail = address('tfa');
    const missing = await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token);
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'totp_code_required', errors: [{ field: 'body.totpCode' }] });
    const wrong = await post('/me/email', { newEmail, currentPassword: PASSWORD, totpCode: '000000' }, user.token);
    expect(wrong.json()).toMatchObject({ code: 'totp_code_invalid', errors: [{ field: 'body.totpCode' }] });
    const totpCode = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect((await post('/me/email', { newEmail, currentPassword: PASSWORD, totpCode }, user.token)).statusCode).toBe(202);
  });

  it('wrong authenticator codes at an email change or a deletion are throttled as sign-in is: from the 5th on both pause (429 totp_code_throttled), the right code included; a stranger\'s failed sign-ins do not pause them', async () => {
    const withTwoFactor = async () => {
      const user = await signUp();
      const { secret } = (await post('/auth/2fa/setup', undefined, user.token)).json();
      expect((await post('/auth/2fa/enable', { code: await generate({ secret }), currentPassword: PASSWORD }, user.token)).statusCode).toBe(200);
      return { ...user, secret, nextCode: () => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) };
    };
    const owner = await withTwoFactor();
    for (let i = 0; i < 6; i++) expect((await post('/auth/login', { email: owner.email, password: 'someone guessing here' })).statusCode).not.toBe(200);
    expect((await post('/me/email', { newEmail: address('owner'), currentPassword: PASSWORD, totpCode: await owner.nextCode() }, owner.token)).statusCode).toBe(202);

    const user = await withTwoFactor();
    const newEmail = address('guess');
    for (let i = 0; i < 5; i++) {
      const wrong = i % 2
        ? await t.app.inject({ method: 'DELETE', url: '/api/v1/me', payload: { currentPassword: PASSWORD, totpCode: '000000' }, headers: bearer(user.token) })
        : await post('/me/email', { newEmail, currentPassword: PASSWORD, totpCode: '000000' }, user.token);
      expect(wrong.json().code).toBe('totp_code_invalid');
    }
    const totpCode = await user.nextCode();
    const paused = await t.app.inject({ method: 'POST', url: '/api/v1/me/email', payload: { newEmail, currentPassword: PASSWORD, totpCode }, headers: { ...bearer(user.token), 'accept-language': 'fr' } });
    expect(paused.statusCode, paused.body).toBe(429);
    expect(paused.headers['content-type']).toContain('application/problem+json');
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
    expect(paused.json()).toMatchObject({ code: 'totp_code_throttled', title: 'Trop de codes incorrects' });
    expect(paused.json().detail).toMatch(/^Trop de codes incorrects de votre application d’authentification\. Réessayez dans \d+ secondes\.$/);
    const deletion = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', payload: { currentPassword: PASSWORD, totpCode }, headers: bearer(user.token) });
    expect(deletion.json().code).toBe('totp_code_throttled');
    expect((await emailOf(user.id)).email).toBe(user.email);
    expect(await t.deps.db.selectFrom('email_changes').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('sends at most 5 codes an hour (429 email_change_quota, with Retry-After)', async () => {
    const user = await signUp();
    for (let i = 0; i < 5; i++) expect((await post('/me/email', { newEmail: address('quota'), currentPassword: PASSWORD }, user.token)).statusCode).toBe(202);
    const sixth = await post('/me/email', { newEmail: address('quota'), currentPassword: PASSWORD }, user.token);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().code).toBe('email_change_quota');
    expect(sixth.headers['retry-after']).toBe('3600');
  });

  it('is in the OpenAPI document', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(spec.paths['/api/v1/me/email'])).toEqual(['post']);
    expect(Object.keys(spec.paths['/api/v1/me/email/confirm'])).toEqual(['post']);
    expect(Object.keys(spec.paths['/api/v1/me'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    // DELETE /me answers 204 with no body, not the 200 a route without a declared response is listed with
    expect(Object.keys(spec.paths['/api/v1/me'].delete.responses).sort()).toEqual(['204', 'default']);
    expect(spec.paths['/api/v1/me'].delete.responses['204'].content).toBeUndefined();
  });

  it('mails the code in the user\'s language', async () => {
    const user = await signUp('fr');
    const newEmail = address('fr');
    const before = smtp.mails.length;
    await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token);
    const { mail } = await codeMailTo(newEmail, before);
    expect(mail.subject).toBe('Votre code de changement d’e-mail StreakPets');
  });
  it('a code asked for before the password changed no longer works (400 code_expired): a new password ends what the old one started', async () => {
    const user = await signUp();
    const newEmail = address('pw');
    const before = smtp.mails.length;
    expect((await post('/me/email', { newEmail, currentPassword: PASSWORD }, user.token)).statusCode).toBe(202);
    const { code } = await codeMailTo(newEmail, before);
    expect((await post('/me/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase here' }, user.token)).statusCode).toBe(204);
    const late = await post('/me/email/confirm', { code }, user.token);
    expect(late.statusCode, late.body).toBe(400);
    expect(late.json()).toMatchObject({ code: 'code_expired' });
    expect((await emailOf(user.id)).email).toBe(user.email);
  });
  it('sends at most 5 codes an hour to one address, whoever asks (429 email_change_address_quota): many accounts cannot guess one address\'s code in parallel nor flood its mailbox', async () => {
    const target = address('target');
    for (let i = 0; i < 5; i++) {
      const user = await signUp();
      expect((await post('/me/email', { newEmail: target, currentPassword: PASSWORD }, user.token)).statusCode).toBe(202);
    }
    const sixth = await signUp('fr');
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/me/email', payload: { newEmail: target.toUpperCase(), currentPassword: PASSWORD }, headers: { ...bearer(sixth.token), 'accept-language': 'fr' } });
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.headers['retry-after']).toBe('3600');
    expect(refused.json()).toMatchObject({ code: 'email_change_address_quota', detail: 'Trop de codes ont été envoyés à cette adresse. Réessayez dans une heure.' });
    // another address is still fine for the same account
    expect((await post('/me/email', { newEmail: address('other'), currentPassword: PASSWORD }, sixth.token)).statusCode).toBe(202);
  });
  it('holds to 5 codes an hour to one address when many accounts ask at the same moment (the count and the new code are one step per address)', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp()));
    const target = address('burst');
    const answers = await Promise.all(users.map((u) => post('/me/email', { newEmail: target, currentPassword: PASSWORD }, u.token)));
    expect(answers.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(answers.filter((r) => r.statusCode === 429).map((r) => r.json().code)).toEqual(Array(7).fill('email_change_address_quota'));
    const rows = await t.deps.db.selectFrom('email_changes').select('id').where('new_email', '=', target.toLowerCase()).execute();
    expect(rows).toHaveLength(5);
  });
});
