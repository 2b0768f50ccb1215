import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
let owner: TestUser;
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_MODERATE: '10000', RATE_LIMIT_LENIENT: '10000' } });
  owner = await createUser(t.deps, { locale: 'en' });
  stranger = await createUser(t.deps);
  admin = await createUser(t.deps, { role: 'admin' });
});
afterAll(async () => t?.close());

const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, user: TestUser, payload?: object | string, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: { ...user.auth, ...headers }, payload });

async function adopt(user = owner, name = 'Pip') {
  const res = await api('POST', '/pets', user, { name, personality: ['cheerful'] });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function say(petId: string, content: string, user = owner) {
  const res = await api('POST', `/pets/${petId}/messages`, user, { content });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function messageCount(petId: string) {
  const row = await t.deps.db.selectFrom('chat_messages').select((eb) => eb.fn.countAll<number>().as('n')).where('pet_id', '=', petId).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('posting and storing messages', () => {
  it('stores the user message and the pet reply in order, awards XP and records the events', async () => {
    const petId = await adopt();
    const { message, reply } = await say(petId, '  hello there  ');
    expect(message).toMatchObject({ sender: 'user', content: 'hello there', petId, metadata: { xpGained: 2 } });
    expect(message.readAt).not.toBeNull();
    expect(reply).toMatchObject({ sender: 'pet', readAt: null, metadata: { provider: 'persona' } });
    expect(reply.createdAt >= message.createdAt).toBe(true);
    expect(reply.id > message.id).toBe(true);
    const pet = (await api('GET', `/pets/${petId}`, owner)).json();
    expect(pet).toMatchObject({ xp: 2, streak: { current: 1 } });

    const events = await t.deps.db.selectFrom('domain_events').select(['type', 'data']).where('pet_id', '=', petId)
      .where('type', 'like', 'chat.%').orderBy('created_at').orderBy('id').execute();
    expect(events.map((e) => [e.type, (e.data as { sender?: string; typing?: boolean }).sender ?? (e.data as { typing?: boolean }).typing])).toEqual([
      ['chat.message_created', 'user'],
      ['chat.typing', true],
      ['chat.message_created', 'pet'],
      ['chat.typing', false],
    ]);
  });

  it('answers concurrent messages to one pet and to others in order, each credited once, and refuses a stranger among them', async () => {
    const keeper = await createUser(t.deps, { locale: 'en' });
    const [a, b] = [await adopt(keeper, 'Ada'), await adopt(keeper, 'Bo')];
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => api('POST', `/pets/${i % 2 ? a : b}/messages`, keeper, { content: `message ${i}` })),
      api('POST', `/pets/${a}/messages`, stranger, { content: 'not my pet' }),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([...Array(12).fill(200), 404]);
    for (const petId of [a, b]) {
      const rows = await t.deps.db.selectFrom('chat_messages').select(['sender', 'content', 'metadata']).where('pet_id', '=', petId)
        .orderBy('created_at').orderBy('id').execute();
      expect(rows).toHaveLength(12);
      // every user message is followed by its own reply
      expect(rows.map((r) => r.sender)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? 'pet' : 'user')));
      expect(rows.some((r) => r.content === 'not my pet')).toBe(false);
      const xp = rows.reduce((n, r) => n + ((r.metadata as { xpGained?: number }).xpGained ?? 0), 0);
      const pet = (await api('GET', `/pets/${petId}`, keeper)).json();
      expect(pet.xp).toBe(xp);
      expect(pet.xpToday).toBe(xp);
      const thread = (await api('GET', `/pets/${petId}/messages?limit=1`, keeper)).json();
      expect(thread.total).toBe(12);
    }
    const unread = (await api('GET', '/chats/unread', keeper)).json();
    expect(unread.pets.filter((p: { petId: string }) => p.petId === a || p.petId === b).map((p: { unread: number }) => p.unread)).toEqual([6, 6]);
  });

  it('a message whose storage fails takes only itself down, not the exchanges it was batched with', async () => {
    await sql`create function chat_test_refuse() returns trigger language plpgsql as $$
      begin if new.content = 'refused by the database' then raise exception 'refused'; end if; return new; end $$`.execute(t.deps.db);
    await sql`create trigger chat_test_refuse before insert on chat_messages for each row execute function chat_test_refuse()`.execute(t.deps.db);
    try {
      const keeper = await createUser(t.deps, { locale: 'en' });
      const petId = await adopt(keeper, 'Fin');
      // more messages than batch slots, so the later ones (the refused one among them) share batches
      const contents = Array.from({ length: 16 }, (_, i) => (i === 11 ? 'refused by the database' : `message ${i}`));
      const results = await Promise.all(contents.map((content) => api('POST', `/pets/${petId}/messages`, keeper, { content })));
      expect(results.map((r) => r.statusCode)).toEqual(contents.map((_, i) => (i === 11 ? 500 : 200)));
      const stored = await t.deps.db.selectFrom('chat_messages').select('content').where('pet_id', '=', petId).where('sender', '=', 'user').execute();
      expect(stored.map((m) => m.content).sort()).toEqual(contents.filter((_, i) => i !== 11).sort());
    } finally {
      await sql`drop trigger chat_test_refuse on chat_messages`.execute(t.deps.db);
      await sql`drop function chat_test_refuse()`.execute(t.deps.db);
    }
  });

  it('rejects empty, too long, invalid Unicode, invalid UTF-8 and control characters with 422 and stores nothing', async () => {
    const petId = await adopt();
    const bad: Array<[string | Buffer, string]> = [
      [JSON.stringify({ content: '   \n\t ' }), 'must not be empty'],
      [JSON.stringify({ content: '\u200b' }), 'must not be empty'],
      [JSON.stringify({ content: ' \u200b\u200c\u200d\u2060 \u3164\u00ad ' }), 'must not be empty'],
      // Braille blanks, Hangul fillers and combining marks with nothing to sit on show nothing either
      [JSON.stringify({ content: '\u2800\u2800' }), 'must not be empty'],
      [JSON.stringify({ content: '\u115f\u1160\uffa0' }), 'must not be empty'],
      [JSON.stringify({ content: '\u0301\u0301' }), 'must not be empty'],
      [JSON.stringify({ content: '\u2028' }), 'must not be empty'],
      [JSON.stringify({ content: 'x'.repeat(2001) }), 'must be at most 2000 characters'],
      ['{"content":"half a pair \\ud83d here"}', 'must be valid Unicode text (no lone surrogates)'],
      [JSON.stringify({ content: 'bell\u0007' }), 'must not contain control characters other than newline and tab'],
      [JSON.stringify({ content: 'arabic\u061cmark' }), 'must not contain control characters other than newline and tab'],
      [JSON.stringify({ content: 'tag\u{E0041}character' }), 'must not contain control characters other than newline and tab'],
      // refused for any route before validation (PostgreSQL text cannot hold it)
      [JSON.stringify({ content: 'null\u0000byte' }), 'must not contain the NUL character (U+0000)'],
      [Buffer.concat([Buffer.from('{"content":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'must be valid UTF-8'],
    ];
    for (const [payload, message] of bad) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/pets/${petId}/messages`, headers: { ...owner.auth, 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation_failed');
      expect(res.json().errors.map((e: { message: string }) => e.message)).toContain(message);
    }
    expect(await messageCount(petId)).toBe(0);
    expect((await say(petId, 'family \u{1F468}\u200d\u{1F469}\u200d\u{1F467}')).message.content).toBe('family \u{1F468}\u200d\u{1F469}\u200d\u{1F467}');
    // U+2028 / U+2029 are line breaks: stored as newlines; a subdivision flag keeps its tag characters
    expect((await say(petId, 'one\u2028two\u2029three')).message.content).toBe('one\ntwo\nthree');
    // so are a pasted text's Windows and old Mac line ends (\r is a control character on its own)
    expect((await say(petId, 'one\r\ntwo\rthree\u0085four')).message.content).toBe('one\ntwo\nthree\nfour');
    const scotland = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';
    expect((await say(petId, `go ${scotland}`)).message.content).toBe(`go ${scotland}`);
    expect((await say(petId, 'e\u0301')).message.content).toBe('e\u0301');
    const ok = await say(petId, `${'é'.repeat(1997)}\n\t!  `);
    expect([...ok.message.content].length).toBe(2000);
  });

  it('keeps markup as plain text', async () => {
    const petId = await adopt();
    const { message } = await say(petId, '<script>alert(1)</script>');
    const list = (await api('GET', `/pets/${petId}/messages`, owner)).json();
    expect(list.messages.find((m: { id: string }) => m.id === message.id).content).toBe('<script>alert(1)</script>');
  });
});

describe('who can read the chat', () => {
  it('hides the conversation from other users and lets an admin read it', async () => {
    const petId = await adopt();
    await say(petId, 'secret diary');
    for (const [method, url, body] of [
      ['GET', `/pets/${petId}/messages`],
      ['GET', `/pets/${petId}/messages?q=secret`],
      ['POST', `/pets/${petId}/messages`, { content: 'hi' }],
      ['POST', `/pets/${petId}/messages/read`, { all: true }],
      ['DELETE', `/pets/${petId}/messages?all=true`],
    ] as const) {
      const res = await api(method, url, stranger, body);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('pet_not_found');
    }
    expect((await api('GET', '/chats/unread', stranger)).json()).toEqual({ pets: [], total: 0 });
    const asAdmin = await api('GET', `/pets/${petId}/messages`, admin);
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().total).toBe(2);
    expect((await api('POST', `/pets/${petId}/messages`, admin, { content: 'impersonating' })).statusCode).toBe(404);
    expect(await messageCount(petId)).toBe(2);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/pets/${petId}/messages` })).statusCode).toBe(401);
  });
});

