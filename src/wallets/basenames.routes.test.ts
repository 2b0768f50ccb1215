import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { checkBasename } from './basenames.names.js';
import { waitFinal } from './wallets.testing.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let aliceWallet: { id: string; address: Address };
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' } });
  alice = await createUser(t.deps);
  bob = await createUser(t.deps);
  aliceWallet = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0];
  const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '10' } });
  expect(f.statusCode).toBe(202);
  await waitFinal(t.deps, [f.json().id]);
});
afterAll(async () => t?.close());

describe('basename rules', () => {
  it.each([
    ['Alice', 'alice'],
    ['  bob-42.base ', 'bob-42'],
    ['zoe.base.eth', 'zoe'],
  ])('normalizes %j to %j', (input, name) => expect(checkBasename(input)).toEqual({ ok: true, name }));
  it.each(['ab', 'a'.repeat(33), '-abc', 'abc-', 'a--b', 'a_b', 'émile', 'a b'])('rejects %j', (input) => {
    expect(checkBasename(input)).toMatchObject({ ok: false, reason: 'invalid' });
  });
  it('blocks reserved words', () => expect(checkBasename('Admin')).toEqual({ ok: false, name: 'admin', reason: 'reserved' }));
  it('blocks reserved words with digits or hyphens in them, as a part that speaks for the service, and the brand anywhere', () => {
    for (const name of ['admin1', 'tre-asury', 'a-d-m-i-n', 'streakpets-support', 'official-pay', 'pay-admin2', 'mystreakpets', 'base1']) {
      expect(checkBasename(name), name).toMatchObject({ ok: false, reason: 'reserved' });
    }
    for (const name of ['alice', 'badminton', 'supporters-club', 'alice-wallet', 'help-desk-fan', 'rootbeer', 'model-3']) {
      expect(checkBasename(name), name).toMatchObject({ ok: true });
    }
  });
});

