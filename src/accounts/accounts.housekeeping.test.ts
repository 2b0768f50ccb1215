import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestDeps } from '../../test/helpers/testApp.js';
import type { AppDeps } from '../platform/deps.js';
import { purgeExpired } from './accounts.housekeeping.js';

let deps: AppDeps;
beforeAll(async () => {
  deps = await createTestDeps();
});
afterAll(async () => deps?.close());

describe('purgeExpired', () => {
  it('deletes long-expired sessions and old login history, keeps live ones', async () => {
    const user = await createUser(deps);
    const old = await createUser(deps);
    await deps.db.updateTable('sessions').set({ expires_at: sql`now() - interval '8 days'` }).where('user_id', '=', old.id).execute();
    const attempt = { identifier_hash: 'h', success: true, reason: null, method: 'password', ip: null, user_agent: null };
    await deps.db
      .insertInto('login_attempts')
      .values([
        { ...attempt, id: '01a20600-0000-7000-8000-000000000001', user_id: user.id, created_at: sql`now() - interval '200 days'` as never },
        { ...attempt, id: '01a20600-0000-7000-8000-000000000002', user_id: user.id },
      ])
      .execute();
    const change = { user_id: user.id, new_email: 'next@example.test', code_hash: 'x', consumed_at: null };
    await deps.db
      .insertInto('email_changes')
      .values([
        { ...change, id: '01a20600-0000-7000-8000-000000000003', expires_at: sql`now() - interval '2 days'` as never },
        { ...change, id: '01a20600-0000-7000-8000-000000000004', expires_at: new Date(Date.now() + 600_000) },
      ])
      .execute();
    const purged = await purgeExpired(deps.db, 90);
    expect(purged).toMatchObject({ sessions: 1, loginAttempts: 1, emailChanges: 1 });
    expect((await deps.db.selectFrom('email_changes').select('id').execute()).map((c) => c.id)).toEqual(['01a20600-0000-7000-8000-000000000004']);
    const sessions = await deps.db.selectFrom('sessions').select('user_id').execute();
    expect(sessions.map((s) => s.user_id)).toEqual([user.id]);
    const attempts = await deps.db.selectFrom('login_attempts').select('id').execute();
    expect(attempts.map((a) => a.id)).toEqual(['01a20600-0000-7000-8000-000000000002']);
  });
});
