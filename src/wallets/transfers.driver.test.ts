import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { keccak256, type Address, type Hex } from 'viem';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { signQueued, topUpGas } from './transfers.broadcast.js';
import { confirmPending, finalizeMany } from './transfers.confirm.js';
import { sendSigned } from './transfers.send.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import { pruneSpendBuckets } from './transactions.service.js';
import { settle, waitFinal, waitUntil } from './wallets.testing.js';

const open: TestApp[] = [];
afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
});

async function start(work: boolean) {
  const t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' }, work });
  open.push(t);
  return t;
}

async function walletOf(t: TestApp, user: TestUser) {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: user.auth })).json().wallets[0] as { id: string; address: Address };
}

const randomAddress = () => `0x${randomBytes(20).toString('hex')}`;

/** A watcher pass finalizes only mined rows: under load the node may answer a send before it mines it. */
async function waitMined(t: TestApp, raws: Hex[]) {
  const client = t.deps.chain.batchClient;
  await waitUntil(async () => (await Promise.all(raws.map((raw) => client.getTransactionReceipt({ hash: keccak256(raw) }).catch(() => null)))).every(Boolean));
}

async function confirmedEvents(t: TestApp, ids: string[]) {
  await t.deps.events.drain();
  const rows = await sql<{ id: string; n: number }>`
    select data->>'transactionId' as id, count(*)::int as n from domain_events
    where type = 'transfer.confirmed' and data->>'transactionId' = any(${ids}) group by 1`.execute(t.deps.db);
  return Object.fromEntries(rows.rows.map((r) => [r.id, r.n]));
}

describe('the confirmation watcher (batched)', () => {
  it('two watchers racing over the same pending rows finalize each row exactly once, and the chain agrees', async () => {
    const t = await start(false);
    const core = t.deps.services.wallets.core;
    expect(core.driver.active).toBe(false);
    const alice = await createUser(t.deps);
    const wallet = await walletOf(t, alice);
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    expect(f.statusCode).toBe(202);
    await topUpGas(core, wallet.id);
    await settle(t.deps, core);

    const to = randomAddress();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to, amount: '0.5' } });
      expect(res.statusCode).toBe(202);
      ids.push(res.json().id);
    }
    const { signed } = await signQueued(core, wallet.id);
    expect(signed).toHaveLength(6);
    await sendSigned(core, wallet.id, signed);
    await waitMined(t, signed);

    const [a, b] = await Promise.all([confirmPending(core), confirmPending(core)]);
    const byA = a.finalized.map((r) => r.id);
    const byB = b.finalized.map((r) => r.id);
    expect(byA.filter((id) => byB.includes(id))).toEqual([]);
    expect([...byA, ...byB].sort()).toEqual([...ids].sort());
    expect(Object.values(await waitFinal(t.deps, ids))).toEqual(Array(6).fill('confirmed'));
    expect(await confirmedEvents(t, ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(await finalizeMany(core, ids.map((id) => ({ id, error: 'late' })))).toEqual([]);

    const token = core.chain!.token.address;
    expect(await tokenBalance(t.deps.chain, token, to as Address)).toBe(3_000_000n);
    expect(await tokenBalance(t.deps.chain, token, wallet.address)).toBe(2_000_000n);
    const nonces = await t.deps.db.selectFrom('transactions').select('nonce').where('id', 'in', ids).orderBy('nonce').execute();
    expect(nonces.map((r) => Number(r.nonce))).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('with two worker nodes, each watcher reads and finalizes only the wallets the ring gives it; together every row once', async () => {
    const a = await start(false);
    const b = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' }, work: false, databaseUrl: a.deps.infra.databaseUrl });
    open.push(b);
    const cores = [a, b].map((n) => n.deps.services.wallets.core);
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(a.deps)));
    const wallets = await Promise.all(users.map((u) => walletOf(a, u)));
    for (const u of users) await a.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: u.auth, payload: { amount: '5' } });
    for (const w of wallets) await topUpGas(cores[0], w.id);
    // funded while node a is alone: its watcher takes every row, the treasury's too
    await settle(a.deps, cores[0]);

    for (const n of [a, b]) await n.deps.workers.start();
    try {
      await waitUntil(async () => [a, b].every((n) => n.deps.workers.members().length === 2), 5_000, 10);
      const ownerOf = (walletId: string) => [a, b].findIndex((n) => n.deps.workers.owns(walletId));
      expect(wallets.map((w) => [a, b].filter((n) => n.deps.workers.owns(w.id)).length)).toEqual(wallets.map(() => 1));
      // six wallets: unless every one hashed to the same node, each node owns some
      const shares = [0, 1].map((i) => wallets.filter((w) => ownerOf(w.id) === i).length);

      const ids = new Map<string, string>();
      for (const [i, u] of users.entries()) {
        const res = await a.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: u.auth, payload: { to: randomAddress(), amount: '1' } });
        expect(res.statusCode).toBe(202);
        ids.set(res.json().id, wallets[i].id);
      }
      const raws: Hex[] = [];
      for (const w of wallets) {
        const { signed } = await signQueued(cores[0], w.id);
        await sendSigned(cores[0], w.id, signed);
        raws.push(...signed);
      }
      await waitMined(a, raws);

      const passes = [await confirmPending(cores[0]), await confirmPending(cores[1])];
      for (const [i, pass] of passes.entries()) {
        expect(pass.finalized.map((r) => ownerOf(r.from_wallet_id!))).toEqual(pass.finalized.map(() => i));
        expect(pass.finalized).toHaveLength(shares[i]);
        expect(pass.waiting).toBe(0);
      }
      expect(passes.flatMap((p) => p.finalized.map((r) => r.id)).sort()).toEqual([...ids.keys()].sort());
      expect(Object.values(await waitFinal(a.deps, [...ids.keys()]))).toEqual([...ids.keys()].map(() => 'confirmed'));
    } finally {
      for (const n of [a, b]) await n.deps.workers.stop();
    }
  });
  it('a watcher leaves a row another finalizer holds to it instead of waiting for its commit', async () => {
    const t = await start(false);
    const core = t.deps.services.wallets.core;
    const alice = await createUser(t.deps);
    const wallet = await walletOf(t, alice);
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    await topUpGas(core, wallet.id);
    await settle(t.deps, core);
    expect(Object.values(await waitFinal(t.deps, [f.json().id]))).toEqual(['confirmed']);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: randomAddress(), amount: '1' } });
      ids.push(res.json().id);
    }
    const { signed } = await signQueued(core, wallet.id);
    await sendSigned(core, wallet.id, signed);
    await waitMined(t, signed);

    let release!: () => void;
    let locked!: () => void;
    const holder = withTransaction(t.deps.db, async (trx) => {
      await trx.selectFrom('transactions').select('id').where('id', '=', ids[0]).forUpdate().execute();
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await new Promise<void>((r) => (locked = r));
    try {
      const pass = await Promise.race([confirmPending(core), new Promise<'waited'>((r) => setTimeout(() => r('waited'), 3000))]);
      expect(pass === 'waited' ? pass : pass.finalized.map((r) => r.id)).toEqual([ids[1]]);
    } finally {
      release();
      await holder;
    }
    expect((await confirmPending(core)).finalized.map((r) => r.id)).toEqual([ids[0]]);
    expect(await confirmedEvents(t, ids)).toEqual({ [ids[0]]: 1, [ids[1]]: 1 });
  });
});

