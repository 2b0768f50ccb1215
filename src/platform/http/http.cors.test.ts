import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

const ORIGIN = 'https://app.example.test';
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], work: false, dispatch: false, env: { CORS_ORIGINS: `${ORIGIN}, http://localhost:5173` } });
});
afterAll(async () => t?.close());

const list = (header: unknown) => String(header ?? '').toLowerCase().split(/,\s*/);

describe('CORS with CORS_ORIGINS set', () => {
  it('lets a listed origin send every method and header the API uses', async () => {
    for (const method of ['PATCH', 'PUT', 'DELETE', 'POST']) {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/me',
        headers: { origin: ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,idempotency-key,x-locale' },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(list(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'head', 'post', 'put', 'patch', 'delete']));
      expect(list(res.headers['access-control-allow-headers'])).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'x-locale', 'accept-language']),
      );
    }
  });

  it('exposes the headers clients read (rate limits, Retry-After, replays, request id)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/strict', headers: { origin: 'http://localhost:5173' } });
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(list(res.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining(['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'idempotent-replayed', 'x-request-id']),
    );
  });

  it('lets a listed origin read the 400 a badly encoded URL gets', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/translations/%E0%A4%A', headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('answers no CORS headers to an origin that is not listed', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/me', headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'PATCH' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
