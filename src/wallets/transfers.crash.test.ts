import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { createTestApp, createTestDatabase, type TestApp } from '../../test/helpers/testApp.js';
import { createUser } from '../../test/helpers/factories.js';
import { onPrivateChain } from '../../test/helpers/privateChain.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { signQueued } from './transfers.broadcast.js';
import { confirmWallet } from './transfers.confirm.js';
import { sendSigned } from './transfers.send.js';
import { confirmedEvents, waitFinal, waitUntil } from './wallets.testing.js';

const open: TestApp[] = [];
afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
});

async function start(databaseUrl: string, env: Record<string, string>, work: boolean) {
  const app = await createTestApp({ databaseUrl, env: { RATE_LIMIT_STRICT: '1000', ...env }, work });
  open.push(app);
  return app;
}

/** A first app funds a wallet and queues a transfer; returns what the second app needs. */
async function queueOne(databaseUrl: string, env: Record<string, string>) {
  const a = await start(databaseUrl, env, true);
  const alice = await createUser(a.deps);
  const f = await a.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
  await waitFinal(a.deps, [f.json().id]);
  const wallet = (await a.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0];
  // a new wallet's gas comes from its own job: without it, signing would ask the stopped runner for gas
  await waitUntil(async () => (await a.deps.chain.publicClient.getBalance({ address: wallet.address })) > 0n);
  await a.deps.jobs.stop();
  const to = `0x${randomBytes(20).toString('hex')}` as Address;
  const res = await a.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to, amount: '2' } });
  expect(res.statusCode).toBe(202);
  return { a, alice, wallet, to, id: res.json().id as string };
}

describe('a worker that dies between broadcast and confirmation', () => {
  it('is recovered by the next job runner: the row is confirmed once, by the same signed transaction', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { WALLET_MASTER_KEY: randomBytes(32).toString('hex'), JWT_SECRET: randomBytes(32).toString('hex') };
    const { a, wallet, to, id } = await queueOne(databaseUrl, env);
    // The broadcast step: nonce allocated, signed, stored pending with its hash, then sent; the runner stops before confirming.
    const { signed } = await signQueued(a.deps.services.wallets.core, wallet.id);
    expect(signed).toHaveLength(1);
    await a.deps.chain.publicClient.sendRawTransaction({ serializedTransaction: signed[0] });
    const pending = await a.deps.db.selectFrom('transactions').select(['status', 'hash', 'nonce']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(pending.status).toBe('pending');
    await a.close();
    open.splice(open.indexOf(a), 1);

    const b = await start(databaseUrl, env, true);
    expect((await waitFinal(b.deps, [id]))[id]).toBe('confirmed');
    const row = await b.deps.db.selectFrom('transactions').select(['status', 'hash', 'nonce', 'block_number']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.hash).toBe(pending.hash);
    expect(row.nonce).toBe(pending.nonce);
    const token = b.deps.services.wallets.chain!.token.address;
    expect(await tokenBalance(b.deps.chain, token, to)).toBe(2_000_000n);
    expect(await tokenBalance(b.deps.chain, token, wallet.address)).toBe(3_000_000n);
    expect(await confirmedEvents(b.deps, id)).toBe('1');
  });

  it('re-sends the stored signed bytes when the crash came after the pending commit but before the send', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { WALLET_MASTER_KEY: randomBytes(32).toString('hex'), JWT_SECRET: randomBytes(32).toString('hex') };
    const { a, wallet, to, id } = await queueOne(databaseUrl, env);
    const { signed } = await signQueued(a.deps.services.wallets.core, wallet.id);
    const hash = (await a.deps.db.selectFrom('transactions').select('hash').where('id', '=', id).executeTakeFirstOrThrow()).hash as Hex;
    await expect(a.deps.chain.publicClient.getTransaction({ hash })).rejects.toThrow();
    expect(signed).toHaveLength(1);
    await a.close();
    open.splice(open.indexOf(a), 1);

    const b = await start(databaseUrl, env, true);
    expect((await waitFinal(b.deps, [id]))[id]).toBe('confirmed');
    const receipt = await b.deps.chain.publicClient.getTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(await tokenBalance(b.deps.chain, b.deps.services.wallets.chain!.token.address, to)).toBe(2_000_000n);
    const count = await b.deps.chain.publicClient.getTransactionCount({ address: wallet.address });
    const ledgerNonces = await b.deps.db.selectFrom('transactions').select('nonce').where('from_wallet_id', '=', wallet.id).execute();
    expect(count).toBe(ledgerNonces.length);
    expect(await confirmedEvents(b.deps, id)).toBe('1');
  });

  it('a runner stopped right after broadcasting leaves the row pending; a new runner confirms it', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { WALLET_MASTER_KEY: randomBytes(32).toString('hex'), JWT_SECRET: randomBytes(32).toString('hex') };
    const a = await start(databaseUrl, env, true);
    const alice = await createUser(a.deps);
    const f = await a.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    await waitFinal(a.deps, [f.json().id]);
    const res = await a.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: `0x${randomBytes(20).toString('hex')}`, amount: '1' } });
    const id = res.json().id as string;
    await waitUntil(async () => {
      const r = await a.deps.db.selectFrom('transactions').select('status').where('id', '=', id).executeTakeFirst();
      return r && r.status !== 'queued';
    }, 20_000, 5);
    await a.deps.jobs.stop();
    await a.close();
    open.splice(open.indexOf(a), 1);
    const b = await start(databaseUrl, env, true);
    expect((await waitFinal(b.deps, [id]))[id]).toBe('confirmed');
    expect(await confirmedEvents(b.deps, id)).toBe('1');
  });
});

