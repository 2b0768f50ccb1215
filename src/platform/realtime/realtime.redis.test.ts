import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { withTransaction } from '../db/db.transaction.js';
import type { AppDeps } from '../deps.js';
import { userRoom } from './realtime.events.js';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { listen, nextEvent, openSocket, pause, type TestSocket } from '../../../test/helpers/sockets.js';
import { tcpProxy, type TcpProxy } from '../../../test/helpers/tcpProxy.js';
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

describe('a node started while Redis is unreachable', () => {
  const prefix = `sptest:late:${randomBytes(6).toString('hex')}`;
  const started: TestApp[] = [];
  const sockets: TestSocket[] = [];
  const proxies: TcpProxy[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  const redis = new Redis(env.REDIS_URL);
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    for (const socket of sockets) socket.disconnect();
    for (const node of started.splice(0)) await node.close();
    for (const proxy of proxies) await proxy.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const node = async (redisUrl: string) => {
    const t = await createTestApp({
      env: { REDIS_URL: redisUrl, REALTIME_REDIS_PREFIX: prefix },
      databaseUrl: nodeA.deps.infra.databaseUrl,
      dispatch: false,
      work: false,
    });
    started.push(t);
    return t;
  };

  /** The adapter's pub/sub channels subscribed on Redis (every node's public one and each node's private one). */
  const channels = () => redis.pubsub('CHANNELS', `${prefix}#*`) as Promise<string[]>;

  it('stays up, subscribes its adapter channels once Redis answers, then answers fetchSockets both ways and reaches sockets on another node', async () => {
    process.on('unhandledRejection', onRejection);
    // a port where nothing listens yet: the proxy takes a free one, then stops listening until restore()
    const proxy = await tcpProxy({ host: '127.0.0.1', port: 6379 });
    proxies.push(proxy);
    await proxy.cut();
    const late = await node(`redis://127.0.0.1:${proxy.port}`);
    // an ephemeral message (Redis PUB/SUB) while Redis is down is lost, never a crash
    late.deps.services.realtime.io.of('/').adapter.serverSideEmit(['sptest:while-down']);
    await pause(3000); // the adapter clients' offline queues give up on SUBSCRIBE and PUBLISH (maxRetriesPerRequest) by then
    expect(rejections).toEqual([]);
    expect(await channels()).toEqual([]);

    await proxy.restore();
    const deadline = Date.now() + 10_000;
    while ((await channels()).length < 2 && Date.now() < deadline) await pause(100);
    expect((await channels()).sort()).toEqual([`${prefix}#/#`, expect.stringMatching(new RegExp(`^${prefix}#/#.+#$`))]);

    const other = await node(env.REDIS_URL);
    const [lateUrl, otherUrl] = [await listen(late.app), await listen(other.app)];
    const bob = await createUser(other.deps);
    const onLate = await openSocket(lateUrl, bob.token);
    const onOther = await openSocket(otherUrl, bob.token);
    sockets.push(onLate, onOther);
    const idsFrom = async (t: TestApp) => (await t.deps.services.realtime.io.fetchSockets()).map((s) => s.id).sort();
    // fetchSockets is ephemeral: the request goes out on the public channel, the answers come back on the asker's private one
    expect(await idsFrom(other)).toEqual([onLate.id, onOther.id].sort());
    expect(await idsFrom(late)).toEqual([onLate.id, onOther.id].sort());

    const data = { ...payload(bob.id, '5.00'), id: uuidv7(), at: new Date().toISOString() };
    late.deps.services.realtime.emit(userRoom(bob.id), 'tx:pending', data);
    expect(await nextEvent(onOther, 'tx:pending', (p) => p.transactionId === data.transactionId)).toMatchObject({ amount: '5.00' });
    expect(rejections).toEqual([]);
  });
});
