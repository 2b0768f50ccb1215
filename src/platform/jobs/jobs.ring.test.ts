import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { openDatabase } from '../db/db.pool.js';
import { Notifier } from '../db/db.notify.js';
import { createLogger } from '../observability/logger.js';
import { WORKERS_CHANNEL, WorkerRing } from './jobs.ring.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A node's ring on its own connections to the database (as a separate process has). */
function node(databaseUrl: string, heartbeatMs = 5000) {
  const logger = createLogger('silent');
  const { db, close } = openDatabase(databaseUrl, 2);
  const notify = new Notifier(databaseUrl, logger);
  const ring = new WorkerRing(notify, db, logger, heartbeatMs);
  closers.push(async () => {
    await ring.stop();
    await notify.close();
    await close();
  });
  return { ring, notify, db };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const keys = Array.from({ length: 300 }, (_, i) => `wallet-${i}`);

describe('WorkerRing', () => {
  it('a node that is not a member takes every key', () => {
    const { ring } = node('postgres://unused@127.0.0.1:1/none');
    expect(keys.every((k) => ring.owns(k))).toBe(true);
  });

  it('splits keys between the members: each key has exactly one owner, every member some', async () => {
    const url = await createTestDatabase();
    const nodes = [node(url), node(url), node(url)];
    for (const n of nodes) await n.ring.start();
    await until(() => nodes.every((n) => n.ring.members().length === 3));
    const owners = keys.map((k) => nodes.filter((n) => n.ring.owns(k)).length);
    expect(owners.every((count) => count === 1)).toBe(true);
    for (const n of nodes) expect(keys.filter((k) => n.ring.owns(k)).length).toBeGreaterThan(50);
  });

  it('a member that leaves hands its share to the others at once; only its share moves', async () => {
    const url = await createTestDatabase();
    const [a, b, c] = [node(url), node(url), node(url)];
    for (const n of [a, b, c]) await n.ring.start();
    await until(() => [a, b, c].every((n) => n.ring.members().length === 3));
    const aBefore = keys.filter((k) => a.ring.owns(k));
    await c.ring.stop();
    await until(() => a.ring.members().length === 2 && b.ring.members().length === 2);
    expect(keys.every((k) => a.ring.owns(k) !== b.ring.owns(k))).toBe(true);
    expect(aBefore.every((k) => a.ring.owns(k))).toBe(true);
  });

  it('a member that stops beating without leaving (a crash) is forgotten after three heartbeats', async () => {
    const url = await createTestDatabase();
    const a = node(url, 100);
    await a.ring.start();
    // another node's one heartbeat, after which its process dies: no leave notice, no more beats
    await a.notify.notifyOnCommit(a.db, WORKERS_CHANNEL, [`beat:${randomUUID()}`]);
    await until(() => a.ring.members().length === 2);
    expect(keys.every((k) => a.ring.owns(k))).toBe(false);
    const heard = Date.now();
    await until(() => a.ring.members().length === 1, 2000);
    expect(Date.now() - heard).toBeGreaterThanOrEqual(200);
    expect(keys.every((k) => a.ring.owns(k))).toBe(true);
  });
});