describe('a transaction the embedded node holds without mining', () => {
  it('is mined by the confirmation job (anvil automine can leave ready transactions in its pool)', async () => {
    const { t, core, alice, wallet, anvil, close } = await onPrivateChain();
    try {
      // the node takes the transaction into its pool and mines nothing, as anvil sometimes does with automine on
      await anvil.setAutomine(false);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to: `0x${randomBytes(20).toString('hex')}`, amount: '1' } });
      const { signed } = await signQueued(core, wallet.id);
      await sendSigned(core, wallet.id, signed);
      await confirmWallet(core, wallet.id, false);
      expect((await waitFinal(t.deps, [res.json().id], 5_000))[res.json().id]).toBe('confirmed');
    } finally {
      await close();
    }
  });
});

describe('two signers on one wallet (two nodes)', () => {
  it('each signs from the nonce the other stored: a signer that remembered an older one starts over, no nonce is used twice', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { WALLET_MASTER_KEY: randomBytes(32).toString('hex'), JWT_SECRET: randomBytes(32).toString('hex') };
    const { a, alice, wallet, to } = await queueOne(databaseUrl, env);
    const b = await start(databaseUrl, env, false);
    const queue = async () => expect((await a.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to, amount: '1' } })).statusCode).toBe(202);
    // a signs the first transfer and remembers the wallet's next nonce
    expect((await signQueued(a.deps.services.wallets.core, wallet.id)).signed).toHaveLength(1);
    // b signs the next one: the nonce a remembers is now behind the database's
    await queue();
    expect((await signQueued(b.deps.services.wallets.core, wallet.id)).signed).toHaveLength(1);
    await queue();
    expect((await signQueued(a.deps.services.wallets.core, wallet.id)).signed).toHaveLength(1);
    const rows = await a.deps.db.selectFrom('transactions').select('nonce').where('from_wallet_id', '=', wallet.id).where('type', '=', 'transfer').orderBy('nonce').execute();
    const nonces = rows.map((r) => Number(r.nonce));
    expect(nonces).toEqual([nonces[0], nonces[0] + 1, nonces[0] + 2]);
    expect(Number((await a.deps.db.selectFrom('wallets').select('next_nonce').where('id', '=', wallet.id).executeTakeFirstOrThrow()).next_nonce)).toBe(nonces[0] + 3);
  });
});
