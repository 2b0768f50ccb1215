import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { uuidv7 } from 'uuidv7';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/helpers/testApp.js';
import { openDatabase, type DatabaseHandle } from '../platform/db/db.pool.js';
import { MIGRATIONS_DIR } from '../platform/db/db.migrate.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import { transactionsRepo, type NewTransaction } from './transactions.repo.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = openDatabase(await createTestDatabase(), 2);
});
afterAll(async () => handle?.close());

function queued(requestKey: string): NewTransaction {
  return {
    id: uuidv7(), type: 'transfer', status: 'queued', call: 'erc20_transfer', chainId: 31337, network: 'anvil',
    fromAddress: `0x${'A'.repeat(40)}`, toAddress: `0x${'b'.repeat(40)}`, fromWalletId: null, toWalletId: null,
    userId: null, toUserId: null, petId: null, amount: 1_500_000n, token: 'USDC', tokenAddress: `0x${'c'.repeat(40)}`,
    memo: "rent's share", metadata: { recipientVia: 'address', n: 1 }, requestKey,
  };
}

const stored = (id: string) => transactionsRepo.byId(handle.db, id);

describe('ledger rows written with the COMMIT', () => {
  it('answers the rows as they are stored, and writes them only when the transaction commits', async () => {
    const row = queued(`k-${uuidv7()}`);
    const [answered] = await withTransaction(handle.db, async (trx) => {
      const rows = await transactionsRepo.insertMany(trx, [row], { withCommit: true });
      expect(await transactionsRepo.byId(trx, row.id)).toBeUndefined();
      return rows;
    });
    expect(await stored(row.id)).toEqual(answered);
    expect(answered).toMatchObject({ from_address: row.fromAddress.toLowerCase(), amount: '1500000', memo: "rent's share", metadata: row.metadata });

    const dropped = queued(`k-${uuidv7()}`);
    await expect(
      withTransaction(handle.db, async (trx) => {
        await transactionsRepo.insertMany(trx, [dropped], { withCommit: true });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await stored(dropped.id)).toBeUndefined();
  });

  it('fails the commit on a reused request key, writing nothing of that transaction', async () => {
    const key = `k-${uuidv7()}`;
    await withTransaction(handle.db, (trx) => transactionsRepo.insertMany(trx, [queued(key)], { withCommit: true }));
    const other = queued(`k-${uuidv7()}`);
    const err = await withTransaction(handle.db, (trx) => transactionsRepo.insertMany(trx, [other, queued(key)], { withCommit: true })).catch((e: unknown) => e);
    expect(transactionsRepo.isRequestKeyTaken(err)).toBe(true);
    expect(await stored(other.id)).toBeUndefined();
  });
});

describe('ledger pages', () => {
  it('walks rows created within one millisecond without skipping any (times are stored to the millisecond, as cursors carry them)', async () => {
    const address = `0x${'d'.repeat(40)}`;
    const rows = [queued(`k-${uuidv7()}`), queued(`k-${uuidv7()}`)].map((r) => ({ ...r, fromAddress: address, requestKey: null }));
    for (const row of rows) await transactionsRepo.insert(handle.db, row);
    // the later id first in time: the page order (time, then id) differs from the id order
    await handle.db.updateTable('transactions').set({ created_at: sql<Date>`'2099-01-01 00:00:00.123456+00'` }).where('id', '=', rows[0].id).execute();
    await handle.db.updateTable('transactions').set({ created_at: sql<Date>`'2099-01-01 00:00:00.1234+00'` }).where('id', '=', rows[1].id).execute();
    const filter = { addresses: [address], userIds: null, includeGas: false };
    const seen: string[] = [];
    let after: { k: string; id: string } | null = null;
    for (let i = 0; i < 3; i++) {
      const [row] = await transactionsRepo.list(handle.db, filter, 1, after);
      if (!row) break;
      seen.push(row.id);
      after = { k: new Date(row.created_at).toISOString(), id: row.id };
    }
    expect(seen.sort()).toEqual(rows.map((r) => r.id).sort());
  });
});

describe('faucet grants written before mints were recorded from the zero address', () => {
  it('are restated by migration 0305 as the chain shows them, the treasury kept as the minter', async () => {
    const treasury = `0x${'e'.repeat(40)}`;
    const mint = { ...queued(`k-${uuidv7()}`), type: 'faucet' as const, call: 'mint' as const, fromAddress: treasury, metadata: {}, requestKey: null };
    const transfer = { ...queued(`k-${uuidv7()}`), fromAddress: treasury, requestKey: null };
    for (const row of [mint, transfer]) await transactionsRepo.insert(handle.db, row);
    await sql.raw(await readFile(path.join(MIGRATIONS_DIR, '0305_wallets_mints_from_zero.sql'), 'utf8')).execute(handle.db);
    expect(await stored(mint.id)).toMatchObject({ from_address: `0x${'0'.repeat(40)}`, metadata: { minter: treasury } });
    expect(await stored(transfer.id)).toMatchObject({ from_address: treasury, metadata: transfer.metadata });
  });
});
