/**
 * Chat benchmarks: POST a message and get the persona reply (sustained exchanges/s, and p50/p99 at a
 * fixed offered load of 500/s), and reading the newest 50 messages with 1,000,000 in the table.
 * Run standalone with `node --import tsx bench/scenarios/chat.bench.ts` (embedded PostgreSQL and anvil).
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { configSchema } from '../../src/config.js';
import { cpuMeter, percentile } from '../bench.measure.js';
import type { BenchHarness, BenchRow, BenchScenario } from '../harness.js';
import type { ChatLoadCommand } from './chat.load.js';
import { tmpFolder } from '../../test/helpers/tmpDir.js';

interface CannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<CannonResult>;

const FIXED_RATE = 500;
const FIXED_SECONDS = 10;
const WARMUP_SECONDS = 3;
const MAX_SECONDS = 6;
/** The closed loop is run at each of these numbers of requests in flight; the best rate is the max. */
const MAX_CONNECTIONS = [32, 64, 128, 256];
/** The closed loop's users are sized for this rate, twice the target. */
const MAX_EXPECTED = 2000;
const SEEDED = 1_000_000;
const READS = 2000;

interface Chatter {
  auth: { authorization: string };
  petId: string;
}

async function chatters(h: BenchHarness, n: number): Promise<Chatter[]> {
  const out: Chatter[] = [];
  for (let i = 0; i < n; i++) {
    const user = await h.createUser();
    const res = await fetch(`${h.baseUrl}/api/v1/pets`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Bench ${i}`, personality: ['cheerful'] }),
    });
    if (res.status !== 201) throw new Error(`creating a bench pet failed: ${res.status} ${await res.text()}`);
    out.push({ auth: user.auth, petId: ((await res.json()) as { id: string }).id });
  }
  return out;
}

/**
 * Enough users that each one's sustained sending stays within the product's default per-user limit
 * (RATE_LIMIT_LENIENT a minute, with 50% headroom): people chatting, not a script hammering one
 * pet (20 users at 500/s made every batch wait on the same pet rows). The bench raises the limits
 * themselves only so that a burst at the start of a window is not refused.
 */
function usersFor(perSecond: number): number {
  const perUserPerMinute = configSchema.shape.RATE_LIMIT_LENIENT.parse(undefined);
  return Math.ceil(((perSecond * 60) / perUserPerMinute) * 1.5);
}

/** Runs the load generator (chat.load.ts) in a child process and answers autocannon's result. */
function postLoad(h: BenchHarness, who: Chatter[], opts: { rate?: number; seconds: number; warmupSeconds?: number; connections?: number }): Promise<CannonResult> {
  const child = fork(fileURLToPath(new URL('./chat.load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (result) => resolve(result as CannonResult));
    child.once('exit', (code) => reject(new Error(`chat load generator exited with ${code}`)));
    const command: ChatLoadCommand = { baseUrl: h.baseUrl, chatters: who, ...opts };
    child.send(command);
  });
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

const chatBench: BenchScenario = async (h) => {
  const rows: BenchRow[] = [];
  const ceiling = { name: 'dbInsertsPerSec', value: h.ceilings.dbInsertsPerSec };
  const scenario = 'chat';

  // 1. Fixed offered load: 500 exchanges/s, after a warm-up at the same rate.
  const fixedUsers = await chatters(h, usersFor(FIXED_RATE));
  const cpu = cpuMeter();
  const fixed = await postLoad(h, fixedUsers, { rate: FIXED_RATE, seconds: FIXED_SECONDS, warmupSeconds: WARMUP_SECONDS });
  const used = cpu();
  const sent = FIXED_RATE * (FIXED_SECONDS + WARMUP_SECONDS);
  const fixedRate = fixed['2xx'] / FIXED_SECONDS;
  const fixedNote = `${fixed['2xx']} ok, ${fixed.non2xx} non-2xx, ${fixed.errors} errors, ${fixed.timeouts} timeouts; each exchange stores 2 messages; ${fixedUsers.length} users`;
  rows.push(
    { scenario, metric: 'exchanges/s sustained at 500/s offered', value: round(fixedRate, 1), unit: 'exchanges/s', ceiling, ratio: round(fixedRate / ceiling.value, 4), notes: fixedNote },
    { scenario, metric: 'POST message p50 at 500/s', value: fixed.latency.p50, unit: 'ms', notes: `open loop: one request every 2 ms, each timed from its scheduled start, after ${WARMUP_SECONDS} s of warm-up at the same rate` },
    { scenario, metric: 'POST message p99 at 500/s', value: fixed.latency.p99, unit: 'ms', target: 'p99 < 50 ms', met: fixed.latency.p99 < 50 && fixed.non2xx === 0 },
    { scenario, metric: 'CPU per exchange at 500/s (server process + PostgreSQL)', value: round((used.serverMs + used.postgresMs) / sent), unit: 'ms', notes: `server ${round(used.serverMs / sent)} ms, PostgreSQL ${round(used.postgresMs / sent)} ms (the load generator's own CPU not included)` },
  );

  // 2. Closed loop as fast as the server answers, at several numbers of requests in flight: the
  // persona exchanges are batched, so the rate grows with the requests waiting until the machine is busy.
  const maxUsers = await chatters(h, usersFor(MAX_EXPECTED));
  const sweep: Array<{ connections: number; rate: number; p50: number; p99: number; non2xx: number }> = [];
  for (const connections of MAX_CONNECTIONS) {
    const run = await postLoad(h, maxUsers, { seconds: MAX_SECONDS, connections });
    sweep.push({ connections, rate: run['2xx'] / MAX_SECONDS, p50: run.latency.p50, p99: run.latency.p99, non2xx: run.non2xx });
  }
  const best = sweep.reduce((a, b) => (b.rate > a.rate ? b : a));
  rows.push({
    scenario, metric: 'exchanges/s max (persona reply)', value: round(best.rate, 1), unit: 'exchanges/s', ceiling, ratio: round(best.rate / ceiling.value, 4),
    target: '≥ 1000/s', met: best.rate >= 1000 && best.non2xx === 0,
    notes: `closed loop, best of ${sweep.map((r) => `${r.connections} in flight: ${Math.round(r.rate)}/s (p50 ${r.p50} ms, p99 ${r.p99} ms)`).join('; ')}; ${best.non2xx} non-2xx`,
  });

  // 3. Newest-50 history read with 1,000,000 messages in the table.
  const [reader] = await chatters(h, 1);
  const db = h.deps.db;
  const owner = await db.selectFrom('pets').select('user_id').where('id', '=', reader.petId).executeTakeFirstOrThrow();
  // time-ordered ids (uuidv7() from PostgreSQL 18) keep the primary-key inserts sequential, like the app's own v7 ids
  const version = await sql<{ v: number }>`select current_setting('server_version_num')::int as v`.execute(db);
  const newId = version.rows[0].v >= 180000 ? sql`uuidv7()` : sql`gen_random_uuid()`;
  const seedStart = performance.now();
  await sql`
    insert into chat_messages (id, user_id, pet_id, sender, content, lang, metadata, created_at, read_at)
    select ${newId}, ${owner.user_id}::uuid, ${reader.petId}::uuid,
           case when g % 2 = 0 then 'user' else 'pet' end,
           'message number ' || g || ' about walks, snacks and naps',
           'english'::regconfig, '{}'::jsonb,
           now() - make_interval(secs => ${SEEDED} - g), case when g % 2 = 0 then now() end
    from generate_series(1, ${SEEDED}) as g`.execute(db);
  await sql`
    insert into chat_threads (user_id, pet_id, total, unread, last_message_at)
    values (${owner.user_id}::uuid, ${reader.petId}::uuid, ${SEEDED}, ${SEEDED / 2}, now())
    on conflict (pet_id) do update set total = excluded.total, unread = excluded.unread`.execute(db);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  // settle the table (visibility map, GIN pending list, statistics) so autovacuum does not run during the reads
  await sql`vacuum (analyze) chat_messages`.execute(db);

  const viaHttp = h.deps.config.RATE_LIMIT_LENIENT >= READS * 2;
  const times: number[] = [];
  const ctx = { user: { id: owner.user_id, role: 'user' as const, sessionId: null }, locale: 'en' as const, ip: null, userAgent: null };
  for (let i = 0; i < READS; i++) {
    const start = performance.now();
    if (viaHttp) {
      const res = await fetch(`${h.baseUrl}/api/v1/pets/${reader.petId}/messages?limit=50`, { headers: reader.auth });
      const body = (await res.json()) as { messages: unknown[] };
      if (res.status !== 200 || body.messages.length !== 50) throw new Error(`history read failed: ${res.status}`);
    } else {
      const page = await h.deps.services.chat.list(ctx, reader.petId, { limit: 50 });
      if (page.messages.length !== 50) throw new Error('history read returned a short page');
    }
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const p99 = round(percentile(times, 99));
  rows.push(
    { scenario, metric: 'newest-50 history read p50 (1M messages)', value: round(percentile(times, 50)), unit: 'ms', notes: viaHttp ? 'over HTTP' : 'service call (rate limit too low for HTTP loop)' },
    { scenario, metric: 'newest-50 history read p99 (1M messages)', value: p99, unit: 'ms', target: 'p99 < 10 ms', met: p99 < 10, notes: `${READS} sequential reads` },
    { scenario, metric: 'seed 1M messages (one INSERT … SELECT generate_series)', value: round(seedSeconds, 1), unit: 's', ceiling, ratio: round(SEEDED / seedSeconds / ceiling.value, 2), notes: 'rows/s relative to single-row INSERTs/s' },
  );
  await db.deleteFrom('pets').where('id', '=', reader.petId).execute();
  return rows;
};

export default chatBench;

/** Standalone: embedded PostgreSQL and anvil in a temp dir, the app on a free port, the two ceilings measured here. */
async function standalone(): Promise<void> {
  const [{ loadConfig }, { startInfrastructure }, { createDeps }, { runMigrations }, { buildApp }, { createLogger }, { createUser }, Fastify] = await Promise.all([
    import('../../src/config.js'),
    import('../../src/platform/embedded/embedded.infrastructure.js'),
    import('../../src/platform/deps.js'),
    import('../../src/platform/db/db.migrate.js'),
    import('../../src/app.js'),
    import('../../src/platform/observability/logger.js'),
    import('../../test/helpers/factories.js'),
    import('fastify'),
  ]);
  const dataDir = tmpFolder('streakpets-bench-');
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', RATE_LIMIT_LENIENT: '1000000', RATE_LIMIT_MODERATE: '1000000', MAX_EVENT_LOOP_DELAY_MS: '0' }, []);
  const logger = createLogger(config.LOG_LEVEL);
  const infra = await startInfrastructure(config, logger);
  const deps = createDeps(config, infra, logger);
  try {
    await runMigrations(deps.pool);
    const app = await buildApp(deps);
    await deps.jobs.start({ work: true });
    deps.events.start();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    await sql`create table if not exists bench_ceiling (id bigserial primary key, v int)`.execute(deps.db);
    const client = await deps.pool.connect();
    let inserts = 0;
    const until = performance.now() + 3000;
    while (performance.now() < until) {
      await client.query('insert into bench_ceiling (v) values ($1)', [inserts]);
      inserts++;
    }
    client.release();
    const bare = Fastify.default();
    bare.get('/', async () => ({ ok: true }));
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
    const http = await autocannon({ url: bareUrl, connections: 32, duration: 3 });
    await bare.close();

    const harness: BenchHarness = {
      baseUrl: address,
      deps,
      ceilings: { httpRps: http.requests.average, dbInsertsPerSec: inserts / 3 },
      createUser: async () => createUser(deps),
    };
    process.stdout.write(`ceilings: ${JSON.stringify(harness.ceilings)}\n`);
    const rows = await chatBench(harness);
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    await app.close();
  } finally {
    await deps.close();
    await infra.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  standalone().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
