import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { uuidv7 } from 'uuidv7';
import { withTransaction } from '../../src/platform/db/db.transaction.js';
import type { AppDeps } from '../../src/platform/deps.js';
import type { BenchHarness, BenchRow, BenchScenario } from '../harness.js';
import { percentile } from '../bench.measure.js';

const SOCKETS = Number(process.env.BENCH_REALTIME_SOCKETS ?? 5000);
const RATE = Number(process.env.BENCH_REALTIME_RATE ?? 150);
const TARGET_P99_MS = 100;

/** Users with live sessions, inserted in bulk (the harness's createUser one by one would dominate the run). */
async function seedUsers(deps: AppDeps, n: number): Promise<Array<{ id: string; token: string }>> {
  const users = Array.from({ length: n }, () => ({ id: uuidv7(), sessionId: uuidv7() }));
  for (let i = 0; i < n; i += 1000) {
    const chunk = users.slice(i, i + 1000);
    await deps.db
      .insertInto('users')
      .values(chunk.map((u) => ({ id: u.id, email: `bench-${u.id}@example.test`, name: 'Bench', phone: null, password_hash: 'not-a-login-account', preferences: '{}', email_verified_at: new Date(), phone_verified_at: null, totp_secret: null, totp_enabled_at: null, kyc_details: null, disabled_at: null })))
      .execute();
    await deps.db
      .insertInto('sessions')
      .values(chunk.map((u) => ({ id: u.sessionId, user_id: u.id, refresh_token_hash: createHash('sha256').update(randomBytes(32)).digest('hex'), family_id: uuidv7(), ip: '127.0.0.1', user_agent: 'bench', expires_at: new Date(Date.now() + 86_400_000), revoked_at: null })))
      .execute();
  }
  return Promise.all(users.map(async (u) => ({ id: u.id, token: await deps.tokens.sign({ id: u.id, role: 'user', sessionId: u.sessionId }) })));
}

function ask<T>(child: ChildProcess, message: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: { type: string }) => {
      if (reply.type !== type) return;
      child.off('message', onMessage);
      resolve(reply as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

const rss = () => process.memoryUsage().rss;

/** 5,000 authenticated sockets; one notification to each at a steady rate, then one announcement to all. */
const realtimeBench: BenchScenario = async (h: BenchHarness) => {
  const rows: BenchRow[] = [];
  const users = await seedUsers(h.deps, SOCKETS);
  const child = fork(fileURLToPath(new URL('./realtime.clients.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    global.gc?.();
    const before = rss();
    const conn = await ask<{ connected: number; failed: number; ms: number }>(child, { cmd: 'connect', baseUrl: h.baseUrl, tokens: users.map((u) => u.token), concurrency: 100 }, 'connected');
    global.gc?.();
    const perConnection = Math.round((rss() - before) / Math.max(1, conn.connected));
    const live = h.deps.services.realtime.localConnections;
    rows.push({ scenario: 'realtime', metric: 'concurrent authenticated sockets', value: live, unit: 'sockets', target: `${SOCKETS}`, met: live >= SOCKETS, notes: `connected in ${conn.ms} ms, ${conn.failed} refused` });
    rows.push({ scenario: 'realtime', metric: 'server memory per connection', value: Math.round(perConnection / 1024), unit: 'KiB', notes: 'API process RSS delta / sockets (clients run in another process)' });

    const committed = new Array<number>(SOCKETS);
    const perTick = Math.max(1, Math.round(RATE / 100));
    const started = Date.now();
    for (let i = 0; i < users.length; i += perTick) {
      const wave = users.slice(i, i + perTick).map(async (u, j) => {
        const seq = i + j;
        await withTransaction(h.deps.db, (trx) => h.deps.events.record(trx, { type: 'pet.streak_at_risk', userIds: [u.id], petId: null, data: { streak: 3, hoursLeft: 2, seq } }));
        committed[seq] = Date.now();
      });
      await Promise.all(wave);
      const due = started + ((i + perTick) / RATE) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const sendMs = Date.now() - started;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const c = await ask<{ notifications: number }>(child, { cmd: 'count' }, 'count');
      if (c.notifications >= SOCKETS) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const admin = users[0];
    const announceCommitted = await (async () => {
      await h.deps.services.notifications.announce(
        { user: { id: admin.id, role: 'admin', sessionId: null }, locale: 'en', ip: '127.0.0.1', userAgent: 'bench' },
        { title: 'Bench', body: 'Hello everyone', priority: 'normal' },
      );
      return Date.now();
    })();
    const announceDeadline = Date.now() + 30_000;
    while (Date.now() < announceDeadline) {
      const c = await ask<{ announcements: number }>(child, { cmd: 'count' }, 'count');
      if (c.announcements >= conn.connected) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const receipts = await ask<{ notifications: Array<[number, number]>; announcements: number[] }>(child, { cmd: 'collect' }, 'receipts');
    const latencies = receipts.notifications.filter(([seq]) => committed[seq]).map(([seq, at]) => Math.max(0, at - committed[seq])).sort((a, b) => a - b);
    const p99 = percentile(latencies, 99);
    rows.push({
      scenario: 'realtime',
      metric: 'notification commit → client receipt p99',
      value: p99,
      unit: 'ms',
      target: `p99 < ${TARGET_P99_MS} ms`,
      met: p99 < TARGET_P99_MS && latencies.length === SOCKETS,
      notes: `${latencies.length}/${SOCKETS} delivered at ${Math.round((SOCKETS / sendMs) * 1000)}/s; p50 ${percentile(latencies, 50)} ms, max ${latencies[latencies.length - 1] ?? 0} ms`,
    });
    const fanout = receipts.announcements.map((at) => Math.max(0, at - announceCommitted)).sort((a, b) => a - b);
    rows.push({
      scenario: 'realtime',
      metric: 'announcement to every socket, commit → receipt p99',
      value: percentile(fanout, 99),
      unit: 'ms',
      notes: `${fanout.length} sockets (rows stored by the fan-out job); p50 ${percentile(fanout, 50)} ms`,
    });
  } finally {
    await ask(child, { cmd: 'close' }, 'closed').catch(() => undefined);
    child.kill();
  }
  return rows;
};

export default realtimeBench;
