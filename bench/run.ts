import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { runMigrations } from '../src/platform/db/db.migrate.js';
import { createDeps } from '../src/platform/deps.js';
import { startInfrastructure } from '../src/platform/embedded/embedded.infrastructure.js';
import { freePort, waitFor } from '../src/platform/embedded/embedded.ports.js';
import type { Database } from '../src/platform/db/db.pool.js';
import { createLogger } from '../src/platform/observability/logger.js';
import { platformModule } from '../src/platform/platform.module.js';
import { domainModules } from '../src/modules.js';
import { createUser } from '../test/helpers/factories.js';
import { probeModule } from '../test/helpers/probeModule.js';
import { dbCeiling, httpCeiling, load } from './bench.measure.js';
import { readinessMs } from './bench.startup.js';
import type { BenchHarness, BenchRow, BenchScenario } from './harness.js';
import { tmpFolder } from '../test/helpers/tmpDir.js';

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5);
const only = process.argv.slice(2);

function ratio(value: number, ceiling: number): number {
  return Math.round((value / ceiling) * 1000) / 1000;
}

/**
 * Lets the database settle before a scenario, so that it does not pay for the one before: a
 * checkpoint now (the chat scenario dirties a million rows' pages), and autovacuum's pass over the
 * last scenario's writes finished (waited for up to 2 minutes).
 */
async function settleDatabase(db: Database): Promise<void> {
  // a role without the right to checkpoint (a managed database) skips it
  await sql`checkpoint`.execute(db).catch(() => undefined);
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker'`.execute(db);
    return rows[0].n === 0;
  }, 120_000, 500);
}

/** `npm run bench`: measures this machine's ceilings and StreakPets against them; writes bench/results/latest.{json,md}. */
async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const work = tmpFolder('sp-bench-');
  const logger = createLogger('warn');

  const http = await httpCeiling(DURATION);
  rows.push({ scenario: 'ceiling', metric: 'bare Fastify GET', value: http.rps, unit: 'req/s', notes: `p99 ${http.p99} ms` });

  const cold = await readinessMs(path.join(work, 'start'));
  const warm = await readinessMs(path.join(work, 'start'));
  rows.push({ scenario: 'startup', metric: 'npm start → ready (cold, first run)', value: cold, unit: 'ms' });
  rows.push({ scenario: 'startup', metric: 'npm start → ready (warm, data reused)', value: warm, unit: 'ms' });

  const base = loadConfig({ LOG_LEVEL: 'warn', DATA_DIR: path.join(work, 'server'), RATE_LIMIT_STRICT: '100000000', RATE_LIMIT_MODERATE: '100000000', RATE_LIMIT_LENIENT: '100000000' }, []);
  const infra = await startInfrastructure(base, logger);
  const deps = createDeps(base, infra, logger);
  await runMigrations(deps.pool);
  const db = await dbCeiling(infra.databaseUrl, DURATION * 1000);
  rows.push({ scenario: 'ceiling', metric: 'raw pg single-row INSERT', value: db, unit: 'rows/s', notes: '8 concurrent clients' });

  const app = await buildApp(deps, { modules: [platformModule, ...domainModules, probeModule] });
  await deps.jobs.start({ work: true });
  deps.events.start();
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${port}`;
  const harness: BenchHarness = {
    baseUrl,
    deps,
    ceilings: { httpRps: http.rps, dbInsertsPerSec: db },
    createUser: () => createUser(deps),
  };

  const user = await harness.createUser();
  const noop = await load({ url: `${baseUrl}/api/v1/probe/me`, headers: user.auth, durationSec: DURATION });
  rows.push({ scenario: 'platform', metric: 'authenticated no-op GET', value: noop.rps, unit: 'req/s', ceiling: { name: 'bare Fastify GET', value: http.rps }, ratio: ratio(noop.rps, http.rps), notes: `p50 ${noop.p50} ms, p99 ${noop.p99} ms, non-2xx ${noop.non2xx}` });
  const ready = await load({ url: `${baseUrl}/health/ready`, durationSec: DURATION });
  rows.push({ scenario: 'platform', metric: 'GET /health/ready', value: ready.rps, unit: 'req/s', ceiling: { name: 'bare Fastify GET', value: http.rps }, ratio: ratio(ready.rps, http.rps), notes: `p50 ${ready.p50} ms, p99 ${ready.p99} ms, non-2xx ${ready.non2xx}` });

  const scenarioDir = path.join(import.meta.dirname, 'scenarios');
  const files = readdirSync(scenarioDir, { withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.bench.ts')).map((f) => f.name).sort();
  for (const file of files) {
    if (only.length && !only.some((o) => file.includes(o))) continue;
    try {
      await settleDatabase(deps.db);
      const scenario = (await import(path.join(scenarioDir, file))).default as BenchScenario;
      rows.push(...(await scenario(harness)));
    } catch (err) {
      rows.push({ scenario: file, metric: 'failed', value: 0, unit: '', notes: (err as Error).message.slice(0, 300) });
    }
  }

  await app.close();
  await deps.close();
  await infra.stop();
  rmSync(work, { recursive: true, force: true });

  const outDir = path.join(import.meta.dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const meta = { at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, durationSec: DURATION };
  writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify({ meta, rows }, null, 2));
  const table = [
    `# StreakPets bench — ${meta.at} — Node ${meta.node}, ${meta.cpus} cores, ${DURATION} s per load`,
    '',
    '| scenario | metric | value | unit | ceiling | ratio | target | met | notes |',
    '| --- | --- | ---: | --- | --- | ---: | --- | --- | --- |',
    ...rows.map((r) => `| ${r.scenario} | ${r.metric} | ${r.value} | ${r.unit} | ${r.ceiling ? `${r.ceiling.name} ${r.ceiling.value}` : ''} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} | ${r.notes ?? ''} |`),
  ].join('\n');
  writeFileSync(path.join(outDir, 'latest.md'), `${table}\n`);
  process.stdout.write(`${table}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
