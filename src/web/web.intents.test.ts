import { describe, expect, it } from 'vitest';
import { nextExpiryIn, REQUESTS_TICK_MS, statusAt } from '../../web/src/intents.js';

const now = Date.parse('2026-11-25T12:00:00Z');
const at = (ms: number) => new Date(now + ms).toISOString();

describe('a payment request in the web app', () => {
  it('reads expired once its time has passed, before the server says so', () => {
    expect(statusAt({ status: 'created', expiresAt: at(-1) }, now)).toBe('expired');
    expect(statusAt({ status: 'created', expiresAt: at(0) }, now)).toBe('expired');
    expect(statusAt({ status: 'created', expiresAt: at(44_000) }, now)).toBe('created');
    expect(statusAt({ status: 'created', expiresAt: at(44_000) }, now + 45_000)).toBe('expired');
  });

  it('keeps what the server decided otherwise', () => {
    for (const status of ['funded', 'executed', 'cancelled', 'expired']) expect(statusAt({ status, expiresAt: at(-60_000) }, now)).toBe(status);
    expect(statusAt({ status: 'created', expiresAt: null }, now)).toBe('created');
    expect(statusAt({ status: 'created', expiresAt: 'soon' }, now)).toBe('created');
  });

  it('is drawn again at its expiry when that comes before the next tick', () => {
    expect(REQUESTS_TICK_MS).toBeLessThanOrEqual(30_000);
    const list = [
      { status: 'created', expiresAt: at(9_000) },
      { status: 'created', expiresAt: at(4_000) },
      { status: 'funded', expiresAt: at(1_000) },
      { status: 'created', expiresAt: at(-1_000) },
      { status: 'created', expiresAt: at(86_400_000) },
    ];
    expect(nextExpiryIn(list, now)).toBe(4_000);
    expect(nextExpiryIn(list.slice(4), now)).toBeNull();
    expect(nextExpiryIn([], now)).toBeNull();
  });
});
