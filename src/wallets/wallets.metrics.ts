import { Gauge } from 'prom-client';
import type { WalletsCore } from './wallets.core.js';
import { balancesOf } from './wallets.service.js';

/** A chain read that takes longer than this leaves the gauge empty for that scrape rather than holding /metrics. */
const READ_TIMEOUT_MS = 2000;

/**
 * `treasury_balance_base_units{asset, symbol}`: what the treasury that pays for faucet grants and gas
 * top-ups holds, read from the chain at each scrape (gas in wei, the token in its base units), so an
 * operator can alert before grants start waiting on an empty treasury.
 */
export function registerTreasuryMetrics(core: WalletsCore): void {
  new Gauge({
    name: 'treasury_balance_base_units',
    help: 'Treasury balance read from the chain: gas in wei, the token in its base units',
    labelNames: ['asset', 'symbol'] as const,
    registers: [core.deps.metrics],
    async collect() {
      this.reset();
      const treasury = core.chain?.treasury;
      if (!treasury) return;
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), READ_TIMEOUT_MS).unref());
      const balances = await Promise.race([balancesOf(core, treasury.address).catch(() => null), timeout]);
      if (!balances) return;
      this.set({ asset: 'gas', symbol: balances.gas.symbol }, Number(balances.gas.base));
      this.set({ asset: 'token', symbol: balances.token.symbol }, Number(balances.token.base));
    },
  });
}
