import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { LOCKOUT_THRESHOLD, lockedUntil, lockoutDelayMs } from './accounts.lockout.js';
import { identifierHash } from './accounts.service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' } });
});
afterAll(async () => t?.close());

const PASSWORD = 'correct horse battery staple';
let n = 0;
const uniqueEmail = () => `lock${++n}-${Date.now()}@example.test`;

async function registered(): Promise<string> {
  const email = uniqueEmail();
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Lin' } });
  expect(res.statusCode).toBe(201);
  return email;
}

const login = (email: string, password: string, ip = '10.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email, password } });

/** Moves an identifier's recorded attempts back in time (instead of sleeping). */
async function age(email: string, seconds: number) {
  await t.deps.db
    .updateTable('login_attempts')
    .set({ created_at: sql`created_at - make_interval(secs => ${seconds})` })
    .where('identifier_hash', '=', identifierHash('email', email))
    .execute();
}

describe('lockout policy', () => {
  it('computes a progressive delay that is capped', () => {
    expect([4, 5, 6, 7, 8, 9, 20].map(lockoutDelayMs)).toEqual([0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000]);
    const last = new Date('2026-01-01T00:00:00Z');
    expect(lockedUntil(5, last, new Date('2026-01-01T00:00:10Z'))).toEqual(new Date('2026-01-01T00:00:30Z'));
    expect(lockedUntil(5, last, new Date('2026-01-01T00:00:31Z'))).toBeNull();
  });

  it('after 5 failures pauses the account, even for the right password, and the pause expires', async () => {
    const email = await registered();
    for (let i = 0; i < 5; i++) expect((await login(email, `wrong password ${i}`)).json().code).toBe('invalid_credentials');
    const paused = await login(email, PASSWORD, '10.9.9.9');
    expect(paused.statusCode).toBe(429);
    expect(paused.json().code).toBe('login_throttled');
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(25);
    expect(Number(paused.headers['retry-after'])).toBeLessThanOrEqual(30);
    await age(email, 31);
    const ok = await login(email, PASSWORD);
    expect(ok.statusCode).toBe(200);
    const again = await login(email, 'wrong again!!');
    expect(again.json().code).toBe('invalid_credentials');
  });

  it('doubles the pause per further failure, and attempts during a pause do not extend it', async () => {
    const email = await registered();
    for (let i = 0; i < 5; i++) await login(email, `wrong password ${i}`);
    for (let i = 0; i < 3; i++) expect((await login(email, 'during pause')).json().code).toBe('login_throttled');
    await age(email, 31);
    expect((await login(email, 'sixth failure')).json().code).toBe('invalid_credentials');
    const paused = await login(email, PASSWORD);
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(55);
    await age(email, 15 * 60);
    expect((await login(email, PASSWORD)).statusCode).toBe(200);
  });

  it('counts at most 5 of many parallel wrong passwords from different IPs; the rest wait for the pause', async () => {
    const email = await registered();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(email, `parallel wrong ${i}`, `10.3.${i}.1`)));
    const codes = answers.map((r) => r.json().code as string);
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(LOCKOUT_THRESHOLD);
    expect(codes.filter((c) => c === 'login_throttled')).toHaveLength(30 - LOCKOUT_THRESHOLD);
    const counted = await t.deps.db
      .selectFrom('login_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('identifier_hash', '=', identifierHash('email', email))
      .where('counts_for_lockout', '=', true)
      .executeTakeFirstOrThrow();
    expect(Number(counted.n)).toBe(LOCKOUT_THRESHOLD);
  });

  it('throttles an unknown account exactly like an existing one', async () => {
    const known = await registered();
    const unknown = uniqueEmail();
    for (let i = 0; i < 5; i++) {
      await login(known, `wrong password ${i}`);
      await login(unknown, `wrong password ${i}`);
    }
    const a = await login(known, 'another wrong one');
    const b = await login(unknown, 'another wrong one');
    expect(a.statusCode).toBe(429);
    expect(b.statusCode).toBe(429);
    expect(a.json().code).toBe(b.json().code);
  });

  it('records failures in the login history and as auth.login_failed events', async () => {
    const email = await registered();
    await login(email, 'bad password one');
    const user = await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const rows = await t.deps.db.selectFrom('login_attempts').selectAll().where('user_id', '=', user.id).orderBy('created_at').execute();
    // the sign-up's own session first, then the failure
    expect(rows).toMatchObject([{ success: true, method: 'sign_up' }, { success: false, reason: 'bad_credentials', ip: '10.0.0.1' }]);
    const events = await t.deps.db.selectFrom('domain_events').select(['data', 'context']).where('type', '=', 'auth.login_failed').where(sql<boolean>`${user.id}::uuid = any(user_ids)`).execute();
    expect(events).toMatchObject([{ data: { reason: 'bad_credentials' }, context: { ip: '10.0.0.1' } }]);
  });
});

describe('login timing', () => {
  it('verifies a hash for unknown accounts too (same code path, comparable time)', async () => {
    const email = await registered();
    // interleaved, so a busy machine slows both sides alike
    const times = { existing: [] as number[], unknown: [] as number[] };
    const timed = async (into: number[], fn: () => Promise<unknown>) => {
      const start = performance.now();
      await fn();
      into.push(performance.now() - start);
    };
    // four tries: below the lockout threshold, so every try of the existing account verifies its hash
    for (let i = 0; i < LOCKOUT_THRESHOLD - 1; i++) {
      await timed(times.existing, () => login(email, 'wrong but long password', '10.1.1.1'));
      await timed(times.unknown, () => login(uniqueEmail(), 'wrong but long password', '10.1.1.2'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [existing, unknown] = [median(times.existing), median(times.unknown)];
    // an argon2id verification at m=19456,t=2 costs tens of milliseconds; skipping it would be ~10x
    // faster (a ratio near 0.1), while a loaded machine has been seen to skew the two sides 2:1
    expect(unknown).toBeGreaterThan(existing * 0.25);
  });
});

describe('rate limit', () => {
  it('applies the strict tier to /auth routes', async () => {
    const strict = await createTestApp({ env: { RATE_LIMIT_STRICT: '3' } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await strict.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: 'x@example.test' } });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([202, 202, 202, 429]);
    } finally {
      await strict.close();
    }
  });
});
