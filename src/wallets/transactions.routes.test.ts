import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, http, parseEther, parseEventLogs, parseUnits, zeroAddress, type Address } from 'viem';
import { tokenBalance } from '../chain/chain.deploy.js';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { batchTransferAbi, erc20Abi } from '../chain/chain.contracts.js';
import { signQueued } from './transfers.broadcast.js';
import { waitFinal } from './wallets.testing.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let aliceWallet: { id: string; address: Address };
const outsider = privateKeyToAccount(generatePrivateKey());

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000', LOG_LEVEL: process.env.WLOG ?? 'silent' } });
  alice = await createUser(t.deps, { name: 'Alice Ames' });
  bob = await createUser(t.deps, { name: 'Bob Boyd' });
  aliceWallet = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0];
  const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '50' } });
  expect(f.statusCode).toBe(202);
  await waitFinal(t.deps, [f.json().id]);
  const ids: string[] = [];
  for (const [to, amount] of [[bob.email, '1'], [bob.email, '2'], [outsider.address, '3']] as const) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers', headers: alice.auth, payload: { to, amount } });
    expect(res.statusCode, res.body).toBe(202);
    ids.push(res.json().id);
  }
  await waitFinal(t.deps, ids);
  await t.deps.chain.setBalance(outsider.address, parseEther('1'));
});
afterAll(async () => t?.close());

const get = (url: string, user: TestUser) => t.app.inject({ method: 'GET', url, headers: user.auth });

describe('GET /transactions', () => {
  it('lists my ledger newest first with a summary, filters and cursor pagination', async () => {
    const res = await get('/api/v1/transactions', alice);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.transactions.map((r: { type: string; amount: string }) => `${r.type}:${r.amount}`)).toEqual(['transfer:3', 'transfer:2', 'transfer:1', 'faucet:50']);
    // both sides by name: users by theirs, the treasury by the app's, an outside address by none
    expect(body.transactions.map((r: { fromName: string | null; toName: string | null }) => [r.fromName, r.toName])).toEqual([
      ['Alice Ames', null],
      ['Alice Ames', 'Bob Boyd'],
      ['Alice Ames', 'Bob Boyd'],
      ['StreakPets', 'Alice Ames'],
    ]);
    expect(body.summary).toEqual({
      count: 4,
      byStatus: { confirmed: 4 },
      byType: { transfer: 3, faucet: 1 },
      totals: [{ token: 'USDC', sent: '6', received: '50' }],
    });
    const page1 = (await get('/api/v1/transactions?type=transfer&limit=2', alice)).json();
    expect(page1.transactions.map((r: { amount: string }) => r.amount)).toEqual(['3', '2']);
    expect(page1.hasMore).toBe(true);
    const page2 = (await get(`/api/v1/transactions?type=transfer&limit=2&cursor=${page1.nextCursor}`, alice)).json();
    expect(page2.transactions.map((r: { amount: string }) => r.amount)).toEqual(['1']);
    expect(page2).toMatchObject({ hasMore: false, nextCursor: null });
    const byAddress = (await get(`/api/v1/transactions?address=${outsider.address}`, alice)).json();
    expect(byAddress.transactions).toHaveLength(1);
    expect((await get('/api/v1/transactions?status=pending', alice)).json().transactions).toHaveLength(0);
    expect((await get('/api/v1/transactions?cursor=garbage', alice)).statusCode).toBe(422);
    // a time Date.parse reads but the server never writes (this one sorted after every row: the first page again)
    const lastId = page1.transactions[1].id;
    for (const k of ['+275760-09-13T00:00:00.000Z', '1', '2024-02-30T00:00:00.000Z']) {
      const tampered = await get(`/api/v1/transactions?cursor=${Buffer.from(JSON.stringify({ k, id: lastId })).toString('base64url')}`, alice);
      expect(tampered.statusCode, k).toBe(422);
      expect(tampered.json().errors).toEqual([expect.objectContaining({ field: 'querystring.cursor', code: 'invalid_cursor' })]);
    }
  });

  it('shows the recipient only what touched them, and refuses a non-admin naming another user (403 forbidden, as /activity)', async () => {
    const other = await get(`/api/v1/transactions?userId=${alice.id}`, bob);
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ status: 403, code: 'forbidden' });
    const activity = await get(`/api/v1/activity?userId=${alice.id}`, bob);
    expect(activity.json().code).toBe(other.json().code);
    // naming themselves is still their own ledger
    const body = (await get(`/api/v1/transactions?userId=${bob.id}`, bob)).json();
    expect(body.transactions.map((r: { amount: string }) => r.amount)).toEqual(['2', '1']);
    expect(body.summary.totals).toEqual([{ token: 'USDC', sent: '0', received: '3' }]);
    const one = body.transactions[0];
    expect((await get(`/api/v1/transactions/${one.transactionHash}`, bob)).json()).toMatchObject({ id: one.id, fromName: 'Alice Ames', toName: 'Bob Boyd' });
    const stranger = await createUser(t.deps);
    expect((await get(`/api/v1/transactions/${one.id}`, stranger)).json().code).toBe('transaction_not_found');
  });

  it('refuses a date range that ends before it starts with one localized 422 on `to`, comparing instants', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/transactions?from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z', headers: { ...alice.auth, 'accept-language': 'fr' } });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'querystring.to', message: "ne doit pas être antérieur à from" }] });
    expect(res.json().errors).toHaveLength(1);
    // the same instant, or a later one written with another offset, is a valid (possibly empty) range
    expect((await get('/api/v1/transactions?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', alice)).statusCode).toBe(200);
    expect((await get(`/api/v1/transactions?from=${encodeURIComponent('2026-01-01T01:00:00+02:00')}&to=2026-01-01T00:00:00Z`, alice)).statusCode).toBe(200);
    const open = (await get('/api/v1/transactions?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z', alice)).json();
    expect(open.summary.count).toBe(4);
  });

  it('tells one error for a limit past the safe integers: its own bound (1–100) only', async () => {
    for (const [limit, bound] of [['100000000000000000000', '100'], ['-100000000000000000000', '1']]) {
      const res = await get(`/api/v1/transactions?limit=${limit}`, alice);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'querystring.limit', message: expect.stringContaining(bound) })]);
    }
  });

  it('lets an admin read anyone\'s ledger by userId', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const body = (await get(`/api/v1/transactions?userId=${bob.id}`, admin)).json();
    expect(body.transactions).toHaveLength(2);
    // by address, the totals are that address's: what it received is not also counted as sent
    const bobAddress = (await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id)).address;
    const byAddress = (await get(`/api/v1/transactions?address=${bobAddress}`, admin)).json();
    expect(byAddress.summary.totals).toEqual([{ token: 'USDC', sent: '0', received: '3' }]);
  });
});

