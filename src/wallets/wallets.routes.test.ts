import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { waitFinal } from './wallets.testing.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' }, captureLogs: true });
  alice = await createUser(t.deps);
});
afterAll(async () => t?.close());

describe('GET /chain', () => {
  it('tells clients where they are, without auth', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/chain' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ chainId: 31337, network: 'anvil', embedded: true, confirmations: 1 });
    expect(body.token).toMatchObject({ symbol: 'USDC', decimals: 6 });
    expect(body.token.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(body.batchTransferAddress).toMatch(/^0x[0-9a-f]{40}$/);
    expect(body.rpcUrl).toBe(t.deps.chain.rpcUrl);
    const code = await t.deps.chain.publicClient.getCode({ address: body.token.address });
    expect(code && code.length).toBeGreaterThan(100);
    const decimals = await t.deps.chain.publicClient.readContract({
      address: body.token.address,
      abi: [{ type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] }],
      functionName: 'decimals',
    });
    expect(decimals).toBe(6);
  });
});

describe('treasury metrics', () => {
  it('serves the treasury\'s gas and token balances as read from the chain at each scrape', async () => {
    const treasury = t.deps.services.wallets.chain!.treasury.address;
    const token = t.deps.services.wallets.chain!.token.address;
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const gauge = (asset: string) => Number(new RegExp(`treasury_balance_base_units\\{asset="${asset}",symbol="[A-Z]+"\\} (\\S+)`).exec(res.body)?.[1]);
    const [gas, tokens] = await Promise.all([t.deps.chain.publicClient.getBalance({ address: treasury }), tokenBalance(t.deps.chain, token, treasury)]);
    expect(gauge('token')).toBe(Number(tokens));
    expect(gauge('gas')).toBeGreaterThan(0);
    expect(Math.abs(gauge('gas') - Number(gas)) / Number(gas)).toBeLessThan(0.01);
  });
});

