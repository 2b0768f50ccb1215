import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gates, held, probeModule } from '../../../test/helpers/probeModule.js';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { platformModule } from '../platform.module.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({ modules: [platformModule, probeModule], work: false, dispatch: false });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => t?.deps.close());

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
}

describe('graceful shutdown', () => {
  it('finishes the request in flight and refuses one arriving on its connection with 503 problem+json shutting_down', async () => {
    let open!: () => void;
    gates.set('drain', new Promise<void>((resolve) => (open = resolve)));
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (chunk) => (raw += String(chunk)));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /api/v1/probe/held?gate=drain HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => held.has('drain'));

    const closing = t.app.close();
    await new Promise((r) => setImmediate(r));
    socket.write('GET /api/v1/i18n/locales HTTP/1.1\r\nHost: localhost\r\nAccept-Language: fr\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    open();
    await ended;
    await closing;

    const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('{"ok":true}');
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/content-type: application\/problem\+json/i);
    expect(second).toMatch(/retry-after: 1\r\n/i);
    expect(second).toMatch(/connection: close\r\n/i);
    const body = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ status: 503, code: 'shutting_down', title: 'Serveur en redémarrage', instance: '/api/v1/i18n/locales' });
  });
});
