import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, http, zeroAddress } from 'viem';
import { onPrivateChain } from '../../test/helpers/privateChain.js';
import { createUser } from '../../test/helpers/factories.js';
import { signQueued } from './transfers.broadcast.js';
import { confirmWallet } from './transfers.confirm.js';

let c: Awaited<ReturnType<typeof onPrivateChain>>;
beforeAll(async () => {
  c = await onPrivateChain();
});
afterAll(async () => c?.close());

describe('a faucet grant (a mint, recorded from the zero address)', () => {
  it('fails nonce_consumed when the node lost it and the treasury\'s nonce went to something else', async () => {
    const { treasury } = c.core.chain!;
    const bob = await createUser(c.t.deps);
    const res = await c.t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: bob.auth, payload: { amount: '2' } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ from: zeroAddress, metadata: { minter: treasury.address.toLowerCase() } });
    // signed and stored, never sent: the treasury's nonce is then used by another transaction
    const { signed } = await signQueued(c.core, treasury.walletId);
    expect(signed).toHaveLength(1);
    const row = await c.t.deps.db.selectFrom('transactions').select(['nonce', 'hash']).where('id', '=', res.json().id).executeTakeFirstOrThrow();
    await c.anvil.impersonateAccount({ address: treasury.address });
    const impersonated = createWalletClient({ account: treasury.address, transport: http(c.t.deps.chain.rpcUrl), chain: await c.t.deps.chain.chain() });
    const other = await impersonated.sendTransaction({ to: treasury.address, value: 0n, nonce: Number(row.nonce) });
    await c.t.deps.chain.publicClient.waitForTransactionReceipt({ hash: other, pollingInterval: 50 });
    await c.anvil.stopImpersonatingAccount({ address: treasury.address });
    await confirmWallet(c.core, treasury.walletId, false);
    expect(await c.t.deps.db.selectFrom('transactions').select(['status', 'error']).where('id', '=', res.json().id).executeTakeFirstOrThrow()).toEqual({
      status: 'failed',
      error: 'nonce_consumed',
    });
  });
});
