import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { compiledOnce } from './db.compiled.js';
import { openDatabase, type DatabaseHandle } from './db.pool.js';
import { withTransaction } from './db.transaction.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = openDatabase(await createTestDatabase(), 2);
});
afterAll(async () => handle?.close());

describe('compiledOnce', () => {
  it('runs the query built once with each call’s values, keeping the values written into it', async () => {
    const byName = compiledOnce((db, names: string[], limit: number) =>
      db
        .selectFrom(sql<{ name: string; kind: string }>`(select * from (values ('a', 'x'), ('b', 'x'), ('c', 'y'), ('d', 'x')) as v (name, kind))`.as('t'))
        .select('name')
        .where('name', '=', sql<string>`any(${names}::text[])`)
        .where('kind', '=', 'x')
        .orderBy('name')
        .limit(limit));
    expect(await byName(handle.db, ['a', 'b', 'c'], 10)).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(await byName(handle.db, ['b', 'c', 'd'], 1)).toEqual([{ name: 'b' }]);
    expect(await withTransaction(handle.db, (trx) => byName(trx, ['d'], 5))).toEqual([{ name: 'd' }]);
  });

  it('takes sql`` templates too', async () => {
    const echo = compiledOnce((_db, value: string) => sql<{ v: string }>`select ${value}::text || '!' as v`);
    expect(await echo(handle.db, 'one')).toEqual([{ v: 'one!' }]);
    expect(await echo(handle.db, 'two')).toEqual([{ v: 'two!' }]);
  });
});