describe('the unverified daily limit (hourly spend buckets)', () => {
  it('a failed transfer gives its amount back; a spend stops counting once its hour is 24 hours old; old buckets are pruned', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', UNVERIFIED_DAILY_LIMIT: '5' }, work: false });
    open.push(t);
    const core = t.deps.services.wallets.core;
    const alice = await createUser(t.deps);
    const wallet = await walletOf(t, alice);
    await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '20' } });
    await topUpGas(core, wallet.id);
    await settle(t.deps, core);
    const pay = (amount: string) => t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: randomAddress(), amount } });
    const buckets = () => t.deps.db.selectFrom('spend_buckets').select(['token', 'amount']).where('user_id', '=', alice.id).execute();

    const first = await pay('4');
    expect(first.statusCode).toBe(202);
    expect((await pay('2')).json()).toMatchObject({ code: 'daily_limit_exceeded' });
    expect(await buckets()).toEqual([{ token: 'USDC', amount: '4000000' }]);

    await signQueued(core, wallet.id);
    expect((await finalizeMany(core, [{ id: first.json().id, error: 'dropped' }])).map((r) => r.status)).toEqual(['failed']);
    expect(await buckets()).toEqual([{ token: 'USDC', amount: '0' }]);
    expect((await pay('5')).statusCode).toBe(202);
    expect((await pay('0.000001')).json()).toMatchObject({ code: 'daily_limit_exceeded' });

    await sql`update spend_buckets set hour = hour - interval '25 hours' where user_id = ${alice.id}`.execute(t.deps.db);
    expect((await pay('5')).statusCode).toBe(202);

    await sql`update spend_buckets set hour = hour - interval '49 hours' where user_id = ${alice.id}`.execute(t.deps.db);
    expect(await pruneSpendBuckets(core)).toBeGreaterThanOrEqual(1);
    expect(await buckets()).toEqual([]);
  });
});

