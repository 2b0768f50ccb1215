import { privateKeyToAccount } from 'viem/accounts';
import { ConfigError, loadConfig } from '../config.js';
import { readFlags } from '../platform/cli/cli.args.js';
import { failureLine } from '../platform/cli/cli.failure.js';
import { connectChain } from './chain.client.js';
import { deployContract, hasCode, readTokenInfo } from './chain.deploy.js';

/**
 * `npm run chain:deploy [-- --test-token]`: deploys StreakPets' contracts to CHAIN_RPC_URL from
 * TREASURY_PRIVATE_KEY's account (it pays the gas) and prints the settings to add. The batch-transfer
 * contract always; with --test-token also a test USDC (6 decimals) owned by the treasury, for a chain that
 * has no USDC of its own (a private devnet). On a public testnet use its USDC as TOKEN_ADDRESS instead.
 */
const USAGE = `usage: npm run chain:deploy [-- --test-token]
  deploys the batch-transfer contract to CHAIN_RPC_URL from TREASURY_PRIVATE_KEY's account (it pays the gas)
  --test-token  also deploy a test USDC owned by the treasury (a devnet without USDC of its own)
  -h, --help    show this and deploy nothing`;

async function main(argv: string[]): Promise<void> {
  const flags = readFlags(argv, { 'test-token': { type: 'boolean' } }, USAGE);
  if (typeof flags === 'number') {
    process.exitCode = flags;
    return;
  }
  const config = loadConfig(process.env, []);
  if (!config.CHAIN_RPC_URL) throw new ConfigError('Invalid setting CHAIN_RPC_URL: required to deploy (the embedded chain deploys its own contracts at start)');
  if (!config.TREASURY_PRIVATE_KEY) throw new ConfigError('Invalid setting TREASURY_PRIVATE_KEY: required to deploy (its account pays the gas)');
  const chain = connectChain(config.CHAIN_RPC_URL, false);
  const treasury = privateKeyToAccount(config.TREASURY_PRIVATE_KEY as `0x${string}`);
  const lines: string[] = [];
  if (flags['test-token']) {
    const token = await deployContract(chain, treasury, 'TestUSDC', [treasury.address]);
    const info = await readTokenInfo(chain, token);
    lines.push(`TOKEN_ADDRESS=${token}   # ${info.symbol}, ${info.decimals} decimals, minted by the treasury`);
  } else if (config.TOKEN_ADDRESS && !(await hasCode(chain, config.TOKEN_ADDRESS as `0x${string}`))) {
    throw new ConfigError(`Invalid setting TOKEN_ADDRESS: no contract at ${config.TOKEN_ADDRESS} on chain ${await chain.chainId()}`);
  }
  lines.push(`BATCH_TRANSFER_ADDRESS=${await deployContract(chain, treasury, 'BatchTransfer', [])}`);
  process.stdout.write(`deployed on chain ${await chain.chainId()} from ${treasury.address}; add to the settings:\n${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${failureLine(err)}\n`);
  process.exit(1);
});
