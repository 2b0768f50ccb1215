import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../../test/helpers/factories.js';
import { listen, openSocket, refusal, type SocketOptions } from '../../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';

const LISTED = 'https://app.example.test';
const PUBLIC = 'https://pets.public.test';
const TRANSPORTS = ['websocket', 'polling'] as const;

let sameOriginOnly: TestApp;
let behindProxy: TestApp;
let plainUrl: string;
let proxiedUrl: string;
let alice: TestUser;

beforeAll(async () => {
  sameOriginOnly = await createTestApp({ work: false, dispatch: false, env: { PUBLIC_URL: `${PUBLIC}/` } });
  // the test client connects from loopback, so here it is the trusted proxy whose X-Forwarded-* count
  behindProxy = await createTestApp({
    work: false,
    dispatch: false,
    databaseUrl: sameOriginOnly.deps.infra.databaseUrl,
    env: { CORS_ORIGINS: LISTED, TRUST_PROXY: 'loopback' },
  });
  plainUrl = await listen(sameOriginOnly.app);
  proxiedUrl = await listen(behindProxy.app);
  alice = await createUser(sameOriginOnly.deps);
});
afterAll(async () => {
  await behindProxy?.close();
  await sameOriginOnly?.close();
});

async function connects(baseUrl: string, options: SocketOptions): Promise<boolean> {
  try {
    const socket = await openSocket(baseUrl, alice.token, options);
    socket.disconnect();
    return true;
  } catch {
    return false;
  }
}

describe.each(TRANSPORTS)('socket handshake Origin check over %s', (transport) => {
  it('accepts a client that sends no Origin (not a browser page) and a page of the same origin', async () => {
    expect(await connects(plainUrl, { transport })).toBe(true);
    expect(await connects(plainUrl, { transport, headers: { origin: plainUrl } })).toBe(true);
  });

  it('refuses a page of another origin, and Origin: null, when CORS_ORIGINS is empty', async () => {
    for (const origin of ['https://evil.example', 'null', LISTED, plainUrl.replace('http:', 'https:')]) {
      const err = await refusal(plainUrl, alice.token, { transport, headers: { origin } });
      expect(err.message, origin).toMatch(/xhr poll error|websocket error/);
    }
  });

  it('accepts a page of PUBLIC_URL\'s origin, though a proxy in front rewrote the Host and sent no X-Forwarded-*', async () => {
    expect(await connects(plainUrl, { transport, headers: { origin: PUBLIC } })).toBe(true);
    expect(await connects(plainUrl, { transport, headers: { origin: PUBLIC.replace('https:', 'http:') } })).toBe(false);
  });

  it('ignores X-Forwarded-Proto and -Host from a peer TRUST_PROXY does not trust', async () => {
    const headers = { origin: 'https://pets.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'pets.example' };
    expect(await connects(plainUrl, { transport, headers })).toBe(false);
  });

  it('accepts a listed origin and the origin a trusted proxy was reached at; refuses others', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'pets.example' };
    expect(await connects(proxiedUrl, { transport, headers: { origin: LISTED } })).toBe(true);
    expect(await connects(proxiedUrl, { transport, headers: { ...forwarded, origin: 'https://pets.example' } })).toBe(true);
    expect(await connects(proxiedUrl, { transport, headers: { ...forwarded, origin: 'http://pets.example' } })).toBe(false);
    expect(await connects(proxiedUrl, { transport, headers: { ...forwarded, origin: proxiedUrl } })).toBe(false);
    expect(await connects(proxiedUrl, { transport, headers: { origin: 'https://evil.example' } })).toBe(false);
  });
});
