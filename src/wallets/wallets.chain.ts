import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { parseEther, type Address } from 'viem';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import { networkName } from '../chain/chain.client.js';
import { deployTestContracts, hasCode, readTokenInfo } from '../chain/chain.deploy.js';
import type { KeyVault } from './wallets.crypto.js';
import { walletsRepo } from './wallets.repo.js';
import { walletError } from './wallets.errors.js';
import type { WalletsCore } from './wallets.core.js';
import { unreachableDependency } from '../platform/http/http.dependencies.js';
import { dependencyUnavailable } from '../platform/http/http.errors.js';
import { shortErrorText } from '../platform/observability/logger.js';

/** Where money lives on the connected chain; what GET /chain tells clients. */
export interface ChainContext {
  chainId: number;
  network: string;
  embedded: boolean;
  rpcUrl: string;
  confirmations: number;
  token: { address: Address; symbol: string; decimals: number };
  batchTransferAddress: Address | null;
  treasury: { walletId: string; address: Address };
}

/**
 * Stops start-up when WALLET_MASTER_KEY is not the key that sealed the stored wallet keys (a node that
 * fell back to the key generated in its own DATA_DIR): it would report ready and never sign anything.
 */
async function checkMasterKey(deps: AppDeps, vault: KeyVault): Promise<void> {
  const sealed = await walletsRepo.oldestSealed(deps.db);
  if (!sealed) return;
  try {
    vault.open(sealed.encrypted_key, sealed.address);
  } catch {
    throw new Error('WALLET_MASTER_KEY does not open the wallet keys stored in this database: every node must use the key that sealed them');
  }
}

/** What an embedded treasury holds in gas: it is re-filled at every start. */
const EMBEDDED_TREASURY_GAS = parseEther('1000000');

/**
 * Resolves the chain context at start. Embedded chain: the first start deploys the test USDC and the
 * batch-transfer contract from a freshly generated treasury key (funded with anvil_setBalance) and
 * records them in chain_deployments; later starts reuse them (and redeploy if the chain lost its state).
 * Any other chain: TOKEN_ADDRESS, BATCH_TRANSFER_ADDRESS and TREASURY_PRIVATE_KEY come from settings; nothing is deployed or minted.
 * Answers null when an external chain lacks those settings (money routes then answer 503).
 */
