import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { ActorContext } from '../platform/http/http.context.js';
import { waitFor } from '../platform/embedded/embedded.ports.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, type TestSocket } from '../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

async function record(type: string, userIds: string[], data: Record<string, unknown>, context?: ActorContext, actorId?: string) {
  await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type, userIds, data, context, actorId: actorId ?? null }));
  await t.deps.events.drain();
}

const evolve = (user: TestUser, level: number) => record('pet.evolved', [user.id], { from: 'egg', to: 'baby', level });

async function inbox(user: TestUser, query = '') {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/notifications${query}`, headers: user.auth });
  expect(res.statusCode).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await createTestApp();
  alice = await createUser(t.deps, { locale: 'ja' });
  bob = await createUser(t.deps);
});
afterAll(async () => t?.close());

describe('inbox', () => {
  it('pages newest first with a cursor, filters by type, unread and since', async () => {
    const before = new Date().toISOString();
    for (let level = 1; level <= 3; level++) await evolve(bob, level);
    await record('pet.streak_lost', [bob.id], { streak: 9 });
    const first = await inbox(bob, '?limit=2');
    expect(first.items.map((n: any) => n.type)).toEqual(['streak_lost', 'pet_evolved']);
    expect(first.hasMore).toBe(true);
    const second = await inbox(bob, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((n: any) => n.data.level)).toEqual([2, 1]);
    expect(second.hasMore).toBe(false);
    expect((await inbox(bob, '?type=pet_evolved')).items).toHaveLength(3);
    expect((await inbox(bob, `?since=${encodeURIComponent(first.items[1].createdAt)}`)).items.map((n: any) => n.type)).toEqual(['streak_lost']);
    expect((await inbox(bob, `?since=${encodeURIComponent(before)}`)).items).toHaveLength(4);

    await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${first.items[0].id}/read`, headers: bob.auth });
    expect((await inbox(bob, '?unreadOnly=true')).items).toHaveLength(3);
  });

  it("renders in the user's locale", async () => {
    await evolve(alice, 7);
    const [n] = (await inbox(alice)).items;
    expect(n.title).toBe('ペットが進化しました！');
    const stage = (name: string) => translate('ja', `pets.stages.${name}`, { defaultValue: name });
    expect(n.body).toBe(`ペットが ${stage('egg')} から ${stage('baby')} に成長し、レベル 7 になりました。`);
  });

  it('tells stored notifications in the language the user switched to since', async () => {
    const user = await createUser(t.deps, { locale: 'en' });
    await evolve(user, 3);
    // an event without the pet's name (recorded before events carried it) says "your pet"
    expect((await inbox(user)).items[0].title).toBe('Your pet evolved!');
    const switched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: user.auth, payload: { locale: 'de' } });
    expect(switched.statusCode).toBe(200);
    const [n] = (await inbox(user)).items;
    expect(n.title).toBe('Dein Haustier hat sich entwickelt!');
    const read = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${n.id}/read`, headers: user.auth });
    expect(read.json().title).toBe(n.title);
  });

  it('writes streak days and hours in the singular or plural the reader\'s language needs', async () => {
    const bodies = async (locale: string) => {
      const user = await createUser(t.deps, { locale });
      await record('pet.streak_lost', [user.id], { streak: 1, name: 'Pip' });
      await record('pet.streak_at_risk', [user.id], { streak: 1, hoursLeft: 1, name: 'Pip' });
      await record('pet.streak_at_risk', [user.id], { streak: 12, hoursLeft: 3, name: 'Pip' });
      return (await inbox(user)).items.map((n: { body: string }) => n.body);
    };
    expect(await bodies('fr')).toEqual([
      'Votre série de 12 jours avec \u2068Pip\u2069 se termine dans 3 heures. Revenez maintenant pour la garder !',
      'Votre série de 1 jour avec \u2068Pip\u2069 se termine dans 1 heure. Revenez maintenant pour la garder !',
      'Votre série de 1 jour avec \u2068Pip\u2069 est terminée. Commencez-en une nouvelle aujourd’hui.',
    ]);
    expect(await bodies('de')).toEqual([
      'Deine Serie von 12 Tagen mit \u2068Pip\u2069 endet in 3 Stunden. Schau jetzt vorbei, um sie zu halten!',
      'Deine Serie von 1 Tag mit \u2068Pip\u2069 endet in 1 Stunde. Schau jetzt vorbei, um sie zu halten!',
      'Deine Serie von 1 Tag mit \u2068Pip\u2069 ist beendet. Starte heute eine neue.',
    ]);
    expect((await bodies('en'))[1]).toBe('Your 1-day streak with \u2068Pip\u2069 ends in 1 hour. Check in now to keep it!');
  });

  it('writes the hours left with the reader\'s decimal separator, the plural chosen from the number', async () => {
    const body = async (locale: string) => {
      const user = await createUser(t.deps, { locale });
      await record('pet.streak_at_risk', [user.id], { streak: 1200, hoursLeft: 1.9, name: 'Pip' });
      return (await inbox(user)).items[0].body;
    };
    expect(await body('de')).toBe('Deine Serie von 1.200 Tagen mit \u2068Pip\u2069 endet in 1,9 Stunden. Schau jetzt vorbei, um sie zu halten!');
    // French and Portuguese (CLDR) keep the singular below 2
    expect(await body('fr')).toBe('Votre série de 1\u202f200 jours avec \u2068Pip\u2069 se termine dans 1,9 heure. Revenez maintenant pour la garder !');
    expect(await body('es')).toBe('Tu racha de 1200 días con \u2068Pip\u2069 termina en 1,9 horas. ¡Entra ahora para mantenerla!');
    expect(await body('en')).toBe('Your 1200-day streak with \u2068Pip\u2069 ends in 1.9 hours. Check in now to keep it!');
    expect(await body('ja')).toBe('\u2068Pip\u2069との1,200 日の連続記録はあと 1.9 時間で終わります。今すぐチェックインしましょう！');
  });

  it('writes the French evolution without a "de" before a vowel', async () => {
    const user = await createUser(t.deps, { locale: 'fr' });
    await record('pet.evolved', [user.id], { from: 'egg', to: 'baby', level: 2, name: 'Pip' });
    await record('pet.evolved', [user.id], { from: 'teen', to: 'adult', level: 9, name: 'Pip' });
    expect((await inbox(user)).items.map((n: { body: string }) => n.body)).toEqual([
      '\u2068Pip\u2069 a évolué du stade ado au stade adulte et a atteint le niveau 9.',
      '\u2068Pip\u2069 a évolué du stade œuf au stade bébé et a atteint le niveau 2.',
    ]);
  });

  it('delivers the events of one dispatch batch together: each to its user, in their locale, with unread counts', async () => {
    const ja = await createUser(t.deps, { locale: 'ja' });
    const en = await createUser(t.deps);
    await withTransaction(t.deps.db, async (trx) => {
      for (const [user, level] of [[ja, 2], [en, 3], [ja, 4]] as const) {
        await t.deps.events.record(trx, { type: 'pet.evolved', userIds: [user.id], data: { from: 'egg', to: 'baby', level }, actorId: null });
      }
    });
    await t.deps.events.drain();
    const jaInbox = await inbox(ja, '?type=pet_evolved');
    // one batch shares its transaction's timestamp, so only the set is asserted, not the order
    expect(jaInbox.items.map((n: any) => [n.title, n.data.level]).sort((a: any, b: any) => a[1] - b[1])).toEqual([
      ['ペットが進化しました！', 2],
      ['ペットが進化しました！', 4],
    ]);
    const enInbox = await inbox(en, '?type=pet_evolved');
    expect(enInbox.items.map((n: any) => n.data.level)).toEqual([3]);
    expect(enInbox.items[0].title).not.toBe(jaInbox.items[0].title);
    expect((await inbox(ja, '?type=pet_evolved&unreadOnly=true')).items).toHaveLength(2);
  });

  it('lists the notifications one dispatch stored together in the order of their events, and keeps their ids on a second dispatch', async () => {
    const user = await createUser(t.deps);
    const stages = ['egg', 'baby', 'child', 'teen', 'adult', 'unicorn'];
    const recorded: string[] = [];
    // eight events in one millisecond and one transaction, as when a pet catches up several stages
    await withTransaction(t.deps.db, async (trx) => {
      for (let i = 0; i < 8; i++) {
        const e = await t.deps.events.record(trx, { type: 'pet.evolved', userIds: [user.id], data: { from: stages[i % 5], to: stages[(i % 5) + 1], level: i + 1 }, actorId: null });
        recorded.push(e.id);
      }
    });
    await t.deps.events.drain();
    const items = (await inbox(user, '?type=pet_evolved')).items;
    expect(new Set(items.map((n: any) => n.createdAt)).size).toBe(1);
    expect(items.map((n: any) => n.data.level)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    // paging through them with a cursor keeps that order
    const first = (await inbox(user, '?type=pet_evolved&limit=3')).items.map((n: any) => n.data.level);
    expect(first).toEqual([8, 7, 6]);

    // a second dispatch of the same events stores nothing new: the ids are the same
    await t.deps.db.updateTable('domain_events').set({ dispatched_at: null }).where('id', 'in', recorded).execute();
    await t.deps.events.drain();
    const again = (await inbox(user, '?type=pet_evolved')).items;
    expect(again.map((n: any) => n.id)).toEqual(items.map((n: any) => n.id));
  });

  it("never shows or changes another user's notification", async () => {
    const [mine] = (await inbox(alice)).items;
    for (const [method, url] of [
      ['POST', `/api/v1/notifications/${mine.id}/read`],
      ['POST', `/api/v1/notifications/${mine.id}/archive`],
      ['DELETE', `/api/v1/notifications/${mine.id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: bob.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'notification_not_found', title: 'Notification not found', detail: `There is no notification ${mine.id} in your inbox.` });
    }
    expect((await inbox(alice)).items[0]).toMatchObject({ id: mine.id, readAt: null, archivedAt: null });
  });

  it('rejects a malformed id and cursor with 422', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/not-a-uuid/read', headers: bob.auth });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('validation_failed');
    const cursor = await t.app.inject({ method: 'GET', url: '/api/v1/notifications?cursor=garbage', headers: bob.auth });
    expect(cursor.statusCode).toBe(422);
    // well-formed JSON whose time or id is not one: a 422 naming the cursor, not a 500 from the database
    const forged = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
    for (const position of [{ k: 'not-a-date', id: crypto.randomUUID() }, { k: new Date().toISOString(), id: 'not-a-uuid' }]) {
      for (const url of ['/api/v1/notifications', '/api/v1/activity', '/api/v1/me/logins']) {
        const res = await t.app.inject({ method: 'GET', url: `${url}?cursor=${forged(position)}`, headers: bob.auth });
        expect(res.statusCode, `${url} ${JSON.stringify(position)}`).toBe(422);
        expect(res.json().errors[0]).toMatchObject({ field: 'querystring.cursor', code: 'invalid_cursor' });
      }
    }
  });

  it('marks the bell seen without reading, archives and deletes', async () => {
    const user = await createUser(t.deps);
    await evolve(user, 1);
    await evolve(user, 2);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/notifications/unread-count', headers: user.auth })).json()).toEqual({ unread: 2, unseen: 2 });
    const seen = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/seen', headers: user.auth });
    expect(seen.json()).toEqual({ updated: 2, unseenCount: 0 });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/notifications/unread-count', headers: user.auth })).json()).toEqual({ unread: 2, unseen: 0 });

    const [newest, oldest] = (await inbox(user)).items;
    const archived = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${newest.id}/archive`, headers: user.auth });
    expect(archived.json().archivedAt).not.toBeNull();
    expect((await inbox(user)).items.map((n: any) => n.id)).toEqual([oldest.id]);
    expect((await inbox(user, '?includeArchived=true')).items).toHaveLength(2);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/notifications/${oldest.id}`, headers: user.auth });
    expect(deleted.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/notifications/unread-count', headers: user.auth })).json()).toEqual({ unread: 0, unseen: 0 });
  });

  it('hides expired notifications and the purge job removes exactly those', async () => {
    const user = await createUser(t.deps);
    for (let level = 1; level <= 3; level++) await evolve(user, level);
    const items = (await inbox(user)).items;
    await t.deps.db.updateTable('notifications').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', items[0].id).execute();
    expect((await inbox(user)).items.map((n: any) => n.id)).toEqual([items[1].id, items[2].id]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/notifications/unread-count', headers: user.auth })).json().unread).toBe(2);
    const purged = await t.deps.services.notifications.purgeExpired();
    expect(purged).toBe(1);
    const left = await t.deps.db.selectFrom('notifications').select('id').where('user_id', '=', user.id).orderBy('id').execute();
    expect(left.map((r) => r.id).sort()).toEqual([items[1].id, items[2].id].sort());
  });
});

