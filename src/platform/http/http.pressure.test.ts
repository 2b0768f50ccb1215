import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: false, dispatch: false, env: { MAX_EVENT_LOOP_DELAY_MS: '20' } });
});
afterAll(async () => t?.close());

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop is overloaded, then recovers', async () => {
    // a burst of CPU-bound work: the loop is held 40 ms at a time for over two sampling periods
    const until = Date.now() + 2200;
    while (Date.now() < until) {
      const slice = Date.now() + 40;
      while (Date.now() < slice) {
        // busy
      }
      await new Promise((r) => setImmediate(r));
    }
    const shed = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('10');
    expect(shed.json()).toMatchObject({ code: 'overloaded', status: 503 });
    await new Promise((r) => setTimeout(r, 2500));
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales' });
    expect(ok.statusCode).toBe(200);
  });
});
