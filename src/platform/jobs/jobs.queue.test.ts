import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps } from '../../../test/helpers/testApp.js';
import { withTransaction } from '../db/db.transaction.js';
import type { AppDeps } from '../deps.js';
import { waitFor } from '../embedded/embedded.ports.js';
import { configuredSecrets } from '../observability/logger.js';
import { JobQueue } from './jobs.queue.js';

let deps: AppDeps;
const handled: Array<{ marker: string }> = [];

beforeAll(async () => {
  deps = await createTestDeps();
  deps.jobs.register<{ marker: string }>({
    name: 'test.record',
    pollingIntervalSeconds: 0.5,
    handler: async (data) => {
      handled.push(data);
    },
  });
  deps.jobs.register<{ marker: string }>({ name: 'test.idle', handler: async () => undefined });
  await deps.jobs.start({ work: true });
});
afterAll(async () => deps?.close());

async function jobsWithMarker(marker: string): Promise<number> {
  const rows = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'test.idle' and data->>'marker' = ${marker}`.execute(deps.db);
  return rows.rows[0].n;
}

describe('job queue', () => {
  it('a job enqueued inside a transaction that commits exists, with the business write', async () => {
    await withTransaction(deps.db, async (trx) => {
      await deps.events.record(trx, { type: 'test.business', data: { marker: 'commit-1' } });
      await deps.jobs.enqueue('test.idle', { marker: 'commit-1' }, { trx });
    });
    expect(await jobsWithMarker('commit-1')).toBe(1);
    const events = await deps.db.selectFrom('domain_events').select('id').where(sql`data->>'marker'`, '=', 'commit-1').execute();
    expect(events).toHaveLength(1);
  });

  it('a job enqueued inside a transaction that rolls back disappears with the business write', async () => {
    await expect(
      withTransaction(deps.db, async (trx) => {
        await deps.events.record(trx, { type: 'test.business', data: { marker: 'rollback-1' } });
        await deps.jobs.enqueue('test.idle', { marker: 'rollback-1' }, { trx });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await jobsWithMarker('rollback-1')).toBe(0);
    const events = await deps.db.selectFrom('domain_events').select('id').where(sql`data->>'marker'`, '=', 'rollback-1').execute();
    expect(events).toHaveLength(0);
  });

  it('enqueueMany writes one job per item in one statement, on the caller\'s transaction', async () => {
    await withTransaction(deps.db, async (trx) => {
      await deps.jobs.enqueueMany('test.idle', [{ marker: 'many-1' }, { marker: 'many-1' }, { marker: 'many-2' }], { trx });
    });
    expect(await jobsWithMarker('many-1')).toBe(2);
    expect(await jobsWithMarker('many-2')).toBe(1);
    await withTransaction(deps.db, async (trx) => {
      await deps.jobs.enqueueMany('test.idle', [{ marker: 'many-3' }], { trx });
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await jobsWithMarker('many-3')).toBe(0);
  });

  it('enqueueMany on a transaction writes its jobs with the COMMIT: a savepoint that rolls back drops its own, a commit that fails drops all', async () => {
    await withTransaction(deps.db, async (trx) => {
      await deps.jobs.enqueueMany('test.idle', [{ marker: 'held-1' }], { trx });
      await withTransaction(trx, async (inner) => {
        await deps.jobs.enqueueMany('test.idle', [{ marker: 'held-dropped' }], { trx: inner });
        throw new Error('inner failed');
      }).catch(() => undefined);
      await deps.jobs.enqueueMany('test.idle', [{ marker: "held-'quoted'" }], { trx });
    });
    expect([await jobsWithMarker('held-1'), await jobsWithMarker('held-dropped'), await jobsWithMarker("held-'quoted'")]).toEqual([1, 0, 1]);
    const failing = withTransaction(deps.db, async (trx) => {
      await deps.jobs.enqueueMany('test.idle', [{ marker: 'held-2' }], { trx });
      await deps.events.record(trx, { type: 'test.business', actorId: 'not-a-uuid', data: { marker: 'held-2' } });
    });
    await expect(failing).rejects.toThrow(/uuid/);
    expect(await jobsWithMarker('held-2')).toBe(0);
  });

  it('coalesced delayed jobs: equal data in one delay window is written once, other data is not held back', async () => {
    const window = 600;
    await deps.jobs.enqueueMany('test.idle', [{ marker: 'co-1' }, { marker: 'co-2' }], { startAfterSeconds: window, coalesce: true });
    await withTransaction(deps.db, (trx) => deps.jobs.enqueueMany('test.idle', [{ marker: 'co-1' }, { marker: 'co-3' }], { trx, startAfterSeconds: window, coalesce: true }));
    expect([await jobsWithMarker('co-1'), await jobsWithMarker('co-2'), await jobsWithMarker('co-3')]).toEqual([1, 1, 1]);
    const due = await sql<{ later: boolean }>`select start_after > now() + interval '590 seconds' as later from pgboss.job where name = 'test.idle' and data->>'marker' = 'co-1'`.execute(deps.db);
    expect(due.rows[0].later).toBe(true);
    await expect(deps.jobs.enqueueMany('test.idle', [{ marker: 'co-4' }], { coalesce: true })).rejects.toThrow('only delayed jobs');
  });

  it('coalesced delayed jobs: a job covers only its first half-delay, and only once committed', async () => {
    const delay = 2;
    await expect(
      withTransaction(deps.db, async (trx) => {
        await deps.jobs.enqueueMany('test.idle', [{ marker: 'co-5' }], { trx, startAfterSeconds: delay, coalesce: true });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await deps.jobs.enqueueMany('test.idle', [{ marker: 'co-5' }, { marker: 'co-5' }], { startAfterSeconds: delay, coalesce: true });
    await deps.jobs.enqueueMany('test.idle', [{ marker: 'co-5' }], { startAfterSeconds: delay, coalesce: true });
    expect(await jobsWithMarker('co-5')).toBe(1);
    // past half the delay the waiting job is due too soon to cover a new one
    await new Promise((r) => setTimeout(r, (delay * 1000) / 2 + 50));
    await deps.jobs.enqueueMany('test.idle', [{ marker: 'co-5' }], { startAfterSeconds: delay, coalesce: true });
    expect(await jobsWithMarker('co-5')).toBe(2);
  });

  it('a nested transaction is a savepoint: its failure rolls back only its own work', async () => {
    await withTransaction(deps.db, async (trx) => {
      await deps.jobs.enqueue('test.idle', { marker: 'outer-kept' }, { trx });
      await withTransaction(trx, async (inner) => {
        await deps.jobs.enqueue('test.idle', { marker: 'inner-dropped' }, { trx: inner });
        throw new Error('inner failed');
      }).catch(() => undefined);
    });
    expect(await jobsWithMarker('outer-kept')).toBe(1);
    expect(await jobsWithMarker('inner-dropped')).toBe(0);
  });

  it('workers run committed jobs', async () => {
    await withTransaction(deps.db, (trx) => deps.jobs.enqueue('test.record', { marker: 'run-me' }, { trx }));
    expect(await waitFor(async () => handled.some((h) => h.marker === 'run-me'), 10_000)).toBe(true);
  });

  it('refuses to enqueue a job nobody registered', async () => {
    await expect(deps.jobs.enqueue('test.unknown', {})).rejects.toThrow('unknown job test.unknown');
  });

  it('a failed job keeps one short line as its output: no configured URL, none of the error\'s own fields', async () => {
    const rpcUrl = 'https://rpc.example.net/v3/s3cret-project-key';
    const queue = new JobQueue(deps.infra.databaseUrl, deps.logger, configuredSecrets({ CHAIN_RPC_URL: rpcUrl }));
    queue.register({
      name: 'test.failing',
      retryLimit: 0,
      pollingIntervalSeconds: 0.5,
      handler: async () => {
        throw Object.assign(new Error(`HTTP request failed.\n\nURL: ${rpcUrl}\nRequest body: {"method":"eth_chainId"}`), {
          url: rpcUrl,
          body: { method: 'eth_chainId' },
        });
      },
    });
    await queue.start({ work: true });
    try {
      const id = await queue.enqueue('test.failing', {});
      const output = async () =>
        (await sql<{ state: string; output: unknown }>`select state, output from pgboss.job where id = ${id}`.execute(deps.db)).rows[0];
      expect(await waitFor(async () => (await output())?.state === 'failed', 10_000)).toBe(true);
      const stored = JSON.stringify((await output()).output);
      expect(stored).toContain('HTTP request failed.');
      expect(stored).not.toContain('s3cret-project-key');
      expect(stored).not.toContain('eth_chainId');
    } finally {
      await queue.stop();
    }
  });
});
