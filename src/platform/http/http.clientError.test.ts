import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModule } from '../../../test/helpers/probeModule.js';
import { listen } from '../../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], work: false, dispatch: false });
  port = Number(new URL(await listen(t.app)).port);
});
afterAll(async () => t?.close());

/** Sends raw bytes on one connection and returns everything the server wrote before closing it. */
function exchange(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.end(raw);
  });
}

/** The last response in what a connection received: status, headers (lower-case names) and JSON body. */
function lastResponse(text: string) {
  const start = text.lastIndexOf('HTTP/1.1 ');
  const [head, body] = [text.slice(start, text.indexOf('\r\n\r\n', start)), text.slice(text.indexOf('\r\n\r\n', start) + 4)];
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
}

describe("errors raised by Node's HTTP parser", () => {
  it('answers a 20 KB query string or header with 431 problem+json, in the language the request asked for', async () => {
    const big = 'x'.repeat(20_000);
    for (const raw of [
      `GET /api/v1/i18n/locales?q=${big} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: de\r\n\r\n`,
      `GET /api/v1/i18n/locales HTTP/1.1\r\nHost: localhost\r\nAccept-Language: de\r\nAuthorization: Bearer ${big}\r\n\r\n`,
    ]) {
      const res = lastResponse(await exchange(raw));
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['content-language']).toBe('de');
      expect(res.body).toMatchObject({ status: 431, code: 'headers_too_large', title: 'Header zu groß' });
    }
  });

  it('answers bytes past a body\'s Content-Length with 400 problem+json (English without a readable Accept-Language)', async () => {
    const raw = 'POST /api/v1/probe/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}{"name":"a","amount":"1"}';
    const res = lastResponse(await exchange(raw));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({ status: 400, code: 'bad_request', title: 'Bad request', detail: 'The request could not be understood.' });
  });
});
