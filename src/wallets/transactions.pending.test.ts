import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, http, parseEther, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { onPrivateChain } from '../../test/helpers/privateChain.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { confirmPending } from './transfers.confirm.js';
import { failDroppedExternal } from './transactions.service.js';
import { settle } from './wallets.testing.js';

/** Someone outside StreakPets paying alice in USDC, on a chain whose mining the test controls. */
let c: Awaited<ReturnType<typeof onPrivateChain>>;
const outsider = privateKeyToAccount(generatePrivateKey());
const spender = privateKeyToAccount(generatePrivateKey());

beforeAll(async () => {
  c = await onPrivateChain();
  for (const a of [outsider, spender]) await c.t.deps.chain.setBalance(a.address, parseEther('1'));
  const paid = await c.t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: c.alice.auth, payload: { to: outsider.address, amount: '3' } });
  expect(paid.statusCode).toBe(202);
  await settle(c.t.deps, c.core);
});
afterAll(async () => c?.close());

const clientOf = async (account: typeof outsider) =>
  createWalletClient({ account, transport: http(c.t.deps.chain.rpcUrl), chain: await c.t.deps.chain.chain() });
const record = (hash: Hex) => c.t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: c.alice.auth, payload: { hash } });
const ledgerRow = (hash: Hex) => c.t.deps.db.selectFrom('transactions').selectAll().where('hash', '=', hash.toLowerCase()).executeTakeFirstOrThrow();

