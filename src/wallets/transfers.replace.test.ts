import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { onPrivateChain } from '../../test/helpers/privateChain.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { signQueued } from './transfers.broadcast.js';
import { confirmWallet } from './transfers.confirm.js';
import { bumpedFees, storeReplacements } from './transfers.replace.js';
import { sendSigned } from './transfers.send.js';
import { transactionsRepo } from './transactions.repo.js';
import { confirmedEvents } from './wallets.testing.js';

const gwei = 1_000_000_000n;

const noCap = 10n ** 30n;

describe('bumpedFees', () => {
  it('raises both fees by at least 25% (rounded up), or to the market when that is higher', () => {
    expect(bumpedFees({ maxFeePerGas: 10n * gwei, maxPriorityFeePerGas: 1n * gwei }, { maxFeePerGas: 5n * gwei, maxPriorityFeePerGas: gwei }, noCap)).toEqual({
      maxFeePerGas: 12_500_000_000n,
      maxPriorityFeePerGas: 1_250_000_000n,
    });
    expect(bumpedFees({ maxFeePerGas: 3n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }, noCap)).toEqual({ maxFeePerGas: 4n, maxPriorityFeePerGas: 2n });
    expect(bumpedFees({ maxFeePerGas: 10n * gwei, maxPriorityFeePerGas: gwei }, { maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: 3n * gwei }, noCap)).toEqual({
      maxFeePerGas: 40n * gwei,
      maxPriorityFeePerGas: 3n * gwei,
    });
  });

  it('holds both fees under the cap, and answers null when the cap leaves less than the 10% rise a node takes', () => {
    const sent = { maxFeePerGas: 10n * gwei, maxPriorityFeePerGas: gwei };
    // the market is far above: the bump stops at the cap, still 10% over what was sent
    expect(bumpedFees(sent, { maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: 3n * gwei }, 11n * gwei)).toEqual({ maxFeePerGas: 11n * gwei, maxPriorityFeePerGas: 3n * gwei });
    expect(bumpedFees(sent, { maxFeePerGas: 5n * gwei, maxPriorityFeePerGas: gwei }, 10_999_999_999n)).toBeNull();
    // a tip bumped past the capped max fee comes down to it, and must still rise by 10%
    expect(bumpedFees({ maxFeePerGas: gwei, maxPriorityFeePerGas: gwei }, { maxFeePerGas: gwei, maxPriorityFeePerGas: gwei }, 1_100_000_000n)).toEqual({
      maxFeePerGas: 1_100_000_000n,
      maxPriorityFeePerGas: 1_100_000_000n,
    });
    expect(bumpedFees({ maxFeePerGas: gwei, maxPriorityFeePerGas: gwei }, { maxFeePerGas: gwei, maxPriorityFeePerGas: gwei }, gwei)).toBeNull();
  });
});

/** Queues, signs and sends one transfer of 1 USDC while the node mines nothing; answers the row and what was sent. */
async function sendUnmined(c: Awaited<ReturnType<typeof onPrivateChain>>) {
  await c.anvil.setAutomine(false);
  const to = `0x${randomBytes(20).toString('hex')}` as Address;
  const res = await c.t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: c.alice.auth, payload: { to, amount: '1' } });
  expect(res.statusCode).toBe(202);
  const { signed } = await signQueued(c.core, c.wallet.id);
  await sendSigned(c.core, c.wallet.id, signed);
  const sent = await c.t.deps.db.selectFrom('transactions').select(['hash', 'nonce']).where('id', '=', res.json().id).executeTakeFirstOrThrow();
  // REPLACE_STUCK_AFTER_SECONDS is 1 here
  await new Promise((r) => setTimeout(r, 1100));
  return { id: res.json().id as string, to, hash: sent.hash as Hex, nonce: sent.nonce };
}

