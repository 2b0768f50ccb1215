import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresTarget, tcpProxy, throughProxy } from '../../../test/helpers/tcpProxy.js';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { openDatabase, quoteLiteral, type DatabaseHandle } from './db.pool.js';
import { bufferUntilCommit, withTransaction } from './db.transaction.js';

let handle: DatabaseHandle;
const PROBE = Symbol('probe rows');

beforeAll(async () => {
  // one connection, so every transaction below runs on the client the previous one used
  handle = openDatabase(await createTestDatabase(), 1);
  await sql`create table pool_probe (v text, b bytea)`.execute(handle.db);
});
afterAll(async () => handle?.close());
afterEach(async () => {
  vi.restoreAllMocks();
  await sql`delete from pool_probe`.execute(handle.db);
});

/** The messages that reach PostgreSQL (each one round trip), as their SQL texts. */
function sentTexts() {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  return () => spy.mock.calls.map(([config]) => (typeof config === 'string' ? config : (config as { text: string }).text));
}

const probeValues = async () => (await sql<{ v: string }>`select v from pool_probe order by v`.execute(handle.db)).rows.map((r) => r.v);

describe('pg client: a transaction BEGIN travels with its first statement', () => {
  it('sends BEGIN and the first statement as one message, and the transaction holds', async () => {
    const sent = sentTexts();
    const n = await withTransaction(handle.db, async (trx) => {
      await sql`insert into pool_probe (v) values (${"it's"})`.execute(trx);
      return (await sql<{ n: number }>`select count(*)::int as n from pool_probe`.execute(trx)).rows[0].n;
    });
    expect(n).toBe(1);
    const texts = sent();
    expect(texts).toHaveLength(3);
    expect(texts[0]).toBe("begin;\ninsert into pool_probe (v) values ('it''s')");
    expect(texts[2]).toBe('commit');
    await expect(
      withTransaction(handle.db, async (trx) => {
        await sql`insert into pool_probe (v) values (${'rolled back'})`.execute(trx);
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await probeValues()).toEqual(["it's"]);
  });

  it('sends nothing for a transaction that runs no statement', async () => {
    const sent = sentTexts();
    expect(await withTransaction(handle.db, async () => 'nothing')).toBe('nothing');
    await expect(withTransaction(handle.db, async () => Promise.reject(new Error('early')))).rejects.toThrow('early');
    expect(sent()).toEqual([]);
  });

  it('sends a transaction of held writes only as one message: BEGIN, the writes and COMMIT', async () => {
    const sent = sentTexts();
    await withTransaction(handle.db, async (trx) => {
      for (const v of ['a', 'b']) {
        bufferUntilCommit(trx, PROBE, v, async (t, items) => {
          await sql`insert into pool_probe (v) select unnest(${items}::text[])`.execute(t);
        });
      }
    });
    expect(sent()).toEqual(["begin;\ninsert into pool_probe (v) select unnest('{\"a\",\"b\"}'::text[]);\ncommit"]);
    expect(await probeValues()).toEqual(['a', 'b']);
  });

  it('rolls back when the first statement fails, and the connection serves the next transaction', async () => {
    await expect(withTransaction(handle.db, (trx) => sql`select 1 / ${0}::int`.execute(trx))).rejects.toThrow(/division by zero/);
    await expect(withTransaction(handle.db, (trx) => sql`select 1 +`.execute(trx))).rejects.toThrow(/syntax error/);
    await withTransaction(handle.db, (trx) => sql`insert into pool_probe (v) values (${'after'})`.execute(trx));
    expect(await probeValues()).toEqual(['after']);
  });

  it('sends a first statement with binary values after a BEGIN of its own, still in the transaction', async () => {
    await expect(
      withTransaction(handle.db, async (trx) => {
        await sql`insert into pool_probe (v, b) values (${'bin'}, ${Buffer.from([0, 1, 2])})`.execute(trx);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await probeValues()).toEqual([]);
    await withTransaction(handle.db, (trx) => sql`insert into pool_probe (v, b) values (${'bin'}, ${Buffer.from([0, 1, 2])})`.execute(trx));
    const { rows } = await sql<{ b: Buffer }>`select b from pool_probe`.execute(handle.db);
    expect([...rows[0].b]).toEqual([0, 1, 2]);
  });

  it('leaves a first statement without parameters as written ($1 inside a literal stays)', async () => {
    const { rows } = await withTransaction(handle.db, (trx) => sql<{ v: string }>`select '$1' as v`.execute(trx));
    expect(rows).toEqual([{ v: '$1' }]);
  });
});

describe('quoteLiteral', () => {
  it("quotes as pg's escapeLiteral does, and PostgreSQL reads the value back unchanged", async () => {
    const values = ['plain', "it's", 'back\\slash', "both ' and \\ and \\'", '{"a":"b\\"c"}', 'ünïcødé ✓', ''];
    for (const v of values) expect(quoteLiteral(v)).toBe(pg.escapeLiteral(v));
    const { rows } = await sql<{ v: string }>`select ${sql.raw(values.map(quoteLiteral).join(' as v union all select '))} as v`.execute(handle.db);
    expect(rows.map((r) => r.v).sort()).toEqual([...values].sort());
  });
});

describe('closing a database handle', () => {
  it('ends the pool even when Kysely never ran a query (the migration runner uses the pool alone)', async () => {
    const other = openDatabase(await createTestDatabase(), 2);
    await other.pool.query('select 1');
    expect(other.pool.totalCount).toBe(1);
    await other.close();
    expect(other.pool.ended).toBe(true);
    expect(other.pool.totalCount).toBe(0);
    await other.close();
  });

  it('ends the pool once when Kysely did run queries, however often close is called', async () => {
    const other = openDatabase(await createTestDatabase(), 2);
    await sql`select 1`.execute(other.db);
    await Promise.all([other.close(), other.close()]);
    await other.close();
    expect(other.pool.ended).toBe(true);
    expect(other.pool.totalCount).toBe(0);
  });
});

describe('pg pool: a connection lost under a query', () => {
  it('rejects that query, keeps the process up (pg also emits the loss as an error event) and serves again once PostgreSQL is back', async () => {
    const url = await createTestDatabase();
    const proxy = await tcpProxy(postgresTarget(url));
    const cut = openDatabase(throughProxy(url, proxy), 1);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      expect((await sql<{ n: number }>`select 1 as n`.execute(cut.db)).rows).toEqual([{ n: 1 }]);
      const running = sql`select pg_sleep(10)`.execute(cut.db);
      await new Promise((r) => setTimeout(r, 200));
      await proxy.cut();
      await expect(running).rejects.toThrow('Connection terminated unexpectedly');
      await new Promise((r) => setTimeout(r, 100));
      await proxy.restore();
      expect((await sql<{ n: number }>`select 2 as n`.execute(cut.db)).rows).toEqual([{ n: 2 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await proxy.restore();
      await cut.close();
      await proxy.close();
    }
  });
});
