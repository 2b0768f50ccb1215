import { uuidv7 } from 'uuidv7';
import { activitySubscriber } from '../../src/activity/activity.subscriber.js';
import { notificationsSubscriber } from '../../src/notifications/notifications.subscriber.js';
import { withTransaction } from '../../src/platform/db/db.transaction.js';
import { EventBus } from '../../src/platform/events/events.bus.js';
import { realtimeSubscriber } from '../../src/platform/realtime/realtime.subscriber.js';
import type { RequestContext } from '../../src/platform/http/http.context.js';
import type { BenchHarness, BenchRow, BenchScenario } from '../harness.js';

const SECONDS = Number(process.env.BENCH_DURATION_SEC ?? 5);
const WRITERS = 8;

interface Run {
  actionsPerSec: number;
  dispatchedPerSec: number;
}

type Action = (writer: number, i: number) => Promise<void>;

/** Runs `act` from 8 concurrent writers for SECONDS while a dispatcher runs, with or without the activity log. */
async function measure(h: BenchHarness, withActivity: boolean, act: Action): Promise<Run> {
  const bus = new EventBus(h.deps.db, h.deps.logger.child({ component: 'bench-bus' }));
  bus.subscribe(realtimeSubscriber(h.deps.services.realtime));
  if (withActivity) bus.subscribe(activitySubscriber(h.deps.logger));
  bus.subscribe(notificationsSubscriber(h.deps.services.notifications, h.deps.jobs));
  bus.start(100);
  const started = Date.now();
  const stopAt = started + SECONDS * 1000;
  let actions = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        await act(w, i);
        actions++;
      }
    }),
  );
  await bus.drain();
  const elapsed = (Date.now() - started) / 1000;
  await bus.stop();
  return { actionsPerSec: Math.round(actions / SECONDS), dispatchedPerSec: Math.round(actions / elapsed) };
}

/** A stress case: each action is only a transaction recording a chat- or transfer-shaped event. */
function outboxAction(h: BenchHarness, userIds: string[]): Action {
  return (w, i) => {
    const userId = userIds[(w * 997 + i) % userIds.length];
    const context = { ip: '127.0.0.1', userAgent: 'bench' };
    return withTransaction(h.deps.db, async (trx) => {
      if (i % 2 === 0) {
        await h.deps.events.record(trx, { type: 'chat.message_created', actorId: userId, userIds: [userId], petId: uuidv7(), data: { messageId: uuidv7(), sender: 'user', content: 'hello pet', createdAt: new Date().toISOString() }, context });
      } else {
        await h.deps.events.record(trx, { type: 'transfer.queued', actorId: userId, userIds: [userId], data: { transactionId: uuidv7(), hash: null, from: '0x1111111111111111111111111111111111111111', to: '0x2222222222222222222222222222222222222222', fromUserId: userId, toUserId: null, amount: '1.00', token: 'USDC', type: 'transfer', status: 'queued' }, context });
      }
    });
  };
}

interface Chatter {
  ctx: RequestContext;
  petId: string;
}

/** The real thing: a chat exchange (user message + persona reply) through the chat service. */
function chatAction(h: BenchHarness, chatters: Chatter[]): Action {
  return async (w, i) => {
    const c = chatters[(w + i * WRITERS) % chatters.length];
    await h.deps.services.chat.post(c.ctx, c.petId, i % 2 ? 'how are you?' : 'are you hungry?');
  };
}

/** Activity ingestion under chat/transfer-shaped load: the log must not cut action throughput by more than 10%. */
const activityBench: BenchScenario = async (h) => {
  await h.deps.events.stop();
  try {
    const users = await Promise.all(Array.from({ length: 50 }, () => h.createUser()));
    const ids = users.map((u) => u.id);
    const without = await measure(h, false, outboxAction(h, ids));
    const withLog = await measure(h, true, outboxAction(h, ids));
    const ratio = Math.round((withLog.actionsPerSec / without.actionsPerSec) * 1000) / 1000;
    const chatters: Chatter[] = [];
    for (const u of users.slice(0, 40)) {
      const ctx: RequestContext = { user: { id: u.id, role: 'user', sessionId: null }, locale: 'en', ip: '127.0.0.1', userAgent: 'bench' };
      const pet = await h.deps.services.pets.create(ctx, { name: 'Bench' });
      chatters.push({ ctx, petId: pet.id });
    }
    const chatWithout = await measure(h, false, chatAction(h, chatters));
    const chatWith = await measure(h, true, chatAction(h, chatters));
    const chatRatio = Math.round((chatWith.actionsPerSec / chatWithout.actionsPerSec) * 1000) / 1000;
    const rows: BenchRow[] = [
      { scenario: 'activity', metric: 'chat exchanges/s without the activity log', value: chatWithout.actionsPerSec, unit: 'exchanges/s', notes: `real chat service exchanges, 8 writers; dispatched ${chatWithout.dispatchedPerSec}/s end to end` },
      {
        scenario: 'activity',
        metric: 'chat exchanges/s with the activity log',
        value: chatWith.actionsPerSec,
        unit: 'exchanges/s',
        ceiling: { name: 'same load without the log', value: chatWithout.actionsPerSec },
        ratio: chatRatio,
        target: '≥ 0.9 of the load without the log',
        met: chatRatio >= 0.9,
        notes: `dispatched ${chatWith.dispatchedPerSec}/s end to end`,
      },
      { scenario: 'activity', metric: 'bare outbox actions/s without the activity log', value: without.actionsPerSec, unit: 'actions/s', notes: `dispatched ${without.dispatchedPerSec}/s end to end` },
      {
        scenario: 'activity',
        metric: 'bare outbox actions/s with the activity log',
        value: withLog.actionsPerSec,
        unit: 'actions/s',
        ceiling: { name: 'same load without the log', value: without.actionsPerSec },
        ratio,
        notes: `dispatched ${withLog.dispatchedPerSec}/s end to end, 1 log row per action (a stress case: the action is only an outbox insert)`,
      },
    ];
    return rows;
  } finally {
    h.deps.events.start();
  }
};

export default activityBench;
