import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ captureLogs: true, env: { RATE_LIMIT_STRICT: '1000' } });
});
afterAll(async () => t?.close());

const PASSWORD = 'correct horse battery staple';
let n = 0;

async function signUp(extra: Record<string, unknown> = {}) {
  const email = `outbox${++n}-${Date.now()}@example.test`;
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Otto', ...extra } });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  return { email, id: body.user.id as string, auth: { authorization: `Bearer ${body.accessToken}` } };
}

async function outbox() {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' });
  expect(res.statusCode).toBe(200);
  return res.json().items as Array<{ channel: string; to: string; subject: string | null; text: string; links: string[]; deliveredAt: string | null }>;
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dev outbox (no SMTP_URL)', () => {
  it('keeps the verification mail readable with its link, and the log line carries no token', async () => {
    const user = await signUp();
    const mail = await until(async () => (await outbox()).find((m) => m.to === user.email && m.deliveredAt));
    expect(mail.subject).toBe('Confirm your StreakPets email address');
    expect(mail.links).toEqual([expect.stringMatching(/^http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}$/)]);
    const token = new URL(mail.links[0]).searchParams.get('token')!;
    // the job logs right after it marks the mail delivered, so the log line may trail the outbox by a moment
    const logs = await until(async () => (t.logs.join('').includes('mail is in the dev outbox') ? t.logs.join('') : undefined));
    expect(logs).not.toContain(token);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } });
    expect(res.statusCode).toBe(200);
  });

  it('answers only to the same machine', async () => {
    for (const remoteAddress of ['203.0.113.9', '10.0.0.5', '::ffff:192.168.1.2']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/dev/outbox', remoteAddress });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('route_not_found');
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/dev/outbox', remoteAddress: '::1' })).statusCode).toBe(200);
  });

  it('is not served in production', async () => {
    const prod = await createTestApp({ env: { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:1', PUBLIC_URL: 'https://streakpets.example' } });
    try {
      const res = await prod.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' });
      expect(res.statusCode).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

describe('SMTP down', () => {
  it('keeps the mail queued with the error and retries; nothing is lost', async () => {
    const down = await createTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:1', RATE_LIMIT_STRICT: '1000' } });
    try {
      const email = `down-${Date.now()}@example.test`;
      const res = await down.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Dee' } });
      expect(res.statusCode).toBe(201);
      const row = await until(async () =>
        down.deps.db.selectFrom('outbound_messages').selectAll().where('recipient', '=', email).where('last_error', 'is not', null).executeTakeFirst(),
      );
      expect(row).toMatchObject({ delivered_at: null, template: 'verify_email' });
      expect(row.body).toContain('/verify-email?token=');
    } finally {
      await down.close();
    }
  });
});

describe('phone verification by SMS code', () => {
  it('texts a code to the dev outbox and verifies the phone with it', async () => {
    const user = await signUp();
    const phone = `+3361${String(Date.now()).slice(-7)}`;
    const send = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: user.auth, payload: { phone } });
    expect(send.statusCode).toBe(202);
    expect(send.json()).toEqual({ expiresInSeconds: 600 });
    const sms = await until(async () => (await outbox()).find((m) => m.to === phone && m.deliveredAt));
    expect(sms.channel).toBe('sms');
    const code = sms.text.match(/\b(\d{6})\b/)![1];
    expect(t.logs.join('')).not.toContain(`${code}.`);
    const wrongCode = code === '000000' ? '000001' : '000000';
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/verify', headers: user.auth, payload: { phone, code: wrongCode } });
    expect(wrong.json()).toMatchObject({ status: 400, code: 'code_invalid' });
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/verify', headers: user.auth, payload: { phone, code } });
    expect(ok.statusCode).toBe(200);
    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).json();
    expect(me).toMatchObject({ phone, phoneVerified: true });
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { phone, password: PASSWORD } });
    expect(login.statusCode).toBe(200);

    const other = await signUp();
    const taken = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: other.auth, payload: { phone } });
    expect(taken.json()).toMatchObject({ status: 409, code: 'phone_taken' });
  });

  it('allows 5 tries per code, then the code is spent', async () => {
    const user = await signUp();
    const phone = `+4915${String(Date.now()).slice(-8)}`;
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: user.auth, payload: { phone } });
    const row = await t.deps.db.selectFrom('phone_codes').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/verify', headers: user.auth, payload: { phone, code: `99999${i}` } });
      codes.push(res.json().code);
    }
    expect(codes).toEqual(['code_invalid', 'code_invalid', 'code_invalid', 'code_invalid', 'code_expired', 'code_expired']);
    const spent = await t.deps.db.selectFrom('phone_codes').select('attempts').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(spent.attempts).toBe(5);
  });

  it('expires codes after 10 minutes and limits sends to 5 an hour', async () => {
    const user = await signUp();
    const phone = `+1646${String(Date.now()).slice(-7)}`;
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: user.auth, payload: { phone } });
    const sms = await until(async () => (await outbox()).find((m) => m.to === phone));
    await t.deps.db.updateTable('phone_codes').set({ expires_at: new Date(Date.now() - 1) }).where('user_id', '=', user.id).execute();
    const code = sms.text.match(/\b(\d{6})\b/)![1];
    const late = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/verify', headers: user.auth, payload: { phone, code } });
    expect(late.json().code).toBe('code_expired');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: user.auth, payload: { phone } })).statusCode);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
  });

  it('rejects a phone that is not E.164', async () => {
    const user = await signUp();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sms/send', headers: user.auth, payload: { phone: '06 12 34 56 78' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].field).toBe('body.phone');
  });
});
