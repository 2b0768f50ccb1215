import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAbi } from 'viem';
import { BUILD_DIR, compileContracts, contractsStale, type ContractArtifact } from '../../scripts/compile-contracts.js';

/** The ERC-20 surface StreakPets uses (plus TestUSDC's owner-only mint). */
export const erc20Abi = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address) view returns (uint256)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'function transferFrom(address from, address to, uint256 amount) returns (bool)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function mint(address to, uint256 amount)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);

export const batchTransferAbi = parseAbi([
  'function batchTransfer(address token, address[] recipients, uint256[] amounts)',
  'event BatchSent(address indexed token, address indexed sender, uint256 count, uint256 total)',
]);

let checked = false;

/** Reads a compiled contract from contracts/build, compiling first when the build is missing or stale. */
export function loadArtifact(name: 'TestUSDC' | 'BatchTransfer'): ContractArtifact {
  const file = path.join(BUILD_DIR, `${name}.json`);
  if (!checked || !existsSync(file)) {
    if (!existsSync(file) || contractsStale()) compileContracts();
    checked = true;
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ContractArtifact;
}
