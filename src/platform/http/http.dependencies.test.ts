import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { postgresTarget, tcpProxy, throughProxy, type TcpProxy } from '../../../test/helpers/tcpProxy.js';
import { createTestApp, createTestDatabase, type TestApp } from '../../../test/helpers/testApp.js';
import { domainModules } from '../../modules.js';
import { platformModule } from '../platform.module.js';

/** The whole app, its database and its chain each reached through a relay the test can cut. */
let t: TestApp;
let db: TcpProxy;
let chain: TcpProxy;
let databaseUrl: string;
let alice: TestUser;
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  db = await tcpProxy(postgresTarget(databaseUrl));
  const rpc = new URL(inject('rpcUrl'));
  chain = await tcpProxy({ host: rpc.hostname, port: Number(rpc.port) });
  t = await createTestApp({
    modules: [platformModule, ...domainModules, probeModule],
    databaseUrl: throughProxy(databaseUrl, db),
    rpcUrl: `http://127.0.0.1:${chain.port}`,
    work: false,
    dispatch: false,
  });
  alice = await createUser(t.deps);
});
afterAll(async () => {
  await db?.restore();
  await chain?.restore();
  await t?.close();
  await db?.close();
  await chain?.close();
});

const expectUnavailable = (res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }, code: string) => {
  expect(res.statusCode).toBe(503);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toMatchObject({ status: 503, code, type: `https://streakpets.dev/problems/${code.replace(/_/g, '-')}` });
};

describe('a dependency that cannot be reached', () => {
  it('the chain: 503 chain_unavailable with Retry-After, localized, and the routes answer again once it is back', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth })).statusCode).toBe(200);
    await chain.cut();
    try {
      const info = await t.app.inject({ method: 'GET', url: '/api/v1/chain', headers: { 'accept-language': 'de' } });
      expectUnavailable(info, 'chain_unavailable');
      expect(info.json()).toMatchObject({ title: 'Blockchain nicht erreichbar', detail: 'Der Blockchain-Knoten ist gerade nicht erreichbar. Erneut versuchen in 5 Sekunden.' });
      expectUnavailable(await t.app.inject({ method: 'GET', url: '/api/v1/wallets', headers: alice.auth }), 'chain_unavailable');
    } finally {
      await chain.restore();
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/chain' })).statusCode).toBe(200);
  });

  it('PostgreSQL refusing connections: 503 database_unavailable, and /me answers again once it is back', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: alice.auth })).statusCode).toBe(200);
    await db.cut();
    try {
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: alice.auth });
      expectUnavailable(me, 'database_unavailable');
      expect(me.json().title).toBe('Database unavailable');
    } finally {
      await db.restore();
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: alice.auth })).statusCode).toBe(200);
  });

  it('PostgreSQL ending the connection under a query (pg_terminate_backend, SQLSTATE 57P01): 503 database_unavailable', async () => {
    const admin = new pg.Client({ connectionString: inject('pgServerUrl') });
    await admin.connect();
    try {
      const answer = t.app.inject({ method: 'GET', url: '/api/v1/probe/sleep?seconds=20' });
      const database = new URL(databaseUrl).pathname.slice(1);
      let terminated = 0;
      for (let i = 0; i < 100 && !terminated; i++) {
        const { rowCount } = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query like 'select pg_sleep%' and pid <> pg_backend_pid()`,
          [database],
        );
        terminated = rowCount ?? 0;
        if (!terminated) await new Promise((r) => setTimeout(r, 50));
      }
      expect(terminated).toBe(1);
      expectUnavailable(await answer, 'database_unavailable');
    } finally {
      await admin.end();
    }
  });
});
