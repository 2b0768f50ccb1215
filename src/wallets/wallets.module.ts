import type { AppDeps } from '../platform/deps.js';
import type { DomainModule } from '../platform/modules.js';
import type { Executor, Tx } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { KeyVault } from './wallets.crypto.js';
import { resolveChainAtStart, type ChainContext } from './wallets.chain.js';
import { BROADCAST_CHANNEL, JOBS, type WalletsCore } from './wallets.core.js';
import { reconcile, topUpGas } from './transfers.broadcast.js';
import { confirmWallet } from './transfers.confirm.js';
import { TransferDriver } from './transfers.driver.js';
import { previewRecipient, queueTransfer, resolveRecipient, sendTransfer, type QueueTransferInput, type Recipient } from './transfers.service.js';
import { createPetWallet, ensureUserWallet, faucet, getWallet, listMyWallets, walletsOfUser } from './wallets.service.js';
import { failDroppedExternal, getTransaction, listTransactions, pruneSpendBuckets, recordTransaction, refreshTransaction } from './transactions.service.js';
import { walletsRoutes } from './wallets.routes.js';
import type { WalletRow } from './wallets.repo.js';
import type { TransactionRow } from './transactions.repo.js';
import type { RecipientDto, TransactionDto, TransactionsQuery, TransferBody, WalletDto } from './wallets.schema.js';
import { transactionDto } from './wallets.dto.js';
import { walletCommands } from './wallets.commands.js';
import { basenamesRoutes } from './basenames.routes.js';
import { onBasenamePaymentFinal } from './basenames.service.js';
import { intentsRoutes } from './intents.routes.js';
import { expireIntents, onIntentPaymentFinal } from './intents.service.js';
import { registerTreasuryMetrics } from './wallets.metrics.js';
import { closeForDeletion, eraseLedgerPersonalData, fundsHeldBy, type FundsHeld } from './wallets.funds.js';

/** The wallets domain's service: what routes, chat commands and other domains (bulk, store) call. */
export interface WalletsService {
  core: WalletsCore;
  /** The resolved chain (token, treasury, confirmations): null on an external chain without settings, undefined while it cannot be reached. */
  chain: ChainContext | null | undefined;
  chainInfo(): Promise<{
    chainId: number; network: string; embedded: boolean; token: ChainContext['token'] | null; batchTransferAddress: string | null;
    treasuryAddress: string | null; confirmations: number; rpcUrl: string | null; blockNumber: string;
  }>;
  ensureUserWallet(db: Executor, userId: string): Promise<WalletRow>;
  listMine(ctx: RequestContext): Promise<WalletDto[]>;
  /** Any user's wallets (addresses, no balances, none created): what an admin's view of an account lists. */
  walletsOf(db: Executor, userId: string): Promise<WalletDto[]>;
  getWallet(ctx: RequestContext, address: string): Promise<WalletDto>;
  createPetWallet(ctx: RequestContext, petId: string): Promise<WalletDto>;
  faucet(ctx: RequestContext, input: { walletId?: string; amount?: string }): Promise<TransactionDto>;
  send(ctx: RequestContext, body: TransferBody): Promise<TransactionDto>;
  resolveRecipient(db: Executor, to: string): Promise<Recipient>;
  previewRecipient(ctx: RequestContext, to: string, fromWalletId?: string): Promise<RecipientDto>;
  queueTransfer(trx: Tx, input: QueueTransferInput): Promise<TransactionRow>;
  toDto(row: TransactionRow): TransactionDto;
  listTransactions(ctx: RequestContext, q: TransactionsQuery): ReturnType<typeof listTransactions>;
  getTransaction(ctx: RequestContext, hashOrId: string): Promise<TransactionDto>;
  recordTransaction(ctx: RequestContext, input: { hash: string; petId?: string }): Promise<{ created: boolean; transaction: TransactionDto }>;
  refreshTransaction(ctx: RequestContext, hash: string): Promise<TransactionDto>;
  /** Tokens a user's wallets (theirs and their pets') hold, read from the chain (account deletion refuses while any are left). */
  fundsHeldBy(userId: string): Promise<FundsHeld>;
  /** In the account deletion's transaction: cancels the user's open payment requests, releases their basenames, answers whether a transfer is in flight. */
  closeForDeletion(trx: Tx, userId: string): Promise<{ inFlight: boolean }>;
}

declare module '../platform/modules.js' {
  interface Services {
    wallets: WalletsService;
  }
}