describe('read state, unread counts and deletion', () => {
  it('counts unread replies per pet, marks some or all read, deletes one or all', async () => {
    const a = await adopt(owner, 'A');
    const b = await adopt(owner, 'B');
    const r1 = await say(a, 'one');
    const r2 = await say(a, 'two');
    await say(b, 'three');
    let unread = (await api('GET', '/chats/unread', owner)).json();
    expect(unread.pets.filter((p: { petId: string }) => [a, b].includes(p.petId))).toEqual([
      { petId: a, name: 'A', unread: 2 },
      { petId: b, name: 'B', unread: 1 },
    ]);
    const onlyUnread = (await api('GET', `/pets/${a}/messages?unreadOnly=true`, owner)).json();
    expect(onlyUnread.messages.map((m: { id: string }) => m.id)).toEqual([r2.reply.id, r1.reply.id]);
    expect(onlyUnread.total).toBe(2);

    expect((await api('POST', `/pets/${a}/messages/read`, owner, { messageIds: [r1.reply.id, r1.message.id] })).json()).toEqual({ updated: 1 });
    expect((await api('POST', `/pets/${b}/messages/read`, owner, { messageIds: [r2.reply.id] })).json()).toEqual({ updated: 0 });
    expect((await api('POST', `/pets/${a}/messages/read`, owner, { all: true })).json()).toEqual({ updated: 1 });
    unread = (await api('GET', '/chats/unread', owner)).json();
    expect(unread.pets.find((p: { petId: string }) => p.petId === a).unread).toBe(0);
    expect((await api('POST', `/pets/${a}/messages/read`, owner, { all: false })).statusCode).toBe(422);

    expect((await api('DELETE', `/pets/${a}/messages/${r1.message.id}`, owner)).statusCode).toBe(204);
    const gone = await api('DELETE', `/pets/${a}/messages/${r1.message.id}`, owner);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('chat_message_not_found');
    expect((await api('GET', `/pets/${a}/messages`, owner)).json().total).toBe(3);
    expect((await api('DELETE', `/pets/${a}/messages`, owner)).json().code).toBe('chat_delete_all_required');
    expect((await api('DELETE', `/pets/${a}/messages?all=true`, owner)).json()).toEqual({ deleted: 3 });
    expect((await api('GET', `/pets/${a}/messages`, owner)).json()).toMatchObject({ messages: [], total: 0, hasMore: false });
    expect((await api('GET', `/pets/${b}/messages`, owner)).json().total).toBe(2);
    const events = await t.deps.db.selectFrom('domain_events').select(['type', 'data']).where('pet_id', '=', a).where('type', 'in', ['chat.messages_read', 'chat.messages_deleted']).orderBy('created_at').orderBy('id').execute();
    expect(events.map((e) => e.data)).toEqual([
      { messageIds: [r1.reply.id, r1.message.id], updated: 1 },
      { messageIds: 'all', updated: 1 },
      { messageIds: [r1.message.id], deleted: 1 },
      { messageIds: 'all', deleted: 3 },
    ]);
  });

  it('keeps the chat history of a deleted pet in the database for export', async () => {
    const petId = await adopt();
    await say(petId, 'remember me');
    await api('DELETE', `/pets/${petId}`, owner);
    expect(await messageCount(petId)).toBe(2);
  });
});

