import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { gates, probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';
import { purgeExpiredIdempotencyKeys } from './http.idempotency.js';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], dispatch: false, env: { RATE_LIMIT_LENIENT: '1000' } });
  user = await createUser(t.deps);
});
afterAll(async () => t?.close());

const pay = (key: string | undefined, body: Record<string, unknown>, who: TestUser = user) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/probe/pay',
    headers: { ...who.auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });

async function paidCount(amount: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from domain_events where type = 'probe.paid' and data->>'amount' = ${amount}`.execute(t.deps.db);
  return r.rows[0].n;
}

describe('Idempotency-Key', () => {
  it('replays the first status and body with Idempotent-Replayed: true', async () => {
    const first = await pay('key-1', { amount: '101' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await pay('key-1', { amount: '101' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await paidCount('101')).toBe(1);
  });

  it('answers before the response is stored, and a repeat on this node waits for the store', async () => {
    let open!: () => void;
    gates.set('g-store', new Promise<void>((r) => (open = r)));
    const first = pay('key-store', { amount: '109', gate: 'g-store' });
    await vi.waitFor(async () => expect(await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'key-store').executeTakeFirst()).toBeDefined());
    // another transaction holds the key's row, so its response cannot be stored yet
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const blocker = t.deps.db.transaction().execute(async (trx) => {
      await sql`select 1 from idempotency_keys where key = 'key-store' for update`.execute(trx);
      locked();
      await released;
    });
    await isLocked;
    open();
    const answered = await first;
    expect(answered.statusCode).toBe(201);
    let repeated = false;
    const repeat = pay('key-store', { amount: '109', gate: 'g-store' }).finally(() => (repeated = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(repeated).toBe(false);
    release();
    await blocker;
    const replay = await repeat;
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(answered.json());
    expect(await paidCount('109')).toBe(1);
  });

  it('a service can store the response with its own COMMIT: the key is done when the action is, and replays what was sent', async () => {
    const payAtomic = (key: string, body: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/probe/pay-atomic', headers: { ...user.auth, 'content-type': 'application/json', 'idempotency-key': key }, payload: body });
    const first = await payAtomic('key-atomic', { amount: '121' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['x-key-state']).toBe('done');
    expect(first.json()).not.toHaveProperty('internal');
    const stored = await t.deps.db.selectFrom('idempotency_keys').selectAll().where('key', '=', 'key-atomic').executeTakeFirstOrThrow();
    expect(stored.response_body).toBe(first.body);
    expect(stored.response_status).toBe(201);
    const replay = await payAtomic('key-atomic', { amount: '121' });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(replay.headers['content-type']).toBe(first.headers['content-type']);
    expect(await paidCount('121')).toBe(1);

    // rolled back: the refusal changed nothing, so the key is released and a retry runs again
    const failed = await payAtomic('key-atomic-fail', { amount: '122', fail: true });
    expect(failed.statusCode).toBe(409);
    expect(await paidCount('122')).toBe(0);
    await vi.waitFor(async () =>
      expect(await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'key-atomic-fail').executeTakeFirst()).toBeUndefined());
    const again = await payAtomic('key-atomic-fail', { amount: '122', fail: true });
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not replay a refusal: once its cause is gone the same key and body run the action, once', async () => {
    const refusedUntil = { open: false };
    const payOrRefuse = (key: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/probe/pay-atomic',
        headers: { ...user.auth, 'content-type': 'application/json', 'idempotency-key': key },
        payload: { amount: '123', refuse: !refusedUntil.open },
      });
    expect((await payOrRefuse('key-refused')).statusCode).toBe(403);
    refusedUntil.open = true;
    const paid = await payOrRefuse('key-refused');
    expect(paid.statusCode).toBe(201);
    expect(paid.headers['idempotent-replayed']).toBeUndefined();
    expect((await payOrRefuse('key-refused')).headers['idempotent-replayed']).toBe('true');
    expect(await paidCount('123')).toBe(1);
  });

  it('rejects the same key with a different body with 422', async () => {
    await pay('key-2', { amount: '102' });
    const other = await pay('key-2', { amount: '999' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    expect(await paidCount('999')).toBe(0);
  });

  it('answers 409 to a duplicate while the first is still in flight', async () => {
    let open!: () => void;
    gates.set('g1', new Promise<void>((r) => (open = r)));
    const first = pay('key-3', { amount: '103', gate: 'g1' });
    await new Promise((r) => setTimeout(r, 100));
    const dup = await pay('key-3', { amount: '103', gate: 'g1' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('idempotency_in_flight');
    open();
    expect((await first).statusCode).toBe(201);
    expect(await paidCount('103')).toBe(1);
  });

  it('20 concurrent requests with one key run the action once', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => pay('key-4', { amount: '104' })));
    expect(await paidCount('104')).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.statusCode);
    const replay = await pay('key-4', { amount: '104' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('concurrent requests with many keys (claimed and stored in batches) each run once and each replay their own response', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    const bodies = keys.map((_, i) => ({ amount: String(200 + i) }));
    const firsts = await Promise.all(keys.map((k, i) => pay(k, bodies[i])));
    for (const r of firsts) expect(r.statusCode).toBe(201);
    const again = await Promise.all([...keys.map((k, i) => pay(k, bodies[i])), ...keys.map((k, i) => pay(k, bodies[i]))]);
    for (const [i, r] of again.entries()) {
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.json()).toEqual(firsts[i % keys.length].json());
    }
    for (const b of bodies) expect(await paidCount(b.amount)).toBe(1);
    const reused = await Promise.all(keys.map((k) => pay(k, { amount: '999999' })));
    for (const r of reused) expect(r.json().code).toBe('idempotency_key_reused');
  });

  it('stores nothing when validation fails, so the key stays usable', async () => {
    const bad = await pay('key-5', { amount: 'lots' });
    expect(bad.statusCode).toBe(422);
    const rows = await t.deps.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'key-5').execute();
    expect(rows).toHaveLength(0);
    expect((await pay('key-5', { amount: '105' })).statusCode).toBe(201);
  });

  it('keys are scoped per user', async () => {
    const other = await createUser(t.deps);
    await pay('shared', { amount: '106' });
    const res = await pay('shared', { amount: '106' }, other);
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await paidCount('106')).toBe(2);
  });

  it('rejects keys that are not 1–255 printable characters', async () => {
    const res = await pay('x'.repeat(256), { amount: '107' });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('idempotency_key_invalid');
  });

  it('keys expire after their TTL and are purged', async () => {
    await pay('key-old', { amount: '108' });
    await t.deps.db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('key', '=', 'key-old').execute();
    expect(await purgeExpiredIdempotencyKeys(t.deps.db)).toBeGreaterThanOrEqual(1);
    const fresh = await pay('key-old', { amount: '108' });
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(await paidCount('108')).toBe(2);
  });
});