describe('produced from wallet events', () => {
  const tx = (fromUserId: string | null, toUserId: string | null, status: string, extra: Record<string, unknown> = {}) => ({
    transactionId: uuidv7(),
    hash: null,
    from: '0x1111111111111111111111111111111111111111',
    to: '0xAbCdEf0000000000000000000000000000001234',
    fromUserId,
    toUserId,
    amount: '7.25',
    token: 'USDC',
    type: 'transfer',
    status,
    ...extra,
  });

  it('tells the sender about pending, failed and external confirmed transfers', async () => {
    const sender = await createUser(t.deps);
    await record('transfer.pending', [sender.id], tx(sender.id, null, 'pending'));
    await record('transfer.failed', [sender.id], tx(sender.id, null, 'failed', { reason: 'insufficient gas' }));
    await record('transfer.confirmed', [sender.id], tx(sender.id, null, 'confirmed', { blockNumber: '9', gasUsed: '1', gasFee: '0' }));
    expect((await inbox(sender)).items.map((n: any) => [n.type, n.priority, n.body])).toEqual([
      ['transaction_confirmed', 'normal', 'Your transaction of 7.25 USDC is confirmed.'],
      ['transaction_failed', 'high', 'Your transaction of 7.25 USDC failed: insufficient gas.'],
      ['transaction_pending', 'low', 'Your transaction of 7.25 USDC was sent and is waiting for confirmation.'],
    ]);
  });

  it('tells why a transfer failed in the reader\'s words, not as the ledger\'s code', async () => {
    const sender = await createUser(t.deps, { locale: 'de' });
    await record('transfer.failed', [sender.id], tx(sender.id, null, 'failed', { reason: 'nonce_consumed' }));
    await record('transfer.failed', [sender.id], tx(sender.id, null, 'failed', { reason: 'reverted' }));
    expect((await inbox(sender)).items.map((n: any) => n.body)).toEqual([
      'Deine Transaktion über 7,25 USDC ist fehlgeschlagen: die Chain hat sie abgelehnt, es wurde nichts gesendet.',
      'Deine Transaktion über 7,25 USDC ist fehlgeschlagen: eine andere Transaktion dieser Wallet hat ihren Platz eingenommen, es wurde nichts gesendet.',
    ]);
  });

  it('names an outside sender by its shortened address', async () => {
    const receiver = await createUser(t.deps);
    await record('transfer.confirmed', [receiver.id], { ...tx(null, receiver.id, 'confirmed', { blockNumber: '9', gasUsed: '1', gasFee: '0' }), from: '0xAbCdEf0000000000000000000000000000001234' });
    expect((await inbox(receiver)).items[0].body).toBe('You received 7.25 USDC from \u20680xAbCd…1234\u2069.');
  });

  it('names the app as the sender of test funds from the faucet, in the user\'s language', async () => {
    const receiver = await createUser(t.deps, { locale: 'fr' });
    await record('transfer.confirmed', [receiver.id], tx(null, receiver.id, 'confirmed', { type: 'faucet', blockNumber: '9', gasUsed: '1', gasFee: '0' }));
    expect((await inbox(receiver)).items[0]).toMatchObject({ type: 'payment_received', body: expect.stringMatching(/^Vous avez reçu 7,25 USDC de StreakPets\.$/) });
  });

  it('asks the payer when an intent is created, tells the requester when it is funded, and both sides when it is executed', async () => {
    const requester = await createUser(t.deps, { name: 'Requester' });
    const payer = await createUser(t.deps);
    const intent = (status: string) => ({ intentId: uuidv7(), status, requesterId: requester.id, payerId: payer.id, amount: '3.00', token: 'USDC', memo: null });
    await record('intent.created', [requester.id, payer.id], intent('created'));
    await record('intent.updated', [requester.id, payer.id], intent('funded'));
    await record('intent.updated', [requester.id, payer.id], intent('executed'));
    await record('intent.updated', [requester.id, payer.id], intent('cancelled'));
    const requesterInbox = (await inbox(requester)).items;
    expect(requesterInbox.map((n: any) => n.type)).toEqual(['intent_executed', 'intent_funded']);
    expect(requesterInbox[1].body).toBe('Your payment request for 3.00 USDC was funded.');
    const payerInbox = (await inbox(payer)).items;
    expect(payerInbox.map((n: any) => n.type)).toEqual(['intent_executed', 'payment_request']);
    expect(payerInbox[1]).toMatchObject({ priority: 'high', title: 'Payment request', body: '\u2068Requester\u2069 asks you to pay 3.00 USDC.' });
    expect(payerInbox[0].body).toBe('The payment request for 3.00 USDC was completed.');
  });

  it('tells the requester when the payment of a funded request failed and the request is open again', async () => {
    const requester = await createUser(t.deps);
    const payer = await createUser(t.deps);
    const intent = (status: string) => ({ intentId: uuidv7(), status, requesterId: requester.id, payerId: payer.id, amount: '3.00', token: 'USDC', memo: null });
    await record('intent.updated', [requester.id, payer.id], intent('funded'));
    await record('intent.updated', [requester.id, payer.id], intent('created'));
    const requesterInbox = (await inbox(requester)).items;
    expect(requesterInbox.map((n: any) => [n.type, n.body])).toEqual([
      ['transaction_failed', 'The payment of 3.00 USDC for your request did not go through; the request is open again.'],
      ['intent_funded', 'Your payment request for 3.00 USDC was funded.'],
    ]);
    expect((await inbox(payer)).items).toEqual([]);
  });
});

