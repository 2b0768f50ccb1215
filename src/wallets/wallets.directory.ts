import { LRUCache } from 'lru-cache';
import type { Executor } from '../platform/db/db.transaction.js';
import { perCore, type WalletsCore } from './wallets.core.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';

/** Wallets remembered at once (a few MB at most); the least recently used go first. */
const MAX_WALLETS = 50_000;
/** How long an address is remembered as nobody's wallet here. */
const EXTERNAL_MS = 60_000;

interface Directory {
  byUser: LRUCache<string, WalletRow>;
  byId: LRUCache<string, WalletRow>;
  byAddress: LRUCache<string, WalletRow | 'external'>;
}
const directories = new WeakMap<WalletsCore, Directory>();

function directoryOf(core: WalletsCore): Directory {
  return perCore(directories, core, () => ({ byUser: new LRUCache({ max: MAX_WALLETS }), byId: new LRUCache({ max: MAX_WALLETS }), byAddress: new LRUCache({ max: MAX_WALLETS, ttl: EXTERNAL_MS }) }));
}

function remember(d: Directory, w: WalletRow): void {
  d.byId.set(w.id, w);
  d.byAddress.set(w.address, w, { ttl: 0 });
  if (w.kind === 'user' && w.user_id) d.byUser.set(w.user_id, w);
}

/**
 * The wallets a batch of transfers names (the senders' user wallets by user id, wallets by id, and
 * recipients by address), asked of the database only for names this node has not seen. What makes
 * a wallet a transfer's sender or recipient never changes (id, kind, owner, pet, address: only
 * next_nonce moves, and the signer reads its own), so a wallet found is remembered for good. An
 * address found to be nobody's wallet is remembered for EXTERNAL_MS: wallet addresses come from
 * keys generated here, so such an address does not become one of ours. A user without a wallet is
 * asked for again (one is made for them on their first transfer).
 */
export async function walletsForTransfers(core: WalletsCore, db: Executor, names: { userIds: string[]; ids: string[]; addresses: string[] }): Promise<WalletRow[]> {
  const d = directoryOf(core);
  const addresses = names.addresses.map((a) => a.toLowerCase());
  const ask = {
    userIds: names.userIds.filter((id) => !d.byUser.has(id)),
    ids: names.ids.filter((id) => !d.byId.has(id)),
    addresses: addresses.filter((a) => !d.byAddress.has(a)),
  };
  if (ask.userIds.length || ask.ids.length || ask.addresses.length) {
    const found = await walletsRepo.forTransfers(db, ask);
    for (const w of found) remember(d, w);
    for (const a of ask.addresses) if (!d.byAddress.has(a)) d.byAddress.set(a, 'external');
  }
  const rows = [
    ...names.userIds.map((id) => d.byUser.get(id)),
    ...names.ids.map((id) => d.byId.get(id)),
    ...addresses.map((a) => d.byAddress.get(a)),
  ].filter((w): w is WalletRow => !!w && w !== 'external');
  return [...new Map(rows.map((w) => [w.id, w])).values()];
}
