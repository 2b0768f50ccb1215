import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../../../test/helpers/factories.js';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule] });
});
afterAll(async () => t?.close());

const get = (url: string, authorization?: string) =>
  t.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

describe('auth guard', () => {
  it('routes require a token unless they say otherwise', async () => {
    const res = await get('/api/v1/probe/me');
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
  });

  it('takes identity from a valid token', async () => {
    const user = await createUser(t.deps);
    const res = await get('/api/v1/probe/me', user.auth.authorization);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: user.id });
  });

  it('optional routes work with and without a token', async () => {
    const user = await createUser(t.deps);
    expect((await get('/api/v1/probe/optional')).json()).toEqual({ id: null });
    expect((await get('/api/v1/probe/optional', user.auth.authorization)).json()).toEqual({ id: user.id });
  });

  it('rejects forged, expired, alg-none and wrong-audience tokens', async () => {
    const user = await createUser(t.deps);
    const [h, p] = user.token.split('.');
    const forgedSig = `${h}.${p}.${base64url.encode('x'.repeat(32))}`;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`;
    const otherKey = await new SignJWT({ role: 'admin', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('streakpets')
      .setAudience('streakpets-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-different-secret-that-is-long-enough!!'));
    const expired = await t.deps.tokens.sign({ id: user.id, role: 'user', sessionId: user.sessionId }).then(async () => {
      const { AccessTokens } = await import('./http.auth.js');
      return new AccessTokens(t.deps.infra.jwtSecret, -10).sign({ id: user.id, role: 'user', sessionId: user.sessionId });
    });
    for (const token of [forgedSig, none, otherKey, 'garbage', `${h}.${p}`]) {
      const res = await get('/api/v1/probe/me', `Bearer ${token}`);
      expect(res.statusCode, token.slice(0, 20)).toBe(401);
      expect(res.json().code).toBe('token_invalid');
    }
    // ours and past its expiry: told apart, so a client knows refreshing will help
    const late = await get('/api/v1/probe/me', `Bearer ${expired}`);
    expect(late.statusCode).toBe(401);
    expect(late.json()).toMatchObject({ code: 'token_expired', title: 'Session expired' });
    // a forged signature over a past expiry is not called expired
    const [eh, ep] = expired.split('.');
    const forgedExpired = await get('/api/v1/probe/me', `Bearer ${eh}.${ep}.${base64url.encode('y'.repeat(32))}`);
    expect(forgedExpired.json().code).toBe('token_invalid');
    // a valid token followed by anything is not "Bearer <token>"
    const valid = await t.deps.tokens.sign({ id: user.id, role: 'user', sessionId: user.sessionId });
    expect((await get('/api/v1/probe/me', `Bearer ${valid}`)).statusCode).toBe(200);
    expect((await get('/api/v1/probe/me', `Bearer ${valid} extra`)).statusCode).toBe(401);
  });

  it('a token already verified (and remembered) is refused once it expires', async () => {
    const user = await createUser(t.deps);
    const { AccessTokens } = await import('./http.auth.js');
    const token = await new AccessTokens(t.deps.infra.jwtSecret, 60).sign({ id: user.id, role: 'user', sessionId: user.sessionId });
    expect((await get('/api/v1/probe/me', `Bearer ${token}`)).statusCode).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    try {
      const res = await get('/api/v1/probe/me', `Bearer ${token}`);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('token_expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a remembered token does not vouch for a token that differs from it', async () => {
    const user = await createUser(t.deps);
    expect((await get('/api/v1/probe/me', user.auth.authorization)).statusCode).toBe(200);
    const [h, p, sig] = user.token.split('.');
    const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const token of [flipped, `${user.token}x`, `${h}.${p}.`]) {
      const res = await get('/api/v1/probe/me', `Bearer ${token}`);
      expect(res.statusCode, token.slice(-8)).toBe(401);
    }
  });

  it('admin routes are forbidden to users and open to admins', async () => {
    const user = await createUser(t.deps);
    const admin = await createUser(t.deps, { role: 'admin' });
    expect((await get('/api/v1/probe/admin', user.auth.authorization)).statusCode).toBe(403);
    expect((await get('/api/v1/probe/admin', admin.auth.authorization)).statusCode).toBe(200);
  });
});