describe('preferences', () => {
  it('mutes a type so no notification of it is created, and unmutes it', async () => {
    const user = await createUser(t.deps);
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/notifications/preferences', headers: user.auth, payload: { muted: { pet_evolved: true } } });
    expect(put.statusCode).toBe(200);
    expect(put.json().types.find((p: any) => p.type === 'pet_evolved')).toEqual({ type: 'pet_evolved', muted: true, mutable: true });
    await evolve(user, 1);
    expect((await inbox(user)).items).toEqual([]);
    await t.app.inject({ method: 'PUT', url: '/api/v1/notifications/preferences', headers: user.auth, payload: { muted: { pet_evolved: false } } });
    await evolve(user, 2);
    expect((await inbox(user)).items).toHaveLength(1);
  });

  it('refuses to mute security alerts and writes nothing', async () => {
    const user = await createUser(t.deps);
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers: { ...user.auth, 'accept-language': 'de' },
      payload: { muted: { streak_lost: true, security_alert: true } },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'notification_type_not_mutable', title: 'Dieser Typ kann nicht stummgeschaltet werden' });
    const prefs = await t.app.inject({ method: 'GET', url: '/api/v1/notifications/preferences', headers: user.auth });
    expect(prefs.json().types.filter((p: any) => p.muted)).toEqual([]);
    expect(prefs.json().types.find((p: any) => p.type === 'security_alert')).toEqual({ type: 'security_alert', muted: false, mutable: false });
    const unknown = await t.app.inject({ method: 'PUT', url: '/api/v1/notifications/preferences', headers: user.auth, payload: { muted: { nope: true } } });
    expect(unknown.statusCode).toBe(422);
  });
});

