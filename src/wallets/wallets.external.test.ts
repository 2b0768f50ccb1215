import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestClient, http, parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { createDeps, type AppDeps } from '../platform/deps.js';
import { createLogger } from '../platform/observability/logger.js';
import { createTestApp, createTestDatabase, testConfig, type TestApp } from '../../test/helpers/testApp.js';
import { createUser } from '../../test/helpers/factories.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { waitUntil } from './wallets.testing.js';
import { tcpProxy } from '../../test/helpers/tcpProxy.js';

/** A StreakPets on "someone else's" chain: the run's anvil treated as external, with the token from settings. */
let embedded: TestApp;
let deps: AppDeps;
let app: FastifyInstance;
const treasuryKey = generatePrivateKey();
const treasury = privateKeyToAccount(treasuryKey);

beforeAll(async () => {
  embedded = await createTestApp();
  const token = embedded.deps.services.wallets.chain!.token.address;
  await embedded.deps.chain.setBalance(treasury.address, parseEther('10'));
  const config = testConfig({ TOKEN_ADDRESS: token, TREASURY_PRIVATE_KEY: treasuryKey });
  deps = createDeps(
    config,
    { databaseUrl: await createTestDatabase(), rpcUrl: inject('rpcUrl'), embeddedChain: false, jwtSecret: randomBytes(32).toString('hex'), walletMasterKey: randomBytes(32).toString('hex') },
    createLogger('silent'),
  );
  app = await buildApp(deps);
  await deps.jobs.start({ work: true });
  deps.events.start(200);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await deps?.close();
  await embedded?.close();
});

describe('on a chain StreakPets did not start', () => {
  it('uses the configured token, deploys and mints nothing, and hides the RPC URL', async () => {
    const info = (await app.inject({ method: 'GET', url: '/api/v1/chain' })).json();
    expect(info).toMatchObject({
      embedded: false,
      rpcUrl: null,
      confirmations: 3,
      token: { address: embedded.deps.services.wallets.chain!.token.address, symbol: 'USDC', decimals: 6 },
      treasuryAddress: treasury.address.toLowerCase(),
      batchTransferAddress: null,
    });
    expect(await deps.chain.publicClient.getTransactionCount({ address: treasury.address })).toBe(0);
    const row = await deps.db.selectFrom('chain_deployments').selectAll().executeTakeFirstOrThrow();
    expect(row.deployed).toBe(false);
  });

  it('has no faucet', async () => {
    const user = await createUser(deps);
    const res = await app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: user.auth, payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('faucet_unavailable');
  });

  it('waits for CONFIRMATIONS blocks before confirming a transfer', async () => {
    const user = await createUser(deps);
    const wallet = await deps.services.wallets.ensureUserWallet(deps.db, user.id);
    const core = embedded.deps.services.wallets.core;
    const sealed = await embedded.deps.db.selectFrom('wallets').select('encrypted_key').where('id', '=', core.chain!.treasury.walletId).executeTakeFirstOrThrow();
    const minter = await embedded.deps.chain.walletClient(privateKeyToAccount(core.vault.open(sealed.encrypted_key, core.chain!.treasury.address)));
    const mint = await minter.writeContract({ address: core.chain!.token.address, abi: erc20Abi, functionName: 'mint', args: [wallet.address as Address, 3_000_000n], account: minter.account!, chain: minter.chain });
    await deps.chain.publicClient.waitForTransactionReceipt({ hash: mint, pollingInterval: 50 });
    const to = `0x${randomBytes(20).toString('hex')}`;
    const res = await app.inject({ method: 'POST', url: '/api/v1/transfers', headers: user.auth, payload: { to, amount: '1' } });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    const pending = await waitUntil(async () => {
      const r = await deps.db.selectFrom('transactions').select(['status', 'hash']).where('id', '=', id).executeTakeFirst();
      return r?.status === 'pending' && r.hash ? r : null;
    });
    await deps.chain.publicClient.waitForTransactionReceipt({ hash: pending.hash as `0x${string}`, pollingInterval: 50 });
    expect(await tokenBalance(deps.chain, core.chain!.token.address, to as Address)).toBe(1_000_000n);
    await new Promise((r) => setTimeout(r, 1500));
    const before = await deps.db.selectFrom('transactions').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    const receipt = await deps.chain.publicClient.getTransactionReceipt({ hash: pending.hash as `0x${string}` });
    const head = await deps.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    if (head - receipt.blockNumber + 1n < 3n) expect(before.status).toBe('pending');
    await createTestClient({ mode: 'anvil', transport: http(deps.chain.rpcUrl) }).mine({ blocks: 3 });
    const done = await waitUntil(async () => {
      const r = await deps.db.selectFrom('transactions').select(['status', 'block_number']).where('id', '=', id).executeTakeFirst();
      return r?.status === 'confirmed' ? r : null;
    });
    expect(BigInt(done.block_number!)).toBe(receipt.blockNumber);
  });

  it('records a mined outside transaction as pending until CONFIRMATIONS blocks hold it', async () => {
    const user = await createUser(deps);
    const wallet = await deps.services.wallets.ensureUserWallet(deps.db, user.id);
    const outsider = privateKeyToAccount(generatePrivateKey());
    await embedded.deps.chain.setBalance(outsider.address, parseEther('1'));
    const sender = await deps.chain.walletClient(outsider);
    const hash = await sender.sendTransaction({ to: wallet.address as Address, value: parseEther('0.01'), account: outsider, chain: sender.chain });
    const mined = await deps.chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const res = await app.inject({ method: 'POST', url: '/api/v1/transactions', headers: user.auth, payload: { hash } });
    expect(res.statusCode, res.body).toBe(201);
    // other test files mine blocks on the same chain: only when fewer than 3 hold it yet must it still be pending
    const head = await deps.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    if (head - mined.blockNumber + 1n < 3n) expect(res.json()).toMatchObject({ status: 'pending', blockNumber: null, finalizedAt: null });
    await createTestClient({ mode: 'anvil', transport: http(deps.chain.rpcUrl) }).mine({ blocks: 3 });
    const refreshed = (await app.inject({ method: 'POST', url: `/api/v1/transactions/${hash}/refresh`, headers: user.auth })).json();
    expect(refreshed).toMatchObject({ status: 'confirmed', blockNumber: String(mined.blockNumber), amount: '0.01', token: 'ETH' });
  });
});

