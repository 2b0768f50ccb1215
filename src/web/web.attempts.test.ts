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
    expect(k.begin({ intent: 'i1' })).toBe('key-1');
    k.done(refused);
    // a fixed key per request (fund-<id>) replayed the stored refusal for 24 h
    expect(k.begin({ intent: 'i1' })).toBe('key-2');
  });

  it('stays the attempt’s while its outcome is open (a network error, a 5xx, a repeat in flight)', () => {
    const k = keys();
    expect(k.begin('i1')).toBe('key-1');
    for (const open of [network, { status: 500, code: 'internal' }, { status: 503, code: 'unavailable' }, { status: 409, code: 'idempotency_in_flight' }, new Error('bad json')]) {
      k.done(open);
      expect(k.begin('i1')).toBe('key-1');
    }
  });

  it('is a new one after a success, and for a different payload', () => {
    const k = keys();
    expect(k.begin({ to: '0xa', amount: '1' })).toBe('key-1');
    k.done();
    expect(k.begin({ to: '0xa', amount: '1' })).toBe('key-2');
    k.done(network);
    expect(k.begin({ to: '0xa', amount: '2' })).toBe('key-3');
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

describe('a money form in the web app', () => {
  it('ignores a submit while its attempt is in flight (a double click sends once)', async () => {
    const k = keys();
    const sent: string[] = [];
    let answer!: (value: unknown) => void;
    const send = (key: string) => (sent.push(key), new Promise((resolve) => (answer = resolve)));
    expect(k.run({ payer: 'a@example.com', amount: '1' }, send)).toBe(true);
    expect(k.run({ payer: 'a@example.com', amount: '1' }, send)).toBe(false);
    expect(k.inFlight).toBe(true);
    expect(sent).toEqual(['key-1']);
    answer({});
    await expect.poll(() => k.inFlight).toBe(false);
    // the next submit, after the answer, is a new request
    expect(k.run({ payer: 'a@example.com', amount: '1' }, send)).toBe(true);
    expect(sent).toEqual(['key-1', 'key-2']);
  });

  it('takes submits again after a failed attempt, under a new key after a refusal', async () => {
    const k = keys();
    const sent: string[] = [];
    expect(k.run('i1', async (key) => (sent.push(key), Promise.reject(refused)))).toBe(true);
    await expect.poll(() => k.inFlight).toBe(false);
    expect(k.run('i1', async (key) => (sent.push(key), Promise.reject(network)))).toBe(true);
    await expect.poll(() => k.inFlight).toBe(false);
    expect(k.run('i1', (key) => (sent.push(key), Promise.resolve()))).toBe(true);
    expect(sent).toEqual(['key-1', 'key-2', 'key-2']);
  });

  it('ends the attempt when sending throws at once', async () => {
    const k = keys();
    k.run('x', () => {
      throw refused;
    });
    await expect.poll(() => k.inFlight).toBe(false);
  });
});
