import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps } from '../../../test/helpers/testApp.js';
import { afterCommit, withTransaction } from '../db/db.transaction.js';
import type { AppDeps } from '../deps.js';
import { waitFor } from '../embedded/embedded.ports.js';
import { sql } from 'kysely';
import { claimByIdsQuery, type DomainEvent } from './events.bus.js';

let deps: AppDeps;
const seen: DomainEvent[] = [];
const emitted: string[] = [];
let failuresLeft = 0;

beforeAll(async () => {
  deps = await createTestDeps();
  deps.events.subscribe({
    name: 'recorder',
    types: '*',
    handle: async (event, trx) => {
      if (event.type === 'test.flaky' && failuresLeft > 0) {
        failuresLeft--;
        // as a viem error does, the message quotes the RPC URL (and its key) below its first line
        throw new Error('subscriber down\n\nURL: https://rpc.example/v2/KEY123');
      }
      seen.push(event);
      afterCommit(trx, () => {
        emitted.push(event.id);
      });
    },
  });
});
afterAll(async () => deps?.close());

const count = (id: string) => seen.filter((e) => e.id === id).length;

describe('event outbox', () => {
  it('dispatches an event once after its transaction commits, with its context', async () => {
    deps.events.start(60_000);
    const event = await withTransaction(deps.db, (trx) =>
      deps.events.record(trx, { type: 'test.happened', actorId: null, userIds: [], data: { n: 1 }, context: { ip: '10.0.0.1', userAgent: 'ua' } }),
    );
    expect(await waitFor(async () => count(event.id) === 1, 5000)).toBe(true);
    expect(seen.find((e) => e.id === event.id)?.context).toEqual({ ip: '10.0.0.1', userAgent: 'ua' });
    expect(await waitFor(async () => emitted.includes(event.id), 5000)).toBe(true);
    await deps.events.drain();
    expect(count(event.id)).toBe(1);
    await deps.events.stop();
  });

  it('claims the events this process committed by id; an event from elsewhere waits for the sweep', async () => {
    deps.events.start(60_000);
    await deps.events.drain();
    // as another node would leave it: in the table, unknown to this process
    const foreignId = uuidv7();
    await deps.db.insertInto('domain_events').values({ id: foreignId, type: 'test.foreign', user_ids: [], created_at: new Date(Date.now() - 1000) }).execute();
    const event = await withTransaction(deps.db, (trx) => deps.events.record(trx, { type: 'test.happened' }));
    expect(await waitFor(async () => count(event.id) === 1, 5000)).toBe(true);
    expect(count(foreignId)).toBe(0);
    await deps.events.drain();
    expect(count(foreignId)).toBe(1);
    await deps.events.stop();
  });

  it('never dispatches an event whose transaction rolled back', async () => {
    let id = '';
    await withTransaction(deps.db, async (trx) => {
      id = (await deps.events.record(trx, { type: 'test.happened' })).id;
      throw new Error('nope');
    }).catch(() => undefined);
    await deps.events.drain();
    expect(count(id)).toBe(0);
  });

  it('resumes from the table: an event committed while no dispatcher ran is delivered later', async () => {
    await deps.events.stop();
    const event = await withTransaction(deps.db, (trx) => deps.events.record(trx, { type: 'test.while-down' }));
    expect(count(event.id)).toBe(0);
    await deps.events.drain();
    expect(count(event.id)).toBe(1);
    const row = await deps.db.selectFrom('domain_events').select('dispatched_at').where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(row.dispatched_at).not.toBeNull();
  });

  it('retries an event whose subscriber failed, and delivers it once it succeeds', async () => {
    // the batch attempt and the event-by-event attempt that isolates the failing event both fail
    failuresLeft = 2;
    const event = await withTransaction(deps.db, (trx) => deps.events.record(trx, { type: 'test.flaky' }));
    await deps.events.drain();
    expect(count(event.id)).toBe(0);
    const failed = await deps.db.selectFrom('domain_events').select(['attempts', 'last_error']).where('id', '=', event.id).executeTakeFirstOrThrow();
    // stored in one short line, without the URL
    expect(failed).toMatchObject({ attempts: 1, last_error: 'subscriber down' });
    await deps.events.drain();
    expect(count(event.id)).toBe(1);
  });

  it('two dispatchers on one database deliver each event once', async () => {
    const other = await createTestDeps({ databaseUrl: (deps.pool as unknown as { options: { connectionString: string } }).options.connectionString });
    const otherSeen: string[] = [];
    other.events.subscribe({ name: 'other', types: '*', handle: async (e) => void otherSeen.push(e.id) });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await withTransaction(deps.db, (trx) => deps.events.record(trx, { type: 'test.race', data: { i } }))).id);
    await Promise.all([deps.events.drain(), other.events.drain()]);
    for (const id of ids) expect(count(id) + otherSeen.filter((x) => x === id).length).toBe(1);
    await other.close();
  });
});

