import autocannon from 'autocannon';
import type { BenchRow, BenchScenario } from '../harness.js';

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5);

async function run(opts: autocannon.Options) {
  const r = await autocannon({ duration: DURATION, workers: 1, ...opts } as autocannon.Options);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

/**
 * Accounts: what authentication costs. GET /me shows the per-request price of the auth resolver
 * (JWT check + one session/user query); POST /auth/login is bounded by argon2id (m=19456 KiB, t=2)
 * and shows how many sign-ins a second this machine can take.
 */
const accountsBench: BenchScenario = async (h) => {
  const rows: BenchRow[] = [];
  const user = await h.createUser();
  const me = await run({ url: `${h.baseUrl}/api/v1/me`, connections: 50, headers: user.auth });
  rows.push({
    scenario: 'accounts',
    metric: 'GET /me (JWT + live-session check)',
    value: me.rps,
    unit: 'req/s',
    ceiling: { name: 'bare Fastify GET', value: h.ceilings.httpRps },
    ratio: Math.round((me.rps / h.ceilings.httpRps) * 1000) / 1000,
    notes: `p50 ${me.p50} ms, p99 ${me.p99} ms, non-2xx ${me.non2xx}`,
  });

  const email = `bench-${Date.now()}@example.test`;
  const password = 'bench password that is long';
  const reg = await fetch(`${h.baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench' }),
  });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status}`);
  const login = await run({
    url: `${h.baseUrl}/api/v1/auth/login`,
    method: 'POST',
    connections: 4,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  rows.push({
    scenario: 'accounts',
    metric: 'POST /auth/login (argon2id verify + session)',
    value: login.rps,
    unit: 'logins/s',
    notes: `4 connections, p50 ${login.p50} ms, p99 ${login.p99} ms, non-2xx ${login.non2xx}`,
  });
  return rows;
};

export default accountsBench;