describe('cursor pagination', () => {
  it('walks the history with no duplicates or gaps while messages keep arriving', async () => {
    const petId = await adopt();
    for (let i = 0; i < 15; i++) await say(petId, `before ${i}`);
    const before = (await t.deps.db.selectFrom('chat_messages').select('id').where('pet_id', '=', petId).execute()).map((r) => r.id);
    const newest = (await api('GET', `/pets/${petId}/messages?limit=1`, owner)).json().messages[0];

    const writers = Promise.all(Array.from({ length: 12 }, (_, i) => say(petId, `during ${i}`)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { messages: Array<{ id: string }>; nextCursor: string | null } =
        (await api('GET', `/pets/${petId}/messages?limit=4${cursor ? `&cursor=${cursor}` : ''}`, owner)).json();
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor;
    } while (cursor);
    await writers;

    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);

    const caughtUp: string[] = [];
    let after: string | null = null;
    do {
      const page: { messages: Array<{ id: string; createdAt: string }>; nextCursor: string | null } =
        (await api('GET', `/pets/${petId}/messages?limit=5&since=${encodeURIComponent(newest.createdAt)}${after ? `&cursor=${after}` : ''}`, owner)).json();
      caughtUp.push(...page.messages.map((m) => m.id));
      after = page.nextCursor;
    } while (after);
    expect(new Set(caughtUp).size).toBe(caughtUp.length);
    // since is inclusive: the reply and its question share an instant, and neither is skipped
    expect(caughtUp.slice(0, 2)).toContain(newest.id);
    const all = (await t.deps.db.selectFrom('chat_messages').select('id').where('pet_id', '=', petId).orderBy('created_at').orderBy('id').execute()).map((r) => r.id);
    expect(all).toHaveLength(15 * 2 + 12 * 2);
    expect(new Set([...seen, ...caughtUp])).toEqual(new Set(all));
    expect([...caughtUp].sort()).toEqual(caughtUp);
  });

  it('rejects a tampered cursor and an over-large limit', async () => {
    const petId = await adopt();
    expect((await api('GET', `/pets/${petId}/messages?cursor=nope`, owner)).json().code).toBe('validation_failed');
    const forged = Buffer.from(JSON.stringify({ k: 'not a date', id: 'x' })).toString('base64url');
    expect((await api('GET', `/pets/${petId}/messages?cursor=${forged}`, owner)).statusCode).toBe(422);
    expect((await api('GET', `/pets/${petId}/messages?limit=101`, owner)).statusCode).toBe(422);
    const huge = await api('GET', `/pets/${petId}/messages?limit=100000000000000000000`, owner);
    expect(huge.json().errors).toEqual([expect.objectContaining({ field: 'querystring.limit', message: expect.stringContaining('100') })]);
  });

  it('names a query parameter holding U+0000 querystring.<name>, as every other query error does', async () => {
    const petId = await adopt();
    for (const name of ['q', 'since', 'type']) {
      const res = await api('GET', `/pets/${petId}/messages?${name}=a%00b`, owner);
      expect(res.statusCode, name).toBe(422);
      expect(res.json().errors, name).toEqual([expect.objectContaining({ field: `querystring.${name}`, code: 'invalid_string' })]);
    }
    const bad = await api('GET', `/pets/${petId}/messages?limit=abc`, owner);
    expect(bad.json().errors[0].field).toBe('querystring.limit');
  });
});