describe('outbox edge cases', () => {
  it('strips NUL characters that jsonb cannot hold instead of failing the action', async () => {
    const event = await withTransaction(deps.db, (trx) =>
      deps.events.record(trx, { type: 'test.nul', data: { text: 'a\u0000b', literal: '\\u0000 stays' }, context: { ip: null, userAgent: 'bot\u0000/1' } }),
    );
    const row = await deps.db.selectFrom('domain_events').select(['data', 'context']).where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(row.data).toEqual({ text: 'ab', literal: '\\u0000 stays' });
    expect(row.context).toEqual({ ip: null, userAgent: 'bot/1' });
  });

  it('writes the events with the COMMIT: one that fails there rolls the whole transaction back and runs no after-commit work', async () => {
    const direct = uuidv7();
    const ran: string[] = [];
    const attempt = withTransaction(deps.db, async (trx) => {
      await sql`insert into domain_events (id, type) values (${direct}, 'test.direct')`.execute(trx);
      await deps.events.record(trx, { type: 'test.held', data: { n: 1 } });
      await deps.events.record(trx, { type: 'test.held', actorId: 'not-a-uuid', data: { n: 2 } });
      afterCommit(trx, () => void ran.push('after'));
      return 'committed';
    });
    await expect(attempt).rejects.toThrow(/uuid/);
    expect(ran).toEqual([]);
    expect(await deps.db.selectFrom('domain_events').select('id').where((eb) => eb.or([eb('id', '=', direct), eb('type', '=', 'test.held')])).execute()).toEqual([]);
    const ok = await withTransaction(deps.db, (trx) => deps.events.record(trx, { type: 'test.held-ok', data: { text: "it's \\ fine" } }));
    expect((await deps.db.selectFrom('domain_events').select('data').where('id', '=', ok.id).executeTakeFirstOrThrow()).data).toEqual({ text: "it's \\ fine" });
  });

  it('drops after-commit work registered inside a savepoint that rolled back', async () => {
    const ran: string[] = [];
    await withTransaction(deps.db, async (trx) => {
      afterCommit(trx, () => void ran.push('outer'));
      await withTransaction(trx, async (sp) => {
        afterCommit(sp, () => void ran.push('inner-rolled-back'));
        throw new Error('inner failed');
      }).catch(() => undefined);
      await withTransaction(trx, async (sp) => {
        afterCommit(sp, () => void ran.push('inner-kept'));
      });
    });
    expect(ran).toEqual(['outer', 'inner-kept']);
  });

  it('writes the events of a rolled-back savepoint nowhere, and the rest of the transaction in order', async () => {
    const ids = await withTransaction(deps.db, async (trx) => {
      const outer = await deps.events.record(trx, { type: 'test.sp', data: { n: 1 } });
      const dropped = await withTransaction(trx, async (sp) => {
        const inner = await deps.events.record(sp, { type: 'test.sp', data: { n: 2 } });
        throw Object.assign(new Error('inner failed'), { inner });
      }).catch((err: { inner: DomainEvent }) => err.inner);
      const kept = await withTransaction(trx, (sp) => deps.events.record(sp, { type: 'test.sp', data: { n: 3 } }));
      return { outer: outer.id, dropped: dropped.id, kept: kept.id };
    });
    const rows = await deps.db.selectFrom('domain_events').select(['id', 'data']).where('type', '=', 'test.sp').orderBy('created_at').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual([ids.outer, ids.kept]);
    expect(rows.map((r) => (r.data as { n: number }).n)).toEqual([1, 3]);
  });

  it('isolates the one failing event of a batch: the others are delivered, it alone is retried later', async () => {
    await deps.events.stop();
    failuresLeft = 2;
    const ids = await withTransaction(deps.db, async (trx) => [
      (await deps.events.record(trx, { type: 'test.neighbour' })).id,
      (await deps.events.record(trx, { type: 'test.flaky' })).id,
      (await deps.events.record(trx, { type: 'test.neighbour' })).id,
    ]);
    await deps.events.drain();
    // what a subscriber does outside the database waits for commit, so the rolled-back batch attempt left no trace
    const delivered = (id: string) => emitted.filter((e) => e === id).length;
    expect([delivered(ids[0]), delivered(ids[1]), delivered(ids[2])]).toEqual([1, 0, 1]);
    const rows = await deps.db.selectFrom('domain_events').select(['id', 'attempts', 'dispatched_at']).where('id', 'in', ids).orderBy('id').execute();
    expect(rows.map((r) => [r.attempts, r.dispatched_at !== null])).toEqual([[0, true], [1, false], [0, true]]);
    await deps.events.drain();
    expect(delivered(ids[1])).toBe(1);
    deps.events.start();
  });

  it('delivers a backlog larger than many batches exactly once, in parallel passes', async () => {
    const ids = await withTransaction(deps.db, async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 300; i++) out.push((await deps.events.record(trx, { type: 'test.backlog', data: { i } })).id);
      return out;
    });
    await deps.events.drain();
    for (const id of ids) expect(count(id)).toBe(1);
    expect(seen.filter((e) => e.type === 'test.backlog')).toHaveLength(300);
  });

  it('claims by id through the primary key, even in a plan cached while the outbox looked small', async () => {
    // a copy of the outbox, never analyzed and holding a few pending events: the planner's view of a fresh install
    const plan = await withTransaction(deps.db, async (trx) => {
      await sql`create schema claim_probe`.execute(trx);
      await sql`create table claim_probe.domain_events (like public.domain_events including all)`.execute(trx);
      await sql`insert into claim_probe.domain_events (id, type) select gen_random_uuid(), 'test.probe' from generate_series(1, 20)`.execute(trx);
      await sql`set local search_path = claim_probe`.execute(trx);
      await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
      await sql.raw(`prepare claim_probe as ${claimByIdsQuery(new Date(), []).compile(trx).sql}`).execute(trx);
      const rows = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute claim_probe(now(), '{}'::uuid[], 10)`).execute(trx);
      await sql.raw('deallocate claim_probe').execute(trx);
      await sql`drop schema claim_probe cascade`.execute(trx);
      return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using domain_events_pkey on domain_events domain_events_1/);
    expect(plan).not.toMatch(/using \S*created_at\S* on domain_events/);
  });
});
