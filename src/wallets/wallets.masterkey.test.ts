import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await createUser(t.deps);
});
afterAll(async () => t?.close());

describe('WALLET_MASTER_KEY at start-up', () => {
  it('stops a node whose master key does not open the stored wallet keys, instead of serving while it can sign nothing', async () => {
    const wrong = createTestApp({ databaseUrl: t.deps.infra.databaseUrl, env: { WALLET_MASTER_KEY: '11'.repeat(32) } });
    await expect(wrong).rejects.toThrow('WALLET_MASTER_KEY does not open the wallet keys stored in this database: every node must use the key that sealed them');
  });

  it('starts a second node that has the key', async () => {
    const same = await createTestApp({ databaseUrl: t.deps.infra.databaseUrl });
    expect((await same.app.inject({ method: 'GET', url: '/api/v1/chain' })).statusCode).toBe(200);
    await same.close();
  });
});
