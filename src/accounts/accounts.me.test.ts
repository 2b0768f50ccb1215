import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { expectNoCrossUserAccess } from '../../test/helpers/access.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000', RATE_LIMIT_LENIENT: '1000' } });
});
afterAll(async () => t?.close());

const PASSWORD = 'correct horse battery staple';
let n = 0;

async function signUp() {
  const email = `me${++n}-${Date.now()}@example.test`;
  const body = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Mia' } })).json();
  return { email, id: body.user.id as string, refreshToken: body.refreshToken as string, auth: { authorization: `Bearer ${body.accessToken}` } };
}

const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });

describe('GET and PATCH /me', () => {
  it('updates name, locale, timezone and merges preferences', async () => {
    const user = await createUser(t.deps, { locale: 'en' });
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: user.auth,
      payload: { name: 'New Name', locale: 'ja', timezone: 'Asia/Tokyo', preferences: { theme: 'dark' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'New Name', locale: 'ja', timezone: 'Asia/Tokyo', preferences: { theme: 'dark' } });
    const again = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { preferences: { sound: false } } });
    expect(again.json().preferences).toEqual({ theme: 'dark', sound: false });
    await t.deps.events.drain();
    const events = await t.deps.db.selectFrom('domain_events').select('data').where('type', '=', 'auth.profile_updated').where('actor_id', '=', user.id).orderBy('created_at').orderBy('id').execute();
    expect(events.map((e) => e.data)).toEqual([{ fields: ['name', 'locale', 'timezone', 'preferences'] }, { fields: ['preferences'] }]);
  });

  it('stores a time zone typed in another letter case under its usual spelling, and keeps one written as usual', async () => {
    const user = await createUser(t.deps);
    const zoneAfter = async (timezone: string) => (await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { timezone } })).json().timezone;
    expect(await zoneAfter('europe/paris')).toBe('Europe/Paris');
    expect(await zoneAfter('utc')).toBe('UTC');
    expect(await zoneAfter('ASIA/CALCUTTA')).toBe('Asia/Calcutta');
    expect(await zoneAfter('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(await zoneAfter('America/Port-au-Prince')).toBe('America/Port-au-Prince');
  });

  it.each([
    [{ timezone: 'Mars/Olympus' }, 'body.timezone'],
    [{ locale: 'xx' }, 'body.locale'],
    [{ email: 'steal@example.test' }, 'body'],
    [{ role: 'admin' }, 'body'],
    [{}, 'body'],
  ])('refuses %j and changes nothing', async (payload, field) => {
    const user = await createUser(t.deps);
    const before = (await get('/me', user.auth)).json();
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].field).toBe(field);
    expect((await get('/me', user.auth)).json()).toEqual(before);
  });

  it('tells why a time zone or oversized preferences are refused in the reader\'s language', async () => {
    const user = await createUser(t.deps);
    const fr = { ...user.auth, 'accept-language': 'fr' };
    const zone = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: fr, payload: { timezone: 'Mars/Olympus' } });
    expect(zone.json().errors).toEqual([{ field: 'body.timezone', code: 'custom', message: 'doit être un fuseau horaire IANA comme Europe/Paris' }]);
    const big = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: fr, payload: { preferences: { blob: 'x'.repeat(5000) } } });
    expect(big.json().errors).toEqual([{ field: 'body.preferences', code: 'custom', message: 'ne doit pas dépasser 4 Ko de JSON' }]);
  });

  const badNames = [['a bell', 'Mia\u0007'], ['a newline', 'Mia\nAdmin'], ['a tab', 'Mia\tX'], ['a right-to-left override', 'Mia\u202Egnp.exe'], ['a lone surrogate', 'Mia\uD800'],
    ['a line separator', 'ab\u2028cd'], ['a paragraph separator', 'ab\u2029cd'], ['an Arabic letter mark', 'ab\u061Ccd'], ['a tag character', 'ab\u{E0041}cd']];
  const invalidUtf8 = (json: string) => {
    const [before, after] = json.split('BAD');
    return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
  };

  it.each(badNames)('refuses a name with %s (sign-up and PATCH /me) and changes nothing', async (_what, name) => {
    const user = await createUser(t.deps);
    const before = (await get('/me', user.auth)).json();
    const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { name } });
    expect(patched.statusCode).toBe(422);
    expect(patched.headers['content-type']).toContain('application/problem+json');
    expect(patched.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.name', message: 'must be printable text on one line' }] });
    expect((await get('/me', user.auth)).json()).toEqual(before);
    const email = `badname${++n}-${Date.now()}@example.test`;
    const registered = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name } });
    expect(registered.statusCode).toBe(422);
    expect(registered.json().errors[0].field).toBe('body.name');
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  const invisibleNames = [['a Braille blank', '\u2800'], ['combining marks only', '\u0301\u0301'], ['Hangul fillers', '\u115F\u1160\u3164\uFFA0']];

  it.each(invisibleNames)('refuses a name of %s as empty (sign-up and PATCH /me) and changes nothing', async (_what, name) => {
    const user = await createUser(t.deps);
    const before = (await get('/me', user.auth)).json();
    const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { name } });
    expect(patched.statusCode).toBe(422);
    expect(patched.headers['content-type']).toContain('application/problem+json');
    expect(patched.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.name', message: 'must not be empty' }] });
    expect((await get('/me', user.auth)).json()).toEqual(before);
    const email = `blankname${++n}-${Date.now()}@example.test`;
    const registered = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name } });
    expect(registered.statusCode).toBe(422);
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('accepts accents as combining marks and a subdivision flag (its tag characters) in a name', async () => {
    const user = await createUser(t.deps);
    for (const name of ['Zoe\u0308', 'Mia \u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}']) {
      const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { name } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().name).toBe(name);
    }
  });

  it('counts a name in user-perceived characters (at most 100)', async () => {
    const user = await createUser(t.deps);
    const patch = (name: string) => t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { name } });
    const accented = 'e\u0301'.repeat(100);
    expect((await patch(accented)).json().name).toBe(accented);
    const long = await patch(`${accented}e`);
    expect(long.statusCode).toBe(422);
    expect(long.json().errors).toEqual([expect.objectContaining({ field: 'body.name', message: 'must be at most 100 characters' })]);
    expect((await get('/me', user.auth)).json().name).toBe(accented);
  });

  it('refuses a body that is not valid UTF-8 (sign-up and PATCH /me) instead of storing U+FFFD', async () => {
    const user = await createUser(t.deps);
    const before = (await get('/me', user.auth)).json();
    const headers = { ...user.auth, 'content-type': 'application/json' };
    const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers, payload: invalidUtf8('{"name":"MiaBAD"}') });
    expect(patched.statusCode).toBe(422);
    expect(patched.json().errors).toEqual([{ field: 'body', message: 'must be valid UTF-8', code: 'invalid_utf8' }]);
    expect((await get('/me', user.auth)).json()).toEqual(before);
    const email = `badutf${++n}-${Date.now()}@example.test`;
    const registered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: invalidUtf8(`{"email":"${email}","password":"${PASSWORD}","name":"MiaBAD"}`),
    });
    expect(registered.statusCode).toBe(422);
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('refuses preferences that would pass 4 KB once merged with the saved ones, and writes nothing of that patch', async () => {
    const user = await createUser(t.deps);
    const patch = (payload: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload });
    for (let i = 1; i <= 4; i++) expect((await patch({ preferences: { [`k${i}`]: 'y'.repeat(1000) } })).statusCode).toBe(200);
    const before = (await get('/me', user.auth)).json();
    const res = await patch({ name: 'Renamed', preferences: { k5: 'y'.repeat(1000) } });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.preferences' }] });
    expect((await get('/me', user.auth)).json()).toEqual(before);
    expect(Object.keys(before.preferences)).toEqual(['k1', 'k2', 'k3', 'k4']);
    // replacing a saved key with a value of the same size still fits
    expect((await patch({ preferences: { k4: 'z'.repeat(1000) } })).statusCode).toBe(200);
  });

  it('needs a token', async () => {
    const res = await get('/me', {});
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
  });
});

