import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../src/platform/db/db.migrate.js';
import { startAnvil } from '../src/platform/embedded/embedded.anvil.js';
import { startEmbeddedPostgres } from '../src/platform/embedded/embedded.postgres.js';
import { JOB_SCHEMA } from '../src/platform/jobs/jobs.queue.js';
import { createLogger } from '../src/platform/observability/logger.js';
import { tmpFolder } from './helpers/tmpDir.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    templateDatabase: string;
    rpcUrl: string;
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Once per run: a real PostgreSQL (embedded, or TEST_DATABASE_URL's server), a template database
 * migrated and holding the job-queue schema, and a real anvil chain. Each test file clones the template.
 */
export default async function setup(project: TestProject) {
  const logger = createLogger('silent');
  const stops: Array<() => Promise<void>> = [];
  let serverUrl = process.env.TEST_DATABASE_URL;
  let tmp: string | null = null;
  if (!serverUrl) {
    tmp = tmpFolder('streakpets-test-');
    const server = await startEmbeddedPostgres(path.join(tmp, 'pg'), 'test', logger);
    stops.push(() => server.stop());
    serverUrl = server.url('postgres');
  }
  const template = `sp_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  const templateUrl = withDatabase(serverUrl, template);
  const pool = new pg.Pool({ connectionString: templateUrl, max: 2 });
  await runMigrations(pool);
  await pool.end();
  const boss = new PgBoss({ connectionString: templateUrl, schema: JOB_SCHEMA, max: 2, supervise: false, schedule: false });
  await boss.start();
  await boss.stop({ graceful: false, wait: true } as PgBoss.StopOptions);
  const anvil = await startAnvil(logger);
  stops.push(() => anvil.stop());

  project.provide('pgServerUrl', serverUrl);
  project.provide('templateDatabase', template);
  project.provide('rpcUrl', anvil.url);

  return async () => {
    const dbs = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'sp_t_${process.pid}_%' or datname = $1`,
      [template],
    );
    for (const { datname } of dbs.rows) await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
    await admin.end();
    for (const stop of stops.reverse()) await stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
}