function createWalletsService(core: WalletsCore): WalletsService {
  const { deps } = core;
  return {
    core,
    get chain() {
      return core.chain;
    },
    async chainInfo() {
      const [chainId, block] = await Promise.all([deps.chain.chainId(), deps.chain.publicClient.getBlockNumber({ cacheTime: 0 })]);
      const c = core.chain;
      return {
        chainId,
        network: c?.network ?? `chain-${chainId}`,
        embedded: deps.chain.embedded,
        token: c?.token ?? null,
        batchTransferAddress: c?.batchTransferAddress ?? null,
        treasuryAddress: c?.treasury.address ?? null,
        confirmations: c?.confirmations ?? deps.config.CONFIRMATIONS ?? (deps.chain.embedded ? 1 : 3),
        rpcUrl: deps.chain.embedded ? deps.chain.rpcUrl : null,
        blockNumber: block.toString(),
      };
    },
    ensureUserWallet: (db, userId) => ensureUserWallet(core, db, userId),
    listMine: (ctx) => listMyWallets(core, ctx),
    walletsOf: (db, userId) => walletsOfUser(db, userId),
    getWallet: (ctx, address) => getWallet(core, ctx, address),
    createPetWallet: (ctx, petId) => createPetWallet(core, ctx, petId),
    faucet: (ctx, input) => faucet(core, ctx, input),
    send: (ctx, body) => sendTransfer(core, ctx, body),
    resolveRecipient: (db, to) => resolveRecipient(core, db, to),
    previewRecipient: (ctx, to, fromWalletId) => previewRecipient(core, ctx, to, fromWalletId),
    queueTransfer: (trx, input) => queueTransfer(core, trx, input),
    toDto: (row) => transactionDto(core, row),
    listTransactions: (ctx, q) => listTransactions(core, ctx, q),
    getTransaction: (ctx, h) => getTransaction(core, ctx, h),
    recordTransaction: (ctx, input) => recordTransaction(core, ctx, input),
    refreshTransaction: (ctx, hash) => refreshTransaction(core, ctx, hash),
    fundsHeldBy: (userId) => fundsHeldBy(core, userId),
    closeForDeletion: (trx, userId) => closeForDeletion(core, trx, userId),
  };
}

/** A wallet's confirmation job re-checks this often while rows stay pending; the in-process watcher looks at every block meanwhile. */
const CONFIRM_JOB_RETRY_SECONDS = 3;

function registerJobs(core: WalletsCore): void {
  const { jobs } = core.deps;
  jobs.register<{ walletId: string }>({
    name: JOBS.broadcast,
    retryLimit: 10,
    retryDelaySeconds: 1,
    batchSize: 20,
    handler: async ({ walletId }) => core.driver.broadcast(walletId),
  });
  jobs.register<{ walletId: string }>({
    name: JOBS.confirm,
    retryLimit: 20,
    retryDelaySeconds: 1,
    batchSize: 20,
    handler: async ({ walletId }) => {
      core.driver.watch();
      await confirmWallet(core, walletId, true, CONFIRM_JOB_RETRY_SECONDS);
    },
  });
  jobs.register<{ walletId: string; need?: string }>({
    name: JOBS.gasTopUp,
    retryLimit: 5,
    retryDelaySeconds: 2,
    batchSize: 20,
    handler: async ({ walletId, need }) => {
      await topUpGas(core, walletId, need ? BigInt(need) : 0n);
    },
  });
  jobs.register({
    name: JOBS.expireIntents,
    cron: '* * * * *',
    handler: async () => {
      await expireIntents(core);
    },
  });
  jobs.register({
    name: JOBS.pruneSpend,
    cron: '17 * * * *',
    handler: async () => {
      await pruneSpendBuckets(core);
    },
  });
  jobs.register({
    name: JOBS.reconcile,
    cron: '* * * * *',
    handler: async () => {
      await reconcile(core);
      await failDroppedExternal(core);
    },
  });
}

/**
 * Transfers queued on an API node reach a worker's driver the moment they commit (their jobs wait
 * as the fallback): every worker node hears the wake-up, and the one the worker ring picks for the
 * wallet takes it, so the workers do not all sign the same wallet's rows and race for its nonce.
 */
async function listenForBroadcasts(core: WalletsCore): Promise<void> {
  const { notify, workers } = core.deps;
  await notify.listen(BROADCAST_CHANNEL, (walletIds) => {
    if (!core.driver.active) return;
    for (const walletId of walletIds) if (workers.owns(walletId)) core.driver.broadcast(walletId).catch(() => undefined);
  });
}

/** Wallets, transfers and the ledger: resolves (or deploys) the chain context at setup, then jobs, subscribers and routes. */
export const walletsModule: DomainModule = {
  name: 'wallets',
  async setup(deps: AppDeps) {
    const vault = new KeyVault(deps.infra.walletMasterKey);
    const core: WalletsCore = { deps, vault, chain: undefined, finalizeHooks: [], driver: new TransferDriver(deps, () => core) };
    core.finalizeHooks.push(onBasenamePaymentFinal, onIntentPaymentFinal(core));
    await resolveChainAtStart(core, vault);
    registerJobs(core);
    registerTreasuryMetrics(core);
    if (deps.config.ROLE !== 'api') await listenForBroadcasts(core);
    deps.events.subscribe({
      name: 'wallets.user-wallet-on-registration',
      types: ['auth.registered'],
      handle: async (event, trx) => {
        const userId = event.actorId ?? event.userIds[0];
        if (userId) await ensureUserWallet(core, trx, userId, event.context);
      },
    });
    deps.events.subscribe({ name: 'wallets.erase-deleted-account', types: ['account.deleted'], handle: (event, trx) => eraseLedgerPersonalData(trx, (event.data as { userId: string }).userId) });
    deps.services.wallets = createWalletsService(core);
    for (const command of walletCommands(core)) deps.commands.register(command);
  },
  routes(app, deps) {
    walletsRoutes(app, deps.services.wallets);
    basenamesRoutes(app, deps.services.wallets.core);
    intentsRoutes(app, deps.services.wallets.core);
  },
};
