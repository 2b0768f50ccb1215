import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { platformModule } from '../platform/platform.module.js';
import { createWebModule, isServerPath } from './web.module.js';

const FIXTURE = fileURLToPath(new URL('./fixture-dist/', import.meta.url));

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, createWebModule(FIXTURE)] });
});
afterAll(async () => t?.close());

describe('web app serving', () => {
  it('serves the shell at / without long caching', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain('fixture shell');
  });

  it('sends the shell with a Content-Security-Policy that runs only this origin\'s scripts and cannot be framed', async () => {
    for (const url of ['/', '/settings?tab=sessions']) {
      const csp = String((await t.app.inject({ method: 'GET', url })).headers['content-security-policy'] ?? '');
      const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
      expect(directives.get('script-src'), url).toBe("'self'");
      expect(directives.get('object-src'), url).toBe("'none'");
      expect(directives.get('frame-ancestors'), url).toBe("'none'");
      expect(csp, url).not.toContain('unsafe-inline');
    }
  });

  it('falls back to the shell for client-side routes, with or without a query', async () => {
    for (const url of ['/wallet', '/chat/123', '/settings?tab=sessions', '/reset-password?token=abc']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('fixture shell');
    }
  });

  it('answers a missing file (a name with an extension) with a 404 problem, not the shell', async () => {
    for (const url of ['/nonexistent.png', '/assets/app-old123.js', '/favicon.ico?v=2']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json().code, url).toBe('route_not_found');
    }
  });

  it('serves real files, hashed assets as immutable', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.body).toContain('fixture asset');
    const robots = await t.app.inject({ method: 'GET', url: '/robots.txt' });
    expect(robots.statusCode).toBe(200);
    expect(robots.body).toContain('User-agent');
  });

  it('never leaves the dist folder', async () => {
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/assets/%2e%2e/%2e%2e/web.module.ts']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('"dependencies"');
      expect(res.body, url).not.toContain('webRoutes');
    }
  });

  it('keeps unknown API paths as problem+json 404', async () => {
    for (const url of ['/api/v1/unknown', '/api/nope', '/health/nope', '/docs/nope/deeper']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { 'accept-language': 'fr' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json().code, url).toBe('route_not_found');
    }
    const post = await t.app.inject({ method: 'POST', url: '/api/v1/unknown', payload: {} });
    expect(post.statusCode).toBe(404);
    expect(post.json().code).toBe('route_not_found');
  });

  it('leaves the API, health and i18n routes alone', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(health.json()).toEqual({ status: 'ok' });
    const catalog = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/translations/ja' });
    expect(catalog.statusCode).toBe(200);
    expect(catalog.json().web).toBeTypeOf('object');
  });

  it('knows which paths belong to the server', () => {
    expect(isServerPath('/api')).toBe(true);
    expect(isServerPath('/socket.io/')).toBe(true);
    expect(isServerPath('/metrics')).toBe(true);
    expect(isServerPath('/apiary')).toBe(false);
    expect(isServerPath('/wallet')).toBe(false);
  });
});

describe('web app not built', () => {
  let bare: TestApp;
  const empty = mkdtempSync(path.join(tmpdir(), 'sp-web-empty-'));
  beforeAll(async () => {
    bare = await createTestApp({ modules: [platformModule, createWebModule(empty)] });
  });
  afterAll(async () => {
    await bare?.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('serves the API only and answers pages with a 404 problem', async () => {
    const res = await bare.app.inject({ method: 'GET', url: '/wallet' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('route_not_found');
  });
});
