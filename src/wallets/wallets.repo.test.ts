import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestDeps } from '../../test/helpers/testApp.js';
import { withTransaction, type Tx } from '../platform/db/db.transaction.js';
import type { AppDeps } from '../platform/deps.js';
import { walletsRepo } from './wallets.repo.js';

let deps: AppDeps;
beforeAll(async () => {
  deps = await createTestDeps();
});
afterAll(async () => deps?.close());

async function newWallet(): Promise<string> {
  const user = await createUser(deps);
  const id = uuidv7();
  await walletsRepo.insert(deps.db, { id, kind: 'user', userId: user.id, petId: null, address: `0x${randomBytes(20).toString('hex')}`, encryptedKey: 'sealed' });
  return id;
}

/** Takes a lock on a transaction that stays open until the returned release() is awaited. */
async function holding(lock: (trx: Tx) => Promise<unknown>): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const ready = new Promise<void>((resolve) => (locked = resolve));
  const done = withTransaction(deps.db, async (trx) => {
    await lock(trx);
    locked();
    await released;
  });
  await Promise.race([ready, done]);
  return async () => {
    release();
    await done;
  };
}

/** Tries lockSpending on another transaction, giving up after a short lock wait. */
const trySpending = (ids: string[]) =>
  withTransaction(deps.db, async (trx) => {
    await sql`set local lock_timeout = '300ms'`.execute(trx);
    return walletsRepo.lockSpending(trx, ids);
  });

describe('wallet locks', () => {
  it('a balance check does not wait for the signer, who holds the wallet row while it advances the nonce', async () => {
    const wallet = await newWallet();
    const release = await holding((trx) => walletsRepo.lockMany(trx, [wallet]));
    try {
      expect((await trySpending([wallet])).map((w) => w.id)).toEqual([wallet]);
    } finally {
      await release();
    }
  });

  it('balance checks of one wallet wait for each other; another wallet is not held up', async () => {
    const [wallet, other] = await Promise.all([newWallet(), newWallet()]);
    const release = await holding((trx) => walletsRepo.lockSpending(trx, [wallet]));
    try {
      await expect(trySpending([other, wallet])).rejects.toMatchObject({ code: '55P03' });
      expect((await trySpending([other])).map((w) => w.id)).toEqual([other]);
    } finally {
      await release();
    }
    expect((await trySpending([wallet, other])).map((w) => w.id).sort()).toEqual([wallet, other].sort());
  });
});

describe('next nonces written with the COMMIT', () => {
  it('holds the update until the transaction commits, and drops it when it rolls back', async () => {
    const id = await newWallet();
    const nonceOf = async () => Number((await walletsRepo.byId(deps.db, id))!.next_nonce);
    await withTransaction(deps.db, async (trx) => {
      await walletsRepo.setNextNonces(trx, [{ id, nonce: 7n }], { withCommit: true });
      expect(Number((await walletsRepo.byId(trx, id))!.next_nonce)).toBe(0);
    });
    expect(await nonceOf()).toBe(7);
    await expect(
      withTransaction(deps.db, async (trx) => {
        await walletsRepo.setNextNonces(trx, [{ id, nonce: 9n }], { withCommit: true });
        throw new Error('stale batch');
      }),
    ).rejects.toThrow('stale batch');
    expect(await nonceOf()).toBe(7);
  });
});
