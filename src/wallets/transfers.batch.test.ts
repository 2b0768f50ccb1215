import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { parseEther, type Address } from 'viem';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { waitFinal, waitUntil } from './wallets.testing.js';
import { walletsRepo } from './wallets.repo.js';
import { topUpGas } from './transfers.broadcast.js';
import { withTransaction } from '../platform/db/db.transaction.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '10000', UNVERIFIED_DAILY_LIMIT: '5' } });
});
afterAll(async () => t?.close());

const walletOf = async (user: TestUser) =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: user.auth })).json().wallets[0] as { id: string; address: Address };
const onChain = (address: Address) => tokenBalance(t.deps.chain, t.deps.services.wallets.chain!.token.address, address);

async function fund(user: TestUser, amount: string) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: user.auth, payload: { amount } });
  expect((await waitFinal(t.deps, [res.json().id]))[res.json().id]).toBe('confirmed');
}

const send = (user: TestUser, payload: Record<string, unknown>, key: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...user.auth, 'idempotency-key': key }, payload });

describe('transfers accepted together', () => {
  it('decides each transfer of a concurrent burst on its own: limits count earlier ones, refusals and a failing row stay alone', async () => {
    const [unverified, stranger, bob] = await Promise.all([createUser(t.deps), createUser(t.deps, { kycStatus: 'verified' }), createUser(t.deps)]);
    // the stranger can afford everything sent, whatever order the burst arrives in: 4 × 2 + 1 (refused) + 1.5
    await Promise.all([fund(unverified, '20'), fund(stranger, '12')]);
    const bobWallet = await walletOf(bob);
    // A row the database refuses (as a failing disk or constraint would): its batch must not take the others down.
    await sql`create or replace function refuse_marked_transfer() returns trigger language plpgsql as $$
      begin if new.memo = 'refuse-me' then raise exception 'refused by test trigger'; end if; return new; end $$`.execute(t.deps.db);
    await sql`create trigger refuse_marked_transfer before insert on transactions for each row execute function refuse_marked_transfer()`.execute(t.deps.db);
    try {
      // Hold the senders' user rows so the first requests wait on their locks while the rest queue up
      // behind them and are then accepted as one batch (the marked row among them).
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const holder = t.deps.db.transaction().execute(async (trx) => {
        await trx.selectFrom('users').select('id').where('id', 'in', [unverified.id, stranger.id]).forUpdate().execute();
        locked();
        await held;
      });
      await holding;
      const first = [
        ...Array.from({ length: 4 }, (_, i) => send(unverified, { to: bobWallet.address, amount: '2' }, `u-${i}`)),
        ...Array.from({ length: 4 }, (_, i) => send(stranger, { to: bob.email, amount: '2' }, `s-${i}`)),
        send(stranger, { to: 'nobody@example.test', amount: '1' }, 's-unknown'),
      ];
      await new Promise((r) => setTimeout(r, 300));
      const later = [send(stranger, { to: bobWallet.address, amount: '1', memo: 'refuse-me' }, 's-refused'), send(stranger, { to: bobWallet.address, amount: '1.5' }, 's-ok')];
      await new Promise((r) => setTimeout(r, 300));
      release();
      await holder;
      const results = await Promise.all([...first, ...later]);
      const codes = results.map((r) => (r.statusCode === 202 ? 'ok' : (r.json().code as string)));
      expect(codes.slice(0, 4).sort()).toEqual(['daily_limit_exceeded', 'daily_limit_exceeded', 'ok', 'ok']);
      expect(codes.slice(4, 8)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(codes[8]).toBe('recipient_not_found');
      expect(results[9].statusCode).toBe(500);
      expect(codes[10]).toBe('ok');

      const ids = results.filter((r) => r.statusCode === 202).map((r) => r.json().id as string);
      const statuses = await waitFinal(t.deps, ids, 60_000);
      expect(Object.values(statuses)).toEqual(Array(7).fill('confirmed'));
      expect(await onChain((await walletOf(unverified)).address)).toBe(16_000_000n);
      expect(await onChain((await walletOf(stranger)).address)).toBe(2_500_000n);
      expect(await onChain(bobWallet.address)).toBe(13_500_000n);
      const refused = await t.deps.db.selectFrom('transactions').select('id').where('memo', '=', 'refuse-me').execute();
      expect(refused).toHaveLength(0);
    } finally {
      await sql`drop trigger if exists refuse_marked_transfer on transactions`.execute(t.deps.db);
      await sql`drop function if exists refuse_marked_transfer()`.execute(t.deps.db);
    }
  }, 120_000);

  it('two transactions spending from one wallet take turns: the second waits for the first and sees what it took', async () => {
    const [payer, bob] = await Promise.all([createUser(t.deps, { kycStatus: 'verified' }), createUser(t.deps)]);
    await fund(payer, '10');
    const [from] = await walletsRepo.byIds(t.deps.db, [(await walletOf(payer)).id]);
    const bobWallet = await walletOf(bob);
    const pay = (trx: Parameters<typeof t.deps.services.wallets.queueTransfer>[0]) =>
      t.deps.services.wallets.queueTransfer(trx, {
        from, amount: 6_000_000n, type: 'transfer', userId: payer.id,
        to: { address: bobWallet.address.toLowerCase(), walletId: bobWallet.id, userId: bob.id, petId: null, via: 'address' },
      });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let queued!: () => void;
    const firstQueued = new Promise<void>((r) => (queued = r));
    const first = withTransaction(t.deps.db, async (trx) => {
      const row = await pay(trx);
      queued();
      await held;
      return row;
    });
    await firstQueued;
    let secondDone = false;
    const second = withTransaction(t.deps.db, pay).finally(() => (secondDone = true));
    second.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(secondDone).toBe(false);
    release();
    expect((await first).status).toBe('queued');
    await expect(second).rejects.toMatchObject({ code: 'insufficient_balance' });
  });

  it('goes on with a stale chain snapshot while a new one is read in the background, instead of waiting for the node (a gas top-up does not drop it)', async () => {
    const [payer, bob] = await Promise.all([createUser(t.deps, { kycStatus: 'verified' }), createUser(t.deps)]);
    await fund(payer, '10');
    const to = (await walletOf(bob)).address;
    expect((await send(payer, { to, amount: '1' }, 'stale-1')).statusCode).toBe(202);
    // a gas top-up reaching the wallet meanwhile moves no tokens: the snapshot stays
    const payerWallet = await walletOf(payer);
    // (null while the wallet's first top-up is still open)
    const gas = await waitUntil(() => topUpGas(t.deps.services.wallets.core, payerWallet.id, parseEther('1')));
    expect((await waitFinal(t.deps, [gas.id]))[gas.id]).toBe('confirmed');
    // ten seconds later the snapshot is stale, and the node does not answer block numbers for now
    const client = t.deps.chain.batchClient;
    const realNow = Date.now.bind(Date);
    const blockNumber = client.getBlockNumber.bind(client);
    let answer!: () => void;
    const stalled = new Promise<void>((r) => (answer = r));
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 10_000);
    const asked = vi.spyOn(client, 'getBlockNumber').mockImplementation(async (args) => {
      await stalled;
      return blockNumber(args);
    });
    try {
      const second = send(payer, { to, amount: '1' }, 'stale-2');
      const answered = await Promise.race([second, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      expect(answered?.statusCode).toBe(202);
      expect(asked).toHaveBeenCalled();
    } finally {
      answer();
      vi.restoreAllMocks();
    }
    // spending is still checked against the chain and the ledger: 10 funded, 2 sent, 8.5 is too much
    const refused = await send(payer, { to, amount: '8.5' }, 'stale-3');
    expect(refused.json().code).toBe('insufficient_balance');
  });

  it("locks the sender's user row while the wallets are looked up, not after", async () => {
    const [payer, bob] = await Promise.all([createUser(t.deps, { kycStatus: 'verified' }), createUser(t.deps)]);
    await fund(payer, '5');
    const to = (await walletOf(bob)).address;
    // statements that reached PostgreSQL and were answered
    const answered: string[] = [];
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? '');
      if (result instanceof Promise) void result.then(() => answered.push(text), () => undefined);
      return result as never;
    });
    // the lookup of the wallets waits behind an exclusive lock on their table
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const holder = withTransaction(t.deps.db, async (trx) => {
      await sql`lock table wallets in access exclusive mode`.execute(trx);
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await holding;
    try {
      const sent = send(payer, { to, amount: '1' }, 'lock-early');
      await waitUntil(async () => answered.some((text) => /from "users".*for no key update/s.test(text)), 5_000, 20);
      release();
      await holder;
      expect((await sent).statusCode).toBe(202);
    } finally {
      release?.();
      vi.restoreAllMocks();
    }
  });

  it('answers retries of completed transfers arriving together, more than the pool has connections, each with its stored 202', async () => {
    const [payer, bob] = await Promise.all([createUser(t.deps, { kycStatus: 'verified' }), createUser(t.deps)]);
    await fund(payer, '1');
    const first: Array<{ id: string }> = [];
    for (let i = 0; i < 25; i++) first.push((await send(payer, { to: bob.email, amount: '0.01' }, `again-${i}`)).json());
    // a client that lost its connection sends its whole queue again at once
    const retries = Promise.all(first.map((_, i) => send(payer, { to: bob.email, amount: '0.01' }, `again-${i}`)));
    const stuck = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 20_000).unref());
    const answers = await Promise.race([retries, stuck]);
    expect(answers).not.toBe('stuck');
    for (const [i, res] of (answers as Awaited<typeof retries>).entries()) {
      expect(res.statusCode).toBe(202);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.json().id).toBe(first[i]!.id);
    }
    const rows = await t.deps.db.selectFrom('transactions').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', payer.id).where('type', '=', 'transfer').executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(25);
  });
});
