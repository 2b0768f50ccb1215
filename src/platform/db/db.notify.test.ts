import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { createLogger } from '../observability/logger.js';
import { openDatabase, type DatabaseHandle } from './db.pool.js';
import { Notifier } from './db.notify.js';
import { withTransaction } from './db.transaction.js';

let url: string;
let handle: DatabaseHandle;
const logger = createLogger('silent');
const open: Notifier[] = [];

beforeAll(async () => {
  url = await createTestDatabase();
  handle = openDatabase(url, 2);
});
afterAll(async () => {
  for (const n of open) await n.close();
  await handle?.close();
});

function notifier(): Notifier {
  const n = new Notifier(url, logger);
  open.push(n);
  return n;
}

/** Collects what a channel delivers; `next(n)` resolves once n items have arrived in all. */
async function collect(n: Notifier, channel: string) {
  const got: string[] = [];
  let wake = () => {};
  await n.listen(channel, (items) => {
    got.push(...items);
    wake();
  });
  return {
    got,
    async next(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (got.length < count && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      return got;
    },
  };
}

describe('Notifier: LISTEN/NOTIFY between nodes', () => {
  it('delivers a transaction’s items to every listener only once it commits, in the COMMIT’s round trip', async () => {
    const sender = notifier();
    const a = await collect(notifier(), 'wake_a');
    const b = await collect(notifier(), 'wake_a');
    const other = await collect(notifier(), 'wake_other');
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    await withTransaction(handle.db, async (trx) => {
      await sql`select 1`.execute(trx);
      await sender.notifyOnCommit(trx, 'wake_a', ['w1', 'w2']);
      await sender.notifyOnCommit(trx, 'wake_a', ['w3']);
      await new Promise((r) => setTimeout(r, 200));
      expect(a.got).toEqual([]);
    });
    const sent = spy.mock.calls.map(([c]) => (typeof c === 'string' ? c : (c as { text: string }).text));
    spy.mockRestore();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^select pg_notify\(c, p\) .*;\ncommit$/s);
    expect(await a.next(3)).toEqual(['w1', 'w2', 'w3']);
    expect(await b.next(3)).toEqual(['w1', 'w2', 'w3']);
    await expect(
      withTransaction(handle.db, async (trx) => {
        await sender.notifyOnCommit(trx, 'wake_a', ['rolled-back']);
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    await sender.notifyOnCommit(handle.db, 'wake_a', ['at-once']);
    expect(await a.next(4)).toEqual(['w1', 'w2', 'w3', 'at-once']);
    expect(other.got).toEqual([]);
  });

  it('splits many items over notifications under PostgreSQL’s payload limit and refuses items with commas', async () => {
    const sender = notifier();
    const listener = await collect(notifier(), 'wake_many');
    const ids = Array.from({ length: 600 }, (_, i) => `${String(i).padStart(4, '0')}-${'x'.repeat(32)}`);
    await withTransaction(handle.db, async (trx) => sender.notifyOnCommit(trx, 'wake_many', ids));
    expect((await listener.next(600)).sort()).toEqual(ids);
    await expect(sender.notifyOnCommit(handle.db, 'wake_many', ['a,b'])).rejects.toThrow('commas');
  });

  it('listens again after its connection is killed, under a new epoch (null while not listening)', async () => {
    const listener = notifier();
    expect(listener.listeningEpoch('wake_back')).toBeNull();
    const got = await collect(listener, 'wake_back');
    const first = listener.listeningEpoch('wake_back');
    expect(first).not.toBeNull();
    expect(listener.listeningEpoch('never_listened')).toBeNull();
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'streakpets-listen' and datname = current_database()`.execute(handle.db);
    const deadline = Date.now() + 10_000;
    while (!got.got.length && Date.now() < deadline) {
      await sql`select pg_notify('wake_back', 'again')`.execute(handle.db);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(got.got[0]).toBe('again');
    const second = listener.listeningEpoch('wake_back');
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    await listener.close();
    expect(listener.listeningEpoch('wake_back')).toBeNull();
  });
});
