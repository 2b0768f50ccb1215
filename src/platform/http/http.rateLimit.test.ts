import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../test/helpers/factories.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

const REDIS_DB9 = 'redis://127.0.0.1:6379/9';
const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

async function app(env: Record<string, string> = {}) {
  const t = await createTestApp({ modules: [platformModule, probeModule], work: false, dispatch: false, env: { RATE_LIMIT_STRICT: '3', RATE_LIMIT_LENIENT: '5', ...env } });
  apps.push(t);
  return t;
}

async function exhaust(t: TestApp, remoteAddress: string) {
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress });
    statuses.push(last.statusCode);
  }
  return { statuses, last: last! };
}

describe('rate-limit tiers', () => {
  it('limits per IP with RateLimit-* headers, then 429 problem+json with Retry-After', async () => {
    const t = await app();
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.1.1.1' });
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    expect(first.headers['ratelimit-reset']).toBeDefined();
    const { statuses, last } = await exhaust(t, '10.1.1.1');
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(last.headers['content-type']).toContain('application/problem+json');
    expect(last.headers['retry-after']).toMatch(/^\d+$/);
    expect(last.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    const other = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.1.1.2' });
    expect(other.statusCode).toBe(200);
  });

  it('counts per user when signed in, whatever the IP', async () => {
    const t = await app();
    const a = await createUser(t.deps);
    const b = await createUser(t.deps);
    const codes = [];
    for (let i = 0; i < 6; i++) {
      codes.push((await t.app.inject({ method: 'GET', url: '/api/v1/probe/lenient', headers: a.auth, remoteAddress: `10.2.0.${i}` })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/probe/lenient', headers: b.auth, remoteAddress: '10.2.0.1' })).statusCode).toBe(200);
  });

  it('shares counters across nodes through Redis when REDIS_URL is set', async () => {
    const ip = `10.9.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_WINDOW_MS: '5000' };
    const nodeA = await app(env);
    const nodeB = await app(env);
    const codes = [];
    for (const node of [nodeA, nodeB, nodeA, nodeB]) {
      codes.push((await node.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: ip })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429]);
  });

  it('keeps the counters of deployments with different REDIS_PREFIX apart on one Redis database', async () => {
    const prefix = `sptest-${randomBytes(6).toString('hex')}`;
    const redis = new Redis(REDIS_DB9);
    try {
      const blue = await app({ REDIS_URL: REDIS_DB9, REDIS_PREFIX: `${prefix}-blue` });
      const green = await app({ REDIS_URL: REDIS_DB9, REDIS_PREFIX: `${prefix}-green` });
      const codes = [];
      for (const node of [blue, blue, blue, green]) {
        codes.push((await node.app.inject({ method: 'POST', url: '/api/v1/probe/strict', remoteAddress: '10.8.0.1' })).statusCode);
      }
      expect(codes).toEqual([200, 200, 200, 200]);
      const keys = await redis.keys(`${prefix}-*`);
      expect(keys.filter((k) => k.startsWith(`${prefix}-blue-rl-`) && k.endsWith('ip:10.8.0.1'))).toHaveLength(1);
      expect(keys.filter((k) => k.startsWith(`${prefix}-green-rl-`) && k.endsWith('ip:10.8.0.1'))).toHaveLength(1);
    } finally {
      const keys = await redis.keys(`${prefix}-*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });
});

describe('client address behind a proxy (TRUST_PROXY)', () => {
  /** A request as an appending proxy (nginx) at `proxy` forwards it: the client's own X-Forwarded-For, then the address the proxy saw. */
  const viaProxy = (t: TestApp, url: string, spoofed: string, proxy = '127.0.0.1') =>
    t.app.inject({ method: url.endsWith('strict') ? 'POST' : 'GET', url, remoteAddress: proxy, headers: { 'x-forwarded-for': `${spoofed}, 10.9.9.9` } });

  for (const setting of ['true', '1']) {
    it(`with TRUST_PROXY=${setting}, takes the address the proxy appended: a spoofed leftmost entry changes neither the IP nor the rate-limit key`, async () => {
      const t = await app({ TRUST_PROXY: setting });
      expect((await viaProxy(t, '/api/v1/probe/ip', '6.6.6.6')).json()).toEqual({ ip: '10.9.9.9' });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await viaProxy(t, '/api/v1/probe/strict', `6.6.6.${i}`)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  }

  it('with a list of proxy addresses, trusts only the listed hops', async () => {
    const t = await app({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' });
    // both hops are listed proxies: the client is the entry before them
    expect((await viaProxy(t, '/api/v1/probe/ip', '6.6.6.6')).json()).toEqual({ ip: '6.6.6.6' });
    const loopbackOnly = await app({ TRUST_PROXY: '127.0.0.1' });
    expect((await viaProxy(loopbackOnly, '/api/v1/probe/ip', '6.6.6.6')).json()).toEqual({ ip: '10.9.9.9' });
    // a peer that is not a listed proxy is the client, whatever it forwards
    expect((await viaProxy(loopbackOnly, '/api/v1/probe/ip', '6.6.6.6', '192.0.2.7')).json()).toEqual({ ip: '192.0.2.7' });
  });

  it('ignores X-Forwarded-For by default', async () => {
    const t = await app();
    expect((await viaProxy(t, '/api/v1/probe/ip', '6.6.6.6', '192.0.2.8')).json()).toEqual({ ip: '192.0.2.8' });
  });
});
