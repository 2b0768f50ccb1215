import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { IDENTITY_CHANNEL } from './accounts.liveness.js';

/** Two nodes on one database, as a deployment behind a load balancer runs them. */
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' }, work: false, dispatch: false });
  b = await createTestApp({ databaseUrl: a.deps.infra.databaseUrl, env: { RATE_LIMIT_STRICT: '1000' }, work: false, dispatch: false });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

let n = 0;
async function signUp() {
  const res = await a.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `live${++n}-${Date.now()}@example.test`, password: 'correct horse battery staple', name: 'Ada' } });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  return { id: body.user.id as string, headers: { authorization: `Bearer ${body.accessToken}` }, sessionId: sessionOf(body.accessToken) };
}

function sessionOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid;
}

const me = (t: TestApp, headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers });
const cached = (t: TestApp, sessionId: string) => t.deps.services.accountsModule.liveSessions.get(sessionId);

/** The status /me answers on t once it settles (a notice from the other node takes a moment), within 3 s. */
async function settlesTo(t: TestApp, headers: Record<string, string>, status: number): Promise<number> {
  const deadline = Date.now() + 3000;
  let last = (await me(t, headers)).statusCode;
  while (last !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    last = (await me(t, headers)).statusCode;
  }
  return last;
}

describe('live sessions remembered between requests', () => {
  it('remembers a session seen live, and its own node forgets it at the COMMIT of a sign-out (the next request is 401)', async () => {
    const u = await signUp();
    expect((await me(a, u.headers)).statusCode).toBe(200);
    expect(cached(a, u.sessionId)).toMatchObject({ id: u.id, session_id: u.sessionId });
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: u.headers })).statusCode).toBe(204);
    expect(cached(a, u.sessionId)).toBeUndefined();
    expect((await me(a, u.headers)).statusCode).toBe(401);
  });

  it('another node forgets a session signed out elsewhere as soon as the database tells it', async () => {
    const u = await signUp();
    expect((await me(b, u.headers)).statusCode).toBe(200);
    expect(cached(b, u.sessionId)).toBeDefined();
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: u.headers })).statusCode).toBe(204);
    expect(await settlesTo(b, u.headers, 401)).toBe(401);
    expect(cached(b, u.sessionId)).toBeUndefined();
  });

  it('hears changes made outside the app (an operator’s SQL): a disabled user is signed out on every node', async () => {
    const u = await signUp();
    expect((await me(a, u.headers)).statusCode).toBe(200);
    expect((await me(b, u.headers)).statusCode).toBe(200);
    await sql`update users set disabled_at = now() where id = ${u.id}`.execute(a.deps.db);
    expect(await settlesTo(a, u.headers, 401)).toBe(401);
    expect(await settlesTo(b, u.headers, 401)).toBe(401);
  });

  it('does not remember an answer read while a notice arrived (it may predate the change)', async () => {
    const u = await signUp();
    const live = b.deps.services.accountsModule.liveSessions;
    const mark = live.mark();
    const identity = { id: u.id, role: 'user' as const, totp_enabled_at: null, session_id: u.sessionId, family_id: u.sessionId, expires_at: new Date(Date.now() + 60_000) };
    live.forget([`s:${crypto.randomUUID()}`]);
    live.remember(mark, identity);
    expect(live.get(u.sessionId)).toBeUndefined();
    live.remember(live.mark(), identity);
    expect(live.get(u.sessionId)).toEqual(identity);
    live.forget([`u:${u.id}`]);
    expect(live.get(u.sessionId)).toBeUndefined();
  });

  it('trusts nothing it read before its listening connection dropped: a revocation sent during the gap still counts', async () => {
    const u = await signUp();
    expect((await me(b, u.headers)).statusCode).toBe(200);
    const before = b.deps.notify.listeningEpoch(IDENTITY_CHANNEL);
    expect(before).not.toBeNull();
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'streakpets-listen' and datname = current_database()`.execute(a.deps.db);
    const deadline = Date.now() + 5000;
    while (b.deps.notify.listeningEpoch(IDENTITY_CHANNEL) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(b.deps.notify.listeningEpoch(IDENTITY_CHANNEL)).not.toBe(before);
    // revoked while b may not be listening: its notice can be lost, and b must not answer from memory
    await sql`update sessions set revoked_at = now() where id = ${u.sessionId}`.execute(a.deps.db);
    expect(cached(b, u.sessionId)).toBeUndefined();
    expect((await me(b, u.headers)).statusCode).toBe(401);
    // listening again, it remembers again
    while (b.deps.notify.listeningEpoch(IDENTITY_CHANNEL) === null && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 10));
    const v = await signUp();
    expect((await me(b, v.headers)).statusCode).toBe(200);
    expect(cached(b, v.sessionId)).toBeDefined();
  });

  it('forgets a user whose role or 2FA state changes, so admin rules are judged on the new row', async () => {
    const u = await signUp();
    expect((await me(b, u.headers)).statusCode).toBe(200);
    expect(cached(b, u.sessionId)).toMatchObject({ role: 'user' });
    await sql`update users set role = 'admin' where id = ${u.id}`.execute(a.deps.db);
    const deadline = Date.now() + 3000;
    while (cached(b, u.sessionId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(cached(b, u.sessionId)).toBeUndefined();
    const admin = await b.app.inject({ method: 'GET', url: '/api/v1/admin/kyc', headers: u.headers });
    expect(admin.json()).toMatchObject({ code: 'admin_2fa_required' });
  });
});
