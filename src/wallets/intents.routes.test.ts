import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { expireIntents } from './intents.service.js';
import { waitFinal, waitUntil } from './wallets.testing.js';

let t: TestApp;
let requester: TestUser;
let payer: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000' } });
  requester = await createUser(t.deps, { name: 'Rita Requester' });
  payer = await createUser(t.deps, { name: 'Paul Payer' });
  const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: payer.auth, payload: { amount: '20' } });
  await waitFinal(t.deps, [f.json().id]);
});
afterAll(async () => t?.close());

const post = (url: string, user: TestUser, payload?: object, key?: string) =>
  t.app.inject({ method: 'POST', url, headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload });

describe('payment requests', () => {
  it('refuses a memo with a direction override or a control character, and creates nothing', async () => {
    const count = async () => (await t.deps.db.selectFrom('payment_intents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;
    const before = await count();
    for (const memo of ['pay \u202Eevil', 'line\rbreak']) {
      const res = await post('/api/v1/intents', requester, { payer: payer.email, amount: '1', memo });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([{ field: 'body.memo', code: 'custom', message: 'must be printable text on one line' }]);
    }
    expect(await count()).toBe(before);
  });

  it('created → funded → executed; the payer sees it and funding is idempotent', async () => {
    const created = await post('/api/v1/intents', requester, { payer: payer.email, amount: '4.5', memo: 'tickets' });
    expect(created.statusCode).toBe(201);
    const intent = created.json();
    expect(intent).toMatchObject({ status: 'created', amount: '4.5', payerId: payer.id, requesterId: requester.id, memo: 'tickets' });
    const owed = (await t.app.inject({ method: 'GET', url: '/api/v1/intents?role=payer', headers: payer.auth })).json().intents;
    expect(owed.map((i: { id: string }) => i.id)).toEqual([intent.id]);
    expect(owed[0]).toMatchObject({ requesterName: 'Rita Requester', token: 'USDC' });
    const requesterAddress = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: requester.auth })).json().wallets[0].address;
    expect(owed[0].to).toBe(requesterAddress);
    expect(intent).toMatchObject({ to: requesterAddress, requesterName: 'Rita Requester', payerName: 'Paul Payer' });
    const stranger = await createUser(t.deps);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/intents/${intent.id}`, headers: stranger.auth })).statusCode).toBe(404);
    // the requester sees the request, so is told it is theirs rather than that it does not exist
    const own = await post(`/api/v1/intents/${intent.id}/fund`, requester);
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ code: 'intent_own_request', title: 'Your own request', detail: `This payment request is yours: only the payer, ${payer.email}, can pay it.` });
    expect((await post(`/api/v1/intents/${intent.id}/fund`, stranger)).json().code).toBe('intent_not_found');

    const [a, b] = await Promise.all([post(`/api/v1/intents/${intent.id}/fund`, payer, undefined, 'fund-1'), post(`/api/v1/intents/${intent.id}/fund`, payer, undefined, 'fund-1')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual(a.statusCode === b.statusCode ? [202, 202] : [202, 409]);
    const again = await post(`/api/v1/intents/${intent.id}/fund`, payer, undefined, 'fund-2');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'intent_not_open', detail: 'This payment request can no longer be changed: it is paid, confirming.' });
    // the state is named in the reader's language, not as the API's status code
    const german = await t.app.inject({ method: 'POST', url: `/api/v1/intents/${intent.id}/fund?lang=de`, headers: { ...payer.auth, 'idempotency-key': 'fund-3' } });
    expect(german.json().detail).toBe('Diese Zahlungsanforderung ist im Status „bezahlt, wird bestätigt“ und kann nicht mehr geändert werden.');
    const funded = (a.statusCode === 202 ? a : b).json();
    expect(funded).toMatchObject({ status: 'funded', to: requesterAddress, requesterName: 'Rita Requester' });
    await waitFinal(t.deps, [funded.transactionId]);
    const done = await waitUntil(async () => {
      const i = (await t.app.inject({ method: 'GET', url: `/api/v1/intents/${intent.id}`, headers: requester.auth })).json();
      return i.status === 'executed' ? i : null;
    });
    expect(done.transactionId).toBe(funded.transactionId);
    const payments = await t.deps.db.selectFrom('transactions').select('id').where(sql<boolean>`metadata->>'intentId' = ${intent.id}`).execute();
    expect(payments).toHaveLength(1);
  });

  it('a disabled requester is paid by no one: their request and their basename are refused, and nothing is queued', async () => {
    const rita = await createUser(t.deps, { name: 'Rita Gone' });
    const open = (await post('/api/v1/intents', rita, { payer: payer.email, amount: '1' })).json();
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', rita.id).execute();
    const rows = async () => (await t.deps.db.selectFrom('transactions').select('id').where('user_id', '=', payer.id).execute()).length;
    const before = await rows();
    const refused = await post(`/api/v1/intents/${open.id}/fund`, payer, undefined, `fund-${open.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('intent_requester_inactive');
    expect(await rows()).toBe(before);
  });

  it('can be cancelled while open, and expires', async () => {
    const one = (await post('/api/v1/intents', requester, { payer: payer.email, amount: '1' })).json();
    const cancelled = await post(`/api/v1/intents/${one.id}/cancel`, payer);
    expect(cancelled.json().status).toBe('cancelled');
    expect((await post(`/api/v1/intents/${one.id}/fund`, payer)).json().code).toBe('intent_not_open');
    const two = (await post('/api/v1/intents', requester, { payer: payer.email, amount: '1' })).json();
    await t.deps.db.updateTable('payment_intents').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', two.id).execute();
    expect(await expireIntents(t.deps.services.wallets.core)).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/intents/${two.id}`, headers: requester.auth })).json().status).toBe('expired');
  });

  it('reads, lists, refuses to fund or cancel a request past its expiry as expired, before the job runs', async () => {
    const due = async () => {
      const { id } = (await post('/api/v1/intents', requester, { payer: payer.email, amount: '1' })).json();
      await t.deps.db.updateTable('payment_intents').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
      return id as string;
    };
    const expiredEvents = (id: string) =>
      t.deps.db.selectFrom('domain_events').select('actor_id').where('type', '=', 'intent.updated')
        .where(sql<boolean>`data->>'intentId' = ${id}`).where(sql<boolean>`data->>'status' = 'expired'`).execute();

    const one = await due();
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/intents/${one}`, headers: requester.auth });
    expect(read.json()).toMatchObject({ id: one, status: 'expired' });
    const cancel = await post(`/api/v1/intents/${one}/cancel`, payer);
    expect(cancel.statusCode).toBe(409);
    expect(cancel.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(cancel.json()).toMatchObject({ code: 'intent_not_open', detail: 'This payment request can no longer be changed: it is expired.' });
    const fund = await post(`/api/v1/intents/${one}/fund`, payer);
    expect(fund.statusCode).toBe(409);
    expect(fund.json()).toMatchObject({ code: 'intent_not_open', detail: 'This payment request can no longer be changed: it is expired.' });
    const row = await t.deps.db.selectFrom('payment_intents').select(['status', 'transaction_id']).where('id', '=', one).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'expired', transaction_id: null });
    expect(await expiredEvents(one)).toEqual([{ actor_id: null }]);

    // cancelling or paying first sees it expired too, and records it
    const two = await due();
    expect((await post(`/api/v1/intents/${two}/cancel`, requester)).json()).toMatchObject({ status: 409, code: 'intent_not_open' });
    const three = await due();
    expect((await post(`/api/v1/intents/${three}/fund`, payer)).json()).toMatchObject({ status: 409, code: 'intent_not_open' });
    for (const id of [two, three]) {
      expect((await t.deps.db.selectFrom('payment_intents').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('expired');
      expect(await expiredEvents(id)).toHaveLength(1);
    }
    const payments = await t.deps.db.selectFrom('transactions').select('id').where(sql<boolean>`metadata->>'intentId' in (${one}, ${three})`).execute();
    expect(payments).toEqual([]);

    // a list filtered by status sees it as expired
    const four = await due();
    const list = async (status: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/intents?role=payer&status=${status}`, headers: payer.auth })).json().intents.map((i: { id: string }) => i.id);
    expect(await list('created')).not.toContain(four);
    expect(await list('expired')).toEqual(expect.arrayContaining([one, two, three, four]));
    expect(await expiredEvents(four)).toHaveLength(1);

    expect(await expireIntents(t.deps.services.wallets.core)).toBe(0);
    for (const id of [one, two, three, four]) expect(await expiredEvents(id)).toHaveLength(1);
  });

  it('lists a page at a time, newest first, with a cursor to the older ones', async () => {
    const asker = await createUser(t.deps);
    const ids: string[] = [];
    for (const amount of ['1', '2', '3']) ids.push((await post('/api/v1/intents', asker, { payer: payer.email, amount })).json().id);
    const list = (query: string) => t.app.inject({ method: 'GET', url: `/api/v1/intents?role=requester&${query}`, headers: asker.auth });
    const first = (await list('limit=2')).json();
    expect(first.intents.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[1]]);
    expect(first.hasMore).toBe(true);
    const second = (await list(`limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ hasMore: false, nextCursor: null });
    expect(second.intents.map((i: { id: string }) => i.id)).toEqual([ids[0]]);
    const tampered = await list('cursor=not-a-cursor');
    expect(tampered.statusCode).toBe(422);
    const huge = await list('limit=100000000000000000000');
    expect(huge.json().errors).toEqual([expect.objectContaining({ field: 'querystring.limit', message: expect.stringContaining('100') })]);
    expect(tampered.json().errors[0].field).toBe('querystring.cursor');
  });

  it('rejects bad requests with 422', async () => {
    expect((await post('/api/v1/intents', requester, { payer: requester.email, amount: '1' })).json()).toMatchObject({
      status: 422, code: 'self_request', detail: 'You cannot ask yourself for money: name someone else as the payer.',
    });
    expect((await post('/api/v1/intents', requester, { payer: 'ghost@example.test', amount: '1' })).json().code).toBe('recipient_not_found');
    expect((await post('/api/v1/intents', requester, { payer: payer.email, amount: '-3' })).statusCode).toBe(422);
    expect((await post('/api/v1/intents', requester, { payer: payer.email, amount: '1', expiresAt: '2020-01-01T00:00:00Z' })).statusCode).toBe(422);
  });
});
