import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: false, dispatch: false, env: { MAX_EVENT_LOOP_DELAY_MS: '50' } });
});
afterAll(async () => t?.close());

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop is overloaded, then recovers', async () => {
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      // hold the event loop the way a CPU-bound burst would
    }
    await new Promise((r) => setTimeout(r, 50));
    const shed = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('10');
    expect(shed.json()).toMatchObject({ code: 'overloaded', status: 503 });
    await new Promise((r) => setTimeout(r, 2500));
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales' });
    expect(ok.statusCode).toBe(200);
  });
});