describe('full-text search', () => {
  it('finds messages by stemmed words in the owner language, and substrings in Japanese', async () => {
    const fr = await createUser(t.deps, { locale: 'fr' });
    const frPet = await adopt(fr, 'Minou');
    await say(frPet, 'Les chevaux mangeaient des pommes vertes', fr);
    await say(frPet, 'Il pleut aujourd’hui', fr);
    const frHits = (await api('GET', `/pets/${frPet}/messages?q=${encodeURIComponent('cheval')}`, fr)).json();
    expect(frHits.messages.map((m: { content: string }) => m.content)).toEqual(['Les chevaux mangeaient des pommes vertes']);
    expect(frHits.total).toBe(1);

    const enPet = await adopt(owner, 'Rex');
    await say(enPet, 'I was running in the parks yesterday');
    const enHits = (await api('GET', `/pets/${enPet}/messages?q=run%20park`, owner)).json();
    expect(enHits.messages.map((m: { content: string }) => m.content)).toEqual(['I was running in the parks yesterday']);
    expect((await api('GET', `/pets/${enPet}/messages?q=zebra`, owner)).json()).toMatchObject({ messages: [], total: 0 });

    const ja = await createUser(t.deps, { locale: 'ja' });
    const jaPet = await adopt(ja, 'タマ');
    await say(jaPet, '今日は公園で走りました', ja);
    const jaHits = (await api('GET', `/pets/${jaPet}/messages?q=${encodeURIComponent('公園')}`, ja)).json();
    expect(jaHits.messages.map((m: { content: string }) => m.content)).toEqual(['今日は公園で走りました']);
    const percent = (await api('GET', `/pets/${jaPet}/messages?q=${encodeURIComponent('%')}`, ja)).json();
    expect(percent.messages).toEqual([]);
  });
});

