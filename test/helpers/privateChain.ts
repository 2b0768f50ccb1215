import { createTestClient, http, type Address } from 'viem';
import { startAnvil, type AnvilHandle } from '../../src/platform/embedded/embedded.anvil.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { topUpGas } from '../../src/wallets/transfers.broadcast.js';
import { settle, waitFinal } from '../../src/wallets/wallets.testing.js';
import { createUser } from './factories.js';
import { createTestApp, type TestApp } from './testApp.js';

/**
 * An app without job workers on an anvil of its own (a test may stop its mining or move its fees),
 * with a user whose wallet holds 5 test USDC and gas. `close` stops both.
 */
export async function onPrivateChain(env: Record<string, string> = {}, { captureLogs = false } = {}) {
  const anvil: AnvilHandle = await startAnvil(createLogger('silent'));
  let t: TestApp | null = null;
  try {
    t = await createTestApp({ rpcUrl: anvil.url, env: { RATE_LIMIT_STRICT: '1000', ...env }, work: false, captureLogs });
    const core = t.deps.services.wallets.core;
    const alice = await createUser(t.deps);
    const wallet = (await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).json().wallets[0] as { id: string; address: Address };
    const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '5' } });
    await topUpGas(core, wallet.id);
    await settle(t.deps, core);
    if ((await waitFinal(t.deps, [f.json().id]))[f.json().id] !== 'confirmed') throw new Error('the faucet transfer failed');
    const app = t;
    return {
      t: app,
      core,
      alice,
      wallet,
      anvil: createTestClient({ mode: 'anvil', transport: http(anvil.url) }),
      async close() {
        await app.close();
        await anvil.stop();
      },
    };
  } catch (err) {
    await t?.close();
    await anvil.stop();
    throw err;
  }
}
