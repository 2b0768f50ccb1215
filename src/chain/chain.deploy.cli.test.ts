import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPublicClient, createTestClient, http, parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, inject, it } from 'vitest';
import { erc20Abi } from './chain.contracts.js';

const run = promisify(execFile);
const cli = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/chain/chain.deploy.cli.ts', ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 });

describe('npm run chain:deploy', () => {
  it('deploys the batch-transfer contract and a test USDC from the treasury on a chain it did not start, and prints the settings', async () => {
    const rpcUrl = inject('rpcUrl');
    const key = generatePrivateKey();
    const treasury = privateKeyToAccount(key).address;
    await createTestClient({ mode: 'anvil', transport: http(rpcUrl) }).setBalance({ address: treasury, value: parseEther('10') });
    const { stdout } = await cli({ CHAIN_RPC_URL: rpcUrl, TREASURY_PRIVATE_KEY: key }, '--test-token');
    const token = /^TOKEN_ADDRESS=(0x[0-9a-fA-F]{40}) /m.exec(stdout)?.[1] as Address;
    const batch = /^BATCH_TRANSFER_ADDRESS=(0x[0-9a-fA-F]{40})$/m.exec(stdout)?.[1] as Address;
    expect(stdout).toContain(`from ${treasury}`);
    const chain = createPublicClient({ transport: http(rpcUrl) });
    expect(await chain.readContract({ address: token, abi: erc20Abi, functionName: 'decimals' })).toBe(6);
    expect(await chain.getCode({ address: batch })).toMatch(/^0x[0-9a-f]{100,}/);
  });

  it('refuses with one line naming the missing setting', async () => {
    const failed = await cli({ CHAIN_RPC_URL: inject('rpcUrl') }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1, stderr: 'streakpets: Invalid setting TREASURY_PRIVATE_KEY: required to deploy (its account pays the gas)\n' });
  });
});
