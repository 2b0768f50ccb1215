import type { Hex } from 'viem';
import { JOBS, type WalletsCore } from './wallets.core.js';

/** The node already has these bytes (geth says "already known", anvil "already imported") or has mined them. */
const HARMLESS = /already known|already imported|nonce too low|known transaction|replacement transaction underpriced/i;

/**
 * Sends one wallet's signed transactions (already stored pending) to the node in one JSON-RPC
 * batch. A rejection is logged, never thrown: the row stays pending and the confirmation job
 * re-sends the same bytes; "insufficient funds" also queues a gas top-up.
 */
export async function sendSigned(core: WalletsCore, walletId: string, raws: Hex[]): Promise<void> {
  const client = core.deps.chain.batchClient;
  const results = await Promise.allSettled(raws.map((raw) => client.sendRawTransaction({ serializedTransaction: raw })));
  let topUp = false;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const message = String((result.reason as Error)?.message ?? result.reason);
    // viem's first line is generic ("Transaction creation failed."); the node's own words are in details
    const details = (result.reason as { details?: string })?.details;
    if (HARMLESS.test(`${message} ${details ?? ''}`)) continue;
    if (/insufficient funds/i.test(message)) topUp = true;
    core.deps.logger.warn({ walletId, reason: message.split('\n')[0], details }, 'broadcast failed; the confirmation job will re-send');
  }
  if (topUp) await core.deps.jobs.enqueue(JOBS.gasTopUp, { walletId });
}
