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

  it('prints its usage for --help and refuses an unknown argument, deploying nothing either way', async () => {
    const rpcUrl = inject('rpcUrl');
    const key = generatePrivateKey();
    const treasury = privateKeyToAccount(key).address;
    await createTestClient({ mode: 'anvil', transport: http(rpcUrl) }).setBalance({ address: treasury, value: parseEther('10') });
    const env = { CHAIN_RPC_URL: rpcUrl, TREASURY_PRIVATE_KEY: key };
    const fail = (err: { code: number; stdout: string; stderr: string }) => err;
    const refusals = [
      [['--test-tokn'], "Unknown option '--test-tokn'"],
      [['test-token'], "Unexpected argument 'test-token'"],
      [['--test-token=yes'], "Option '--test-token' does not take an argument"],
      [['--help', '--bogus'], "Unknown option '--bogus'"],
    ] as const;
    const [helps, refused] = await Promise.all([
      Promise.all([cli(env, '--help'), cli(env, '-h'), cli({}, '--help')]),
      Promise.all(refusals.map(([args]) => cli(env, ...args).catch(fail))),
    ]);
    for (const { stdout, stderr } of helps) {
      expect(stdout).toMatch(/^usage: npm run chain:deploy \[-- --test-token\]\n/);
      expect(stderr).toBe('');
    }
    refusals.forEach(([, problem], i) => {
      expect(refused[i]).toMatchObject({ code: 2, stdout: '' });
      expect(refused[i].stderr.startsWith(`streakpets: ${problem}\nusage: npm run chain:deploy`)).toBe(true);
    });
    expect(await createPublicClient({ transport: http(rpcUrl) }).getTransactionCount({ address: treasury })).toBe(0);
  }, 90_000);

  it('refuses with one line naming the missing setting', async () => {
    const failed = await cli({ CHAIN_RPC_URL: inject('rpcUrl') }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1, stderr: 'streakpets: Invalid setting TREASURY_PRIVATE_KEY: required to deploy (its account pays the gas)\n' });
  });
});
