import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../platform/db/db.transaction.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, pause, type TestSocket } from '../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
let baseUrl: string;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
const sockets: TestSocket[] = [];

async function tab(user: TestUser): Promise<TestSocket> {
  const socket = await openSocket(baseUrl, user.token);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  t = await createTestApp();
  baseUrl = await listen(t.app);
  alice = await createUser(t.deps, { name: 'Alice' });
  bob = await createUser(t.deps, { name: 'Bob', locale: 'fr' });
  carol = await createUser(t.deps, { name: 'Carol' });
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await t?.close();
});

describe('a payment, live in two tabs', () => {
  it('reaches both tabs of the recipient, syncs the badge when one reads it, lands in activity, and nobody else sees it', async () => {
    const [tab1, tab2, carolTab] = [await tab(alice), await tab(alice), await tab(carol)];
    const transactionId = uuidv7();
    await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, {
        type: 'transfer.confirmed',
        actorId: bob.id,
        userIds: [bob.id, alice.id],
        context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
        data: {
          transactionId,
          hash: `0x${'cd'.repeat(32)}`,
          from: '0x1111111111111111111111111111111111111111',
          to: '0x2222222222222222222222222222222222222222',
          fromUserId: bob.id,
          toUserId: alice.id,
          amount: '25.00',
          token: 'USDC',
          type: 'transfer',
          status: 'confirmed',
          blockNumber: '42',
          gasUsed: '52000',
          gasFee: '0.000052',
        },
      }),
    );
    await t.deps.events.drain();

    const isPayment = (p: any) => p.data?.transactionId === transactionId;
    const [n1, n2] = await Promise.all([nextEvent(tab1, 'notification', isPayment), nextEvent(tab2, 'notification', isPayment)]);
    expect(n1).toEqual(n2);
    expect(n1).toMatchObject({
      type: 'payment_received',
      priority: 'high',
      title: 'Payment received',
      body: 'You received 25.00 USDC from \u2068Bob\u2069.',
      unreadCount: 1,
      readAt: null,
    });
    expect(n1.at).toBe(n1.createdAt);

    const badge = await t.app.inject({ method: 'GET', url: '/api/v1/notifications/unread-count', headers: alice.auth });
    expect(badge.json()).toEqual({ unread: 1, unseen: 1 });

    const read = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${n1.id}/read`, headers: alice.auth });
    expect(read.statusCode).toBe(200);
    expect(read.json().readAt).not.toBeNull();
    await t.deps.events.drain();
    const [r1, r2] = await Promise.all([nextEvent(tab1, 'notification:read'), nextEvent(tab2, 'notification:read')]);
    expect(r1).toMatchObject({ notificationIds: [n1.id], unreadCount: 0 });
    expect(r2.unreadCount).toBe(0);

    const activity = await t.app.inject({ method: 'GET', url: '/api/v1/activity?category=wallet', headers: alice.auth });
    expect(activity.statusCode).toBe(200);
    const entry = activity.json().items.find((i: any) => i.action === 'transfer.confirmed');
    expect(entry).toMatchObject({
      category: 'wallet',
      userId: alice.id,
      // the payer's address is theirs: the payee's row does not show it
      ipAddress: null,
      details: { transactionId, amount: '25.00', toUserId: alice.id },
      metadata: { role: 'subject' },
    });

    await pause(100);
    expect(carolTab.received).toEqual([]);
    const carolInbox = await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: carol.auth });
    expect(carolInbox.json().items).toEqual([]);
    const carolActivity = await t.app.inject({ method: 'GET', url: '/api/v1/activity', headers: carol.auth });
    expect(carolActivity.json().items).toEqual([]);
  });

  it("renders the sender's copy in the sender's locale", async () => {
    const inbox = await t.app.inject({ method: 'GET', url: '/api/v1/notifications?type=payment_sent', headers: bob.auth });
    expect(inbox.json().items).toHaveLength(1);
    expect(inbox.json().items[0]).toMatchObject({ title: 'Paiement envoyé', body: 'Vous avez envoyé 25,00 USDC à \u2068Alice\u2069.', priority: 'normal' });
  });

  it('read-all zeroes the badge in every tab', async () => {
    const [tab1, tab2] = [await tab(alice), await tab(alice)];
    await withTransaction(t.deps.db, async (trx) => {
      await t.deps.events.record(trx, { type: 'pet.streak_at_risk', userIds: [alice.id], petId: uuidv7(), data: { streak: 12, hoursLeft: 3, name: 'Pip' } });
      await t.deps.events.record(trx, { type: 'pet.streak_lost', userIds: [alice.id], petId: uuidv7(), data: { streak: 4 } });
    });
    await t.deps.events.drain();
    const atRisk = await nextEvent(tab1, 'notification', (p) => p.type === 'streak_at_risk');
    expect(atRisk).toMatchObject({ title: 'Your streak with \u2068Pip\u2069 is at risk', body: 'Your 12-day streak with \u2068Pip\u2069 ends in 3 hours. Check in now to keep it!', priority: 'high' });
    await nextEvent(tab2, 'notification', (p) => p.type === 'streak_lost' && p.unreadCount === 2);

    const res = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: alice.auth });
    expect(res.json()).toEqual({ updated: 2, unreadCount: 0 });
    await t.deps.events.drain();
    expect(await nextEvent(tab2, 'notification:read', (p) => p.notificationIds === 'all')).toMatchObject({ unreadCount: 0 });
    expect(await nextEvent(tab1, 'notification:read', (p) => p.notificationIds === 'all')).toMatchObject({ unreadCount: 0 });
  });

  it('pushes once and stores once when a later subscriber failed and the event was re-dispatched', async () => {
    let failures = 1;
    t.deps.events.subscribe({
      name: 'flaky-after-notifications',
      types: ['pet.evolved'],
      handle: async () => {
        if (failures-- > 0) throw new Error('downstream subscriber down');
      },
    });
    const socket = await tab(alice);
    const petId = uuidv7();
    await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type: 'pet.evolved', userIds: [alice.id], petId, data: { from: 'teen', to: 'adult', level: 20 } }));
    await t.deps.events.drain();
    await t.deps.events.drain();
    const first = await nextEvent(socket, 'notification', (p) => p.data?.petId === petId);
    await pause(150);
    const pushes = socket.received.filter((r) => r.event === 'notification' && r.payload.data?.petId === petId);
    expect(pushes.length).toBe(1);
    expect(pushes[0].payload.id).toBe(first.id);
    const stored = await t.deps.db.selectFrom('notifications').select('id').where('user_id', '=', alice.id).where('type', '=', 'pet_evolved').execute();
    expect(stored).toEqual([{ id: first.id }]);
  });
});

describe('the order of a list', () => {
  it('follows when the events happened, also for notifications one dispatch stored together (same created_at)', async () => {
    const dave = await createUser(t.deps, { name: 'Dave' });
    const petIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const petId = uuidv7();
      petIds.push(petId);
      await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type: 'pet.streak_at_risk', userIds: [dave.id], petId, data: { streak: i + 2, hoursLeft: 3 } }));
      await new Promise((r) => setTimeout(r, 2));
      await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type: 'pet.streak_lost', userIds: [dave.id], petId, data: { streak: i + 2 } }));
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.deps.events.drain();
    const items = (await t.app.inject({ method: 'GET', url: '/api/v1/notifications?limit=50', headers: dave.auth })).json().items as Array<{ type: string; data: { petId?: string }; createdAt: string }>;
    expect(items).toHaveLength(16);
    // one dispatch stored them: the tie is real, and only the ids order it
    expect(new Set(items.map((n) => n.createdAt)).size).toBeLessThan(16);
    const expected = petIds.reverse().flatMap((petId) => [`streak_lost ${petId}`, `streak_at_risk ${petId}`]);
    expect(items.map((n) => `${n.type} ${n.data.petId}`)).toEqual(expected);
  });
});
