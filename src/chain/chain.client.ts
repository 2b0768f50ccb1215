import { createPublicClient, http, type PublicClient } from 'viem';

export interface ChainHandle {
  rpcUrl: string;
  /** True when the app started the chain itself (anvil): it may deploy and mint. */
  embedded: boolean;
  publicClient: PublicClient;
}

/** Connects viem to the configured JSON-RPC endpoint. */
export function connectChain(rpcUrl: string, embedded: boolean): ChainHandle {
  const publicClient = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 10_000 }) });
  return { rpcUrl, embedded, publicClient };
}
