import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' } });
});
afterAll(async () => t?.close());

let n = 0;
const uniqueEmail = () => `Auth${++n}-${Date.now()}@Example.test`;
const PASSWORD = 'correct horse battery staple';

async function register(body: Record<string, unknown> = {}) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: uniqueEmail(), password: PASSWORD, name: 'Ada', ...body } });
}

describe('register', () => {
  it('creates an account, signs it in and stores an argon2id hash at the OWASP parameters', async () => {
    const email = uniqueEmail();
    const res = await register({ email, phone: '+14155550100', locale: 'fr' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: email.toLowerCase(), name: 'Ada', role: 'user', locale: 'fr', emailVerified: false, phone: '+14155550100', phoneVerified: false });
    expect(body.tokenType).toBe('Bearer');
    expect(JSON.stringify(body)).not.toContain('password');
    const row = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', body.user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.accessToken}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(body.user.id);
  });

  it('treats email case-insensitively: a second sign-up with other case is 409 email_taken', async () => {
    const email = uniqueEmail();
    expect((await register({ email })).statusCode).toBe(201);
    const again = await register({ email: email.toUpperCase() });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'email_taken', title: 'Email already registered' });
  });

  it('answers every loser of parallel sign-ups with one email 409 email_taken, not a generic conflict', async () => {
    const email = uniqueEmail();
    const answers = await Promise.all(Array.from({ length: 20 }, () => register({ email })));
    const outcomes = answers.map((r) => `${r.statusCode} ${r.json().code ?? 'created'}`);
    expect(outcomes.filter((o) => o === '201 created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === '409 email_taken')).toHaveLength(19);
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email.toLowerCase()).execute()).toHaveLength(1);
  });

  it("keeps another account's unverified phone: a sign-up with it is 409 phone_taken and changes nothing", async () => {
    const phone = `+1415${String(Date.now()).slice(-7)}`;
    const first = await register({ phone });
    expect(first.statusCode).toBe(201);
    const email = uniqueEmail();
    const second = await register({ email, phone });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'phone_taken', title: 'Phone number in use' });
    const holder = await t.deps.db.selectFrom('users').select(['phone', 'phone_verified_at']).where('id', '=', first.json().user.id).executeTakeFirstOrThrow();
    expect(holder).toEqual({ phone, phone_verified_at: null });
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email.toLowerCase()).executeTakeFirst()).toBeUndefined();
  });

  it('answers every loser of parallel sign-ups with one phone 409 phone_taken, not a generic conflict', async () => {
    const phone = `+1646${String(Date.now()).slice(-7)}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => register({ phone })));
    const outcomes = answers.map((r) => `${r.statusCode} ${r.json().code ?? 'created'}`);
    expect(outcomes.filter((o) => o === '201 created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === '409 phone_taken')).toHaveLength(4);
    expect(await t.deps.db.selectFrom('users').select('id').where('phone', '=', phone).execute()).toHaveLength(1);
  });

  it.each([
    ['short1!', 'too_short'],
    ['password123456', 'common'],
    ['Qwertyuiop!!', 'common'],
    ['12345678901234', 'common'],
  ])('refuses the weak password %s (%s) and writes nothing', async (password, reason) => {
    const email = uniqueEmail();
    const res = await register({ email, password });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'weak_password', errors: [{ field: 'body.password', code: reason }] });
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('answers a password over 128 characters with a message naming the maximum, and writes nothing', async () => {
    const email = uniqueEmail();
    const long = await register({ email, password: 'Long passphrase '.repeat(9) });
    expect(long.statusCode).toBe(422);
    expect(long.json()).toMatchObject({
      code: 'password_too_long',
      title: 'Password too long',
      detail: 'Choose a password of at most 128 characters.',
      errors: [{ field: 'body.password', code: 'too_long', message: 'must be at most 128 characters' }],
    });
    const huge = await register({ email, password: 'x'.repeat(600) });
    expect(huge.statusCode).toBe(422);
    expect(huge.json()).toMatchObject({ errors: [{ field: 'body.password', message: 'must be at most 128 characters' }] });
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email.toLowerCase()).executeTakeFirst()).toBeUndefined();
  });

  it('refuses a password built from the email address', async () => {
    const email = `marguerite${Date.now()}@example.test`;
    const res = await register({ email, password: `${email.split('@')[0]}` });
    expect(res.json()).toMatchObject({ code: 'weak_password', errors: [{ code: 'personal' }] });
  });

  it('takes the time zone streak days start in, and refuses one that is not an IANA zone without creating the account', async () => {
    const res = await register({ timezone: 'America/Sao_Paulo' });
    expect(res.statusCode).toBe(201);
    expect(res.json().user.timezone).toBe('America/Sao_Paulo');
    expect((await register()).json().user.timezone).toBe('UTC');
    const email = uniqueEmail();
    const bad = await register({ email, timezone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ field: 'body.timezone', code: 'custom', message: 'must be an IANA time zone like Europe/Paris' }]);
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('validates email and E.164 phone with field errors', async () => {
    const res = await register({ email: 'not-an-email', phone: '0612345678' });
    expect(res.statusCode).toBe(422);
    const fields = res.json().errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.email', 'body.phone']);
    const es = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'accept-language': 'es' }, payload: { email: uniqueEmail(), password: PASSWORD, name: 'Ada', phone: '0612345678' } });
    expect(es.json().errors).toEqual([{ field: 'body.phone', code: 'invalid_format', message: 'debe ser un número de teléfono E.164 como +34612345678' }]);
    // an address's local part holds at most 64 characters (RFC 5321)
    const long = await register({ email: `${'a'.repeat(65)}@example.test`, password: PASSWORD, name: 'Ada' });
    expect(long.statusCode).toBe(422);
    expect(long.json().errors).toMatchObject([{ field: 'body.email', message: 'Invalid email address' }]);
    expect((await register({ email: `${'a'.repeat(64)}@example.test`, password: PASSWORD, name: 'Ada' })).statusCode).toBe(201);
  });

  it('localizes problems', async () => {
    const email = uniqueEmail();
    await register({ email });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'accept-language': 'de' },
      payload: { email, password: PASSWORD, name: 'Ada' },
    });
    expect(res.json().title).toBe('E-Mail bereits registriert');
    // field problems too: zod's, ours from the catalog, and the password rules' with their numbers
    const fields = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'accept-language': 'es' },
      payload: { email: 'not-an-email', password: 'short', name: '\u200b' },
    });
    expect(fields.statusCode).toBe(422);
    const byField = Object.fromEntries(fields.json().errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(byField['body.name']).toBe('no puede estar vacío');
    // an empty name is one problem, not two
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'accept-language': 'fr' }, payload: { email: uniqueEmail(), password: PASSWORD, name: '' } });
    expect(empty.json().errors).toEqual([{ field: 'body.name', code: 'too_small', message: 'Champ obligatoire.' }]);
    expect(byField['body.email']).toMatch(/correo/i);
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'accept-language': 'es' }, payload: { email: uniqueEmail(), password: 'short', name: 'Ada' } });
    expect(weak.json().errors).toEqual([{ field: 'body.password', code: 'too_short', message: 'debe tener al menos 10 caracteres' }]);
    const common = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'accept-language': 'ja' }, payload: { email: uniqueEmail(), password: 'password123', name: 'Ada' } });
    expect(common.json().errors[0].message).toBe('よく使われすぎています。推測されにくいパスワードにしてください');
  });
});

describe('login', () => {
  it('signs in with email (any case) and records the login', async () => {
    const email = uniqueEmail();
    const reg = (await register({ email })).json();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': 'test-agent/1' }, payload: { email: email.toUpperCase(), password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.id).toBe(reg.user.id);
    const logins = await t.app.inject({ method: 'GET', url: '/api/v1/me/logins', headers: { authorization: `Bearer ${res.json().accessToken}` } });
    expect(logins.json().items[0]).toMatchObject({ success: true, method: 'password', userAgent: 'test-agent/1' });
  });

  it('answers a wrong password and an unknown account identically', async () => {
    const email = uniqueEmail();
    await register({ email });
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'not the password at all' } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: uniqueEmail(), password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().code).toBe('invalid_credentials');
  });

  it('signs in by phone only once the phone is verified', async () => {
    const phone = `+4475${String(Date.now()).slice(-8)}`;
    const reg = (await register({ phone })).json();
    const before = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { phone, password: PASSWORD } });
    expect(before.statusCode).toBe(401);
    await t.deps.db.updateTable('users').set({ phone_verified_at: new Date() }).where('id', '=', reg.user.id).execute();
    const after = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { phone, password: PASSWORD } });
    expect(after.statusCode).toBe(200);
  });

  it('needs exactly one of email or phone', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { password: PASSWORD } });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('validation_failed');
  });
});

describe('refresh and logout', () => {
  it('rotates the refresh token; reusing a rotated one revokes the whole family', async () => {
    const reg = (await register()).json();
    const r1 = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: reg.refreshToken } });
    expect(r1.statusCode).toBe(200);
    const t1 = r1.json();
    expect(t1.refreshToken).not.toBe(reg.refreshToken);
    const r2 = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: t1.refreshToken } });
    expect(r2.statusCode).toBe(200);
    const t2 = r2.json();

    const reuse = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: reg.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('refresh_reused');
    const latest = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: t2.refreshToken } });
    expect(latest.json().code).toBe('refresh_invalid');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${t2.accessToken}` } });
    expect(me.statusCode).toBe(401);
    await t.deps.events.drain();
    const events = await t.deps.db.selectFrom('domain_events').select(['type', 'data']).where('type', '=', 'auth.session_revoked').where(sql<boolean>`${reg.user.id}::uuid = any(user_ids)`).execute();
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ reason: 'refresh_reuse' });
  });

  it('gives no session to a refresh or a sign-in racing a disable: they wait for it and are refused', async () => {
    const email = uniqueEmail();
    const { refreshToken, user } = (await register({ email })).json();
    let release!: () => void;
    let locked!: () => void;
    const held = new Promise<void>((r) => (locked = r));
    // a disable in progress: the user row locked for update, disabled_at written, not yet committed
    const disabling = t.deps.db.transaction().execute(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', '=', user.id).forUpdate().execute();
      await trx.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute();
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await held;
    const refreshing = t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    const signingIn = t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
    await new Promise((r) => setTimeout(r, 300));
    release();
    await disabling;
    expect((await refreshing).json().code).toBe('refresh_invalid');
    expect((await signingIn).json().code).toBe('account_disabled');
    // only the session of the sign-up: neither made one
    expect(await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toHaveLength(1);
  });

  it('refuses an unknown refresh token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: 'nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('refresh_invalid');
  });

  it('logout revokes the session: its access and refresh tokens stop working', async () => {
    const reg = (await register()).json();
    const auth = { authorization: `Bearer ${reg.accessToken}` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth })).statusCode).toBe(401);
    const refresh = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: reg.refreshToken } });
    expect(refresh.json().code).toBe('refresh_invalid');
  });
});

