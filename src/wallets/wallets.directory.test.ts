import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { walletsForTransfers } from './wallets.directory.js';
import { walletsRepo } from './wallets.repo.js';
import { ensureUserWallet } from './wallets.service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: false, dispatch: false });
});
afterAll(async () => t?.close());

describe('wallets a transfer names, remembered per node', () => {
  it('asks the database only for names it has not seen: wallets for good, external addresses for a while, walletless users every time', async () => {
    const core = t.deps.services.wallets.core;
    const [alice, bob, carol] = await Promise.all([createUser(t.deps), createUser(t.deps), createUser(t.deps)]);
    const [aw, bw] = await Promise.all([ensureUserWallet(core, t.deps.db, alice.id), ensureUserWallet(core, t.deps.db, bob.id)]);
    const external = '0x000000000000000000000000000000000000bEEF';
    const asked = vi.spyOn(walletsRepo, 'forTransfers');
    const names = { userIds: [alice.id, carol.id], ids: [], addresses: [bw.address.toUpperCase().replace('0X', '0x'), external] };
    const first = await walletsForTransfers(core, t.deps.db, names);
    expect(first.map((w) => w.id).sort()).toEqual([aw.id, bw.id].sort());
    expect(asked).toHaveBeenCalledTimes(1);
    // carol has no wallet yet: only she is asked for again
    const again = await walletsForTransfers(core, t.deps.db, names);
    expect(again.map((w) => w.id).sort()).toEqual([aw.id, bw.id].sort());
    expect(asked).toHaveBeenCalledTimes(2);
    expect(asked.mock.calls[1][1]).toEqual({ userIds: [carol.id], ids: [], addresses: [] });
    const cw = await ensureUserWallet(core, t.deps.db, carol.id);
    const withCarol = await walletsForTransfers(core, t.deps.db, { ...names, ids: [bw.id] });
    expect(withCarol.map((w) => w.id).sort()).toEqual([aw.id, bw.id, cw.id].sort());
    expect(asked).toHaveBeenCalledTimes(3);
    await walletsForTransfers(core, t.deps.db, { ...names, ids: [bw.id] });
    expect(asked).toHaveBeenCalledTimes(3);
    asked.mockRestore();
  });
});