describe('security alerts', () => {
  const laptop = { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15' };
  const phone = { ip: '192.0.2.44', userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile' };

  it('warns about a sign-in from a new device only, and about 2FA and password changes', async () => {
    const user = await createUser(t.deps);
    const login = (ctx: ActorContext) => record('auth.login_succeeded', [user.id], { method: 'password' }, ctx, user.id);
    await login(laptop);
    await login(laptop);
    expect((await inbox(user)).items).toEqual([]);
    await login(phone);
    const [alert] = (await inbox(user)).items;
    expect(alert).toMatchObject({
      type: 'security_alert',
      priority: 'high',
      title: 'New sign-in to your account',
      body: 'Someone signed in from \u2068Chrome on Android\u2069 (192.0.2.44). If this wasn’t you, change your password now.',
      data: { reason: 'new_login', ip: '192.0.2.44' },
    });
    await record('auth.2fa_enabled', [user.id], {}, phone, user.id);
    await record('auth.2fa_disabled', [user.id], {}, phone, user.id);
    await record('auth.password_changed', [user.id], {}, phone, user.id);
    expect((await inbox(user)).items.map((n: any) => [n.data.reason, n.priority])).toEqual([
      ['password_changed', 'high'],
      ['2fa_disabled', 'urgent'],
      ['2fa_enabled', 'high'],
      ['new_login', 'high'],
    ]);
  });
});

describe('announcements', () => {
  let sockets: TestSocket[] = [];
  afterAll(() => sockets.forEach((s) => s.disconnect()));

  it('is for admins only and validates its body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/admin/announcements', headers: bob.auth, payload: { title: 'x', body: 'y' } });
    expect(res.statusCode).toBe(403);
    const admin = await createUser(t.deps, { role: 'admin' });
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/admin/announcements', headers: admin.auth, payload: { title: '', body: 'y', priority: 'loud' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: any) => e.field).sort()).toEqual(['body.priority', 'body.title']);
    expect(await t.deps.db.selectFrom('announcements').select('id').execute()).toEqual([]);
  });

  it('stores one for every user who has not muted them and pushes it on the system room', async () => {
    const baseUrl = await listen(t.app);
    const admin = await createUser(t.deps, { role: 'admin' });
    const muter = await createUser(t.deps);
    await t.app.inject({ method: 'PUT', url: '/api/v1/notifications/preferences', headers: muter.auth, payload: { muted: { system_announcement: true } } });
    sockets = [await openSocket(baseUrl, alice.token), await openSocket(baseUrl, muter.token)];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/announcements',
      headers: admin.auth,
      payload: { title: 'Maintenance tonight', body: 'Payments pause 02:00–02:15 UTC.', priority: 'high', expiresInDays: 2 },
    });
    expect(res.statusCode).toBe(201);
    const announcement = res.json();
    await t.deps.events.drain();
    for (const s of sockets) {
      expect(await nextEvent(s, 'system:announcement')).toMatchObject({ announcementId: announcement.id, title: 'Maintenance tonight', priority: 'high' });
    }
    const users = await t.deps.db.selectFrom('users').select('id').execute();
    const expected = users.map((u) => u.id).filter((id) => id !== muter.id).sort();
    const storedRows = () => t.deps.db.selectFrom('notifications').select(['user_id', 'title', 'expires_at']).where('type', '=', 'system_announcement').execute();
    expect(await waitFor(async () => (await storedRows()).length === expected.length, 10_000)).toBe(true);
    const stored = await storedRows();
    expect(stored.map((s) => s.user_id).sort()).toEqual(expected);
    expect(stored[0].title).toBe('Maintenance tonight');
    expect(new Date(stored[0].expires_at as Date).getTime()).toBeCloseTo(new Date(announcement.expiresAt).getTime(), -3);
  });

  it('stores announcements a chunk of users at a time, each user exactly once, even when the job is retried', async () => {
    const job = { eventId: uuidv7(), announcementId: uuidv7(), title: 'Chunked', body: 'Hello', priority: 'low', expiresAt: null, createdAt: new Date().toISOString() };
    const active = await t.deps.db.selectFrom('users').select('id').where('disabled_at', 'is', null).execute();
    const muted = await t.deps.db.selectFrom('notification_preferences').select('user_id').where('type', '=', 'system_announcement').where('muted', '=', true).execute();
    const stored = await t.deps.services.notifications.fanOutAnnouncement(job, 2);
    expect(stored).toBe(active.length - muted.length);
    expect(await t.deps.services.notifications.fanOutAnnouncement(job, 3)).toBe(0);
    const rows = await t.deps.db.selectFrom('notifications').select('user_id').where('source_event_id', '=', job.eventId).execute();
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(rows.length);
    expect(rows).toHaveLength(stored);
  });
});
