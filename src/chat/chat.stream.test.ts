import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

type Mode = 'stream' | 'json-error' | 'hang' | 'cut' | 'slow' | 'flood' | 'longline';

/** Resolves once a response can take more writes, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** A local server speaking the OpenAI chat-completions wire format, including `stream: true` SSE chunks. */
class FakeOpenAI {
  mode: Mode = 'stream';
  pieces = ['Hel', 'lo ', 'from ', 'the ', 'model!'];
  /** In 'slow' mode, the wait before each piece after the first. */
  slowMs = 4000;
  /** In 'flood' mode, an upstream ignoring max_tokens: `floodPiece` sent `floodCount` times, as fast as the client reads. */
  floodPiece = 'Purr \u{1F43E} ';
  floodCount = 25_000;
  /** What the last 'flood' answer saw: pieces written, and whether the client hung up before its end. */
  flood = { written: 0, closedEarly: false };
  /** What the last 'longline' answer wrote of its one endless line (16 KiB every 10 ms, up to 64 MB), and whether the client hung up. */
  longLine = { bytes: 0, closedEarly: false };
  requests: Array<{ auth: string | undefined; body: any }> = [];
  private server!: Server;
  private open = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw);
    this.requests.push({ auth: req.headers.authorization, body });
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    if (this.mode === 'json-error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } }));
      return;
    }
    if (this.mode === 'hang') {
      this.open.add(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    this.open.add(res);
    if (this.mode === 'flood') {
      this.flood = { written: 0, closedEarly: false };
      res.on('close', () => {
        if (!res.writableEnded) this.flood.closedEarly = true;
      });
      for (let i = 0; i < this.floodCount && !res.destroyed; i++) {
        this.flood.written++;
        if (!res.write(chunk({ content: this.floodPiece }))) await drained(res);
        else if (i % 64 === 0) await new Promise((r) => setImmediate(r));
      }
      this.open.delete(res);
      if (!res.destroyed) res.end('data: [DONE]\n\n');
      return;
    }
    if (this.mode === 'longline') {
      this.longLine = { bytes: 0, closedEarly: false };
      res.on('close', () => {
        if (!res.writableEnded) this.longLine.closedEarly = true;
      });
      const piece = 'a'.repeat(16 * 1024);
      res.write('data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"');
      while (!res.destroyed && this.longLine.bytes < 64 * 1024 * 1024) {
        this.longLine.bytes += piece.length;
        if (!res.write(piece)) await drained(res);
        await new Promise((r) => setTimeout(r, 10));
      }
      this.open.delete(res);
      if (!res.destroyed) res.end('"}}]}\n\n');
      return;
    }
    for (const [i, piece] of this.pieces.entries()) {
      if (this.mode === 'cut' && i === 2) {
        res.destroy();
        return;
      }
      if (this.mode === 'slow' && i > 0) await new Promise((r) => setTimeout(r, this.slowMs));
      if (res.destroyed) return;
      res.write(chunk({ content: piece }));
      await new Promise((r) => setTimeout(r, 2));
    }
    this.open.delete(res);
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  }
}

interface SseEvent {
  event: string;
  data: any;
}

function parseSse(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      return {
        event: lines.find((l) => l.startsWith('event: '))!.slice(7),
        data: JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)),
      };
    });
}

const api = (t: TestApp, user: TestUser, url: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: payload ? 'POST' : 'GET', url: `/api/v1${url}`, headers: { ...user.auth, ...headers }, payload });

