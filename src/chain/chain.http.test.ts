import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublicClient, http, HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { rpcFetch } from './chain.http.js';

type Handler = (body: unknown, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
});

/** A local JSON-RPC server: answers every POST with the handler, and counts the requests. */
async function rpcServer(handler: Handler) {
  const seen: unknown[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      seen.push(body);
      handler(body, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const answer = (call: { id: number; method: string }) => ({ jsonrpc: '2.0', id: call.id, result: call.method === 'eth_blockNumber' ? '0x10' : '0x2a' });

const client = (url: string, opts: { batch?: boolean; timeout?: number; maxBytes?: number } = {}) =>
  createPublicClient({
    transport: http(url, { fetchFn: rpcFetch(opts.maxBytes), maxResponseBodySize: false, retryCount: 0, timeout: opts.timeout ?? 5_000, batch: opts.batch }),
  });

describe('rpcFetch (viem over undici.request)', () => {
  it('answers single calls and JSON-RPC batches as fetch did', async () => {
    const { url, seen } = await rpcServer((body, res) => reply(res, 200, Array.isArray(body) ? body.map(answer) : answer(body as never)));
    expect(await client(url).getBlockNumber({ cacheTime: 0 })).toBe(16n);
    const batched = client(url, { batch: true });
    expect(await Promise.all([batched.getBlockNumber({ cacheTime: 0 }), batched.getChainId()])).toEqual([16n, 42]);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual([expect.objectContaining({ method: 'eth_blockNumber' }), expect.objectContaining({ method: 'eth_chainId' })]);
  });

  it("surfaces the node's errors: a JSON-RPC error with its code, an HTTP failure with its status", async () => {
    const rpcError = await rpcServer((body, res) => reply(res, 200, { jsonrpc: '2.0', id: (body as { id: number }).id, error: { code: -32000, message: 'nonce too low' } }));
    await expect(client(rpcError.url).getBlockNumber({ cacheTime: 0 })).rejects.toThrow(/nonce too low/);
    const down = await rpcServer((body, res) => reply(res, 503, { jsonrpc: '2.0', id: (body as { id: number }).id, error: { code: -32603, message: 'upstream down' } }));
    const failed = await client(down.url).getBlockNumber({ cacheTime: 0 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    const cause = (failed as { walk(fn: (e: unknown) => boolean): unknown }).walk((e) => e instanceof RpcRequestError || e instanceof HttpRequestError);
    expect((cause as { status?: number }).status).toBe(503);
    const plain = await rpcServer((_body, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
    await expect(client(plain.url).getBlockNumber({ cacheTime: 0 })).rejects.toThrow(/bad gateway|502/i);
  });

  it('times out a node that never answers, and refuses a response over the size limit', async () => {
    const silent = await rpcServer(() => undefined);
    const timedOut = await client(silent.url, { timeout: 200 }).getBlockNumber({ cacheTime: 0 }).catch((e: unknown) => e);
    expect((timedOut as { walk(fn: (e: unknown) => boolean): unknown }).walk((e) => e instanceof TimeoutError)).toBeInstanceOf(TimeoutError);
    const huge = await rpcServer((body, res) => reply(res, 200, { jsonrpc: '2.0', id: (body as { id: number }).id, result: `0x${'0'.repeat(4096)}` }));
    await expect(client(huge.url, { maxBytes: 1024 }).getBlockNumber({ cacheTime: 0 })).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('cannot reach a closed port: an HTTP request error, not a hang', async () => {
    const { url } = await rpcServer(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    await expect(client(url).getBlockNumber({ cacheTime: 0 })).rejects.toBeInstanceOf(HttpRequestError);
  });
});
