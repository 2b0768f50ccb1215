import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { zeroAddress, type Address } from 'viem';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { waitFinal } from './wallets.testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '10000' } });
});
afterAll(async () => t?.close());

async function walletOf(user: TestUser) {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: user.auth })).json().wallets[0] as { id: string; address: Address };
}

async function fund(user: TestUser, amount: string) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: user.auth, payload: { amount } });
  expect(res.statusCode).toBe(202);
  expect((await waitFinal(t.deps, [res.json().id]))[res.json().id]).toBe('confirmed');
}

const onChain = (address: Address) => tokenBalance(t.deps.chain, t.deps.services.wallets.chain!.token.address, address);
const ledgerCount = async () => Number((await sql<{ n: string }>`select count(*)::text as n from transactions where type = 'transfer'`.execute(t.deps.db)).rows[0].n);

describe('POST /transfers validation', () => {
  let alice: TestUser;
  beforeAll(async () => {
    alice = await createUser(t.deps);
    await walletOf(alice);
  });

  const bad: Array<[string, unknown, string]> = [
    ['zero', '0', 'validation_failed'],
    ['zero with decimals', '0.000000', 'validation_failed'],
    ['negative', '-1', 'validation_failed'],
    ['more than 6 decimals', '1.1234567', 'validation_failed'],
    ['exponent', '1e400', 'validation_failed'],
    ['non-numeric', 'abc', 'validation_failed'],
    ['a JSON number', 5, 'validation_failed'],
    ['too large', '1000000000000', 'validation_failed'],
  ];
  it.each(bad)('rejects an amount that is %s with 422 and writes nothing', async (_name, amount, code) => {
    const before = await ledgerCount();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { ...alice.auth, 'idempotency-key': `bad-${String(amount)}` },
      payload: { to: '0x000000000000000000000000000000000000dEaD', amount },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe(code);
    expect(res.json().errors[0].field).toBe('body.amount');
    // one reason each: a malformed amount is not also "not greater than 0"
    expect(res.json().errors).toHaveLength(1);
    expect(await ledgerCount()).toBe(before);
    const keys = await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', `bad-${String(amount)}`).execute();
    expect(keys).toHaveLength(0);
  });

  it.each([
    ['de', 'abc', 'muss eine Dezimalzahl unter einer Billion mit höchstens 6 Nachkommastellen sein (ohne Vorzeichen und Exponent)'],
    ['fr', '0', 'doit être supérieur à 0'],
    ['ja', '1.1234567', '1兆未満、小数点以下 6 桁までの10進数で指定してください(符号・指数表記なし)'],
  ])('tells a %s reader why the amount %s is refused in their language', async (locale, amount, message) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { ...alice.auth, 'accept-language': locale, 'idempotency-key': `bad-${locale}` },
      payload: { to: '0x000000000000000000000000000000000000dEaD', amount },
    });
    expect(res.statusCode).toBe(422);
    const byField = Object.fromEntries(res.json().errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(byField['body.amount']).toBe(message);
  });

  it('rejects 1e400 sent as a raw JSON number', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      payload: '{"to":"0x000000000000000000000000000000000000dEaD","amount":1e400}',
    });
    expect(res.statusCode).toBe(422);
  });

  it.each([['a right-to-left override', 'USD \u202E0001'], ['a newline', 'rent\nPAID IN FULL'], ['a bell', 'hi\u0007']])(
    'rejects a memo with %s, which would show other than typed, and writes nothing', async (_what, memo) => {
      const before = await ledgerCount();
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: '0x000000000000000000000000000000000000dEaD', amount: '1', memo } });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([{ field: 'body.memo', code: 'custom', message: 'must be printable text on one line' }]);
      expect(await ledgerCount()).toBe(before);
    },
  );

  it('rejects a self-transfer, an unknown email or basename, and an unknown token', async () => {
    const before = await ledgerCount();
    const mine = await walletOf(alice);
    const chain = t.deps.services.wallets.chain!;
    const typo = '0x000000000000000000000000000000000000DeaD';
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ to: mine.address, amount: '1' }, 'self_transfer', 'You cannot send money to the wallet it comes from.'],
      [{ to: alice.email, amount: '1' }, 'self_transfer', 'You cannot send money to the wallet it comes from.'],
      [{ to: 'nobody@example.test', amount: '1' }, 'recipient_not_found', 'No registered user, basename or address matches “nobody@example.test”.'],
      [{ to: 'no-such-name', amount: '1' }, 'recipient_not_found', 'No registered user, basename or address matches “no-such-name”.'],
      [{ to: mine.address, amount: '1', token: 'DAI' }, 'unsupported_token', 'Only USDC can be sent here, not “DAI”.'],
      // money sent there would be lost: the zero address and the app's own contracts
      [{ to: zeroAddress, amount: '1' }, 'recipient_not_allowed', `Money sent to ${zeroAddress} would be lost: it is the zero address or one of StreakPets' contracts.`],
      [{ to: chain.token.address, amount: '1' }, 'recipient_not_allowed', `Money sent to ${chain.token.address} would be lost: it is the zero address or one of StreakPets' contracts.`],
      [{ to: chain.batchTransferAddress, amount: '1' }, 'recipient_not_allowed', `Money sent to ${chain.batchTransferAddress} would be lost: it is the zero address or one of StreakPets' contracts.`],
      // one case flipped in a checksummed address: a typo, not some other wallet
      [{ to: typo, amount: '1' }, 'address_checksum', `“${typo}” mixes upper and lower case, but its checksum does not match: check the address for a typo.`],
    ];
    for (const [payload, code, detail] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload });
      expect(res.statusCode, code).toBe(422);
      expect(res.json()).toMatchObject({ code, detail });
    }
    // the review before paying says the same
    for (const to of [zeroAddress, typo]) {
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/transfers/recipient?to=${to}`, headers: alice.auth })).statusCode).toBe(422);
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/transfers/recipient?to=${typo.toLowerCase()}`, headers: alice.auth })).statusCode).toBe(200);
    expect(await ledgerCount()).toBe(before);
  });

  it('refuses a NUL character in memo or recipient with 422 and writes nothing', async () => {
    const before = await ledgerCount();
    for (const [payload, field] of [[{ to: '0x000000000000000000000000000000000000dEaD', amount: '1', memo: 'a\u0000' }, 'body.memo'], [{ to: 'bob\u0000@example.test', amount: '1' }, 'body.to']] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0].field).toBe(field);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfers/recipient?to=bob%00@example.test', headers: alice.auth })).statusCode).toBe(422);
    expect(await ledgerCount()).toBe(before);
  });

  it('never spends from someone else\'s wallet, not even for an admin', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const mine = await walletOf(alice);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: admin.auth,
      payload: { fromWalletId: mine.id, to: '0x000000000000000000000000000000000000dEaD', amount: '1' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('wallet_not_found');
  });

  it('rejects a transfer the wallet cannot afford', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: alice.auth,
      payload: { to: '0x000000000000000000000000000000000000dEaD', amount: '1' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'insufficient_balance', detail: 'This wallet can spend 0 USDC right now.' });
  });
});

