import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { withTransaction } from '../db/db.transaction.js';
import type { AppDeps } from '../deps.js';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, pause, type TestSocket } from '../../../test/helpers/sockets.js';
import { createTestApp, createTestDeps, type TestApp } from '../../../test/helpers/testApp.js';

const env = { REDIS_URL: 'redis://127.0.0.1:6379', REALTIME_REDIS_PREFIX: `sptest:${randomBytes(6).toString('hex')}` };

let nodeA: TestApp;
let nodeB: TestApp;
let alice: TestUser;
let tab: TestSocket;
let urlB: string;

const payload = (userId: string, amount: string) => ({
  transactionId: uuidv7(),
  hash: null,
  from: '0x1111111111111111111111111111111111111111',
  to: '0x2222222222222222222222222222222222222222',
  fromUserId: null,
  toUserId: userId,
  amount,
  token: 'USDC',
  type: 'transfer',
  status: 'pending' as const,
});

beforeAll(async () => {
  nodeA = await createTestApp({ env });
  // node B shares the database and Redis but never dispatches: whatever its socket hears came through A
  nodeB = await createTestApp({ env, databaseUrl: nodeA.deps.infra.databaseUrl, dispatch: false });
  await listen(nodeA.app);
  urlB = await listen(nodeB.app);
  alice = await createUser(nodeB.deps);
  tab = await openSocket(urlB, alice.token);
  await pause(300);
});
afterAll(async () => {
  tab?.disconnect();
  await nodeB?.close();
  await nodeA?.close();
  const redis = new Redis(env.REDIS_URL);
  await redis.del(`${env.REALTIME_REDIS_PREFIX}:stream`);
  redis.disconnect();
});

describe('fan-out through the Redis streams adapter', () => {
  it('delivers an event recorded and dispatched on node A to a socket on node B', async () => {
    const data = payload(alice.id, '3.00');
    await withTransaction(nodeA.deps.db, (trx) => nodeA.deps.events.record(trx, { type: 'transfer.pending', userIds: [alice.id], data }));
    await nodeA.deps.events.drain();
    const received = await nextEvent(tab, 'tx:pending', (p) => p.transactionId === data.transactionId);
    expect(received).toMatchObject({ amount: '3.00', toUserId: alice.id, event: 'transfer.pending' });
    expect(nodeA.deps.services.realtime.localConnections).toBe(0);
    expect(nodeB.deps.services.realtime.localConnections).toBe(1);
  });

  it('disconnects the sockets a node holds of a user disabled through another node, telling them once', async () => {
    const dave = await createUser(nodeB.deps);
    const daveTab = await openSocket(urlB, dave.token);
    const closed = new Promise<string>((resolve) => daveTab.once('disconnect', resolve));
    await nodeA.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', dave.id).execute();
    expect(await nextEvent(daveTab, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    expect(await closed).toBe('io server disconnect');
    await pause(150);
    expect(daveTab.received.filter((r) => r.event === 'auth:revoked')).toHaveLength(1);
    expect(tab.connected).toBe(true);
  });

  it('lets a worker-only node (no HTTP routes, no sockets) emit to sockets held by an API node', async () => {
    await nodeA.deps.events.stop();
    let worker: AppDeps | null = null;
    try {
      worker = await createTestDeps({ env, databaseUrl: nodeA.deps.infra.databaseUrl });
      const workerApp = await buildApp(worker, { routes: false });
      await worker.jobs.start({ work: false });
      await pause(300);
      const data = payload(alice.id, '4.00');
      await withTransaction(worker.db, (trx) => worker!.events.record(trx, { type: 'transfer.pending', userIds: [alice.id], data }));
      await worker.events.drain();
      const received = await nextEvent(tab, 'tx:pending', (p) => p.transactionId === data.transactionId);
      expect(received.amount).toBe('4.00');
      await workerApp.close();
    } finally {
      await worker?.close();
    }
  });
});
