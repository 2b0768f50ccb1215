import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../db/db.transaction.js';
import { AccessTokens } from '../http/http.auth.js';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, pause, refusal, type TestSocket } from '../../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';

let t: TestApp;
let baseUrl: string;
let alice: TestUser;
let bob: TestUser;
const sockets: TestSocket[] = [];

async function open(token: string): Promise<TestSocket> {
  const socket = await openSocket(baseUrl, token);
  sockets.push(socket);
  return socket;
}

function transfer(to: TestUser, from: TestUser, status: 'confirmed' | 'failed') {
  const transactionId = uuidv7();
  return {
    transactionId,
    hash: `0x${'ab'.repeat(32)}`,
    from: '0x1111111111111111111111111111111111111111',
    to: '0x2222222222222222222222222222222222222222',
    fromUserId: from.id,
    toUserId: to.id,
    amount: '12.50',
    token: 'USDC',
    type: 'transfer',
    status,
    blockNumber: '12',
    gasUsed: '21000',
    gasFee: '0.0001',
  };
}

beforeAll(async () => {
  t = await createTestApp();
  baseUrl = await listen(t.app);
  alice = await createUser(t.deps);
  bob = await createUser(t.deps);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await t?.close();
});

describe('socket handshake', () => {
  it('refuses a connection without a token', async () => {
    const err = await refusal(baseUrl, undefined);
    expect(err.message).toBe('unauthorized');
    expect(err.data).toEqual({ code: 'unauthorized', title: 'Sign-in required', detail: 'This action needs a valid access token.' });
  });

  it('refuses a forged token', async () => {
    const forged = await new AccessTokens('x'.repeat(40), 900).sign({ id: alice.id, role: 'user', sessionId: alice.sessionId });
    const err = await refusal(baseUrl, forged);
    expect(err.message).toBe('token_invalid');
    expect(err.data.code).toBe('token_invalid');
  });

  it('refuses an expired token with the reason', async () => {
    const key = new TextEncoder().encode(t.deps.infra.jwtSecret);
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await new SignJWT({ role: 'user', sid: alice.sessionId, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(alice.id)
      .setIssuer('streakpets')
      .setAudience('streakpets-api')
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(key);
    const err = await refusal(baseUrl, expired);
    expect(err.message).toBe('token_expired');
    expect(err.data.title).toBe('Session expired');
  });

  it("asks the accounts resolver (as for a signed-in route) and refuses a revoked session", async () => {
    const levels: unknown[] = [];
    const previous = t.deps.services.authResolver;
    t.deps.services.authResolver = async (claims, request) => {
      levels.push(request.routeOptions.config?.auth);
      const session = await t.deps.db.selectFrom('sessions').select('revoked_at').where('id', '=', claims.sessionId ?? '').executeTakeFirst();
      return session && !session.revoked_at ? claims : null;
    };
    try {
      const revoked = await createUser(t.deps);
      await t.deps.db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', revoked.sessionId).execute();
      expect((await refusal(baseUrl, revoked.token)).message).toBe('token_invalid');
      expect((await open(alice.token)).connected).toBe(true);
      expect(levels).toEqual(['user', 'user']);
    } finally {
      t.deps.services.authResolver = previous;
    }
  });

  it('refuses with "unavailable" and no internal detail when the session check itself fails', async () => {
    const previous = t.deps.services.authResolver;
    t.deps.services.authResolver = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
    };
    try {
      const err = await refusal(baseUrl, alice.token);
      expect(err.message).toBe('unavailable');
      expect(JSON.stringify(err.data)).not.toContain('ECONNREFUSED');
    } finally {
      t.deps.services.authResolver = previous;
    }
  });

  it('drops its sockets on shutdown as a lost connection, which clients retry, not as a server disconnect', async () => {
    const node = await createTestApp();
    try {
      const carol = await createUser(node.deps);
      const socket = await openSocket(await listen(node.app), carol.token);
      sockets.push(socket);
      const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      await node.app.close();
      expect(await reason).toBe('transport close');
    } finally {
      await node.close();
    }
  });

  it('disconnects a socket when its token expires, telling it why', async () => {
    const shortLived = await new AccessTokens(t.deps.infra.jwtSecret, 2).sign({ id: alice.id, role: 'user', sessionId: alice.sessionId });
    const socket = await open(shortLived);
    const socketId = socket.id;
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const expired = await nextEvent(socket, 'auth:expired', () => true, 4000);
    expect(expired.id).toBe(socketId);
    expect(await reason).toBe('io server disconnect');
  });

  it('keeps a socket whose token was refreshed in time', async () => {
    const shortLived = await new AccessTokens(t.deps.infra.jwtSecret, 2).sign({ id: alice.id, role: 'user', sessionId: alice.sessionId });
    const socket = await open(shortLived);
    const reply = await socket.emitWithAck('auth:refresh', { token: alice.token });
    expect(reply.ok).toBe(true);
    await pause(2100);
    expect(socket.connected).toBe(true);
    const refused = await socket.emitWithAck('auth:refresh', { token: bob.token });
    expect(refused).toMatchObject({ ok: false, code: 'forbidden' });
  });
});

describe('session revocation', () => {
  const post = async (url: string, payload: unknown, token?: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.statusCode === 204 ? {} : res.json();
  };
  const closedBy = (s: TestSocket) => new Promise<string>((resolve) => s.once('disconnect', resolve));

  it("disconnects every socket of a sign-in that ends (logout, revoked from another device), across refreshes, and keeps the user's other sign-ins", async () => {
    const email = `revoke-${uuidv7()}@example.test`;
    const password = 'correct horse battery staple';
    const laptop = await post('/auth/register', { email, password, name: 'Rev' });
    const phone = await post('/auth/login', { email, password });
    const tablet = await post('/auth/login', { email, password });
    const laptopTab1 = await open(laptop.accessToken);
    // a refresh rotates the session row; the tab opened after it belongs to the same sign-in
    const refreshed = await post('/auth/refresh', { refreshToken: laptop.refreshToken });
    const laptopTab2 = await open(refreshed.accessToken);
    const phoneSocket = await open(phone.accessToken);
    const tabletSocket = await open(tablet.accessToken);
    const laptopClosed = Promise.all([laptopTab1, laptopTab2].map(closedBy));
    await post('/auth/logout', {}, refreshed.accessToken);
    await t.deps.events.drain();
    expect(await nextEvent(laptopTab2, 'auth:revoked')).toMatchObject({ event: 'auth.logged_out' });
    expect(await laptopClosed).toEqual(['io server disconnect', 'io server disconnect']);
    await pause(100);
    expect(phoneSocket.connected).toBe(true);
    expect(tabletSocket.connected).toBe(true);

    const phoneClosed = closedBy(phoneSocket);
    const sessions = (await t.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: { authorization: `Bearer ${tablet.accessToken}` } })).json().items as Array<{ id: string; current: boolean }>;
    const others = sessions.filter((x) => !x.current);
    expect(others).toHaveLength(1);
    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${others[0]!.id}`, headers: { authorization: `Bearer ${tablet.accessToken}` } });
    expect(revoke.statusCode).toBe(204);
    await t.deps.events.drain();
    expect(await nextEvent(phoneSocket, 'auth:revoked')).toMatchObject({ event: 'auth.session_revoked', reason: 'user' });
    expect(await phoneClosed).toBe('io server disconnect');
    await pause(100);
    expect(tabletSocket.connected).toBe(true);
    expect(tabletSocket.received.filter((r) => r.event === 'auth:revoked')).toEqual([]);
  });
});

describe('accounts disabled or deleted', () => {
  const closedBy = (s: TestSocket) => new Promise<string>((resolve) => s.once('disconnect', resolve));

  it("disconnects every socket of a user who is disabled or deleted (told with auth:revoked), and keeps a user whose role changed", async () => {
    const disabled = await createUser(t.deps);
    const deleted = await createUser(t.deps);
    const promoted = await createUser(t.deps);
    const tabs = [await open(disabled.token), await open(disabled.token)];
    const deletedTab = await open(deleted.token);
    const promotedTab = await open(promoted.token);
    const bystander = await open(alice.token);
    const closed = Promise.all([...tabs, deletedTab].map(closedBy));
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', disabled.id).execute();
    await t.deps.db.updateTable('users').set({ role: 'admin' }).where('id', '=', promoted.id).execute();
    await t.deps.db.deleteFrom('users').where('id', '=', deleted.id).execute();
    expect(await nextEvent(tabs[0]!, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    expect(await nextEvent(deletedTab, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    expect(await closed).toEqual(['io server disconnect', 'io server disconnect', 'io server disconnect']);
    await pause(150);
    expect(promotedTab.connected).toBe(true);
    expect(bystander.connected).toBe(true);
    expect(bystander.received.filter((r) => r.event === 'auth:revoked')).toEqual([]);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: disabled.auth });
    expect(me.statusCode).toBe(401);
  });
  it('checks every socket again when the database listener comes back, since a notice sent while it was down is lost', async () => {
    const disabled = await createUser(t.deps);
    const tab = await open(disabled.token);
    const bystander = await open(alice.token);
    // disabled without the trigger's notice: what a node whose listener is down misses
    await withTransaction(t.deps.db, async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await trx.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', disabled.id).execute();
    });
    await pause(200);
    expect(tab.connected).toBe(true);
    const closed = closedBy(tab);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'streakpets-listen' and datname = current_database()`.execute(t.deps.db);
    expect(await nextEvent(tab, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    expect(await closed).toBe('io server disconnect');
    await pause(150);
    expect(bystander.connected).toBe(true);
  });
});

describe('rooms and after-commit emits', () => {
  it("pushes a payment to both of the recipient's tabs and the sender, never to anyone else", async () => {
    const tab1 = await open(alice.token);
    const tab2 = await open(alice.token);
    const sender = await open(bob.token);
    const carol = await createUser(t.deps);
    const stranger = await open(carol.token);
    const data = transfer(alice, bob, 'confirmed');
    const event = await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, { type: 'transfer.confirmed', actorId: bob.id, userIds: [bob.id, alice.id], data }),
    );
    await t.deps.events.drain();
    const match = (p: any) => p.transactionId === data.transactionId;
    const [a1, a2, b] = await Promise.all([
      nextEvent(tab1, 'tx:confirmed', match),
      nextEvent(tab2, 'tx:confirmed', match),
      nextEvent(sender, 'tx:confirmed', match),
    ]);
    expect(a1).toEqual(a2);
    expect(a1).toMatchObject({ id: event.id, at: event.createdAt.toISOString(), event: 'transfer.confirmed', type: 'transfer', amount: '12.50', toUserId: alice.id });
    expect(b.id).toBe(event.id);
    await pause(150);
    expect(stranger.received.filter((r) => r.event.startsWith('tx:'))).toEqual([]);
  });

  it('emits nothing for a rolled-back change', async () => {
    const tab = await open(alice.token);
    const data = transfer(alice, bob, 'failed');
    await expect(
      withTransaction(t.deps.db, async (trx) => {
        await t.deps.events.record(trx, { type: 'transfer.failed', userIds: [alice.id], data: { ...data, reason: 'reverted' } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await t.deps.events.drain();
    await pause(150);
    expect(tab.received.filter((r) => r.event === 'tx:failed')).toEqual([]);
  });

  it('maps pet and chat events to pet:updated and chat:message for the owner', async () => {
    const tab = await open(alice.token);
    const petId = uuidv7();
    await withTransaction(t.deps.db, async (trx) => {
      await t.deps.events.record(trx, { type: 'pet.evolved', actorId: alice.id, userIds: [alice.id], petId, data: { from: 'baby', to: 'teen', level: 10 } });
      await t.deps.events.record(trx, {
        type: 'chat.message_created',
        userIds: [alice.id],
        petId,
        data: { messageId: uuidv7(), sender: 'pet', content: 'Yay!', createdAt: new Date().toISOString() },
      });
    });
    await t.deps.events.drain();
    expect(await nextEvent(tab, 'pet:updated', (p) => p.petId === petId)).toMatchObject({ event: 'pet.evolved', to: 'teen' });
    expect(await nextEvent(tab, 'chat:message', (p) => p.petId === petId)).toMatchObject({ sender: 'pet', content: 'Yay!' });
  });

  it('lets only the owner join a batch room, and pushes progress there', async () => {
    const batchId = uuidv7();
    t.deps.services.realtime.setBatchAccess(async (userId, id) => userId === alice.id && id === batchId);
    const owner = await open(alice.token);
    const other = await open(bob.token);
    expect(await owner.emitWithAck('join', { room: `batch:${batchId}` })).toEqual({ ok: true, room: `batch:${batchId}` });
    expect(await other.emitWithAck('join', { room: `batch:${batchId}` })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await other.emitWithAck('join', { room: `user:${alice.id}` })).toMatchObject({ ok: false, code: 'room_invalid' });
    // rooms the server put a socket in are not the client's to leave; a request without payload is still answered
    expect(await owner.emitWithAck('leave', { room: 'system' })).toMatchObject({ ok: false, code: 'room_invalid' });
    expect(await owner.emitWithAck('join')).toMatchObject({ ok: false, code: 'room_invalid' });
    expect(await owner.emitWithAck('auth:refresh')).toMatchObject({ ok: false });
    await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, { type: 'batch.progress', actorId: alice.id, data: { batchId, processed: 5, total: 10, succeeded: 5, failed: 0 } }),
    );
    await t.deps.events.drain();
    expect(await nextEvent(owner, 'batch:progress')).toMatchObject({ batchId, processed: 5, total: 10 });
    await pause(150);
    expect(other.received.filter((r) => r.event === 'batch:progress')).toEqual([]);
  });
});
