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

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user?.auth ?? {}, payload });

async function adopt(): Promise<string> {
  const res = await api('POST', '/pets', owner, { name: 'Pip', personality: ['cheerful'] });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

describe('chat export', () => {
  it('exports a deleted pet’s whole conversation, oldest first, across pages, as JSON', async () => {
    const petId = await adopt();
    expect((await api('POST', `/pets/${petId}/messages`, owner, { content: 'hello there' })).statusCode).toBe(200);
    // 1,200 older messages straight into the table (millisecond timestamps, as the app writes them): more than two export pages.
    await sql`insert into chat_messages (id, user_id, pet_id, sender, content, lang, metadata, created_at)
      select gen_random_uuid(), ${owner.id}::uuid, ${petId}::uuid, case when i % 2 = 0 then 'user' else 'pet' end, 'old ' || i, 'english', '{}'::jsonb,
             date_trunc('milliseconds', now()) - interval '1 day' + i * interval '1 millisecond'
      from generate_series(1, 1200) as i`.execute(t.deps.db);
    expect((await api('DELETE', `/pets/${petId}`, owner)).statusCode).toBe(204);

    const res = await api('GET', `/pets/${petId}/messages/export`, owner);
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
    const petId = await adopt();
    await api('POST', `/pets/${petId}/messages`, owner, { content: '=HYPERLINK("http://evil.example","click"), ok' });
    const res = await api('GET', `/pets/${petId}/messages/export?format=csv`, owner);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toBe('createdAt,id,petId,sender,content,readAt,metadata');
    expect(lines[1]).toContain(`,${petId},user,"'=HYPERLINK(""http://evil.example"",""click""), ok",`);
    expect(lines).toHaveLength(3);
  });

  it('is the owner’s (or an admin’s) only, and validates its format before streaming anything', async () => {
    const petId = await adopt();
    const other = await api('GET', `/pets/${petId}/messages/export`, stranger);
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json().code).toBe('pet_not_found');
    expect((await api('GET', `/pets/${petId}/messages/export`)).statusCode).toBe(401);
    const bad = await api('GET', `/pets/${petId}/messages/export?format=xml`, owner);
    expect(bad.statusCode).toBe(422);
    expect((await api('GET', '/pets/not-a-uuid/messages/export', owner)).statusCode).toBe(422);
  });
});