describe('SSE with the persona engine', () => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    user = await createUser(t.deps);
  });
  afterAll(async () => t?.close());

  it('streams the reply token by token, then `done` with both stored messages', async () => {
    const petId = (await api(t, user, '/pets', { name: 'Streamy' })).json().id;
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'hi' }, { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(res.body);
    expect(events[0].event).toBe('message');
    expect(events[0].data.message).toMatchObject({ sender: 'user', content: 'hi' });
    const tokens = events.filter((e) => e.event === 'token').map((e) => e.data.token);
    expect(tokens.length).toBeGreaterThan(3);
    const done = events[events.length - 1];
    expect(done.event).toBe('done');
    expect(tokens.join('')).toBe(done.data.reply.content);
    expect(done.data.reply.content).toBe("*Streamy's egg wiggles happily and feels warm.*");
    const stored = (await api(t, user, `/pets/${petId}/messages`)).json();
    expect(stored.messages.map((m: { id: string }) => m.id)).toEqual([done.data.reply.id, done.data.message.id]);
  });

  it('answers a bad streamed request with problem+json, not a stream', async () => {
    const petId = (await api(t, user, '/pets', { name: 'Quiet' })).json().id;
    const res = await api(t, user, `/pets/${petId}/messages`, { content: '' }, { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const stranger = await createUser(t.deps);
    expect((await api(t, stranger, `/pets/${petId}/messages`, { content: 'hi' }, { accept: 'text/event-stream' })).statusCode).toBe(404);
  });
});

