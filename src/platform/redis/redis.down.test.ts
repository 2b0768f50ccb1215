import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REDIS_RETRY_AFTER_MS } from '../http/http.rateLimitStore.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';
import { realtimeModule } from '../realtime/realtime.module.js';
import { duplicateForAdapter, REDIS_COMMAND_TIMEOUT_MS } from './redis.client.js';

const REDIS = 'redis://127.0.0.1:6379/9';
const prefix = `sptest:down:${randomBytes(6).toString('hex')}`;

/** A TCP proxy in front of the machine's Redis that can be closed (refusing) or muted (connected, never answering). */
async function redisProxy() {
  const sockets = new Set<net.Socket>();
  let muted = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(6379, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk) => muted || upstream.write(chunk));
    upstream.on('data', (chunk) => muted || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}/9`,
    mute: () => (muted = true),
    /** Listens again on the same port after close(). */
    reopen: async () => {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

const apps: TestApp[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function appBehind(proxyUrl: string) {
  const t = await createTestApp({
    modules: [platformModule, realtimeModule, probeModule],
    work: false,
    dispatch: false,
    env: { REDIS_URL: proxyUrl, REDIS_PREFIX: prefix, RATE_LIMIT_STRICT: '3' },
  });
  apps.push(t);
  if (t.deps.redis!.status !== 'ready') await once(t.deps.redis!, 'ready');
  return t;
}

/** Sends a few rate-limited requests and the readiness check; answers their statuses and how long they and it took. */
async function requestsWhileDown(t: TestApp) {
  const started = performance.now();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    statuses.push((await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.77.0.1' })).statusCode);
  }
  const limitedMs = performance.now() - started;
  const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
  return { statuses, ready, ms: performance.now() - started, limitedMs };
}

describe('requests while Redis is unreachable', () => {
  it('reports Redis in readiness while it answers', async () => {
    const proxy = await redisProxy();
    const t = await appBehind(proxy.url);
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
    expect(ready.json().checks.redis.ok).toBe(true);
    await proxy.close();
  });

  it('go through at once, limited per node, when Redis refuses connections; readiness says degraded', async () => {
    const proxy = await redisProxy();
    const t = await appBehind(proxy.url);
    const limited = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.77.0.1' });
    expect(limited.headers['ratelimit-limit']).toBe('3');
    await proxy.close();
    await once(t.deps.redis!, 'close');

    const { statuses, ready, ms } = await requestsWhileDown(t);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('degraded');
    expect(ready.json().checks.redis.ok).toBe(false);
    expect(ready.json().checks.database.ok).toBe(true);
    expect(ms).toBeLessThan(2000);

    // Redis is back: once the retry delay has passed, the count is Redis's again (its 2nd for this client)
    await proxy.reopen();
    await once(t.deps.redis!, 'ready');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + REDIS_RETRY_AFTER_MS });
    try {
      const back = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.77.0.1' });
      expect(back.statusCode).toBe(200);
      expect(back.headers['ratelimit-remaining']).toBe('1');
    } finally {
      vi.useRealTimers();
    }
    await proxy.close();
  });

  it('go through after the command timeout, limited per node, when a connected Redis stops answering', async () => {
    const proxy = await redisProxy();
    const t = await appBehind(proxy.url);
    proxy.mute();

    const { statuses, ready, ms, limitedMs } = await requestsWhileDown(t);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(ready.json()).toMatchObject({ status: 'degraded', checks: { redis: { ok: false } } });
    expect(ms).toBeLessThan(6 * REDIS_COMMAND_TIMEOUT_MS + 2000);
    // only the first request waited for the command timeout: the others counted locally at once
    expect(limitedMs).toBeLessThan(2 * REDIS_COMMAND_TIMEOUT_MS);
    await proxy.close();
  });
});

describe('the Socket.io adapter client', () => {
  it('blocks in XREAD longer than the request path command timeout', async () => {
    const requestPath = new Redis(REDIS, { commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
    const adapter = duplicateForAdapter(requestPath);
    clients.push(requestPath, adapter);
    const read = (c: Redis) => c.xread('BLOCK', REDIS_COMMAND_TIMEOUT_MS * 2, 'STREAMS', `${prefix}:quiet`, '$');
    await expect(read(requestPath)).rejects.toThrow('Command timed out');
    await expect(read(adapter)).resolves.toBeNull();
  });
});