describe('paying another user', () => {
  it('pays by email: queued → pending → confirmed with block and gas, both sides told, chain agrees with the ledger', async () => {
    const alice = await createUser(t.deps);
    const bob = await createUser(t.deps);
    await fund(alice, '20');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: alice.auth,
      payload: { to: bob.email.toUpperCase(), amount: '7.25', memo: 'lunch' },
    });
    expect(res.statusCode).toBe(202);
    const row = res.json();
    expect(row).toMatchObject({ status: 'queued', amount: '7.25', amountBase: '7250000', type: 'transfer', memo: 'lunch', userId: alice.id, toUserId: bob.id });
    expect((await waitFinal(t.deps, [row.id]))[row.id]).toBe('confirmed');
    const done = (await t.app.inject({ method: 'GET', url: `/api/v1/transactions/${row.id}`, headers: bob.auth })).json();
    expect(done.status).toBe('confirmed');
    expect(Number(done.blockNumber)).toBeGreaterThan(0);
    expect(BigInt(done.gasFee)).toBe(BigInt(done.gasUsed) * (BigInt(done.gasFee) / BigInt(done.gasUsed)));
    const bobWallet = await walletOf(bob);
    const aliceWallet = await walletOf(alice);
    expect(await onChain(bobWallet.address)).toBe(7_250_000n);
    expect(await onChain(aliceWallet.address)).toBe(12_750_000n);
    await t.deps.events.drain();
    const events = await t.deps.db
      .selectFrom('domain_events')
      .select(['type', 'user_ids', 'data'])
      .where(sql<boolean>`data->>'transactionId' = ${row.id}`)
      .orderBy('created_at')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['transfer.queued', 'transfer.pending', 'transfer.confirmed']);
    for (const e of events) expect([...e.user_ids].sort()).toEqual([alice.id, bob.id].sort());
    expect(events[2].data).toMatchObject({ status: 'confirmed', amount: '7.25', blockNumber: done.blockNumber, gasUsed: done.gasUsed, gasFee: done.gasFee });
  });

  it('runs a refused payment again under the same Idempotency-Key once the wallet can afford it, and pays it once', async () => {
    const dave = await createUser(t.deps);
    const bob = await createUser(t.deps);
    const send = () => t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { ...dave.auth, 'idempotency-key': 'pay-bob-once' },
      payload: { to: bob.email, amount: '2.5' },
    });
    const broke = await send();
    expect(broke.statusCode).toBe(422);
    expect(broke.json().code).toBe('insufficient_balance');
    await fund(dave, '10');
    const paid = await send();
    expect(paid.statusCode).toBe(202);
    expect(paid.headers['idempotent-replayed']).toBeUndefined();
    const again = await send();
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(paid.json().id);
    expect((await waitFinal(t.deps, [paid.json().id]))[paid.json().id]).toBe('confirmed');
    expect(await onChain((await walletOf(bob)).address)).toBe(2_500_000n);
  });

  it('keeps subtracting sent transfers once they confirm, and lets money received since be spent', async () => {
    const alice = await createUser(t.deps);
    const bob = await createUser(t.deps);
    await Promise.all([fund(alice, '10'), fund(bob, '10')]);
    const pay = (from: TestUser, to: string, amount: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: from.auth, payload: { to, amount } });
    const first = await pay(alice, '0x000000000000000000000000000000000000dEaD', '6');
    expect(first.statusCode).toBe(202);
    expect((await waitFinal(t.deps, [first.json().id]))[first.json().id]).toBe('confirmed');
    const over = await pay(alice, '0x000000000000000000000000000000000000dEaD', '5');
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ code: 'insufficient_balance', detail: 'This wallet can spend 4 USDC right now.' });
    const rest = await pay(alice, '0x000000000000000000000000000000000000dEaD', '4');
    expect(rest.statusCode).toBe(202);
    const gift = await pay(bob, alice.email, '3');
    expect(gift.statusCode).toBe(202);
    expect(await waitFinal(t.deps, [rest.json().id, gift.json().id])).toEqual({ [rest.json().id]: 'confirmed', [gift.json().id]: 'confirmed' });
    const spent = await pay(alice, '0x000000000000000000000000000000000000dEaD', '3');
    expect(spent.statusCode).toBe(202);
    expect((await waitFinal(t.deps, [spent.json().id]))[spent.json().id]).toBe('confirmed');
    expect(await onChain((await walletOf(alice)).address)).toBe(0n);
  });

  it('holds unverified users to the daily limit, verified users are not', async () => {
    const small = await createTestApp({ env: { RATE_LIMIT_STRICT: '10000', UNVERIFIED_DAILY_LIMIT: '5' } });
    try {
      const u = await createUser(small.deps);
      const v = await createUser(small.deps, { kycStatus: 'verified' });
      for (const user of [u, v]) {
        const f = await small.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: user.auth, payload: { amount: '20' } });
        await waitFinal(small.deps, [f.json().id]);
      }
      const to = '0x000000000000000000000000000000000000dEaD';
      const ok = await small.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: u.auth, payload: { to, amount: '3' } });
      expect(ok.statusCode).toBe(202);
      const over = await small.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: u.auth, payload: { to, amount: '2.000001' } });
      expect(over.statusCode).toBe(422);
      expect(over.json()).toMatchObject({ code: 'daily_limit_exceeded', detail: 'Unverified accounts can send up to 5 USDC a day; 2 USDC left today. Verify your identity to raise the limit.' });
      // more than the wallet holds is refused for that, not for the limit it would leave room under
      const broke = await small.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: u.auth, payload: { to, amount: '50' } });
      expect(broke.json()).toMatchObject({ code: 'insufficient_balance', detail: 'This wallet can spend 17 USDC right now.' });
      const verified = await small.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: v.auth, payload: { to, amount: '10' } });
      expect(verified.statusCode).toBe(202);
    } finally {
      await small.close();
    }
  });
});