describe('full-text search with negation', () => {
  it('leaves out every message with a negated word, whatever configuration it was stored with', async () => {
    const eater = await createUser(t.deps, { locale: 'en' });
    const petId = await adopt(eater, 'Monkey');
    for (let i = 1; i <= 4; i++) {
      await say(petId, `I ate bananas at lunch number ${i}`, eater);
      await say(petId, `I went running in the park, lap ${i}`, eater);
    }
    const search = async (q: string) => (await api('GET', `/pets/${petId}/messages?limit=100&q=${encodeURIComponent(q)}`, eater)).json();
    const all: string[] = (await api('GET', `/pets/${petId}/messages?limit=100`, eater)).json().messages.map((m: { content: string }) => m.content);
    expect(all).toHaveLength(16);
    const expectHits = async (q: string, wanted: (content: string) => boolean) => {
      const page = await search(q);
      const expected = all.filter(wanted);
      expect(expected.length, q).toBeGreaterThan(0);
      expect(expected.length, q).toBeLessThan(all.length);
      expect(page.messages.map((m: { content: string }) => m.content), q).toEqual(expected);
      expect(page.total, q).toBe(expected.length);
    };
    await expectHits('-bananas', (c) => !/banana/i.test(c));
    await expectHits('banana', (c) => /banana/i.test(c));
    await expectHits('running -bananas', (c) => /running/i.test(c) && !/banana/i.test(c));
    expect((await api('PATCH', '/me', eater, { locale: 'ja' })).statusCode).toBe(200);
    await expectHits('-bananas', (c) => !/banana/i.test(c));
    await expectHits('runs', (c) => /running/i.test(c));
    const later = await say(petId, 'more bananas please', eater); // stored with 'simple' now
    const ids = (await search('-bananas')).messages.map((m: { id: string }) => m.id);
    expect(ids).not.toContain(later.message.id);
    expect(ids).toContain(later.reply.id);
  });

  it('leaves out a negated word in Japanese and Chinese, which have no word breaks', async () => {
    const ja = await createUser(t.deps, { locale: 'ja' });
    const petId = await adopt(ja, 'ハナ');
    const lines = ['今日は公園で走りました', '家で寝ました', '公園で寝ました'];
    for (const line of lines) await say(petId, line, ja);
    const mine = async (q: string) => ((await api('GET', `/pets/${petId}/messages?limit=100&q=${encodeURIComponent(q)}`, ja)).json()
      .messages as { content: string; sender: string }[]).filter((m) => m.sender === 'user').map((m) => m.content).sort();
    expect(await mine('-公園')).toEqual(['家で寝ました']);
    expect(await mine('寝 -公園')).toEqual(['家で寝ました']);
    expect(await mine('走り or 家')).toEqual(['今日は公園で走りました', '家で寝ました']);
    expect(await mine('"公園で寝"')).toEqual(['公園で寝ました']);
  });
});

