import { describe, expect, it } from 'vitest';
import { AttemptKeys, attemptRefused } from '../../web/src/attempts.js';

function keys(): AttemptKeys {
  let n = 0;
  return new AttemptKeys(() => `key-${++n}`);
}

const refused = { status: 422, code: 'insufficient_balance' };
const network = { status: 0, code: 'network' };

describe('the Idempotency-Key of a money action in the web app', () => {
  it('is a new one when the user tries again after the server refused the attempt', () => {
    const k = keys();
    expect(k.keyFor({ intent: 'i1' })).toBe('key-1');
    k.done(refused);
    // a fixed key per request (fund-<id>) replayed the stored refusal for 24 h
    expect(k.keyFor({ intent: 'i1' })).toBe('key-2');
  });

  it('stays the attempt’s while its outcome is open (an automatic retry, a network error, a 5xx, a repeat in flight)', () => {
    const k = keys();
    expect(k.keyFor('i1')).toBe('key-1');
    expect(k.keyFor('i1')).toBe('key-1');
    for (const open of [network, { status: 500, code: 'internal' }, { status: 503, code: 'unavailable' }, { status: 409, code: 'idempotency_in_flight' }, new Error('bad json')]) {
      k.done(open);
      expect(k.keyFor('i1')).toBe('key-1');
    }
  });

  it('is a new one after a success, and for a different payload', () => {
    const k = keys();
    expect(k.keyFor({ to: '0xa', amount: '1' })).toBe('key-1');
    k.done();
    expect(k.keyFor({ to: '0xa', amount: '1' })).toBe('key-2');
    k.done(network);
    expect(k.keyFor({ to: '0xa', amount: '2' })).toBe('key-3');
  });

  it('reads a 4xx answer as a refusal, except a repeat of a key still in flight', () => {
    expect(attemptRefused(refused)).toBe(true);
    expect(attemptRefused({ status: 429, code: 'rate_limited' })).toBe(true);
    expect(attemptRefused({ status: 409, code: 'idempotency_in_flight' })).toBe(false);
    expect(attemptRefused(network)).toBe(false);
    expect(attemptRefused({ status: 502, code: 'http_502' })).toBe(false);
    expect(attemptRefused(undefined)).toBe(false);
  });
});
