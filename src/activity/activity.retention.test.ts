import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../platform/db/db.transaction.js';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { activityRepo } from './activity.repo.js';

const DAY = 86_400_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ACTIVITY_RETENTION_DAYS: '90' } });
});
afterAll(async () => t?.close());

const row = (at: Date, action: string) => ({
  id: uuidv7(),
  event_id: null,
  user_id: null,
  pet_id: null,
  action,
  category: 'system' as const,
  source: 'server' as const,
  details: '{}',
  metadata: '{}',
  ip_address: null,
  user_agent: null,
  created_at: at,
});

const day = (d: Date) => `activity_log_${d.toISOString().slice(0, 10).replace(/-/g, '')}`;

describe('activity partitions and retention', () => {
  it('keeps day partitions a week ahead', async () => {
    const parts = await activityRepo.partitions(t.deps.db);
    for (let i = -1; i <= 7; i++) expect(parts).toContain(day(new Date(Date.now() + i * DAY)));
    expect(parts).toContain('activity_log_default');
    expect(await t.deps.services.activity.ensurePartitions()).toBe(0);
  });

  it('removes exactly the rows older than the retention period, dropping whole expired days', async () => {
    const now = new Date('2026-11-23T12:00:00.000Z');
    const cutoff = new Date(now.getTime() - 90 * DAY); // 2026-08-25T12:00Z
    await activityRepo.ensurePartitions(t.deps.db, '2026-08-20', '2026-08-27');
    const rows = [
      row(new Date('2026-08-20T00:00:00.000Z'), 'expired.old-day'),
      row(new Date('2026-08-24T23:59:59.999Z'), 'expired.day-before-cutoff'),
      row(new Date(cutoff.getTime() - 1), 'expired.same-day'),
      row(cutoff, 'kept.at-cutoff'),
      row(new Date(cutoff.getTime() + 1), 'kept.same-day'),
      row(new Date('2026-08-26T08:00:00.000Z'), 'kept.next-day'),
      row(new Date('2026-03-01T00:00:00.000Z'), 'expired.default-partition'),
      row(new Date(), 'kept.today'),
    ];
    await t.deps.db.insertInto('activity_log').values(rows).execute();
    const inDefault = await sql<{ action: string }>`select action from activity_log_default`.execute(t.deps.db);
    expect(inDefault.rows.map((r) => r.action)).toEqual(['expired.default-partition']);

    const result = await t.deps.services.activity.purgeExpired(now);
    expect(result).toEqual({ cutoff: cutoff.toISOString(), dropped: 5, deleted: 2 });

    const left = await t.deps.db.selectFrom('activity_log').select('action').orderBy('created_at').execute();
    expect(left.map((r) => r.action)).toEqual(['kept.at-cutoff', 'kept.same-day', 'kept.next-day', 'kept.today']);
    const parts = await activityRepo.partitions(t.deps.db);
    for (const d of ['20260820', '20260821', '20260822', '20260823', '20260824']) expect(parts).not.toContain(`activity_log_${d}`);
    expect(parts).toContain('activity_log_20260825');
    expect(parts).toContain('activity_log_20260826');
  });

  it('moves rows that landed in the default partition into their day when that day is created', async () => {
    await t.deps.db.insertInto('activity_log').values(row(new Date('2026-12-30T10:00:00.000Z'), 'future.row')).execute();
    expect(await activityRepo.ensurePartitions(t.deps.db, '2026-12-30', '2026-12-30')).toBe(1);
    const moved = await sql<{ action: string }>`select action from activity_log_20261230`.execute(t.deps.db);
    expect(moved.rows.map((r) => r.action)).toEqual(['future.row']);
    const inDefault = await sql<{ n: number }>`select count(*)::int as n from activity_log_default`.execute(t.deps.db);
    expect(inDefault.rows[0].n).toBe(0);
  });

  it("never fails the user's action or the event's other subscribers when the log cannot be written", async () => {
    const user = await createUser(t.deps);
    const today = day(new Date());
    await sql`alter table activity_log detach partition ${sql.id(today)}`.execute(t.deps.db);
    await sql`alter table activity_log detach partition activity_log_default`.execute(t.deps.db);
    try {
      const event = await withTransaction(t.deps.db, (trx) =>
        t.deps.events.record(trx, { type: 'pet.evolved', actorId: user.id, userIds: [user.id], petId: uuidv7(), data: { from: 'baby', to: 'teen', level: 5 } }),
      );
      await t.deps.events.drain();
      const outbox = await t.deps.db.selectFrom('domain_events').select(['dispatched_at', 'attempts']).where('id', '=', event.id).executeTakeFirstOrThrow();
      expect(outbox.dispatched_at).not.toBeNull();
      expect(outbox.attempts).toBe(0);
      const notes = await t.deps.db.selectFrom('notifications').select('type').where('user_id', '=', user.id).execute();
      expect(notes).toEqual([{ type: 'pet_evolved' }]);
    } finally {
      await sql`alter table activity_log attach partition activity_log_default default`.execute(t.deps.db);
      const lo = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
      await sql`alter table activity_log attach partition ${sql.id(today)} for values from (${sql.lit(lo.toISOString())}) to (${sql.lit(new Date(lo.getTime() + DAY).toISOString())})`.execute(t.deps.db);
    }
    const logged = await t.deps.db.selectFrom('activity_log').select('action').where('user_id', '=', user.id).execute();
    expect(logged).toEqual([]);
  });
});