describe('concurrency', () => {
  it('100 concurrent transfers from a wallet that can afford exactly 10: exactly 10 land, chain equals ledger', async () => {
    const alice = await createUser(t.deps);
    const bob = await createUser(t.deps);
    await fund(alice, '15');
    const bobWallet = await walletOf(bob);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/transfers',
          headers: { ...alice.auth, 'idempotency-key': `c-${i}` },
          payload: { to: bobWallet.address, amount: '1.5' },
        }),
      ),
    );
    const accepted = results.filter((r) => r.statusCode === 202);
    const rejected = results.filter((r) => r.statusCode === 422);
    expect(accepted).toHaveLength(10);
    expect(rejected).toHaveLength(90);
    for (const r of rejected) expect(r.json().code).toBe('insufficient_balance');
    const ids = accepted.map((r) => r.json().id as string);
    const statuses = await waitFinal(t.deps, ids, 60_000);
    expect(Object.values(statuses).every((s) => s === 'confirmed')).toBe(true);
    const aliceWallet = await walletOf(alice);
    expect(await onChain(aliceWallet.address)).toBe(0n);
    expect(await onChain(bobWallet.address)).toBe(15_000_000n);
    const ledger = await t.deps.db
      .selectFrom('transactions')
      .select([sql<string>`sum(amount)::text`.as('sum'), sql<string>`count(distinct nonce)::text`.as('nonces')])
      .where('from_wallet_id', '=', aliceWallet.id)
      .where('status', '=', 'confirmed')
      .executeTakeFirstOrThrow();
    expect(ledger).toEqual({ sum: '15000000', nonces: '10' });
  }, 120_000);

  it('the same Idempotency-Key sent 20 times concurrently makes one transfer', async () => {
    const alice = await createUser(t.deps);
    await fund(alice, '10');
    const payload = { to: '0x000000000000000000000000000000000000dEaD', amount: '1', memo: 'once' };
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...alice.auth, 'idempotency-key': 'same-key' }, payload }),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.every((c) => c === 202 || c === 409)).toBe(true);
    const rows = await t.deps.db.selectFrom('transactions').select(['id']).where('user_id', '=', alice.id).where('type', '=', 'transfer').execute();
    expect(rows).toHaveLength(1);
    const replay = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...alice.auth, 'idempotency-key': 'same-key' }, payload });
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(rows[0].id);
    // the 202 was stored under the key with the ledger row's COMMIT, exactly as it was sent
    const accepted = results.find((r) => r.statusCode === 202)!;
    expect(replay.body).toBe(accepted.body);
    const key = await t.deps.db.selectFrom('idempotency_keys').select(['state', 'response_status', 'response_body']).where('scope', '=', `user:${alice.id}`).where('key', '=', 'same-key').executeTakeFirstOrThrow();
    expect(key).toEqual({ state: 'done', response_status: 202, response_body: accepted.body });
    await waitFinal(t.deps, [rows[0].id]);
    expect(await onChain((await walletOf(alice)).address)).toBe(9_000_000n);
  });

  it('an Idempotency-Key whose stored response was lost or expired still answers its one transfer, alone or sent together with new ones', async () => {
    const alice = await createUser(t.deps);
    await fund(alice, '10');
    const payload = { to: '0x000000000000000000000000000000000000dEaD', amount: '2' };
    const send = (body: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...alice.auth, 'idempotency-key': 'lost-response' }, payload: body });
    const first = await send(payload);
    expect(first.statusCode).toBe(202);
    const keyRow = () => t.deps.db.updateTable('idempotency_keys').where('key', '=', 'lost-response');
    // the response goes out while it is stored: let the store land before simulating its loss
    await vi.waitFor(async () => expect((await t.deps.db.selectFrom('idempotency_keys').select('state').where('key', '=', 'lost-response').executeTakeFirst())?.state).toBe('done'));
    // a crash after the transfer committed, before its response was stored: the claim is left in flight, then goes stale
    await keyRow().set({ state: 'in_flight', response_status: null, response_body: null, locked_at: sql<Date>`now() - interval '1 hour'` }).execute();
    const afterCrash = await send(payload);
    expect(afterCrash.statusCode).toBe(202);
    expect(afterCrash.headers['idempotent-replayed']).toBeUndefined();
    expect(afterCrash.json().id).toBe(first.json().id);
    // the key's replay window has passed and the key store forgot it
    await t.deps.db.deleteFrom('idempotency_keys').where('key', '=', 'lost-response').execute();
    expect((await send(payload)).json().id).toBe(first.json().id);
    await t.deps.db.deleteFrom('idempotency_keys').where('key', '=', 'lost-response').execute();
    const other = await send({ ...payload, amount: '3' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    // sent together with new keys (in one batch when they meet there): the old key's conflict re-runs its batch looking keys up, the new ones still go
    // the refusal is not stored: the key store still has nothing for the key
    expect(await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'lost-response').executeTakeFirst()).toBeUndefined();
    const together = await Promise.all([
      send(payload),
      ...['new-1', 'new-2'].map((key) => t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...alice.auth, 'idempotency-key': key }, payload: { ...payload, amount: '1' } })),
    ]);
    expect(together.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect(together[0].json().id).toBe(first.json().id);
    const rows = await t.deps.db.selectFrom('transactions').select('id').where('user_id', '=', alice.id).where('type', '=', 'transfer').orderBy('id').execute();
    expect(rows.map((r) => r.id).sort()).toEqual([first.json().id, ...together.slice(1).map((r) => r.json().id)].sort());
    await waitFinal(t.deps, rows.map((r) => r.id));
    expect(await onChain((await walletOf(alice)).address)).toBe(6_000_000n);
  });
});