async function ledgerRow(c: Awaited<ReturnType<typeof onPrivateChain>>, id: string) {
  return c.t.deps.db.selectFrom('transactions').select(['status', 'hash', 'nonce', 'replaced_hashes', 'block_number']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('a transaction the node holds unmined past REPLACE_STUCK_AFTER_SECONDS', () => {
  it('is replaced by the confirmation job: same nonce, higher fees; the replacement is mined and the row confirmed once with its hash', async () => {
    const c = await onPrivateChain({ REPLACE_STUCK_AFTER_SECONDS: '1' });
    try {
      const { id, to, hash, nonce } = await sendUnmined(c);
      const before = await c.t.deps.chain.publicClient.getTransaction({ hash });
      // the job finds it known to the node and unmined for over a second: it stores and sends a replacement, then mines
      await confirmWallet(c.core, c.wallet.id, false);
      const row = await ledgerRow(c, id);
      expect(row.status).toBe('confirmed');
      expect(row.nonce).toBe(nonce);
      expect(row.hash).not.toBe(hash);
      expect(row.replaced_hashes).toEqual([hash]);
      const mined = await c.t.deps.chain.publicClient.getTransaction({ hash: row.hash as Hex });
      expect(mined.nonce).toBe(before.nonce);
      expect(mined.maxFeePerGas! * 100n).toBeGreaterThanOrEqual(before.maxFeePerGas! * 125n);
      expect(mined.maxPriorityFeePerGas! * 100n).toBeGreaterThanOrEqual(before.maxPriorityFeePerGas! * 125n);
      expect(String(mined.blockNumber)).toBe(String(row.block_number));
      // the version it replaced was never mined: the money moved once
      await expect(c.t.deps.chain.publicClient.getTransactionReceipt({ hash })).rejects.toThrow();
      expect(await tokenBalance(c.t.deps.chain, c.core.chain!.token.address, to)).toBe(1_000_000n);
      expect(await tokenBalance(c.t.deps.chain, c.core.chain!.token.address, c.wallet.address)).toBe(4_000_000n);
      expect(await confirmedEvents(c.t.deps, id)).toBe('1');
      // the hash it was first sent under still finds it
      const byOld = await c.t.app.inject({ method: 'GET', url: `/api/v1/transactions/${hash}`, headers: c.alice.auth });
      expect(byOld.statusCode).toBe(200);
      expect(byOld.json()).toMatchObject({ id, transactionHash: row.hash, status: 'confirmed' });
    } finally {
      await c.close();
    }
  });

  it('a replacement stored but never sent (a crash) leaves the first version to be mined: the row is confirmed with that hash', async () => {
    const c = await onPrivateChain({ REPLACE_STUCK_AFTER_SECONDS: '1' });
    try {
      const { id, to, hash } = await sendUnmined(c);
      const pending = await transactionsRepo.pendingForWallet(c.t.deps.db, c.wallet.id, 10);
      const [replacement] = await storeReplacements(c.core, c.wallet.id, pending);
      expect((await ledgerRow(c, id)).hash).toBe(replacement.hash);
      // the node only ever saw the first version, and mines it
      await c.anvil.mine({ blocks: 1 });
      await confirmWallet(c.core, c.wallet.id, false);
      const row = await ledgerRow(c, id);
      expect(row.status).toBe('confirmed');
      expect(row.hash).toBe(hash);
      expect(row.replaced_hashes).toEqual([replacement.hash]);
      expect((await c.t.deps.chain.publicClient.getTransactionReceipt({ hash })).status).toBe('success');
      expect(await tokenBalance(c.t.deps.chain, c.core.chain!.token.address, to)).toBe(1_000_000n);
      expect(await confirmedEvents(c.t.deps, id)).toBe('1');
    } finally {
      await c.close();
    }
  });

  it('is signed under MAX_FEE_PER_GAS_GWEI, and left as it is when the cap leaves no room for a replacement; it is mined as sent', async () => {
    const c = await onPrivateChain({ REPLACE_STUCK_AFTER_SECONDS: '1', MAX_FEE_PER_GAS_GWEI: '1' }, { captureLogs: true });
    try {
      // the test needs a base fee under the cap, or nothing sent could be mined
      expect((await c.t.deps.chain.publicClient.getBlock()).baseFeePerGas!).toBeLessThan(gwei);
      const { id, hash } = await sendUnmined(c);
      const sent = await c.t.deps.chain.publicClient.getTransaction({ hash });
      expect(sent.maxFeePerGas).toBe(gwei);
      expect(sent.maxPriorityFeePerGas! <= gwei).toBe(true);
      const pending = await transactionsRepo.pendingForWallet(c.t.deps.db, c.wallet.id, 10);
      expect(await storeReplacements(c.core, c.wallet.id, pending)).toEqual([]);
      expect(await storeReplacements(c.core, c.wallet.id, pending)).toEqual([]);
      expect(await ledgerRow(c, id)).toMatchObject({ status: 'pending', hash, replaced_hashes: [] });
      // one warning for the wallet, not one on every pass
      expect(c.t.logs.filter((l) => l.includes('a replacement would pass the fee cap') && l.includes(c.wallet.id))).toHaveLength(1);
      await c.anvil.mine({ blocks: 1 });
      await confirmWallet(c.core, c.wallet.id, false);
      expect(await ledgerRow(c, id)).toMatchObject({ status: 'confirmed', hash, replaced_hashes: [] });
      expect(await confirmedEvents(c.t.deps, id)).toBe('1');
    } finally {
      await c.close();
    }
  });

  it('is left alone while younger than the setting', async () => {
    const c = await onPrivateChain({ REPLACE_STUCK_AFTER_SECONDS: '600' });
    try {
      const { id, hash } = await sendUnmined(c);
      await confirmWallet(c.core, c.wallet.id, false);
      const row = await ledgerRow(c, id);
      expect(row.status).toBe('confirmed');
      expect(row.hash).toBe(hash);
      expect(row.replaced_hashes).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