describe('POST /transactions for a USDC transfer the chain has not mined yet', () => {
  it('records it pending from its calldata, then confirms it with what its Transfer log says', async () => {
    const token = c.core.chain!.token.address;
    await c.anvil.setAutomine(false);
    const hash = await (await clientOf(outsider)).writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [c.wallet.address, 1_500_000n], gas: 100_000n });
    const res = await record(hash);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      transactionHash: hash,
      status: 'pending',
      from: outsider.address.toLowerCase(),
      to: c.wallet.address.toLowerCase(),
      amount: '1.5',
      token: 'USDC',
      tokenAddress: token.toLowerCase(),
      toUserId: c.alice.id,
      blockNumber: null,
    });
    // the chain's word wins over what was read while it was pending
    await c.t.deps.db.updateTable('transactions').set({ amount: '1' }).where('hash', '=', hash.toLowerCase()).execute();
    await c.anvil.mine({ blocks: 1 });
    const refreshed = await c.t.app.inject({ method: 'POST', url: `/api/v1/transactions/${hash}/refresh`, headers: c.alice.auth });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json()).toMatchObject({ status: 'confirmed', amount: '1.5', to: c.wallet.address.toLowerCase(), toUserId: c.alice.id });
    expect(refreshed.json().blockNumber).not.toBeNull();
  });

  it('decodes transferFrom (the tokens\' owner, not the caller, pays) and the watcher confirms it', async () => {
    const token = c.core.chain!.token.address;
    await c.anvil.setAutomine(true);
    const approve = await (await clientOf(outsider)).writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [spender.address, 250_000n] });
    await c.t.deps.chain.publicClient.waitForTransactionReceipt({ hash: approve, pollingInterval: 50 });
    await c.anvil.setAutomine(false);
    const hash = await (await clientOf(spender)).writeContract({
      address: token, abi: erc20Abi, functionName: 'transferFrom', args: [outsider.address, c.wallet.address, 250_000n], gas: 100_000n,
    });
    const res = await record(hash);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', from: outsider.address.toLowerCase(), to: c.wallet.address.toLowerCase(), amount: '0.25', token: 'USDC' });
    expect(res.json().metadata).toMatchObject({ chainFrom: spender.address.toLowerCase(), chainTo: token.toLowerCase() });
    await c.anvil.setNextBlockTimestamp({ timestamp: BigInt(Math.floor(Date.now() / 1000) + 600) });
    await c.anvil.mine({ blocks: 1 });
    await confirmPending(c.core);
    const row = await ledgerRow(hash);
    expect(row).toMatchObject({ status: 'confirmed', amount: '250000', token: 'USDC', to_user_id: c.alice.id });
    // dated by its block by the watcher too
    const block = await c.t.deps.chain.publicClient.getBlock({ blockNumber: BigInt(row.block_number!) });
    expect([row.created_at, row.finalized_at].map((d) => new Date(d!).getTime())).toEqual([Number(block.timestamp) * 1000, Number(block.timestamp) * 1000]);
  });

  it('dates a row recorded while pending by its block once it is mined, not by when it was recorded', async () => {
    await c.anvil.setAutomine(false);
    const hash = await (await clientOf(outsider)).sendTransaction({ to: c.wallet.address, value: parseEther('0.001') });
    const res = await record(hash);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', token: 'ETH', amount: '0.001', finalizedAt: null });
    await c.anvil.setNextBlockTimestamp({ timestamp: BigInt(Math.floor(Date.now() / 1000) + 1200) });
    await c.anvil.mine({ blocks: 1 });
    const refreshed = (await c.t.app.inject({ method: 'POST', url: `/api/v1/transactions/${hash}/refresh`, headers: c.alice.auth })).json();
    expect(refreshed.status).toBe('confirmed');
    const block = await c.t.deps.chain.publicClient.getBlock({ blockNumber: BigInt(refreshed.blockNumber) });
    const at = new Date(Number(block.timestamp) * 1000).toISOString();
    expect(refreshed).toMatchObject({ timestamp: at, finalizedAt: at });
    await c.anvil.setAutomine(true);
  });

  it('records a transfer that will revert as pending, and fails it when it is mined', async () => {
    const token = c.core.chain!.token.address;
    await c.anvil.setAutomine(false);
    // more than the outsider holds: it is mined, and reverts
    const hash = await (await clientOf(outsider)).writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [c.wallet.address, 100_000_000n], gas: 100_000n });
    const res = await record(hash);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', amount: '100', token: 'USDC', to: c.wallet.address.toLowerCase() });
    await c.anvil.mine({ blocks: 1 });
    await confirmPending(c.core);
    expect(await ledgerRow(hash)).toMatchObject({ status: 'failed', error: 'reverted', token: 'USDC' });
    await c.anvil.setAutomine(true);
  });

  it('fails one the chain dropped for good, its sender having used the nonce for another: on refresh, and by the reconcile job', async () => {
    await c.anvil.setAutomine(false);
    const client = await clientOf(outsider);
    const fees = await c.t.deps.chain.publicClient.estimateFeesPerGas();
    const bumped = { maxFeePerGas: fees.maxFeePerGas * 3n, maxPriorityFeePerGas: fees.maxPriorityFeePerGas * 3n };
    const dropped: Hex[] = [];
    for (let i = 0; i < 2; i++) {
      const nonce = await c.t.deps.chain.publicClient.getTransactionCount({ address: outsider.address, blockTag: 'pending' });
      const hash = await client.sendTransaction({ to: c.wallet.address, value: parseEther('0.001'), nonce, ...fees });
      expect((await record(hash)).json()).toMatchObject({ status: 'pending' });
      // the same nonce, paid more, to someone else: it takes the first one's place
      await client.sendTransaction({ to: spender.address, value: parseEther('0.001'), nonce, ...bumped });
      await c.anvil.mine({ blocks: 1 });
      dropped.push(hash);
    }
    await c.anvil.setAutomine(true);
    const refreshed = (await c.t.app.inject({ method: 'POST', url: `/api/v1/transactions/${dropped[0]}/refresh`, headers: c.alice.auth })).json();
    expect(refreshed).toMatchObject({ status: 'failed', error: 'nonce_consumed' });
    expect(await failDroppedExternal(c.core, 0)).toBe(1);
    expect(await ledgerRow(dropped[1]!)).toMatchObject({ status: 'failed', error: 'nonce_consumed' });
    expect(await failDroppedExternal(c.core, 0)).toBe(0);
  });
});
