import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { openDatabase, type DatabaseHandle } from '../db/db.pool.js';
import { idempotencyRepo } from './http.idempotency.repo.js';

let h: DatabaseHandle;
beforeAll(async () => {
  h = openDatabase(await createTestDatabase(), 8);
});
afterAll(async () => h?.close());

/** The keys in a random order, as concurrent requests fill a batch. */
const shuffled = <T>(items: T[]) =>
  items
    .map((item) => ({ item, at: Math.random() }))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.item);

describe('idempotency key batches', () => {
  it('that overlap (retries claimed while responses are stored, by other nodes too) never deadlock, whatever order their keys came in', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 12; round++) {
      const keys = Array.from({ length: 40 }, (_, i) => ({ scope: 'user:overlap', key: `r${round}-${i}`, hash: 'h' }));
      await idempotencyRepo.claim(h.db, keys, 24, 60);
      const responses = () => shuffled(keys).slice(0, 30).map((k) => ({ ...k, status: 201, body: `{"key":"${k.key}"}`, contentType: 'application/json' }));
      const settled = await Promise.allSettled([
        idempotencyRepo.finish(h.db, responses()),
        idempotencyRepo.finish(h.db, responses()),
        idempotencyRepo.claim(h.db, shuffled(keys), 24, 60),
        idempotencyRepo.claim(h.db, shuffled(keys), 24, 60),
      ]);
      for (const r of settled) if (r.status === 'rejected') failures.push(String((r.reason as Error).message));
    }
    expect(failures).toEqual([]);
    // every stored response is the one of its own key
    const rows = await h.db.selectFrom('idempotency_keys').select(['key', 'state', 'response_body']).where('scope', '=', 'user:overlap').execute();
    expect(rows).toHaveLength(12 * 40);
    for (const r of rows.filter((x) => x.state === 'done')) expect(r.response_body).toBe(`{"key":"${r.key}"}`);
  }, 60_000);

  it('writing new keys with their responses (keys taken meanwhile kept) never deadlock either', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 12; round++) {
      const keys = Array.from({ length: 40 }, (_, i) => ({ scope: 'user:new', key: `n${round}-${i}`, hash: 'h', status: 201, body: '{}', contentType: 'application/json' }));
      const settled = await Promise.allSettled(Array.from({ length: 4 }, () => idempotencyRepo.insert(h.db, shuffled(keys), 24, 60, true)));
      for (const r of settled) if (r.status === 'rejected') failures.push(String((r.reason as Error).message));
    }
    expect(failures).toEqual([]);
    expect(await h.db.selectFrom('idempotency_keys').select('key').where('scope', '=', 'user:new').execute()).toHaveLength(12 * 40);
  }, 60_000);
});
