import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../test/helpers/factories.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';
import { configuredSecrets, hideSecrets } from './logger.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], captureLogs: true, dispatch: false, work: false });
});
afterAll(async () => t?.close());

describe('logging', () => {
  it('gives every request an id, echoed in x-request-id and in the log lines', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.logs.some((l) => l.includes(`"reqId":"${id}"`))).toBe(true);
  });

  it('never writes secrets: Authorization, cookies, tokens in URLs, passwords and keys in logged objects', async () => {
    const user = await createUser(t.deps);
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/probe/me?token=url-secret-123',
      headers: { ...user.auth, cookie: 'sid=cookie-secret-456', 'idempotency-key': 'idem-secret-789' },
    });
    t.app.log.info(
      { user: { password: 'pw-secret-1', privateKey: '0xkey-secret-2', refreshToken: 'rt-secret-3', totpCode: '123456' }, apiKey: 'sk-secret-4' },
      'logging a careless object',
    );
    const all = t.logs.join('\n');
    for (const secret of [user.token, 'url-secret-123', 'cookie-secret-456', 'idem-secret-789', 'pw-secret-1', '0xkey-secret-2', 'rt-secret-3', '123456', 'sk-secret-4']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[redacted]');
    expect(all).toContain('logging a careless object');
  });

  it('hides a configured URL in every form an error quotes it: as written, normalized, without credentials', () => {
    const hidden = configuredSecrets({ CHAIN_RPC_URL: 'https://user:pw-secret@rpc.example:8443?key=k-secret', DATABASE_URL: 'postgres://app:db-secret@db.internal/app' });
    const text = [
      'https://user:pw-secret@rpc.example:8443?key=k-secret',
      'https://user:pw-secret@rpc.example:8443/?key=k-secret',
      'URL: https://rpc.example:8443/?key=k-secret',
      'postgres://app:db-secret@db.internal/app',
    ].join('\n');
    expect(hideSecrets(text, hidden)).toBe(
      ['[redacted CHAIN_RPC_URL]', '[redacted CHAIN_RPC_URL]', 'URL: [redacted CHAIN_RPC_URL]', '[redacted DATABASE_URL]'].join('\n'),
    );
  });

  it('redacts every query parameter whose name says it holds a secret, in any case or style', async () => {
    const secrets = {
      token: 'q-secret-1',
      refreshToken: 'q-secret-2',
      apiKey: 'q-secret-3',
      password: 'q-secret-4',
      sig: 'q-secret-5',
      access_token: 'q-secret-6',
      client_secret: 'q-secret-7',
      'X-Amz-Signature': 'q-secret-8',
      auth_code: 'q-secret-9',
      OTP: 'q-secret-10',
      new_passwd: 'q-secret-11',
      'api%5Fkey': 'q-secret-12',
      pw: 'q-secret-14',
      pwd: 'q-secret-15',
      userPwd: 'q-secret-16',
      passphrase: 'q-secret-17',
      jwt: 'q-secret-18',
      session: 'q-secret-19',
      sessionId: 'q-secret-20',
      sid: 'q-secret-21',
      'connect.sid': 'q-secret-22',
      credential: 'q-secret-23',
      credentials: 'q-secret-24',
      'X-Amz-Credential': 'q-secret-25',
      private: 'q-secret-26',
      private_key: 'q-secret-27',
      pass: 'q-secret-28',
      PIN: 'q-secret-29',
    };
    const query = Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('&');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/chain?limit=5&${query}&lang=fr&upward=1&inside=2&spin=3` });
    const line = t.logs.find((l) => l.includes(`"reqId":"${res.headers['x-request-id']}"`) && l.includes('"url"'));
    expect(line).toBeDefined();
    for (const secret of Object.values(secrets)) expect(line).not.toContain(secret);
    expect(line).toContain('refreshToken=[redacted]&apiKey=[redacted]&password=[redacted]&sig=[redacted]');
    expect(line).toContain('?limit=5&');
    expect(line).toContain('&lang=fr&upward=1&inside=2&spin=3');
  });

  it('redacts request headers whose name says they carry a secret, custom auth headers included', async () => {
    const secrets = {
      authorization: 'Bearer h-secret-1',
      'proxy-authorization': 'Basic h-secret-2',
      'x-api-key': 'h-secret-3',
      'x-auth-token': 'h-secret-4',
      'x-refresh-token': 'h-secret-5',
      'x-access-token': 'h-secret-6',
      'idempotency-key': 'h-secret-7',
      'x-session-id': 'h-secret-8',
      'x-csrf-token': 'h-secret-9',
      cookie: 'sid=h-secret-10',
      'x-amz-security-token': 'h-secret-11',
    };
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { ...secrets, 'user-agent': 'probe/1.0', 'accept-language': 'fr' } });
    const line = t.logs.find((l) => l.includes(`"reqId":"${res.headers['x-request-id']}"`) && l.includes('"headers"'));
    expect(line).toBeDefined();
    for (const secret of Object.values(secrets)) expect(line).not.toContain(secret);
    expect(line).toContain('"x-refresh-token":"[redacted]"');
    expect(line).toContain('"user-agent":"probe/1.0"');
    expect(line).toContain('"accept-language":"fr"');
  });

  it('logs a badly encoded URL as it was asked for, its secrets redacted', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/chain/%E0%A4%A?token=q-secret-13&name=%FF' });
    expect(res.statusCode).toBe(400);
    const line = t.logs.find((l) => l.includes(`"reqId":"${res.headers['x-request-id']}"`) && l.includes('"url"'));
    expect(line).toContain('"url":"/api/v1/chain/%E0%A4%A?token=[redacted]&name=%FF"');
  });
});