describe('the in-process driver', () => {
  it('signs an accepted transfer right after its commit; the durable job is only a delayed fallback', async () => {
    const t = await start(true);
    const core = t.deps.services.wallets.core;
    expect(core.driver.active).toBe(true);
    const alice = await createUser(t.deps);
    const wallet = await walletOf(t, alice);
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    await waitFinal(t.deps, [f.json().id]);
    await waitUntil(async () => (await t.deps.chain.publicClient.getBalance({ address: wallet.address })) > 0n);

    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: randomAddress(), amount: '1' } });
    const id = res.json().id as string;
    expect((await waitFinal(t.deps, [id]))[id]).toBe('confirmed');
    const row = await t.deps.db.selectFrom('transactions').select(['submitted_at']).where('id', '=', id).executeTakeFirstOrThrow();
    const job = await sql<{ start_after: Date; state: string }>`
      select start_after, state from pgboss.job where name = 'wallets.broadcast' and data->>'walletId' = ${wallet.id}
      order by created_on desc limit 1`.execute(t.deps.db);
    expect(job.rows).toHaveLength(1);
    expect(row.submitted_at!.getTime()).toBeLessThan(job.rows[0].start_after.getTime());
  });

  it('on an API node (--role api) wakes a worker node’s driver at the commit, through LISTEN/NOTIFY', async () => {
    const api = await createTestApp({ env: { ROLE: 'api', RATE_LIMIT_STRICT: '1000' }, work: false });
    open.push(api);
    const worker = await createTestApp({ env: { ROLE: 'worker' }, databaseUrl: api.deps.infra.databaseUrl });
    open.push(worker);
    expect(api.deps.services.wallets.core.driver.active).toBe(false);
    const alice = await createUser(api.deps);
    const wallet = await walletOf(api, alice);
    const f = await api.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    expect((await waitFinal(api.deps, [f.json().id]))[f.json().id]).toBe('confirmed');
    await waitUntil(async () => (await api.deps.chain.publicClient.getBalance({ address: wallet.address })) > 0n);

    const res = await api.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: randomAddress(), amount: '1' } });
    const id = res.json().id as string;
    expect((await waitFinal(api.deps, [id]))[id]).toBe('confirmed');
    const row = await api.deps.db.selectFrom('transactions').select(['submitted_at']).where('id', '=', id).executeTakeFirstOrThrow();
    const job = await sql<{ start_after: Date }>`
      select start_after from pgboss.job where name = 'wallets.broadcast' and data->>'walletId' = ${wallet.id}
      order by created_on desc limit 1`.execute(api.deps.db);
    expect(job.rows).toHaveLength(1);
    // sent before its job was even due: the worker's driver was woken, not its job
    expect(row.submitted_at!.getTime()).toBeLessThan(job.rows[0].start_after.getTime());
  });

  it('with two worker nodes, each wallet woken by an API node is taken by the one worker the ring picks, before its job is due', async () => {
    const api = await createTestApp({ env: { ROLE: 'api', RATE_LIMIT_STRICT: '1000' }, work: false });
    open.push(api);
    const workers: TestApp[] = [];
    for (let i = 0; i < 2; i++) {
      const w = await createTestApp({ env: { ROLE: 'worker' }, databaseUrl: api.deps.infra.databaseUrl });
      open.push(w);
      workers.push(w);
    }
    await waitUntil(async () => workers.every((w) => w.deps.workers.members().length === 2), 5_000, 10);
    expect(api.deps.workers.members()).toEqual([]);
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(api.deps)));
    const wallets = await Promise.all(users.map((u) => walletOf(api, u)));
    const owners = wallets.map((w) => workers.filter((n) => n.deps.workers.owns(w.id)).length);
    expect(owners).toEqual(wallets.map(() => 1));
    const funding = await Promise.all(users.map(async (u) => (await api.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: u.auth, payload: { amount: '5' } })).json().id as string));
    await waitFinal(api.deps, funding);
    await waitUntil(async () => (await Promise.all(wallets.map((w) => api.deps.chain.publicClient.getBalance({ address: w.address })))).every((b) => b > 0n));

    const ids = await Promise.all(users.map(async (u) => (await api.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: u.auth, payload: { to: randomAddress(), amount: '1' } })).json().id as string));
    const final = await waitFinal(api.deps, ids);
    expect(Object.values(final)).toEqual(ids.map(() => 'confirmed'));
    const sent = await api.deps.db.selectFrom('transactions').select(['submitted_at', 'created_at']).where('id', 'in', ids).execute();
    // each was sent well before its fallback job (5 s after the accept) was due: its owner was woken
    for (const row of sent) expect(row.submitted_at!.getTime() - row.created_at.getTime()).toBeLessThan(4_000);
  });

  it('stops with the job workers: a transfer accepted afterwards waits for its job', async () => {
    const t = await start(true);
    const core = t.deps.services.wallets.core;
    const alice = await createUser(t.deps);
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    await waitFinal(t.deps, [f.json().id]);
    await t.deps.jobs.stop();
    expect(core.driver.active).toBe(false);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: randomAddress(), amount: '1' } });
    expect(res.statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    const row = await t.deps.db.selectFrom('transactions').select('status').where('id', '=', res.json().id).executeTakeFirstOrThrow();
    expect(row.status).toBe('queued');
  });
});
