import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeStreamReads } from './realtime.streams.js';

const stream = `sptest:streams:${randomBytes(6).toString('hex')}`;
const clients: Redis[] = [];
const client = (resume: boolean) => {
  const c = new Redis('redis://127.0.0.1:6379');
  if (resume) resumeStreamReads(c);
  clients.push(c);
  return c;
};
afterAll(async () => {
  await clients[0]?.del(stream);
  for (const c of clients) c.disconnect();
});

/** One blocking read from `$`, as the Socket.io adapter polls before it has seen an entry. */
const readFromNow = (c: Redis) => c.xread('COUNT', 100, 'BLOCK', 50, 'STREAMS', stream, '$');

describe('resumeStreamReads', () => {
  it('delivers an entry added between two reads from `$`, which plain XREAD loses', async () => {
    const writer = client(false);
    await writer.xadd(stream, '*', 'n', 'before');
    const plain = client(false);
    const resuming = client(true);
    expect(await readFromNow(plain)).toBeNull();
    expect(await readFromNow(resuming)).toBeNull();

    const id = await writer.xadd(stream, '*', 'n', 'between reads');
    expect(await readFromNow(plain)).toBeNull();
    expect(await readFromNow(resuming)).toEqual([[stream, [[id, ['n', 'between reads']]]]]);

    const next = await writer.xadd(stream, '*', 'n', 'after');
    expect(await readFromNow(resuming)).toEqual([[stream, [[next, ['n', 'after']]]]]);
  });
});