describe('basenames API', () => {
  it("reaches no one once its owner's account is disabled, as their email does not", async () => {
    const carl = await createUser(t.deps);
    const wallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, carl.id);
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: carl.auth, payload: { amount: '2' } });
    await waitFinal(t.deps, [f.json().id]);
    const reg = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: carl.auth, payload: { name: 'carl-away', walletId: wallet.id } });
    expect(reg.statusCode).toBe(201);
    await waitFinal(t.deps, [reg.json().transaction.id]);
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', carl.id).execute();
    const pay = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: 'carl-away', amount: '1' } });
    expect(pay.statusCode).toBe(422);
    expect(pay.json().code).toBe('recipient_not_found');
  });

  it('checks, registers (fee paid through the pipeline), resolves in transfers and keeps history', async () => {
    const check = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames/check?name=Alice-Pays' })).json();
    expect(check).toEqual({ name: 'Alice-Pays', normalized: 'alice-pays', valid: true, available: true, reason: null, fee: '1', token: 'USDC' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: alice.auth, payload: { name: 'Alice-Pays', walletId: aliceWallet.id } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ action: 'registered', basename: { name: 'alice-pays', walletId: aliceWallet.id, address: aliceWallet.address } });
    expect(body.transaction).toMatchObject({ type: 'basename', amount: '1', status: 'queued', to: t.deps.services.wallets.chain!.treasury.address });
    // the fee's payee reads as the app, as the faucet's sender does, not as the treasury's address
    const fee = (await t.app.inject({ method: 'GET', url: `/api/v1/transactions/${body.transaction.id}`, headers: alice.auth })).json();
    expect(fee).toMatchObject({ type: 'basename', toName: 'StreakPets' });
    expect((await waitFinal(t.deps, [body.transaction.id]))[body.transaction.id]).toBe('confirmed');
    expect(await tokenBalance(t.deps.chain, t.deps.services.wallets.chain!.token.address, aliceWallet.address)).toBe(9_000_000n);

    const taken = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames/check?name=alice-pays' })).json();
    expect(taken).toMatchObject({ available: false, reason: 'taken' });
    const clash = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: bob.auth, payload: { name: 'alice-pays', walletId: (await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id)).id } });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'basename_taken', detail: '“alice-pays” is already registered.' });

    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: bob.auth, payload: { amount: '5' } });
    await waitFinal(t.deps, [f.json().id]);
    const pay = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: bob.auth, payload: { to: 'alice-pays.base', amount: '2' } });
    expect(pay.statusCode).toBe(202);
    expect(pay.json()).toMatchObject({ to: aliceWallet.address, toUserId: alice.id, metadata: { recipientVia: 'basename' } });
    await waitFinal(t.deps, [pay.json().id]);
    expect(await tokenBalance(t.deps.chain, t.deps.services.wallets.chain!.token.address, aliceWallet.address)).toBe(11_000_000n);

    const mine = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames', headers: alice.auth })).json();
    expect(mine.basenames.map((b: { name: string }) => b.name)).toEqual(['alice-pays']);
    expect(mine.history).toHaveLength(1);
    expect(mine.history[0]).toMatchObject({ name: 'alice-pays', action: 'registered', cost: '1', transactionStatus: 'confirmed' });
    expect(mine.history[0].transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('rejects invalid and reserved names with 422 and charges nothing', async () => {
    const invalid = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: alice.auth, payload: { name: 'a_b', walletId: aliceWallet.id } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().code).toBe('basename_invalid');
    const reserved = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: alice.auth, payload: { name: 'treasury', walletId: aliceWallet.id } });
    expect(reserved.json()).toMatchObject({ code: 'basename_reserved', detail: '“treasury” is reserved.' });
  });

  it('transfers a name to another user, recorded in both histories', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/basenames/alice-pays/transfer', headers: alice.auth, payload: { to: bob.email } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ action: 'transferred', basename: { name: 'alice-pays' } });
    const bobs = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames', headers: bob.auth })).json();
    expect(bobs.basenames.map((b: { name: string }) => b.name)).toEqual(['alice-pays']);
    expect(bobs.history.map((h: { action: string }) => h.action)).toEqual(['transferred']);
    const alices = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames', headers: alice.auth })).json();
    expect(alices.basenames).toEqual([]);
    expect(alices.history.map((h: { action: string }) => h.action)).toEqual(['transferred', 'registered']);
  });

  it('refuses to transfer a name the caller does not hold (404 basename_not_yours) or to its own holder (422 basename_already_yours), changing nothing', async () => {
    const transfer = (user: TestUser, name: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/basenames/${name}/transfer`, headers: user.auth, payload: { to: alice.email } });
    const owner = () => t.deps.db.selectFrom('basenames').select(['user_id', 'expires_at']).where('name', '=', 'alice-pays').executeTakeFirstOrThrow();
    const before = await owner();
    expect(before.user_id).toBe(bob.id);

    const given = await transfer(alice, 'alice-pays');
    expect(given.statusCode).toBe(404);
    expect(given.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(given.json()).toMatchObject({ code: 'basename_not_yours', detail: 'You hold no active basename “alice-pays”.' });
    const unknown = await transfer(alice, 'nobody-here');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'basename_not_yours', detail: 'You hold no active basename “nobody-here”.' });
    const invalid = await transfer(bob, 'a_b');
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().code).toBe('basename_invalid');

    // handing a name to its own holder is a name's refusal, not a payment's ("Same wallet")
    const bobWallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id);
    for (const to of [bob.email, bobWallet.address]) {
      const toSelf = await t.app.inject({ method: 'POST', url: '/api/v1/basenames/alice-pays/transfer', headers: bob.auth, payload: { to } });
      expect(toSelf.statusCode, to).toBe(422);
      expect(toSelf.json(), to).toMatchObject({
        code: 'basename_already_yours',
        title: 'Basename already yours',
        detail: 'You already hold “alice-pays”: a transfer gives a name to someone else. To point it at another of your wallets, register it for that wallet (free).',
      });
    }
    const german = await t.app.inject({ method: 'POST', url: '/api/v1/basenames/alice-pays/transfer?lang=de', headers: bob.auth, payload: { to: bob.email } });
    expect(german.json()).toMatchObject({ code: 'basename_already_yours', title: 'Basename gehört dir schon' });

    await t.deps.db.updateTable('basenames').set({ expires_at: new Date(Date.now() - 1000) }).where('name', '=', 'alice-pays').execute();
    const lapsed = await transfer(bob, 'alice-pays');
    expect(lapsed.statusCode).toBe(404);
    expect(lapsed.json().code).toBe('basename_not_yours');
    await t.deps.db.updateTable('basenames').set({ expires_at: before.expires_at }).where('name', '=', 'alice-pays').execute();

    expect((await owner()).user_id).toBe(bob.id);
    const bobs = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames', headers: bob.auth })).json();
    expect(bobs.basenames.map((b: { name: string }) => b.name)).toEqual(['alice-pays']);
    expect(bobs.history.map((h: { action: string }) => h.action)).toEqual(['transferred']);
  });

  it('answers two parallel registrations of one new name by its registrant as one registration and one free update', async () => {
    const send = () => t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: alice.auth, payload: { name: 'twin-race', walletId: aliceWallet.id } });
    const answers = await Promise.all([send(), send(), send()]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
    expect(answers.map((r) => r.json().action).sort()).toEqual(['registered', 'updated', 'updated']);
    const fees = await t.deps.db.selectFrom('transactions').select('id').where('type', '=', 'basename').where('memo', '=', 'basename twin-race').execute();
    expect(fees).toHaveLength(1);
  });

  it('re-points a name its holder already has for free, answering 200 (nothing was created)', async () => {
    const bobWallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/basenames', headers: bob.auth, payload: { name: 'alice-pays', walletId: bobWallet.id } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ action: 'updated', basename: { name: 'alice-pays', walletId: bobWallet.id }, transaction: null });
    const bobs = (await t.app.inject({ method: 'GET', url: '/api/v1/basenames', headers: bob.auth })).json();
    expect(bobs.history.map((h: { action: string }) => h.action)).toEqual(['updated', 'transferred']);
  });
});