describe('an external chain that cannot be reached at start', () => {
  it('starts the node anyway: money routes answer 503 chain_unavailable until the chain answers, then work', async () => {
    const rpc = new URL(inject('rpcUrl'));
    const proxy = await tcpProxy({ host: rpc.hostname, port: Number(rpc.port) });
    await proxy.cut();
    const token = embedded.deps.services.wallets.chain!.token.address;
    const late = createDeps(
      testConfig({ TOKEN_ADDRESS: token, TREASURY_PRIVATE_KEY: treasuryKey }),
      { databaseUrl: await createTestDatabase(), rpcUrl: `http://127.0.0.1:${proxy.port}`, embeddedChain: false, jwtSecret: randomBytes(32).toString('hex'), walletMasterKey: randomBytes(32).toString('hex') },
      createLogger('silent'),
    );
    const lateApp = await buildApp(late);
    try {
      await lateApp.ready();
      const user = await createUser(late);
      expect((await lateApp.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
      const refused = await lateApp.inject({ method: 'POST', url: '/api/v1/transfers', headers: { ...user.auth, 'idempotency-key': 'late-1' }, payload: { to: treasury.address, amount: '1' } });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('chain_unavailable');
      expect(refused.headers['retry-after']).toBeDefined();
      await proxy.restore();
      const info = await waitUntil(async () => {
        const res = await lateApp.inject({ method: 'GET', url: '/api/v1/chain' });
        return res.statusCode === 200 && res.json().token ? (res.json() as { token: { address: string } }) : null;
      }, 15_000);
      expect(info.token.address).toBe(token);
      expect((await lateApp.inject({ method: 'GET', url: '/api/v1/wallets', headers: user.auth })).statusCode).toBe(200);
    } finally {
      await lateApp.close();
      await late.close();
      await proxy.close();
    }
  });
});