describe('chat export', () => {
  // an owner of their own: the tests above adopt as many pets as one user may have
  let exporter: TestUser;
  beforeAll(async () => {
    exporter = await createUser(t.deps, { locale: 'en' });
  });

  it('exports a deleted pet’s whole conversation, oldest first, across pages, as JSON', async () => {
    const petId = await adopt(exporter);
    expect((await api('POST', `/pets/${petId}/messages`, exporter, { content: 'hello there' })).statusCode).toBe(200);
    // 1,200 older messages straight into the table (millisecond timestamps, as the app writes them): more than two export pages.
    await sql`insert into chat_messages (id, user_id, pet_id, sender, content, lang, metadata, created_at)
      select gen_random_uuid(), ${exporter.id}::uuid, ${petId}::uuid, case when i % 2 = 0 then 'user' else 'pet' end, 'old ' || i, 'english', '{}'::jsonb,
             date_trunc('milliseconds', now()) - interval '1 day' + i * interval '1 millisecond'
      from generate_series(1, 1200) as i`.execute(t.deps.db);
    expect((await api('DELETE', `/pets/${petId}`, exporter)).statusCode).toBe(204);

    const res = await api('GET', `/pets/${petId}/messages/export`, exporter);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="chat-${petId}-\\d{4}-\\d{2}-\\d{2}\\.json"$`));
    const messages = res.json() as Array<{ id: string; content: string; sender: string; createdAt: string; petId: string }>;
    expect(messages).toHaveLength(1202);
    expect(new Set(messages.map((m) => m.id)).size).toBe(1202);
    expect(messages.slice(0, 3).map((m) => m.content)).toEqual(['old 1', 'old 2', 'old 3']);
    expect(messages[1200].content).toBe('hello there');
    expect(messages[1201].sender).toBe('pet');
    for (let i = 1; i < messages.length; i++) expect(messages[i].createdAt >= messages[i - 1].createdAt).toBe(true);
    expect(messages.every((m) => m.petId === petId)).toBe(true);

    const asAdmin = await api('GET', `/pets/${petId}/messages/export`, admin);
    expect(asAdmin.json()).toHaveLength(1202);
  });

  it('exports CSV with quoting and spreadsheet formulas neutralised', async () => {
    const petId = await adopt(exporter);
    await api('POST', `/pets/${petId}/messages`, exporter, { content: '=HYPERLINK("http://evil.example","click"), ok' });
    const res = await api('GET', `/pets/${petId}/messages/export?format=csv`, exporter);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toBe('createdAt,id,petId,sender,content,readAt,metadata');
    expect(lines[1]).toContain(`,${petId},user,"'=HYPERLINK(""http://evil.example"",""click""), ok",`);
    expect(lines).toHaveLength(3);
  });

  it('is the owner’s (or an admin’s) only, and validates its format before streaming anything', async () => {
    const petId = await adopt(exporter);
    const other = await api('GET', `/pets/${petId}/messages/export`, stranger);
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json().code).toBe('pet_not_found');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/pets/${petId}/messages/export` })).statusCode).toBe(401);
    const bad = await api('GET', `/pets/${petId}/messages/export?format=xml`, exporter);
    expect(bad.statusCode).toBe(422);
    expect((await api('GET', '/pets/not-a-uuid/messages/export', exporter)).statusCode).toBe(422);
  });
});
