import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { rpcFetch } from './chain.http.js';

export interface ChainHandle {
  rpcUrl: string;
  /** True when the app started the chain itself (anvil): it may deploy and mint. */
  embedded: boolean;
  publicClient: PublicClient;
  /**
   * The same node through a transport that sends the calls made in one tick as one JSON-RPC batch
   * (one HTTP request): the transfer pipeline sends a wallet's signed transactions and reads many
   * receipts this way.
   */
  batchClient: PublicClient;
  /** The chain id, asked once from the node and cached. */
  chainId(): Promise<number>;
  /** A viem chain definition for signing (EIP-155 chain id). */
  chain(): Promise<Chain>;
  /** A wallet client signing locally with the given account (used only to deploy contracts). */
  walletClient(account: Account): Promise<WalletClient>;
  /** Sets an address's native balance (embedded anvil only: funds the treasury without anvil's default accounts). */
  setBalance(address: `0x${string}`, wei: bigint): Promise<void>;
  /** Mines one block with what the node's pool holds ready (embedded anvil only). */
  mine(): Promise<void>;
}

/** A readable network name for a chain id (known testnets, else "chain-<id>"). */
export function networkName(chainId: number, embedded: boolean): string {
  if (embedded) return 'anvil';
  const known: Record<number, string> = {
    1: 'ethereum',
    8453: 'base',
    84532: 'base-sepolia',
    11155111: 'sepolia',
    25: 'cronos',
    338: 'cronos-testnet',
    31337: 'anvil',
  };
  return known[chainId] ?? `chain-${chainId}`;
}

/** Connects viem to the configured JSON-RPC endpoint. */
export function connectChain(rpcUrl: string, embedded: boolean): ChainHandle {
  // one keep-alive pool for both clients; the body size limit is the fetchFn's (it hands viem text)
  const options = { retryCount: 2, timeout: 10_000, fetchFn: rpcFetch(), maxResponseBodySize: false } as const;
  const transport = http(rpcUrl, options);
  const publicClient = createPublicClient({ transport });
  const batchClient = createPublicClient({ transport: http(rpcUrl, { ...options, batch: { batchSize: 200 } }) });
  let chainIdPromise: Promise<number> | null = null;
  let chainPromise: Promise<Chain> | null = null;
  let testClient: ReturnType<typeof createTestClient> | null = null;
  /** anvil's own methods, on the embedded chain only. */
  const anvil = (method: string) => {
    if (!embedded) throw new Error(`${method} is only available on the embedded chain`);
    return (testClient ??= createTestClient({ mode: 'anvil', transport }));
  };
  const handle: ChainHandle = {
    rpcUrl,
    embedded,
    publicClient,
    batchClient,
    chainId() {
      chainIdPromise ??= publicClient.getChainId().catch((err) => {
        chainIdPromise = null;
        throw err;
      });
      return chainIdPromise;
    },
    chain() {
      chainPromise ??= handle.chainId().then((id) =>
        defineChain({
          id,
          name: networkName(id, embedded),
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          rpcUrls: { default: { http: [rpcUrl] } },
        }),
      );
      return chainPromise;
    },
    async walletClient(account) {
      return createWalletClient({ account, chain: await handle.chain(), transport });
    },
    async setBalance(address, wei) {
      await anvil('setBalance').setBalance({ address, value: wei });
    },
    async mine() {
      await anvil('mine').mine({ blocks: 1 });
    },
  };
  return handle;
}
