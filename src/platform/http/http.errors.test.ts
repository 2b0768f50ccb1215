import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], env: { BODY_LIMIT_BYTES: '2048' } });
});
afterAll(async () => t?.close());

const json = { 'content-type': 'application/json' };

describe('problem+json errors', () => {
  it('unknown routes are 404 problem+json with a stable code', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nowhere?token=secret' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: 'https://streakpets.dev/problems/route-not-found',
      title: 'Route not found',
      status: 404,
      code: 'route_not_found',
      detail: 'There is no route for GET /api/v1/nowhere.',
      instance: '/api/v1/nowhere',
    });
    expect(res.body).not.toContain('secret');
  });

  it('malformed JSON is 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: json, payload: '{"name": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'malformed_json', title: 'Malformed JSON' });
  });

  it('valid JSON with a prototype-polluting key is a 422 naming the rule, not "malformed JSON"', async () => {
    for (const payload of ['{"name":"x","amount":"1","__proto__":{"admin":true}}', '{"name":"x","amount":"1","constructor":{"prototype":{"admin":true}}}']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { ...json, 'accept-language': 'de' }, payload });
      expect(res.statusCode, payload).toBe(422);
      expect(res.json(), payload).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body', code: 'forbidden_key', message: 'darf die Schlüssel __proto__ und constructor.prototype nicht verwenden' }] });
    }
  });

  it('a JSON body announced in a charset other than UTF-8 is 415; utf-8 in any spelling is read', async () => {
    const payload = JSON.stringify({ name: 'x', amount: '1' });
    for (const type of ['application/json; charset=latin1', 'application/json;charset="ISO-8859-1"', 'application/json; charset=utf-16']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { 'content-type': type }, payload });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().code, type).toBe('unsupported_media_type');
    }
    for (const type of ['application/json; charset=UTF-8', 'application/json;charset="utf8"']) {
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { 'content-type': type }, payload })).statusCode, type).toBe(200);
    }
  });

  it('a body over the size limit is 413', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: json, payload: JSON.stringify({ name: 'x'.repeat(5000), amount: '1' }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('validation errors are 422 and list every field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: json, payload: { name: '', amount: '1e400' } });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.amount', 'body.name']);
  });

  it('tells each field\'s problem in the reader\'s language (zod\'s own wording is re-told, "required" and text lengths from our catalog)', async () => {
    const send = (lang: string, payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { ...json, 'accept-language': lang }, payload });
    const byField = (res: { json(): { errors: Array<{ field: string; message: string }> } }) => Object.fromEntries(res.json().errors.map((e) => [e.field, e.message]));
    expect(byField(await send('en', { name: '', amount: '1e400', tags: ['a', 'b', 'c', 'd'] }))).toEqual({
      'body.name': 'Required.',
      'body.amount': 'Invalid string: must match pattern /^\\d+(\\.\\d{1,6})?$/',
      'body.tags': 'Too big: expected array to have <=3 items',
    });
    const de = await send('de', { name: '', amount: 5, tags: ['a', 'b', 'c', 'd'] });
    expect(de.json().detail).toBe('Einige Felder sind ungültig.');
    expect(byField(de)).toEqual({
      'body.name': 'Pflichtfeld.',
      'body.amount': 'Ungültige Eingabe: erwartet string, erhalten Zahl',
      'body.tags': 'Zu groß: erwartet, dass array <=3 Elemente hat',
    });
    const ja = byField(await send('ja', { name: 'x'.repeat(30), amount: '1' }));
    expect(ja['body.name']).toBe('20文字以内で入力してください');
    // a number read from a query string that is not one (zod says "received NaN")
    const nan = await t.app.inject({ method: 'GET', url: '/api/v1/probe/sleep?seconds=abc', headers: { 'accept-language': 'de' } });
    expect(byField(nan)).toEqual({ 'querystring.seconds': 'Ungültige Eingabe: erwartet Zahl, erhalten NaN' });
  });

  it('refuses U+0000 anywhere in a request with 422 naming the field (PostgreSQL text cannot hold it)', async () => {
    const body = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: json, payload: JSON.stringify({ name: 'a', amount: '1', tags: ['ok', 'b\u0000'] }) });
    expect(body.statusCode).toBe(422);
    expect(body.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.tags.1', message: 'must not contain the NUL character (U+0000)' }] });
    const query = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales?x=a%00b' });
    expect(query.statusCode).toBe(422);
    // named as schema validation names fields (querystring.x, as zod errors say), not query.x
    expect(query.json().errors[0].field).toBe('querystring.x');
    const param = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/translations/a%00b' });
    expect(param.statusCode).toBe(422);
    expect(param.json().errors[0].field).toBe('params.locale');
  });

  it('localizes title and detail and says which language it answered in', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { ...json, 'accept-language': 'ja,en;q=0.5' }, payload: '{' });
    expect(res.headers['content-language']).toBe('ja');
    expect(res.json()).toMatchObject({ title: '不正なJSON', detail: 'リクエスト本文が有効なJSONではありません。', code: 'malformed_json' });
  });

  it('a badly encoded URL is a localized 400 with the headers of any other answer (request id, language, security headers)', async () => {
    // in the query too: its parser would keep "%FF" as the literal text a route then looks up
    for (const url of ['/api/v1/i18n/translations/%E0%A4%A', '/api/v1/nowhere/%E0%A4%A?lang=x', '/api/v1/probe/me?to=%FF', '/api/v1/probe/chain?a=1&name=%E0']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { 'accept-language': 'de' } });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['content-language']).toBe('de');
      expect(res.headers['x-request-id']).toBe(res.json().requestId);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeDefined();
      expect(res.json()).toMatchObject({
        code: 'bad_request',
        title: 'Ungültige Anfrage',
        detail: 'Die Anfrage konnte nicht verstanden werden.',
        instance: url.split('?')[0],
        errors: [{ field: 'url', message: 'muss gültiges prozentkodiertes UTF-8 sein' }],
      });
    }
    // a path parameter of any length reaches its route, whose schema refuses it with the usual headers
    const long = await t.app.inject({ method: 'GET', url: `/api/v1/i18n/translations/${'x'.repeat(5000)}`, headers: { 'accept-language': 'de' } });
    expect(long.statusCode).toBe(422);
    expect(long.headers['content-language']).toBe('de');
    expect(long.headers['x-content-type-options']).toBe('nosniff');
    expect(long.json()).toMatchObject({ code: 'validation_failed', requestId: long.headers['x-request-id'] });
  });

  it('an unsupported content type is 415', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('unsupported_media_type');
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/probe/echo', headers: { 'content-type': 'text/plain' }, payload: '{"name":"a","amount":"1"}' });
    expect(text.statusCode).toBe(415);
  });

  it('answers at least 200 malformed requests to every route without a single 5xx', { timeout: 120_000 }, async () => {
    const routes = t.app.printRoutes({ commonPrefix: false });
    expect(routes).toContain('probe/echo');
    const targets = [
      ['POST', '/api/v1/probe/echo'],
      ['POST', '/api/v1/probe/pay'],
      ['GET', '/api/v1/probe/me'],
      ['GET', '/api/v1/i18n/translations/%E0%A4%A'],
      ['GET', '/api/v1/i18n/locales'],
      ['POST', '/api/v1/probe/strict'],
      ['GET', '/health/ready'],
      ['DELETE', '/api/v1/probe/echo'],
      ['GET', '/api/v1/../../etc/passwd'],
    ] as const;
    const bodies: Array<string | undefined> = [
      undefined,
      '',
      '{',
      'null',
      '[]',
      '"str"',
      '123',
      '{"name":null,"amount":{}}',
      '{"name":"a","amount":"-1"}',
      '{"name":"a","amount":"1e400"}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      JSON.stringify({ name: '\u0000\uD800', amount: '1' }),
      '\uFEFF{"name":"a"}',
      '{"name":"a","amount":"1","tags":' + '['.repeat(500) + ']'.repeat(500) + '}',
      Buffer.from([0xff, 0xfe, 0xfd]).toString('latin1'),
      'x'.repeat(3000),
    ];
    const headerSets: Array<Record<string, string>> = [
      json,
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/json; charset=utf-16' },
      { ...json, authorization: 'Bearer not.a.jwt' },
      { ...json, authorization: 'Basic Zm9vOmJhcg==' },
      { ...json, 'idempotency-key': '\u00e9' },
      { ...json, 'accept-language': ';;;q=abc,,' },
    ];
    let sent = 0;
    for (const [method, url] of targets) {
      for (const payload of bodies) {
        const headers = headerSets[sent % headerSets.length];
        const res = await t.app.inject({ method, url, headers, payload: method === 'GET' || method === 'DELETE' ? undefined : payload });
        sent++;
        expect(res.statusCode, `${method} ${url} ${String(payload).slice(0, 40)}`).toBeLessThan(500);
        if (res.statusCode >= 400) expect(res.headers["content-type"], `${method} ${url} ${res.statusCode} ${res.body.slice(0, 200)}`).toContain("application/problem+json");
      }
    }
    expect(sent).toBeGreaterThanOrEqual(150);
    for (let i = 0; i < 60; i++) {
      const url = `/api/v1/${'%'.repeat(i % 3)}${'a/'.repeat(i)}?limit=${'9'.repeat(i)}&cursor=${'!'.repeat(i)}`;
      const res = await t.app.inject({ method: i % 2 ? 'GET' : 'POST', url, headers: json, payload: i % 2 ? undefined : '{' });
      sent++;
      expect(res.statusCode).toBeLessThan(500);
    }
    expect(sent).toBeGreaterThanOrEqual(200);
  });
});
