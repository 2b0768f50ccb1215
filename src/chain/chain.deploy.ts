import type { Account, Address, Hex } from 'viem';
import type { ChainHandle } from './chain.client.js';
import { erc20Abi, loadArtifact } from './chain.contracts.js';

export interface DeployedContracts {
  tokenAddress: Address;
  batchTransferAddress: Address;
}

/** Deploys one of StreakPets' contracts from `account` and waits for it to be mined. */
export async function deployContract(chain: ChainHandle, account: Account, name: 'TestUSDC' | 'BatchTransfer', args: unknown[]): Promise<Address> {
  const artifact = loadArtifact(name);
  const wallet = await chain.walletClient(account);
  const hash = await wallet.deployContract({ abi: artifact.abi as never, bytecode: artifact.bytecode as Hex, args: args as never, account, chain: wallet.chain });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: chain.embedded ? 30_000 : 300_000 });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploying ${name} failed`);
  return receipt.contractAddress;
}

/** Deploys the test USDC (owned by the treasury, which mints) and the batch-transfer contract. */
export async function deployTestContracts(chain: ChainHandle, treasury: Account): Promise<DeployedContracts> {
  const tokenAddress = await deployContract(chain, treasury, 'TestUSDC', [treasury.address]);
  const batchTransferAddress = await deployContract(chain, treasury, 'BatchTransfer', []);
  return { tokenAddress, batchTransferAddress };
}

/** True when contract code lives at the address (a restarted chain that lost its state has none). */
export async function hasCode(chain: ChainHandle, address: Address): Promise<boolean> {
  const code = await chain.publicClient.getCode({ address });
  return !!code && code !== '0x';
}

/** Reads an ERC-20 token's symbol and decimals. */
export async function readTokenInfo(chain: ChainHandle, address: Address): Promise<{ symbol: string; decimals: number }> {
  const [symbol, decimals] = await Promise.all([
    chain.publicClient.readContract({ address, abi: erc20Abi, functionName: 'symbol' }),
    chain.publicClient.readContract({ address, abi: erc20Abi, functionName: 'decimals' }),
  ]);
  return { symbol, decimals: Number(decimals) };
}

/** An address's token balance in base units, optionally at a block. */
export function tokenBalance(chain: ChainHandle, token: Address, owner: Address, blockNumber?: bigint): Promise<bigint> {
  return chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner], blockNumber });
}