describe('access tokens', () => {
  it('rejects expired, forged and alg-none tokens', async () => {
    const user = await createUser(t.deps);
    const claims = { role: 'user', sid: user.sessionId, typ: 'access' };
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('streakpets')
      .setAudience('streakpets-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(t.deps.infra.jwtSecret));
    const forged = await new SignJWT({ ...claims, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('streakpets')
      .setAudience('streakpets-api')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('x'.repeat(64)));
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: user.id, iss: 'streakpets', aud: 'streakpets-api', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    for (const [token, code] of [[expired, 'token_expired'], [forged, 'token_invalid'], [none, 'token_invalid'], [`${user.token}x`, 'token_invalid']]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe(code);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
  });

  it('refuses a token already verified and used once its session is revoked or its user disabled outside the app (as soon as the database tells the node)', async () => {
    const [revoked, disabled] = [await createUser(t.deps), await createUser(t.deps)];
    for (const user of [revoked, disabled]) {
      for (let i = 0; i < 2; i++) expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
    }
    // written straight to the database, as an operator would: the node hears of it by NOTIFY at the COMMIT
    // (a change the app makes itself is refused on its next request: accounts.liveness.test.ts)
    await t.deps.db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', revoked.sessionId).execute();
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', disabled.id).execute();
    for (const user of [revoked, disabled]) {
      await vi.waitFor(async () => expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(401), { timeout: 2000, interval: 10 });
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
      expect(res.json().code).toBe('token_invalid');
    }
  });

  it('a dead session is a 401 before anything else: an invalid body, a bad or claimed Idempotency-Key', async () => {
    const user = await createUser(t.deps);
    await t.deps.db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', user.sessionId).execute();
    const invalid = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { timezone: 42, nonsense: true } });
    expect([invalid.statusCode, invalid.json().code]).toEqual([401, 'token_invalid']);
    const badKey = await t.app.inject({ method: 'POST', url: '/api/v1/intents', headers: { ...user.auth, 'idempotency-key': 'bad key with spaces' }, payload: { payer: 'x@example.test', amount: '1' } });
    expect([badKey.statusCode, badKey.json().code]).toEqual([401, 'token_invalid']);
    const keyed = await t.app.inject({ method: 'POST', url: '/api/v1/intents', headers: { ...user.auth, 'idempotency-key': 'dead-session-key' }, payload: { payer: 'x@example.test', amount: '1' } });
    expect([keyed.statusCode, keyed.json().code]).toEqual([401, 'token_invalid']);
    // the key was claimed while the session was checked, and given back
    expect(await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'dead-session-key').execute()).toEqual([]);
  });

  it('claims the Idempotency-Key while the session is checked, not after', async () => {
    const [user, payer] = [await createUser(t.deps), await createUser(t.deps)];
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    // the session check waits behind an exclusive lock on the sessions table
    const holder = t.deps.db.transaction().execute(async (trx) => {
      await sql`lock table sessions in access exclusive mode`.execute(trx);
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await holding;
    try {
      const sent = t.app.inject({ method: 'POST', url: '/api/v1/intents', headers: { ...user.auth, 'idempotency-key': 'claimed-early' }, payload: { payer: payer.email, amount: '1' } });
      const claimed = async () => (await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'claimed-early').execute()).length > 0;
      const deadline = Date.now() + 5_000;
      while (!(await claimed())) {
        if (Date.now() > deadline) throw new Error('the key was not claimed while the session check waited');
        await new Promise((r) => setTimeout(r, 20));
      }
      release();
      await holder;
      expect((await sent).statusCode).toBe(201);
    } finally {
      release?.();
    }
  });

  it('refuses a valid token whose user was disabled', async () => {
    const user = await createUser(t.deps);
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth });
    expect(res.statusCode).toBe(401);
  });

  it('answers each of many concurrent requests by its own session (checked together): live, revoked, disabled, repeated', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(t.deps)));
    await t.deps.db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', users[1].sessionId).execute();
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', users[4].id).execute();
    const order = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 5, 5];
    const res = await Promise.all(order.map((i) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: users[i].auth })));
    expect(res.map((r) => r.statusCode)).toEqual(order.map((i) => (i === 1 || i === 4 ? 401 : 200)));
    res.forEach((r, k) => r.statusCode === 200 && expect(r.json().id).toBe(users[order[k]].id));
  });

  it('takes the role from the database, not the token', async () => {
    const user = await createUser(t.deps, { role: 'admin' });
    await t.deps.db.updateTable('users').set({ role: 'user' }).where('id', '=', user.id).execute();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${user.id}/kyc`, headers: user.auth, payload: { status: 'verified' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });
});