describe('faucet grants in the ledger', () => {
  it('are mints as the chain shows them: from the zero address, the treasury named as minter, never counted as the treasury\'s', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const { treasury, token } = t.deps.services.wallets.chain!;
    const grant = (await get('/api/v1/transactions?type=faucet', alice)).json().transactions[0];
    expect(grant).toMatchObject({ from: zeroAddress, to: aliceWallet.address, amount: '50', fromName: 'StreakPets', metadata: { minter: treasury.address.toLowerCase() } });
    const receipt = await t.deps.chain.publicClient.getTransactionReceipt({ hash: grant.transactionHash });
    const logged = parseEventLogs({ abi: erc20Abi, logs: receipt.logs, eventName: 'Transfer' });
    expect(logged.map((l) => [l.args.from, l.args.to.toLowerCase(), l.args.value])).toEqual([[zeroAddress, aliceWallet.address, 50_000_000n]]);
    // the treasury's ledger agrees with its balance on chain
    const ledger = (await get(`/api/v1/transactions?address=${treasury.address}`, admin)).json();
    expect(ledger.transactions.filter((r: { type: string }) => r.type === 'faucet')).toEqual([]);
    const usdc = ledger.summary.totals.find((x: { token: string }) => x.token === 'USDC') ?? { sent: '0', received: '0' };
    const onChain = await tokenBalance(t.deps.chain, token.address, treasury.address);
    expect(parseUnits(usdc.received, 6) - parseUnits(usdc.sent, 6)).toBe(onChain);
  });
});

describe('POST /transactions records an external transaction from what the chain says', () => {
  it('records a token transfer sent outside StreakPets, and never trusts client fields', async () => {
    const wallet = createWalletClient({ account: outsider, transport: http(t.deps.chain.rpcUrl), chain: await t.deps.chain.chain() });
    const token = t.deps.services.wallets.chain!.token.address;
    const hash = await wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [aliceWallet.address, 1_250_000n] });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const lying = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash, amount: '999' } });
    expect(lying.statusCode).toBe(422);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      transactionHash: hash,
      from: outsider.address.toLowerCase(),
      to: aliceWallet.address,
      amount: '1.25',
      token: 'USDC',
      status: 'confirmed',
      toUserId: alice.id,
    });
    expect(Number(res.json().blockNumber)).toBeGreaterThan(0);
    // dated by its block, not by when it was recorded
    const block = await t.deps.chain.publicClient.getBlock({ blockNumber: BigInt(res.json().blockNumber) });
    const minedAt = new Date(Number(block.timestamp) * 1000).toISOString();
    expect(res.json()).toMatchObject({ timestamp: minedAt, finalizedAt: minedAt });
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(res.json().id);
  });

  it('records a native transfer; refuses strangers and unknown hashes', async () => {
    const wallet = createWalletClient({ account: outsider, transport: http(t.deps.chain.rpcUrl), chain: await t.deps.chain.chain() });
    const hash = await wallet.sendTransaction({ to: aliceWallet.address, value: parseEther('0.001') });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const stranger = await createUser(t.deps);
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: stranger.auth, payload: { hash } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('tx_not_yours');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } });
    expect(res.json()).toMatchObject({ amount: '0.001', token: 'ETH', status: 'confirmed' });
    // a pet that is not the caller's is not found, and nothing is recorded
    const strangersPet = (await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: stranger.auth, payload: { name: 'Nibbles' } })).json();
    const another = await wallet.sendTransaction({ to: aliceWallet.address, value: parseEther('0.002') });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash: another, pollingInterval: 50 });
    for (const petId of [strangersPet.id, '00000000-0000-4000-8000-000000000000']) {
      const refused = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash: another, petId } });
      expect(refused.statusCode).toBe(404);
      expect(refused.json().code).toBe('pet_not_found');
    }
    expect(await t.deps.db.selectFrom('transactions').select('id').where('hash', '=', another.toLowerCase()).execute()).toHaveLength(0);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash: `0x${'ab'.repeat(32)}` } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('tx_not_on_chain');
  });
});

