import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestDeps } from '../../test/helpers/testApp.js';
import type { AppDeps } from '../platform/deps.js';
import { notificationsRepo, type NewNotification } from './notifications.repo.js';

let deps: AppDeps;
beforeAll(async () => {
  deps = await createTestDeps();
});
afterAll(async () => deps?.close());

const draft = (userId: string, title: string, sourceEventId: string | null = uuidv7()): NewNotification => ({
  id: uuidv7(),
  user_id: userId,
  type: 'transfer_received',
  priority: 'normal',
  title,
  body: `body of ${title} — “quoted”, \\ and émoji 🐾`,
  data: JSON.stringify({ title, nested: { n: 1 } }),
  source_event_id: sourceEventId,
  expires_at: null,
});

describe('notificationsRepo.insert', () => {
  it('stores a batch for several users with one statement: rows in creation order, each with its user\'s new unread count, a repeated source skipped', async () => {
    const alice = await createUser(deps);
    const bob = await createUser(deps);
    const earlier = await notificationsRepo.insert(deps.db, [draft(alice.id, 'a0'), draft(alice.id, 'a00')]);
    expect(earlier.map((r) => r.unread)).toEqual([2, 2]);
    await deps.db.updateTable('notifications').set({ read_at: new Date() }).where('id', '=', earlier[0].id).execute();

    const repeated = draft(bob.id, 'b-dup');
    await notificationsRepo.insert(deps.db, [repeated]);
    const batch = [draft(alice.id, 'a1'), draft(bob.id, 'b1'), draft(alice.id, 'a2'), { ...draft(bob.id, 'b-dup-again'), source_event_id: repeated.source_event_id }, draft(alice.id, 'a3')];
    const stored = await notificationsRepo.insert(deps.db, batch);

    expect(stored.map((r) => [r.title, r.unread])).toEqual([
      ['a1', 4],
      ['b1', 2],
      ['a2', 4],
      ['a3', 4],
    ]);
    expect(stored[0]).toMatchObject({ user_id: alice.id, body: 'body of a1 — “quoted”, \\ and émoji 🐾', data: { title: 'a1', nested: { n: 1 } }, read_at: null });
    expect(stored[0].created_at).toBeInstanceOf(Date);
  });

  it('counts unread only for the users asked for; the others get null and their rows are stored all the same', async () => {
    const alice = await createUser(deps);
    const bob = await createUser(deps);
    const stored = await notificationsRepo.insert(deps.db, [draft(alice.id, 'a1'), draft(bob.id, 'b1'), draft(alice.id, 'a2')], [bob.id]);
    expect(stored.map((r) => [r.title, r.unread])).toEqual([
      ['a1', null],
      ['b1', 1],
      ['a2', null],
    ]);
    expect(await notificationsRepo.insert(deps.db, [draft(alice.id, 'a3')])).toMatchObject([{ title: 'a3', unread: 3 }]);
  });
});
