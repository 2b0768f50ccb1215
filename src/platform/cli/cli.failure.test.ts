import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectChain } from '../../chain/chain.client.js';
import { ConfigError } from '../../config.js';
import { failureLine } from './cli.failure.js';

const DATABASE_URL = 'postgres://app:db-s3cret@127.0.0.1:1/app';
const CHAIN_RPC_URL = 'https://rpc-user:rpc-s3cret@127.0.0.1:1/v2/key-s3cret?apikey=k-s3cret';
const TREASURY_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const dataDir = mkdtempSync(path.join(tmpdir(), 'sp-cli-failure-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const run = promisify(execFile);
type Ended = { code?: number; stdout: string; stderr: string };
const command = (script: string, ...args: string[]): Promise<Ended> =>
  run(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', DATA_DIR: dataDir, DATABASE_URL, CHAIN_RPC_URL, TREASURY_PRIVATE_KEY },
    timeout: 60_000,
  }).catch((err: Ended) => err);

describe('a command that cannot reach the database or the chain', () => {
  it('names the setting that could not be reached, never its URL or credentials', async () => {
    const database = await new pg.Client({ connectionString: DATABASE_URL }).connect().catch((err: unknown) => err);
    const chain = await connectChain(CHAIN_RPC_URL, false).chainId().catch((err: unknown) => err);
    const env = { DATABASE_URL, CHAIN_RPC_URL };
    expect(failureLine(database, env)).toBe('streakpets: cannot reach DATABASE_URL: connect ECONNREFUSED 127.0.0.1:1');
    expect(failureLine(chain, env)).toBe('streakpets: cannot reach CHAIN_RPC_URL (127.0.0.1:1): HTTP request failed. (ECONNREFUSED)');
    expect(failureLine(database, {})).toBe('streakpets: cannot reach the embedded PostgreSQL: connect ECONNREFUSED 127.0.0.1:1');
    expect(failureLine(new ConfigError('Invalid setting TREASURY_PRIVATE_KEY: required to deploy'), env)).toBe('streakpets: Invalid setting TREASURY_PRIVATE_KEY: required to deploy');
    expect(failureLine(new Error(`boom at ${CHAIN_RPC_URL}\nsecond line`), env)).toBe('streakpets: boom at [redacted CHAIN_RPC_URL]');
  });

  it('says so from npm run migrate, admin and chain:deploy', async () => {
    const [migrate, admin, deploy] = await Promise.all([
      command('src/platform/db/migrate.cli.ts'),
      command('src/accounts/accounts.cli.ts', 'promote', 'ops@example.test'),
      command('src/chain/chain.deploy.cli.ts'),
    ]);
    expect(migrate).toMatchObject({ code: 1, stdout: '', stderr: 'streakpets: cannot reach DATABASE_URL: connect ECONNREFUSED 127.0.0.1:1\n' });
    expect(admin).toMatchObject({ code: 1, stdout: '', stderr: 'streakpets: cannot reach DATABASE_URL: connect ECONNREFUSED 127.0.0.1:1\n' });
    expect(deploy).toMatchObject({ code: 1, stdout: '', stderr: 'streakpets: cannot reach CHAIN_RPC_URL (127.0.0.1:1): HTTP request failed. (ECONNREFUSED)\n' });
    for (const { stderr } of [migrate, admin, deploy]) expect(stderr).not.toMatch(/s3cret|rpc-user/);
  }, 90_000);
});