describe('POST /transactions recorded by several requests at once', () => {
  it('answers every request with the one row: 201 to the request that created it, 200 to the others', async () => {
    const wallet = createWalletClient({ account: outsider, transport: http(t.deps.chain.rpcUrl), chain: await t.deps.chain.chain() });
    const hash = await wallet.writeContract({ address: t.deps.services.wallets.chain!.token.address, abi: erc20Abi, functionName: 'transfer', args: [aliceWallet.address, 10_000n] });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1);
    expect(answers[0].json()).toMatchObject({ transactionHash: hash, amount: '0.01', to: aliceWallet.address });
  });
});

describe('POST /transactions for a transaction paying two users', () => {
  it('records it for the first party, and tells the second it is already in the ledger (409)', async () => {
    const wallet = createWalletClient({ account: outsider, transport: http(t.deps.chain.rpcUrl), chain: await t.deps.chain.chain() });
    const { token, batchTransferAddress } = t.deps.services.wallets.chain!;
    const bobWallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id);
    const approve = await wallet.writeContract({ address: token.address, abi: erc20Abi, functionName: 'approve', args: [batchTransferAddress!, 500_000n] });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash: approve, pollingInterval: 50 });
    const hash = await wallet.writeContract({
      address: batchTransferAddress!, abi: batchTransferAbi, functionName: 'batchTransfer',
      args: [token.address, [aliceWallet.address, bobWallet.address as Address], [300_000n, 200_000n]],
    });
    await t.deps.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ to: aliceWallet.address, amount: '0.3' });
    const second = await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: bob.auth, payload: { hash } });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'tx_recorded_by_other', detail: expect.stringContaining(`Transaction ${hash} is already in the ledger`) });
    // a stranger to it still learns nothing more than before
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: (await createUser(t.deps)).auth, payload: { hash } })).json().code).toBe('tx_not_yours');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/transactions', headers: alice.auth, payload: { hash } })).statusCode).toBe(200);
  });
});

describe('POST /transactions/:hash/refresh', () => {
  it('re-checks a pending row: re-sends its signed bytes and confirms it', async () => {
    const idle = await createTestApp({ work: false, env: { RATE_LIMIT_STRICT: '1000' } });
    try {
      const u = await createUser(idle.deps);
      const w = await idle.deps.services.wallets.ensureUserWallet(idle.deps.db, u.id);
      const core = idle.deps.services.wallets.core;
      const chain = core.chain!;
      await idle.deps.chain.setBalance(w.address as Address, parseEther('1'));
      const { queueTransfer, resolveRecipient } = await import('./transfers.service.js');
      const { withTransaction } = await import('../platform/db/db.transaction.js');
      const mint = await idle.deps.chain.walletClient(privateKeyToAccount(core.vault.open(
        (await idle.deps.db.selectFrom('wallets').select('encrypted_key').where('id', '=', chain.treasury.walletId).executeTakeFirstOrThrow()).encrypted_key,
        chain.treasury.address,
      )));
      await idle.deps.chain.publicClient.waitForTransactionReceipt({
        hash: await mint.writeContract({ address: chain.token.address, abi: erc20Abi, functionName: 'mint', args: [w.address as Address, 5_000_000n], account: mint.account!, chain: mint.chain }),
        pollingInterval: 50,
      });
      const row = await withTransaction(idle.deps.db, async (trx) =>
        queueTransfer(core, trx, { from: w, to: await resolveRecipient(core, trx, outsider.address), amount: 1_000_000n, type: 'transfer', userId: u.id }),
      );
      await signQueued(core, w.id);
      const pending = (await idle.deps.db.selectFrom('transactions').select('hash').where('id', '=', row.id).executeTakeFirstOrThrow()).hash!;
      const res = await idle.app.inject({ method: 'POST', url: `/api/v1/transactions/${pending}/refresh`, headers: u.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: row.id, status: 'confirmed', transactionHash: pending });
    } finally {
      await idle.close();
    }
  });
});