describe('the OpenAI-compatible provider', () => {
  const fake = new FakeOpenAI();
  let t: TestApp;
  let user: TestUser;
  let petId: string;
  beforeAll(async () => {
    const baseUrl = await fake.start();
    t = await createTestApp({
      env: { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: baseUrl, OPENAI_MODEL: 'pet-model-1', OPENAI_TIMEOUT_MS: '2500', RATE_LIMIT_LENIENT: '10000' },
    });
    user = await createUser(t.deps, { locale: 'it' });
    petId = (await api(t, user, '/pets', { name: 'Luna', personality: ['curious'] })).json().id;
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('streams the model reply with the pet context and recent history', async () => {
    fake.mode = 'stream';
    const first = await api(t, user, `/pets/${petId}/messages`, { content: 'ciao Luna' });
    expect(first.json().reply).toMatchObject({ sender: 'pet', content: 'Hello from the model!', metadata: { provider: 'openai' } });
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'come stai?' }, { accept: 'text/event-stream' });
    const events = parseSse(res.body);
    // a piece's last character waits for the next piece (an accent may still join it), trailing spaces for
    // the text after them (the reply is trimmed), the rest once the model is done: the stream is what is stored
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.token)).toEqual(['He', 'llo', ' from', ' the', ' model', '!']);
    expect(events.at(-1)!.data.reply.content).toBe('Hello from the model!');

    const request = fake.requests.at(-1)!;
    expect(request.auth).toBe('Bearer sk-test-key');
    expect(request.body).toMatchObject({ model: 'pet-model-1', stream: true });
    const [system, ...rest] = request.body.messages;
    expect(system.role).toBe('system');
    expect(system.content).toContain('You are Luna');
    expect(system.content).toContain('Personality: curious');
    expect(system.content).toContain('Always answer in Italian');
    expect(rest).toEqual([
      { role: 'user', content: 'ciao Luna' },
      { role: 'assistant', content: 'Hello from the model!' },
      { role: 'user', content: 'come stai?' },
    ]);
  });

  it('falls back to the persona engine on a provider error, keeping the user message', async () => {
    fake.mode = 'json-error';
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'hai fame?' });
    expect(res.statusCode).toBe(200);
    expect(res.json().message.content).toBe('hai fame?');
    expect(res.json().reply).toMatchObject({ sender: 'pet', metadata: { provider: 'persona', fallback: true } });
    expect(res.json().reply.content).toBe("*L'uovo di Luna si muove felice ed è caldo.*");
  });

  it('falls back on a timeout', async () => {
    fake.mode = 'hang';
    const started = Date.now();
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'ci sei?' });
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.json().reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
    const list = (await api(t, user, `/pets/${petId}/messages?limit=2`)).json();
    expect(list.messages.map((m: { content: string }) => m.content)[1]).toBe('ci sei?');
  });

  it('falls back when the timeout cuts a reply mid-stream, instead of storing the partial text as the model reply', async () => {
    fake.mode = 'slow';
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'parlami' }, { accept: 'text/event-stream' });
    const events = parseSse(res.body);
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message', 'token', 'reset']);
    expect(events[1].data.token).toBe('He');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
    const afterReset = events.slice(3).filter((e) => e.event === 'token').map((e) => e.data.token).join('');
    expect(afterReset).toBe(done.data.reply.content);
    const stored = await t.deps.db.selectFrom('chat_messages').select(['content', 'metadata']).where('id', '=', done.data.reply.id).executeTakeFirstOrThrow();
    expect(stored.content).toBe(done.data.reply.content);
    expect(stored.metadata).toMatchObject({ provider: 'persona', fallback: true });
  });

  it('streams no more of a reply than is stored: an upstream ignoring max_tokens is cut at the size limit and hung up on', async () => {
    fake.mode = 'flood';
    const pet = (await api(t, user, '/pets', { name: 'Flood' })).json().id;
    const res = await api(t, user, `/pets/${pet}/messages`, { content: 'raccontami tutto' }, { accept: 'text/event-stream' });
    const events = parseSse(res.body);
    expect(events.map((e) => e.event).filter((e) => e !== 'token')).toEqual(['message', 'done']);
    const streamed = events.filter((e) => e.event === 'token').map((e) => e.data.token).join('');
    const done = events.at(-1)!;
    expect(done.data.reply.metadata).toMatchObject({ provider: 'openai' });
    // 2000 code points (the 🐾 are two UTF-16 units each), cut before the 🐾 that would be the 2001st, trailing space trimmed
    const expected = [...fake.floodPiece.repeat(300)].slice(0, 2000).join('').trimEnd();
    expect([...expected]).toHaveLength(1999);
    expect(streamed).toBe(expected);
    expect(done.data.reply.content).toBe(expected);
    const stored = await t.deps.db.selectFrom('chat_messages').select('content').where('id', '=', done.data.reply.id).executeTakeFirstOrThrow();
    expect(stored.content).toBe(expected);
    // the upstream was hung up on long before it finished
    expect(fake.flood.closedEarly).toBe(true);
    expect(fake.flood.written).toBeLessThan(fake.floodCount / 2);
    expect(res.body.length).toBeLessThan(100_000);
  });

  it('hangs up on an upstream sending one endless line instead of buffering it, and answers with the persona', async () => {
    fake.mode = 'longline';
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'una riga sola' });
    expect(res.statusCode).toBe(200);
    expect(res.json().reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
    expect(fake.longLine.closedEarly).toBe(true);
    // the line is cut at 64 KiB, well before the 2.5 s timeout would end it (at about 4 MB)
    expect(fake.longLine.bytes).toBeLessThan(1024 * 1024);
  });

  const typingOf = async (pet: string) =>
    (await sql<{ typing: boolean }>`select (data->>'typing')::boolean as typing from domain_events where type = 'chat.typing' and pet_id = ${pet} order by created_at, id`.execute(t.deps.db)).rows.map((r) => r.typing);

  describe('model output with control characters', () => {
    const pieces = fake.pieces;
    afterAll(() => {
      fake.pieces = pieces;
    });

    it('is cleaned before it is streamed and stored (no NUL, no bidi override)', async () => {
      fake.mode = 'stream';
      fake.pieces = ['a\u0000b\u202e', 'c'];
      const pet = (await api(t, user, '/pets', { name: 'Ctrl' })).json().id;
      const json = await api(t, user, `/pets/${pet}/messages`, { content: 'ciao' });
      expect(json.statusCode).toBe(200);
      expect(json.json().reply).toMatchObject({ content: 'abc', metadata: { provider: 'openai' } });

      const res = await api(t, user, `/pets/${pet}/messages`, { content: 'ancora' }, { accept: 'text/event-stream' });
      expect(res.body).not.toContain('\u202e');
      const events = parseSse(res.body);
      expect(events.map((e) => e.event)).toEqual(['message', 'token', 'token', 'token', 'done']);
      expect(events.filter((e) => e.event === 'token').map((e) => e.data.token)).toEqual(['a', 'b', 'c']);
      expect(events.at(-1)!.data.reply).toMatchObject({ content: 'abc', metadata: { provider: 'openai' } });
      const stored = await t.deps.db.selectFrom('chat_messages').select('content').where('pet_id', '=', pet).where('sender', '=', 'pet').execute();
      expect(stored.map((r) => r.content)).toEqual(['abc', 'abc']);
      expect(await typingOf(pet)).toEqual([true, false, true, false]);
    });

    it('is streamed trimmed, as it is stored: no leading line break, no trailing spaces', async () => {
      fake.mode = 'stream';
      fake.pieces = ['\n  Ciao', ' ', 'amico!  ', '\n'];
      const res = await api(t, user, `/pets/${petId}/messages`, { content: 'ehi' }, { accept: 'text/event-stream' });
      const events = parseSse(res.body);
      expect(events.filter((e) => e.event === 'token').map((e) => e.data.token).join('')).toBe('Ciao amico!');
      expect(events.at(-1)!.data.reply).toMatchObject({ content: 'Ciao amico!', metadata: { provider: 'openai' } });
    });

    it('is answered by the persona engine when nothing visible is left of it', async () => {
      fake.mode = 'stream';
      fake.pieces = ['\u0000\u202e', '\u200b'];
      const res = await api(t, user, `/pets/${petId}/messages`, { content: 'dimmi' });
      expect(res.statusCode).toBe(200);
      expect(res.json().reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
    });
  });

  describe('a model reply the database refuses', () => {
    beforeAll(async () => {
      await sql`create table test_refused_pets (pet_id uuid primary key)`.execute(t.deps.db);
      await sql`create function test_refuse_reply() returns trigger language plpgsql as $$
        begin
          if new.sender = 'pet' and (new.content like '%REFUSED%' or new.pet_id in (select pet_id from test_refused_pets)) then
            raise exception 'reply refused by the test';
          end if;
          return new;
        end $$`.execute(t.deps.db);
      await sql`create trigger test_refuse_reply before insert on chat_messages for each row execute function test_refuse_reply()`.execute(t.deps.db);
    });
    afterAll(async () => {
      await sql`drop trigger test_refuse_reply on chat_messages`.execute(t.deps.db);
      fake.pieces = ['Hel', 'lo ', 'from ', 'the ', 'model!'];
    });

    it('is replaced by the persona reply (reset first), and typing ends', async () => {
      fake.mode = 'stream';
      fake.pieces = ['REFUSED ', 'text'];
      const pet = (await api(t, user, '/pets', { name: 'Refused' })).json().id;
      const res = await api(t, user, `/pets/${pet}/messages`, { content: 'ciao' }, { accept: 'text/event-stream' });
      const events = parseSse(res.body);
      expect(events.map((e) => e.event).slice(0, 5)).toEqual(['message', 'token', 'token', 'token', 'reset']);
      expect(events.slice(1, 4).map((e) => e.data.token).join('')).toBe('REFUSED text');
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      expect(done.data.reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
      expect(await typingOf(pet)).toEqual([true, false]);
    });

    it('still ends typing when no reply can be stored at all', async () => {
      fake.mode = 'stream';
      fake.pieces = ['fine'];
      const pet = (await api(t, user, '/pets', { name: 'Mute' })).json().id;
      await sql`insert into test_refused_pets values (${pet})`.execute(t.deps.db);
      const json = await api(t, user, `/pets/${pet}/messages`, { content: 'ciao' });
      expect(json.statusCode).toBe(500);
      const res = await api(t, user, `/pets/${pet}/messages`, { content: 'ancora' }, { accept: 'text/event-stream' });
      expect(parseSse(res.body).at(-1)).toEqual({ event: 'error', data: { code: 'internal' } });
      expect(await typingOf(pet)).toEqual([true, false, true, false]);
    });
  });

  it('restarts the stream with the persona reply when the model dies mid-stream', async () => {
    fake.mode = 'cut';
    const res = await api(t, user, `/pets/${petId}/messages`, { content: 'raccontami' }, { accept: 'text/event-stream' });
    const events = parseSse(res.body);
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message', 'token', 'token']);
    expect(names).toContain('reset');
    const afterReset = events.slice(names.indexOf('reset') + 1).filter((e) => e.event === 'token').map((e) => e.data.token).join('');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(afterReset).toBe(done.data.reply.content);
    expect(done.data.reply.metadata).toMatchObject({ provider: 'persona', fallback: true });
    const stored = await t.deps.db.selectFrom('chat_messages').select(['content', 'sender']).where('pet_id', '=', petId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(2).execute();
    expect(stored).toEqual([{ sender: 'pet', content: done.data.reply.content }, { sender: 'user', content: 'raccontami' }]);
  });
});