export async function resolveChainContext(deps: AppDeps, vault: KeyVault): Promise<ChainContext | null> {
  const { chain, config } = deps;
  await checkMasterKey(deps, vault);
  const chainId = await chain.chainId();
  const confirmations = config.CONFIRMATIONS ?? (chain.embedded ? 1 : 3);
  const base = { chainId, network: networkName(chainId, chain.embedded), embedded: chain.embedded, rpcUrl: chain.rpcUrl, confirmations };

  if (!chain.embedded) {
    if (!config.TOKEN_ADDRESS || !config.TREASURY_PRIVATE_KEY) {
      deps.logger.warn('TOKEN_ADDRESS and TREASURY_PRIVATE_KEY are required on an external chain; wallets cannot move money');
      return null;
    }
    const tokenAddress = config.TOKEN_ADDRESS.toLowerCase() as Address;
    const info = await readTokenInfo(chain, tokenAddress);
    const treasuryAccount = privateKeyToAccount(config.TREASURY_PRIVATE_KEY as `0x${string}`);
    const onChainNonce = BigInt(await chain.publicClient.getTransactionCount({ address: treasuryAccount.address, blockTag: 'pending' }));
    const treasury = await withTransaction(deps.db, async (trx) => {
      await walletsRepo.lockDeployment(trx, chainId);
      let wallet = await walletsRepo.byAddress(trx, treasuryAccount.address);
      if (!wallet) {
        wallet = await walletsRepo.insert(trx, {
          id: uuidv7(),
          kind: 'treasury',
          userId: null,
          petId: null,
          address: treasuryAccount.address,
          encryptedKey: vault.seal(config.TREASURY_PRIVATE_KEY as `0x${string}`, treasuryAccount.address),
          nextNonce: onChainNonce,
        });
      }
      if (!wallet || wallet.kind !== 'treasury') throw new Error('TREASURY_PRIVATE_KEY belongs to a user wallet');
      const locked = await walletsRepo.lock(trx, wallet.id);
      if (BigInt(locked!.next_nonce) < onChainNonce) await walletsRepo.setNextNonces(trx, [{ id: wallet.id, nonce: onChainNonce }]);
      await walletsRepo.saveDeployment(trx, {
        chainId,
        tokenAddress,
        tokenSymbol: info.symbol,
        tokenDecimals: info.decimals,
        batchTransferAddress: config.BATCH_TRANSFER_ADDRESS ?? null,
        treasuryWalletId: wallet.id,
        deployed: false,
      });
      return wallet;
    });
    return {
      ...base,
      token: { address: tokenAddress, symbol: info.symbol, decimals: info.decimals },
      batchTransferAddress: (config.BATCH_TRANSFER_ADDRESS?.toLowerCase() as Address | undefined) ?? null,
      treasury: { walletId: treasury.id, address: treasury.address as Address },
    };
  }

  return withTransaction(deps.db, async (trx) => {
    await walletsRepo.lockDeployment(trx, chainId);
    const existing = await walletsRepo.deployment(trx, chainId);
    let treasuryId: string;
    let treasuryKey: `0x${string}`;
    if (existing) {
      const [sealed] = await walletsRepo.sealedWallets(trx, [existing.treasury_wallet_id]);
      treasuryId = existing.treasury_wallet_id;
      treasuryKey = vault.open(sealed!.encrypted_key, sealed!.address);
    } else {
      treasuryKey = generatePrivateKey();
      const address = privateKeyToAccount(treasuryKey).address;
      const row = await walletsRepo.insert(trx, {
        id: uuidv7(),
        kind: 'treasury',
        userId: null,
        petId: null,
        address,
        encryptedKey: vault.seal(treasuryKey, address),
      });
      treasuryId = row!.id;
    }
    const account = privateKeyToAccount(treasuryKey);
    const balance = await chain.publicClient.getBalance({ address: account.address });
    if (balance < EMBEDDED_TREASURY_GAS / 2n) await chain.setBalance(account.address, EMBEDDED_TREASURY_GAS);
    let tokenAddress = existing?.token_address as Address | undefined;
    let batchAddress = (existing?.batch_transfer_address ?? undefined) as Address | undefined;
    if (!tokenAddress || !(await hasCode(chain, tokenAddress))) {
      await walletsRepo.lock(trx, treasuryId);
      const deployed = await deployTestContracts(chain, account);
      tokenAddress = deployed.tokenAddress.toLowerCase() as Address;
      batchAddress = deployed.batchTransferAddress.toLowerCase() as Address;
      const nonce = BigInt(await chain.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' }));
      await walletsRepo.setNextNonces(trx, [{ id: treasuryId, nonce }]);
      await walletsRepo.saveDeployment(trx, {
        chainId,
        tokenAddress,
        tokenSymbol: 'USDC',
        tokenDecimals: 6,
        batchTransferAddress: batchAddress,
        treasuryWalletId: treasuryId,
        deployed: true,
      });
      deps.logger.info({ chainId, tokenAddress, batchTransferAddress: batchAddress }, 'test USDC and batch-transfer contracts deployed');
    }
    return {
      ...base,
      token: { address: tokenAddress, symbol: 'USDC', decimals: 6 },
      batchTransferAddress: batchAddress ?? null,
      treasury: { walletId: treasuryId, address: account.address.toLowerCase() as Address },
    };
  });
}

/** The context, or a 503: chain_unavailable while the chain could not be reached yet, chain_not_configured when it lacks the settings for money. */
export function requireChain(ctx: ChainContext | null | undefined): ChainContext {
  if (ctx === undefined) throw dependencyUnavailable('chain_unavailable');
  if (!ctx) throw walletError('chain_not_configured');
  return ctx;
}

/** Whether a transaction mined in block `minedIn` is final at block `latest`: CONFIRMATIONS blocks hold it, its own block counting. */
export function isFinal(chain: ChainContext, minedIn: bigint, latest: bigint): boolean {
  return latest - minedIn + 1n >= BigInt(chain.confirmations);
}

/** Pauses between attempts to reach an external chain that did not answer at start. */
const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * Resolves core.chain at start (resolveChainContext). An external chain that cannot be reached (its
 * RPC down) does not stop the node: core.chain stays undefined, so money routes answer 503
 * chain_unavailable while everything else works, and the context is resolved again in the
 * background until the chain answers. The embedded chain, just started, must answer.
 */
export async function resolveChainAtStart(core: WalletsCore, vault: KeyVault): Promise<void> {
  const { deps } = core;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const attempt = async (): Promise<void> => {
    try {
      core.chain = await resolveChainContext(deps, vault);
      if (failures) deps.logger.info('the chain answers: wallets can move money');
    } catch (err) {
      if (deps.chain.embedded || unreachableDependency(err) !== 'chain_unavailable') throw err;
      const pause = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)];
      deps.logger.warn({ reason: shortErrorText(err), retryInMs: pause }, 'the chain cannot be reached: money routes answer 503 until it can');
      if (closed) return;
      timer = setTimeout(() => void attempt().catch((e: unknown) => deps.logger.error({ err: e }, 'resolving the chain failed')), pause);
      timer.unref();
    }
  };
  const close = deps.close.bind(deps);
  deps.close = async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    await close();
  };
  await attempt();
}
