import { sql } from 'kysely';
import type { AppDeps } from '../platform/deps.js';
import type { WalletsCore } from './wallets.core.js';
import { broadcastWallets } from './transfers.broadcast.js';
import { confirmPending } from './transfers.confirm.js';

/** Polls until fn answers a truthy value (tests wait for jobs this way instead of sleeping blindly). */
export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Waits until every listed ledger row is final (confirmed or failed) and answers their statuses. */
export async function waitFinal(deps: AppDeps, ids: string[], timeoutMs = 30_000): Promise<Record<string, string>> {
  return waitUntil(async () => {
    const rows = await deps.db.selectFrom('transactions').select(['id', 'status']).where('id', 'in', ids).execute();
    if (rows.length === ids.length && rows.every((r) => r.status === 'confirmed' || r.status === 'failed')) {
      return Object.fromEntries(rows.map((r) => [r.id, r.status]));
    }
    return null;
  }, timeoutMs);
}

/** Without job workers nothing moves by itself: sign and send every queued row, then confirm until nothing is pending. */
export async function settle(deps: AppDeps, core: WalletsCore): Promise<void> {
  for (;;) {
    const queued = await deps.db.selectFrom('transactions').select('from_wallet_id').distinct().where('status', '=', 'queued').execute();
    for (const q of queued) await broadcastWallets(core, [q.from_wallet_id!]);
    const { waiting } = await confirmPending(core);
    if (!queued.length && !waiting) return;
  }
}

/** How many transfer.confirmed events a ledger row has, once every committed event is dispatched (as text, from count(*)). */
export async function confirmedEvents(deps: AppDeps, id: string): Promise<string> {
  await deps.events.drain();
  return (await sql<{ n: string }>`select count(*)::text as n from domain_events where type = 'transfer.confirmed' and data->>'transactionId' = ${id}`.execute(deps.db)).rows[0].n;
}