describe('wallets', () => {
  it('creates the user wallet on first use and lists it with balances from the chain', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth });
    expect(res.statusCode).toBe(200);
    const [wallet] = res.json().wallets;
    expect(wallet).toMatchObject({ kind: 'user', userId: alice.id, petId: null });
    expect(wallet.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(wallet.balances.token).toEqual({ symbol: 'USDC', amount: '0', base: '0' });
    expect(Object.keys(wallet)).not.toContain('encryptedKey');
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth });
    expect(again.json().wallets).toHaveLength(1);
  });

  it('hides other users\' wallets', async () => {
    const bob = await createUser(t.deps);
    const mine = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0];
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${mine.address}`, headers: bob.auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('wallet_not_found');
    const own = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${mine.address}`, headers: alice.auth });
    expect(own.statusCode).toBe(200);
    expect(own.json().id).toBe(mine.id);
  });

  it('funds a wallet from the faucet: test USDC minted on chain and gas sponsored', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: { ...alice.auth, 'idempotency-key': 'faucet-1' }, payload: { amount: '250.5' } });
    expect(res.statusCode).toBe(202);
    const row = res.json();
    expect(row).toMatchObject({ type: 'faucet', status: 'queued', amount: '250.5', amountBase: '250500000', token: 'USDC' });
    const statuses = await waitFinal(t.deps, [row.id]);
    expect(statuses[row.id]).toBe('confirmed');
    const wallet = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0];
    expect(wallet.balances.token.amount).toBe('250.5');
    const chain = t.deps.services.wallets.chain!;
    expect(await tokenBalance(t.deps.chain, chain.token.address, wallet.address as Address)).toBe(250_500_000n);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/v1/transactions/${row.id}`, headers: alice.auth })).json();
    expect(detail.status).toBe('confirmed');
    expect(detail.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Number(detail.blockNumber)).toBeGreaterThan(0);
    expect(Number(detail.gasUsed)).toBeGreaterThan(21_000);
    expect(BigInt(detail.gasFee)).toBeGreaterThan(0n);

    const funded = await t.deps.db.selectFrom('domain_events').select(['data', 'user_ids']).where('type', '=', 'wallet.funded').execute();
    expect(funded).toEqual([{ data: { walletId: wallet.id, address: wallet.address, amount: '250.5' }, user_ids: [alice.id] }]);
    // a retry with the same key is answered the same grant, not the cooldown
    const retry = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: { ...alice.auth, 'idempotency-key': 'faucet-1' }, payload: { amount: '250.5' } });
    expect(retry.statusCode).toBe(202);
    expect(retry.json().id).toBe(row.id);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: {} });
    expect(again.statusCode).toBe(429);
    expect(again.json().code).toBe('faucet_cooldown');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses more than the faucet gives with a detail that says its limit, in the reader\'s language', async () => {
    const over = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '1000.000001' } });
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({
      code: 'faucet_limit_exceeded',
      title: 'Over the faucet\'s limit',
      detail: 'The faucet gives at most 1000 USDC at a time.',
      errors: [{ field: 'body.amount', code: 'too_large', message: 'must be at most 1000' }],
    });
    const pt = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: { ...alice.auth, 'accept-language': 'pt' }, payload: { amount: '1001' } });
    expect(pt.json()).toMatchObject({ code: 'faucet_limit_exceeded', detail: 'O faucet dá no máximo 1000 USDC por vez.' });
  });

  it('never shows or logs key material', async () => {
    const keys = await t.deps.db.selectFrom('wallets').select(['encrypted_key', 'address']).execute();
    const { KeyVault } = await import('./wallets.crypto.js');
    const vault = new KeyVault(t.deps.infra.walletMasterKey);
    const plain = keys.map((k) => vault.open(k.encrypted_key, k.address));
    const logs = t.logs.join('\n');
    const responses = [
      (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).body,
      (await t.app.inject({ method: 'GET', url: '/api/v1/transactions', headers: alice.auth })).body,
      (await t.app.inject({ method: 'GET', url: '/api/v1/chain' })).body,
    ].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const [i, key] of plain.entries()) {
      for (const text of [logs, responses]) {
        expect(text).not.toContain(key.slice(2));
        expect(text).not.toContain(keys[i].encrypted_key.split(':')[2]);
      }
    }
    expect(t.deps.infra.walletMasterKey).not.toBe('');
    expect(logs).not.toContain(t.deps.infra.walletMasterKey);
  });
});


describe('wallets created for users and pets', () => {
  it('gives a newly registered user a wallet when auth.registered is dispatched', async () => {
    const user = await createUser(t.deps);
    const { withTransaction } = await import('../platform/db/db.transaction.js');
    await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, { type: 'auth.registered', actorId: user.id, userIds: [user.id], data: { email: user.email } }),
    );
    await t.deps.events.drain();
    const wallet = await t.deps.db.selectFrom('wallets').select(['kind', 'address']).where('user_id', '=', user.id).execute();
    expect(wallet).toEqual([{ kind: 'user', address: expect.stringMatching(/^0x[0-9a-f]{40}$/) }]);
    const created = await t.deps.db.selectFrom('domain_events').select('data').where('type', '=', 'wallet.created').where('actor_id', '=', user.id).execute();
    expect(created).toHaveLength(1);
  });

  it('creates one wallet per pet, only for the pet\'s owner', async () => {
    const owner = await createUser(t.deps);
    const other = await createUser(t.deps);
    const adopted = await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: owner.auth, payload: { name: 'Pixel' } });
    expect(adopted.statusCode).toBe(201);
    const petId = adopted.json().id ?? adopted.json().pet.id;
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: other.auth, payload: { kind: 'pet', petId } });
    expect(denied.statusCode).toBe(404);
    expect(denied.json()).toMatchObject({ code: 'pet_not_found', detail: 'There is no such pet, or it is not yours.' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: owner.auth, payload: { kind: 'pet', petId } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'pet', petId, userId: owner.id });
    const twice = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: owner.auth, payload: { kind: 'pet', petId } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('pet_wallet_exists');
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: owner.auth })).json().wallets;
    expect(list.map((w: { kind: string }) => w.kind)).toEqual(['pet', 'user']);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: owner.auth, payload: { kind: 'user' } });
    expect(bad.statusCode).toBe(422);
  });
});

describe('GET /transfers/recipient', () => {
  it('tells who a transfer would reach before it is sent, and refuses unknown recipients with 422', async () => {
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    const bobWallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id);
    const preview = (to: string) => t.app.inject({ method: 'GET', url: `/api/v1/transfers/recipient?to=${encodeURIComponent(to)}`, headers: alice.auth });
    const byEmail = await preview(` ${bob.email.toUpperCase()} `);
    expect(byEmail.statusCode).toBe(200);
    expect(byEmail.json()).toEqual({ to: bob.email.toUpperCase(), address: bobWallet.address, via: 'email', name: 'Bob Boyd', petName: null });
    expect((await preview(bobWallet.address)).json()).toMatchObject({ via: 'address', name: 'Bob Boyd' });
    const outside = '0x000000000000000000000000000000000000dEaD';
    expect((await preview(outside)).json()).toEqual({ to: outside, address: outside.toLowerCase(), via: 'address', name: null, petName: null });
    for (const to of ['nobody@example.test', 'no-such-name', '???']) {
      const res = await preview(to);
      expect(res.statusCode, to).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('recipient_not_found');
    }
    expect((await preview('')).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfers/recipient?to=x' })).statusCode).toBe(401);
  });

  it('refuses, as the transfer would, a payment to the wallet it comes from, and a sending wallet that is not mine', async () => {
    const owner = await createUser(t.deps, { name: 'Olive Owner' });
    const petId = (await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: owner.auth, payload: { name: 'Kiwi' } })).json().id;
    const petWallet = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: owner.auth, payload: { kind: 'pet', petId } })).json();
    const preview = (to: string, from?: string, user = owner) =>
      t.app.inject({ method: 'GET', url: `/api/v1/transfers/recipient?to=${encodeURIComponent(to)}${from ? `&fromWalletId=${from}` : ''}`, headers: user.auth });
    const self = await preview(owner.email);
    expect(self.statusCode).toBe(422);
    expect(self.json()).toMatchObject({ code: 'self_transfer', detail: 'You cannot send money to the wallet it comes from.' });
    expect((await preview(petWallet.address, petWallet.id)).json().code).toBe('self_transfer');
    // from the pet's wallet, the owner's own wallet is a fine payee
    expect((await preview(owner.email, petWallet.id)).json()).toMatchObject({ via: 'email', name: 'Olive Owner', petName: null });
    // my pet's wallet is named after my pet; someone else's pet stays theirs to name
    expect((await preview(petWallet.address)).json()).toMatchObject({ via: 'address', name: 'Olive Owner', petName: 'Kiwi' });
    expect((await preview(petWallet.address, undefined, alice)).json()).toMatchObject({ name: 'Olive Owner', petName: null });
    expect((await preview(owner.email, petWallet.id, alice)).json().code).toBe('wallet_not_found');
    expect((await preview(owner.email, 'not-a-uuid')).statusCode).toBe(422);
  });
});

describe('OpenAPI', () => {
  it('documents the wallet routes in a valid OpenAPI 3.1 document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    for (const path of ['/api/v1/chain', '/api/v1/wallets', '/api/v1/wallets/faucet', '/api/v1/transfers', '/api/v1/transfers/recipient', '/api/v1/transactions', '/api/v1/transactions/{hashOrId}', '/api/v1/basenames', '/api/v1/basenames/check', '/api/v1/intents', '/api/v1/intents/{id}/fund']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