describe('sessions and login history', () => {
  it('lists devices (one per family, stable across refresh) and signs one out', async () => {
    const user = await signUp();
    const second = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': 'phone/2' }, payload: { email: user.email, password: PASSWORD } })).json();
    const list = (await get('/me/sessions', user.auth)).json().items;
    expect(list).toHaveLength(2);
    expect(list.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const phone = list.find((s: { userAgent: string }) => s.userAgent === 'phone/2');
    expect(phone.current).toBe(false);
    // a readable device name beside the raw user agent
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': firefox }, payload: { email: user.email, password: PASSWORD } });
    const named = (await get('/me/sessions', user.auth)).json().items.find((s: { userAgent: string }) => s.userAgent === firefox);
    expect(named.device).toBe('Firefox on Linux');
    const logins = (await get('/me/logins', user.auth)).json().items;
    expect(logins.find((l: { userAgent: string }) => l.userAgent === firefox).device).toBe('Firefox on Linux');
    await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${named.id}`, headers: user.auth });

    await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: second.refreshToken } });
    const afterRefresh = (await get('/me/sessions', user.auth)).json().items;
    expect(afterRefresh.map((s: { id: string }) => s.id).sort()).toEqual(list.map((s: { id: string }) => s.id).sort());

    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${phone.id}`, headers: user.auth });
    expect(del.statusCode).toBe(204);
    expect((await get('/me/sessions', user.auth)).json().items).toHaveLength(1);
    expect((await get('/me', { authorization: `Bearer ${second.accessToken}` })).statusCode).toBe(401);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${phone.id}`, headers: user.auth });
    expect(again.json()).toMatchObject({ status: 404, code: 'session_not_found' });
  });

  it('records the session a sign-up opens in the login history, as a login is recorded', async () => {
    const email = `me${++n}-${Date.now()}@example.test`;
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', remoteAddress: '198.51.100.7', headers: { 'user-agent': firefox }, payload: { email, password: PASSWORD, name: 'Mia' } });
    expect(res.statusCode).toBe(201);
    const auth = { authorization: `Bearer ${res.json().accessToken}` };
    const sessions = (await get('/me/sessions', auth)).json().items;
    expect(sessions).toHaveLength(1);
    const logins = (await get('/me/logins', auth)).json();
    expect(logins).toMatchObject({ hasMore: false, nextCursor: null });
    expect(logins.items).toEqual([
      { id: expect.any(String), at: expect.any(String), success: true, method: 'sign_up', reason: null, ip: '198.51.100.7', userAgent: firefox, device: 'Firefox on Linux' },
    ]);
    expect(Math.abs(Date.parse(logins.items[0].at) - Date.parse(sessions[0].createdAt))).toBeLessThan(5_000);
    // a refused sign-up records nothing
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Mia' } });
    expect(again.json().code).toBe('email_taken');
    expect((await get('/me/logins', auth)).json().items).toHaveLength(1);
  });

  it('paginates the login history with a cursor', async () => {
    const user = await signUp();
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: i === 1 ? 'wrong password!!' : PASSWORD } });
    const first = (await get('/me/logins?limit=2', user.auth)).json();
    expect(first.items).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const second = (await get(`/me/logins?limit=2&cursor=${first.nextCursor}`, user.auth)).json();
    expect(second.items).toHaveLength(2);
    expect(second.hasMore).toBe(false);
    // newest first: the three sign-ins, then the sign-up's own session
    expect([...first.items, ...second.items].map((l: { success: boolean; method: string }) => [l.success, l.method])).toEqual([
      [true, 'password'],
      [false, 'password'],
      [true, 'password'],
      [true, 'sign_up'],
    ]);
    expect((await get('/me/logins?cursor=garbage', user.auth)).statusCode).toBe(422);

    // two attempts within one millisecond, the later id first in time: paging by cursor still finds both
    const all = (await get('/me/logins?limit=3', user.auth)).json().items as Array<{ id: string }>;
    const [a, b] = [all[0].id, all[1].id].sort();
    await t.deps.db.updateTable('login_attempts').set({ created_at: sql<Date>`'2099-01-01 00:00:00.123456+00'` }).where('id', '=', a).execute();
    await t.deps.db.updateTable('login_attempts').set({ created_at: sql<Date>`'2099-01-01 00:00:00.1234+00'` }).where('id', '=', b).execute();
    const page1 = (await get('/me/logins?limit=1', user.auth)).json();
    const page2 = (await get(`/me/logins?limit=1&cursor=${page1.nextCursor}`, user.auth)).json();
    expect([page1.items[0].id, page2.items[0].id].sort()).toEqual([a, b]);
  });
});

describe('user A cannot read or change anything of user B', () => {
  let a: TestUser;
  let b: TestUser;
  beforeAll(async () => {
    a = await createUser(t.deps, { name: 'Alice' });
    b = await createUser(t.deps, { name: 'Bob Secretname' });
    await t.deps.db
      .insertInto('login_attempts')
      .values({ id: '01a205bf-0000-7000-8000-000000000001', user_id: b.id, identifier_hash: 'x', success: true, method: 'password', reason: null, ip: '203.0.113.77', user_agent: 'bob-agent' })
      .execute();
  });

  it('through the /me routes', async () => {
    await expectNoCrossUserAccess({
      app: t.app,
      as: a.auth,
      probes: [
        { method: 'DELETE', url: `/api/v1/me/sessions/${b.sessionId}` },
        { method: 'PATCH', url: '/api/v1/me', payload: { userId: b.id, name: 'hacked' }, deniedWith: [422] },
        { method: 'GET', url: `/api/v1/me/sessions?userId=${b.id}`, deniedWith: [200] },
        { method: 'GET', url: `/api/v1/me/logins?userId=${b.id}`, deniedWith: [200] },
        { method: 'GET', url: `/api/v1/me?userId=${b.id}`, deniedWith: [200] },
        { method: 'POST', url: `/api/v1/admin/users/${b.id}/kyc`, payload: { status: 'verified' } },
        { method: 'POST', url: '/api/v1/auth/sms/verify', payload: { phone: '+14155550199', code: '123456' }, deniedWith: [400] },
      ],
      snapshot: async () => ({
        me: (await get('/me', b.auth)).json(),
        sessions: (await get('/me/sessions', b.auth)).json(),
        logins: (await get('/me/logins', b.auth)).json(),
      }),
      mustNotLeak: [b.id, b.email, b.sessionId, 'Secretname', '203.0.113.77', 'bob-agent'],
    });
  });

  it('the helper itself fails when access is granted or state changes', async () => {
    await expect(
      expectNoCrossUserAccess({ app: t.app, as: b.auth, probes: [{ method: 'GET', url: '/api/v1/me' }], snapshot: async () => null, mustNotLeak: [b.email] }),
    ).rejects.toThrow();
    await expect(
      expectNoCrossUserAccess({
        app: t.app,
        as: b.auth,
        probes: [{ method: 'PATCH', url: '/api/v1/me', payload: { name: 'changed' }, deniedWith: [200] }],
        snapshot: async () => (await get('/me', b.auth)).json().name,
      }),
    ).rejects.toThrow(/changed/);
  });
});

describe('POST /me/password', () => {
  it('needs the current password, checks the new one, and signs out every other device', async () => {
    const user = await signUp();
    const other = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: PASSWORD } })).json();
    const change = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: user.auth, payload });
    expect((await change({ currentPassword: 'not my password', newPassword: 'a fresh long secret' })).json()).toMatchObject({
      status: 422,
      code: 'current_password_invalid',
    });
    expect((await change({ currentPassword: PASSWORD, newPassword: 'qwerty123456' })).json()).toMatchObject({
      code: 'weak_password',
      errors: [{ field: 'body.newPassword', code: 'common' }],
    });
    expect((await change({ currentPassword: PASSWORD, newPassword: 'a fresh long secret' })).statusCode).toBe(204);
    expect((await get('/me', user.auth)).statusCode).toBe(200);
    expect((await get('/me', { authorization: `Bearer ${other.accessToken}` })).statusCode).toBe(401);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'a fresh long secret' } });
    expect(login.statusCode).toBe(200);
  });
});

describe('POST /me/password with the current password as the new one', () => {
  it.each([
    ['the same string', PASSWORD],
    ['the same password in another Unicode form (NFKC)', '\uff43\uff4f\uff52\uff52\uff45\uff43\uff54 horse battery staple'],
  ])('is 422 password_unchanged on body.newPassword (%s) and changes nothing', async (_what, newPassword) => {
    const user = await signUp();
    const other = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: PASSWORD } })).json();
    const before = await t.deps.db.selectFrom('users').select(['password_hash', 'password_changed_at']).where('id', '=', user.id).executeTakeFirstOrThrow();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: user.auth, payload: { currentPassword: PASSWORD, newPassword } });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      status: 422,
      code: 'password_unchanged',
      title: 'New password is the same as the current one',
      errors: [{ field: 'body.newPassword', code: 'same', message: 'must differ from your current password' }],
    });
    // nothing changed: same hash, the other device still signed in, no event
    const after = await t.deps.db.selectFrom('users').select(['password_hash', 'password_changed_at']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect((await get('/me', { authorization: `Bearer ${other.accessToken}` })).statusCode).toBe(200);
    await t.deps.events.drain();
    const changed = await t.deps.db.selectFrom('domain_events').select('id').where('type', '=', 'auth.password_changed').where(sql<boolean>`${user.id}::uuid = any(user_ids)`).execute();
    expect(changed).toEqual([]);
  });

  it('tells it in the reader\'s language', async () => {
    const user = await signUp();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: { ...user.auth, 'accept-language': 'de' }, payload: { currentPassword: PASSWORD, newPassword: PASSWORD } });
    expect(res.json()).toMatchObject({
      code: 'password_unchanged',
      errors: [{ field: 'body.newPassword', code: 'same', message: 'muss sich von deinem aktuellen Passwort unterscheiden' }],
    });
  });
});

describe('security headers and CORS', () => {
  it('sends helmet headers and allows only listed origins', async () => {
    const cors = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example.test' } });
    try {
      const allowed = await cors.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/auth/login',
        headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.test');
      const denied = await cors.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/auth/login',
        headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'POST' },
      });
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      const res = await cors.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@example.test', password: 'x' } });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    } finally {
      await cors.close();
    }
  });
});
