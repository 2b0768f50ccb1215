import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../test/helpers/factories.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

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
});
