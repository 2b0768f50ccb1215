import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, type TestSocket } from '../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { LOCALES, loadCatalogs } from '../platform/i18n/i18n.service.js';
import { ADMIN_USERS_ERRORS } from './accounts.adminusers.errors.js';

let t: TestApp;
let baseUrl: string;
let admin: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000', RATE_LIMIT_LENIENT: '1000' } });
  baseUrl = await listen(t.app);
  admin = await createUser(t.deps, { role: 'admin', name: 'Ada Admin' });
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST', url: string, user: TestUser | null, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user ? user.auth : {}, payload });

/** A user signed up through the API, so it has a refresh token and a sign-in in its history. */
async function signUp(name: string) {
  const email = `${name.toLowerCase().replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: 'correct horse battery', name } });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  return { id: body.user.id as string, email, accessToken: body.accessToken as string, refreshToken: body.refreshToken as string };
}

const userRow = (id: string) => t.deps.db.selectFrom('users').select(['role', 'disabled_at', 'disabled_reason', 'disabled_by']).where('id', '=', id).executeTakeFirstOrThrow();
const eventsOf = async (type: string, userId: string) => {
  await t.deps.events.drain();
  return t.deps.db.selectFrom('activity_log').selectAll().where('action', '=', type).where('user_id', '=', userId).execute();
};

describe('who may manage users', () => {
  it('anonymous callers get 401, users and admins without 2FA 403, and nothing changes', async () => {
    const user = await createUser(t.deps);
    const no2fa = await createUser(t.deps, { role: 'admin', twoFactor: false });
    const target = await createUser(t.deps);
    const routes: Array<['GET' | 'POST', string, object?]> = [
      ['GET', '/admin/users'],
      ['GET', `/admin/users/${target.id}`],
      ['POST', `/admin/users/${target.id}/disable`, { reason: 'spam' }],
      ['POST', `/admin/users/${target.id}/enable`],
      ['POST', `/admin/users/${target.id}/role`, { role: 'admin' }],
    ];
    for (const [method, url, body] of routes) {
      expect.soft((await call(method, url, null, body)).statusCode, `${method} ${url} anonymous`).toBe(401);
      const asUser = await call(method, url, user, body);
      expect.soft(asUser.statusCode, `${method} ${url} user`).toBe(403);
      expect.soft(asUser.json().code, `${method} ${url} user`).toBe('forbidden');
      expect.soft((await call(method, url, no2fa, body)).json().code, `${method} ${url} no 2FA`).toBe('admin_2fa_required');
    }
    expect(await userRow(target.id)).toMatchObject({ role: 'user', disabled_at: null });
  });
});

describe('GET /admin/users', () => {
  it('searches email and name (case-insensitive, wildcards literal), filters and pages with a cursor; no secrets', async () => {
    const tag = `zq${Math.random().toString(36).slice(2, 7)}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createUser(t.deps, { name: `Member ${tag} ${i}`, kycStatus: i % 2 ? 'pending' : 'none' }));
    const byEmail = await createUser(t.deps, { email: `${tag}.mail@example.test`, name: 'Someone Else' });
    const seen: Array<{ id: string }> = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof call>> = await call('GET', `/admin/users?q=${tag.toUpperCase()}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    // newest first, each once
    expect(seen.map((u) => u.id)).toEqual([byEmail, ...made.reverse()].map((u) => u.id));
    const text = JSON.stringify(seen);
    for (const secret of ['password', 'hash', 'totp', 'secret', 'preferences', 'kycDetails']) expect(text).not.toContain(secret);
    expect(seen[0]).toMatchObject({ email: byEmail.email, role: 'user', disabled: false, disabledAt: null, kycStatus: 'none', twoFactorEnabled: false });

    const pending = (await call('GET', `/admin/users?q=${tag}&kycStatus=pending`, admin)).json().items;
    expect(pending.map((u: { name: string }) => u.name).sort()).toEqual([`Member ${tag} 1`, `Member ${tag} 3`]);
    expect((await call('GET', `/admin/users?q=${tag}&role=admin`, admin)).json().items).toEqual([]);
    expect((await call('GET', '/admin/users?q=Ada%20Admin&role=admin&disabled=false', admin)).json().items.map((u: { id: string }) => u.id)).toEqual([admin.id]);
    // % and _ are letters here, not wildcards
    expect((await call('GET', '/admin/users?q=%25', admin)).json().items).toEqual([]);
    expect((await call('GET', '/admin/users?q=_', admin)).json().items).toEqual([]);
  });

  it('refuses bad filters and cursors with 422 naming the field', async () => {
    for (const [query, field] of [['role=root', 'querystring.role'], ['disabled=maybe', 'querystring.disabled'], ['kycStatus=x', 'querystring.kycStatus'], ['cursor=nope', 'querystring.cursor'], ['limit=0', 'querystring.limit']]) {
      const res = await call('GET', `/admin/users?${query}`, admin);
      expect.soft(res.statusCode, query).toBe(422);
      expect.soft(res.json().errors?.[0]?.field, query).toBe(field);
    }
  });
});

describe('GET /admin/users/:id', () => {
  it('shows devices, the last sign-in, KYC status and wallet addresses', async () => {
    const alice = await signUp('Alice Detail');
    const wallet = await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: { authorization: `Bearer ${alice.accessToken}` } });
    const address = wallet.json().wallets[0].address;
    const res = await call('GET', `/admin/users/${alice.id}`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: alice.id, email: alice.email, sessions: 1, kycStatus: 'none', disabled: false });
    expect(Date.now() - new Date(body.lastSignInAt).getTime()).toBeLessThan(60_000);
    expect(body.wallets).toEqual([expect.objectContaining({ kind: 'user', address })]);
    expect(JSON.stringify(body)).not.toMatch(/hash|secret|balances/i);
    expect((await call('GET', '/admin/users/0190a000-0000-7000-8000-000000000000', admin)).json()).toMatchObject({ status: 404, code: 'user_not_found' });
    expect((await call('GET', '/admin/users/not-a-uuid', admin)).statusCode).toBe(422);
  });
});

describe('disable and enable', () => {
  it('disabling revokes every session and refresh token, drops live sockets, is recorded with the admin, and is a no-op the second time', async () => {
    const bob = await signUp('Bob Disabled');
    const socket: TestSocket = await openSocket(baseUrl, bob.accessToken);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const res = await call('POST', `/admin/users/${bob.id}/disable`, admin, { reason: 'Fraud report #12' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: bob.id, disabled: true, disabledReason: 'Fraud report #12', disabledBy: admin.id });
    expect(await nextEvent(socket, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    expect(await closed).toBe('io server disconnect');
    const bobAuth = { authorization: `Bearer ${bob.accessToken}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bobAuth })).statusCode).toBe(401);
    const refresh = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: bob.refreshToken } });
    expect(refresh.json()).toMatchObject({ status: 401, code: 'refresh_invalid' });
    const live = await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', bob.id).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: bob.email, password: 'correct horse battery' } });
    expect(login.json().code).toBe('account_disabled');
    expect((await call('GET', `/admin/users/${bob.id}`, admin)).json()).toMatchObject({ sessions: 0, disabled: true });

    const again = await call('POST', `/admin/users/${bob.id}/disable`, admin, { reason: 'another reason' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ disabled: true, disabledReason: 'Fraud report #12' });
    const logged = await eventsOf('auth.user_disabled', bob.id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ category: 'auth', details: { reason: 'Fraud report #12', sessionsRevoked: 1 }, metadata: { role: 'subject' } });
    expect(await eventsOf('auth.user_disabled', admin.id)).toEqual([expect.objectContaining({ metadata: { role: 'actor' }, event_id: logged[0].event_id })]);

    const enabled = await call('POST', `/admin/users/${bob.id}/enable`, admin);
    expect(enabled.statusCode).toBe(200);
    expect(enabled.json()).toMatchObject({ disabled: false, disabledAt: null, disabledReason: null, disabledBy: null });
    expect((await call('POST', `/admin/users/${bob.id}/enable`, admin)).statusCode).toBe(200);
    expect(await eventsOf('auth.user_enabled', bob.id)).toHaveLength(1);
    const back = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: bob.email, password: 'correct horse battery' } });
    expect(back.statusCode).toBe(200);
    // the old refresh token stays dead
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: bob.refreshToken } })).statusCode).toBe(401);
  });

  it('an admin cannot disable themselves (403 admin_self_disable), and a reason is required; nothing changes', async () => {
    const self = await call('POST', `/admin/users/${admin.id}/disable`, admin, { reason: 'oops' });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ code: 'admin_self_disable', title: 'You cannot disable yourself' });
    const user = await createUser(t.deps);
    for (const body of [{}, { reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 'ok', userId: admin.id }]) {
      const res = await call('POST', `/admin/users/${user.id}/disable`, admin, body);
      expect.soft(res.statusCode, JSON.stringify(body).slice(0, 40)).toBe(422);
    }
    expect(await userRow(admin.id)).toMatchObject({ disabled_at: null });
    expect(await userRow(user.id)).toMatchObject({ disabled_at: null });
    expect((await call('POST', '/admin/users/0190a000-0000-7000-8000-000000000000/disable', admin, { reason: 'x' })).json().code).toBe('user_not_found');
  });

  it('a session a refresh left live while the disable ran does not come back when the account is enabled', async () => {
    const eve = await signUp('Eve Racing');
    expect((await call('POST', `/admin/users/${eve.id}/disable`, admin, { reason: 'takeover' })).statusCode).toBe(200);
    // what a refresh racing the disable leaves: it read the account before the disable committed, and its new
    // session row committed after the disable's revoking UPDATE had taken its snapshot, so that row stayed live
    // (made here by signing in during a moment with the account enabled in the database alone)
    await t.deps.db.updateTable('users').set({ disabled_at: null }).where('id', '=', eve.id).execute();
    const racer = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: eve.email, password: 'correct horse battery' } });
    expect(racer.statusCode).toBe(200);
    await t.deps.db.updateTable('users').set({ disabled_at: new Date(), disabled_reason: 'takeover', disabled_by: admin.id }).where('id', '=', eve.id).execute();
    // enabled again: the person signs in anew; the racer's refresh token and access token stay dead
    expect((await call('POST', `/admin/users/${eve.id}/enable`, admin, {})).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${racer.json().accessToken}` } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: racer.json().refreshToken } })).json().code).toBe('refresh_invalid');
    expect((await call('GET', `/admin/users/${eve.id}`, admin)).json().sessions).toBe(0);
  });

  it('enable takes no body but an empty one: anything else is a 422 and changes nothing', async () => {
    const user = await createUser(t.deps);
    await call('POST', `/admin/users/${user.id}/disable`, admin, { reason: 'spam' });
    for (const body of [{ reason: 'appeal accepted' }, { userId: admin.id }]) {
      const res = await call('POST', `/admin/users/${user.id}/enable`, admin, body);
      expect.soft(res.statusCode, JSON.stringify(body)).toBe(422);
    }
    expect(await userRow(user.id)).toMatchObject({ disabled_reason: 'spam' });
    expect((await call('POST', `/admin/users/${user.id}/enable`, admin, {})).json()).toMatchObject({ disabled: false });
    const nobody = await call('POST', `/admin/users/${user.id}/enable`, admin);
    expect(nobody.statusCode, nobody.body).toBe(200);
  });

  it('two admins disabling each other at once leave one enabled admin (409 last_admin or 403 for the other)', async () => {
    const t2 = await createTestApp({ env: { RATE_LIMIT_MODERATE: '1000' } });
    try {
      const a = await createUser(t2.deps, { role: 'admin' });
      const b = await createUser(t2.deps, { role: 'admin' });
      const [ab, ba] = await Promise.all([
        t2.app.inject({ method: 'POST', url: `/api/v1/admin/users/${b.id}/disable`, headers: a.auth, payload: { reason: 'coup' } }),
        t2.app.inject({ method: 'POST', url: `/api/v1/admin/users/${a.id}/disable`, headers: b.auth, payload: { reason: 'coup' } }),
      ]);
      const statuses = [ab.statusCode, ba.statusCode].sort();
      expect(statuses[0]).toBe(200);
      // the loser is refused: its session already gone (401), or under the lock it finds itself disabled and the other the last admin (409)
      expect(['token_invalid', 'last_admin', 'forbidden']).toContain([ab, ba].find((r) => r.statusCode !== 200)!.json().code);
      const enabled = await t2.deps.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
      expect(enabled).toHaveLength(1);
      // the one left cannot be demoted or disabled by anyone: there is no one else
      const last = enabled[0].id === a.id ? a : b;
      expect((await t2.app.inject({ method: 'POST', url: `/api/v1/admin/users/${last.id}/role`, headers: last.auth, payload: { role: 'user' } })).json().code).toBe('admin_self_demote');
    } finally {
      await t2.close();
    }
  });
});

describe('POST /admin/users/:id/role', () => {
  it('promotes and demotes, recorded with the admin; the same role again is a no-op; never oneself', async () => {
    const carol = await createUser(t.deps, { twoFactor: true });
    const up = await call('POST', `/admin/users/${carol.id}/role`, admin, { role: 'admin' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ role: 'admin' });
    // carol has 2FA: her next request already has admin powers
    expect((await call('GET', '/admin/users?limit=1', carol)).statusCode).toBe(200);
    expect((await call('POST', `/admin/users/${carol.id}/role`, admin, { role: 'admin' })).statusCode).toBe(200);
    const down = await call('POST', `/admin/users/${carol.id}/role`, admin, { role: 'user' });
    expect(down.json()).toMatchObject({ role: 'user' });
    expect((await call('GET', '/admin/users?limit=1', carol)).statusCode).toBe(403);
    const changes = await eventsOf('auth.role_changed', carol.id);
    expect(changes.map((c) => c.details)).toEqual(expect.arrayContaining([{ from: 'user', to: 'admin' }, { from: 'admin', to: 'user' }]));
    expect(changes).toHaveLength(2);

    const self = await call('POST', `/admin/users/${admin.id}/role`, admin, { role: 'user' });
    expect(self.json()).toMatchObject({ status: 403, code: 'admin_self_demote' });
    expect((await call('POST', `/admin/users/${admin.id}/role`, admin, { role: 'admin' })).statusCode).toBe(200);
    expect((await call('POST', `/admin/users/${carol.id}/role`, admin, { role: 'root' })).statusCode).toBe(422);
    expect(await userRow(admin.id)).toMatchObject({ role: 'admin' });
  });
});

describe('texts', () => {
  const catalogs = loadCatalogs();
  it.each(LOCALES)('%s tells every admin user-management error', (locale) => {
    const errors = catalogs[locale].errors as Record<string, { title?: string; detail?: string }>;
    for (const code of Object.keys(ADMIN_USERS_ERRORS)) {
      expect(errors[code]?.title, `${locale} ${code}`).toBeTruthy();
      expect(errors[code]?.detail, `${locale} ${code}`).toBeTruthy();
      if (locale !== 'en') expect(errors[code]?.detail).not.toBe((catalogs.en.errors as typeof errors)[code]?.detail);
    }
  });
});
