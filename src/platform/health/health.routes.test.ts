import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('health and metrics', () => {
  it('is live', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when database, jobs and chain answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.jobs.ok).toBe(true);
    expect(body.checks.chain.ok).toBe(true);
  });

  it('exposes Prometheus metrics with route latency, pool, queue depth and event-loop lag', async () => {
    await t.app.inject({ method: 'GET', url: '/health/live' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health\/live"/);
    expect(res.body).toMatch(/db_pool_connections\{state="total"\}/);
    expect(res.body).toMatch(/job_queue_depth\{queue="platform.purge-idempotency-keys"\} 0/);
    expect(res.body).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('readiness when a dependency is down', () => {
  let down: TestApp;
  beforeAll(async () => {
    down = await createTestApp({ work: false });
    await down.deps.jobs.stop();
  });
  afterAll(async () => down?.close());

  it('answers 503 and names the failing check', async () => {
    const res = await down.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.jobs).toMatchObject({ ok: false, error: 'job queue not started' });
    expect(res.json().checks.database.ok).toBe(true);
  });
});

describe('metrics switched off', () => {
  let off: TestApp;
  beforeAll(async () => {
    off = await createTestApp({ work: false, dispatch: false, env: { METRICS_ENABLED: 'false' } });
  });
  afterAll(async () => off?.close());

  it('does not serve /metrics when METRICS_ENABLED=false', async () => {
    await off.app.inject({ method: 'GET', url: '/health/live' });
    const res = await off.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('http_request_duration_seconds');
    expect(await off.deps.metrics.getSingleMetric('http_request_duration_seconds')).toBeUndefined();
  });
});

describe('readiness when the chain is down', () => {
  let down: TestApp;
  // a hosted RPC's key rides in the path or the query; nothing listens on the port
  let rpcUrl = '';
  beforeAll(async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    rpcUrl = `http://127.0.0.1:${port}/v2/PATHKEY123?apikey=QAKEY456`;
    down = await createTestApp({ modules: [platformModule, probeModule], rpcUrl, env: { CHAIN_RPC_URL: rpcUrl }, captureLogs: true, work: false, dispatch: false });
  });
  afterAll(async () => down?.close());

  it('answers 503 with a short reason, and neither the answer nor a log line shows the RPC URL', async () => {
    const res = await down.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.chain).toMatchObject({ ok: false, error: 'HTTP request failed.' });
    const failed = await down.app.inject({ method: 'GET', url: '/api/v1/probe/chain' });
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    // the start-up failure and job failure logs go through the process logger with the error itself
    const err = await down.deps.chain.publicClient.getBlockNumber().catch((e: unknown) => e);
    down.deps.logger.fatal({ err }, 'start-up failed');
    down.deps.logger.child({ component: 'jobs' }).warn({ err, job: 'wallets.broadcast' }, 'job failed');
    const logs = down.logs.join('\n');
    expect(logs).toContain('request failed');
    expect(logs).toContain('start-up failed');
    expect(logs).toContain('[redacted CHAIN_RPC_URL]');
    for (const text of [res.body, failed.body, logs]) {
      for (const secret of ['QAKEY456', 'PATHKEY123']) expect(text).not.toContain(secret);
    }
  });
});
