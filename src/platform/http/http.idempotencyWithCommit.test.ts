import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { gates, probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

/** Two nodes on one database. */
let a: TestApp;
let b: TestApp;
let user: TestUser;
beforeAll(async () => {
  const options = { modules: [platformModule, probeModule], dispatch: false, work: false, env: { RATE_LIMIT_LENIENT: '1000' } };
  a = await createTestApp(options);
  b = await createTestApp({ ...options, databaseUrl: a.deps.infra.databaseUrl });
  user = await createUser(a.deps);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const pay = (t: TestApp, key: string, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/probe/pay-with-commit',
    headers: { ...user.auth, 'content-type': 'application/json', 'idempotency-key': key },
    payload: body,
  });

async function paidCount(amount: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from domain_events where type = 'probe.paid' and data->>'amount' = ${amount}`.execute(a.deps.db);
  return r.rows[0].n;
}

const keyRow = (key: string) => a.deps.db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();

describe("Idempotency-Key written with the action's COMMIT ('withCommit')", () => {
  it('claims nothing before the handler: the key is written, done, in the COMMIT that does the action', async () => {
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    const first = await pay(a, 'wc-1', { amount: '301' });
    const sent = spy.mock.calls.map(([c]) => (typeof c === 'string' ? c : (c as { text: string }).text));
    spy.mockRestore();
    expect(first.statusCode).toBe(201);
    expect(first.headers['x-key-state']).toBe('done');
    expect(sent.filter((q) => /idempotency_keys/.test(q))).toHaveLength(2);
    expect(sent.find((q) => /insert into idempotency_keys/.test(q))).toMatch(/;\ncommit$/);
    const row = await keyRow('wc-1');
    expect(JSON.parse(row!.response_body!)).toEqual(first.json());
    const again = await pay(b, 'wc-1', { amount: '301' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect((await pay(a, 'wc-1', { amount: '999' })).json().code).toBe('idempotency_key_reused');
    expect(await paidCount('301')).toBe(1);
  });

  it('20 concurrent repeats on one node run the action once and all get its answer', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => pay(a, 'wc-2', { amount: '302' })));
    expect(await paidCount('302')).toBe(1);
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    for (const r of results) expect(r.statusCode).toBe(201);
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
  });

  it('a repeat on another node that commits first wins: the slower action rolls back at its COMMIT and answers what the first stored', async () => {
    let open!: () => void;
    gates.set('wc-gate', new Promise<void>((r) => (open = r)));
    // node a's action waits inside its transaction, before the COMMIT that would write the key
    const slow = pay(a, 'wc-3', { amount: '303', gate: 'wc-gate' });
    await vi.waitFor(() => expect(gates.has('wc-gate')).toBe(false));
    const fast = await pay(b, 'wc-3', { amount: '303', gate: 'wc-gate' });
    expect(fast.statusCode).toBe(201);
    open();
    const late = await slow;
    expect(late.statusCode).toBe(201);
    expect(late.headers['idempotent-replayed']).toBe('true');
    expect(late.json()).toEqual(fast.json());
    expect(await paidCount('303')).toBe(1);
  });

  it('stores no refusal, whether answered without a COMMIT or by an action rolled back: a retry runs again', async () => {
    const refused = await pay(a, 'wc-4', { amount: '304', refuse: true });
    expect(refused.statusCode).toBe(403);
    const again = await pay(b, 'wc-4', { amount: '304', refuse: true });
    expect(again.statusCode).toBe(403);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(await keyRow('wc-4')).toBeUndefined();
    const failed = await pay(a, 'wc-5', { amount: '305', fail: true });
    expect(failed.statusCode).toBe(409);
    expect(await paidCount('305')).toBe(0);
    expect(await keyRow('wc-5')).toBeUndefined();
    const paid = await pay(b, 'wc-5', { amount: '305' });
    expect(paid.statusCode).toBe(201);
    expect(await paidCount('305')).toBe(1);
  });

  it('a server error stores nothing: a retry runs the action', async () => {
    expect((await pay(a, 'wc-7', { amount: '307', crash: true })).statusCode).toBe(500);
    expect(await keyRow('wc-7')).toBeUndefined();
    expect((await pay(b, 'wc-7', { amount: '307', crash: true })).statusCode).toBe(500);
    expect(await paidCount('307')).toBe(0);
  });

  it('an expired key is free again: the next request runs the action and replaces it', async () => {
    await pay(a, 'wc-6', { amount: '306' });
    await a.deps.db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('key', '=', 'wc-6').execute();
    const fresh = await pay(b, 'wc-6', { amount: '306' });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(await paidCount('306')).toBe(2);
    expect((await keyRow('wc-6'))!.expires_at.getTime()).toBeGreaterThan(Date.now());
  });
});
