import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../platform/db/db.transaction.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { csvCell } from '../platform/http/http.export.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const petId = uuidv7();
const web = { ip: '203.0.113.5', userAgent: 'Mozilla/5.0 Firefox/128.0' };

async function record(type: string, actor: TestUser, data: Record<string, unknown>, extra: { userIds?: string[]; petId?: string } = {}) {
  await withTransaction(t.deps.db, (trx) =>
    t.deps.events.record(trx, { type, actorId: actor.id, userIds: extra.userIds ?? [actor.id], petId: extra.petId ?? null, data, context: web }),
  );
}

const get = (user: TestUser, url: string) => t.app.inject({ method: 'GET', url, headers: user.auth });

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_MODERATE: '5' } });
  alice = await createUser(t.deps);
  bob = await createUser(t.deps);
  await record('auth.login_succeeded', alice, { method: 'password', password: 'never-logged' });
  await record('pet.created', alice, { name: 'Mochi', stage: 'egg' }, { petId });
  await record('pet.interacted', alice, { interaction: 'feed', xpGained: 5, stats: { hunger: 80 } }, { petId });
  await record('chat.message_created', alice, { messageId: uuidv7(), sender: 'user', content: 'secret diary text', createdAt: new Date().toISOString() }, { petId });
  await record('chat.typing', alice, { typing: true }, { petId });
  await record('chat.messages_read', alice, { messageIds: 'all', updated: 3 }, { petId });
  await record('wallet.created', bob, { walletId: uuidv7(), address: '0x3333333333333333333333333333333333333333', kind: 'user' });
  await t.deps.events.drain();
});
afterAll(async () => t?.close());

describe('GET /activity', () => {
  it("lists the caller's own actions, newest first, with context and safe details", async () => {
    const res = await get(alice, '/api/v1/activity');
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((i: any) => i.action)).toEqual(['chat.message_created', 'pet.interacted', 'pet.created', 'auth.login_succeeded']);
    expect(items[0]).toMatchObject({ category: 'pet', petId, ipAddress: web.ip, userAgent: web.userAgent, source: 'server', details: { contentLength: 17, sender: 'user' } });
    expect(JSON.stringify(items)).not.toContain('secret diary text');
    expect(items[3].details).toEqual({ method: 'password' });
  });

  it('filters by category, action, pet and days, and pages with a cursor', async () => {
    expect((await get(alice, '/api/v1/activity?category=auth')).json().items.map((i: any) => i.action)).toEqual(['auth.login_succeeded']);
    expect((await get(alice, '/api/v1/activity?action=pet.created')).json().items).toHaveLength(1);
    expect((await get(alice, `/api/v1/activity?petId=${petId}`)).json().items).toHaveLength(3);
    expect((await get(alice, '/api/v1/activity?days=1')).json().items).toHaveLength(4);
    const first = (await get(alice, '/api/v1/activity?limit=3')).json();
    expect(first.hasMore).toBe(true);
    const rest = (await get(alice, `/api/v1/activity?limit=3&cursor=${first.nextCursor}`)).json();
    expect(rest.items.map((i: any) => i.action)).toEqual(['auth.login_succeeded']);
    expect((await get(alice, '/api/v1/activity?category=nope')).statusCode).toBe(422);
  });

  it("refuses another user's log to a non-admin and shows it to an admin", async () => {
    const refused = await get(alice, `/api/v1/activity?userId=${bob.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden');
    const admin = await createUser(t.deps, { role: 'admin' });
    const res = await get(admin, `/api/v1/activity?userId=${bob.id}`);
    expect(res.json().items.map((i: any) => i.action)).toEqual(['wallet.created']);
  });
});

describe('what the log keeps', () => {
  it('stores any text exactly (quotes, backslashes, unicode, SQL-looking input)', async () => {
    const user = await createUser(t.deps);
    const nasty = `O'Brien \\ "q" 日本語 🐾 '); drop table activity_log; --end`;
    await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, { type: 'pet.updated', actorId: user.id, userIds: [user.id], data: { fields: [nasty] }, context: { ip: "1.2.3.4'", userAgent: nasty } }),
    );
    await t.deps.events.drain();
    const [entry] = (await get(user, '/api/v1/activity')).json().items;
    expect(entry.details).toEqual({ fields: [nasty] });
    expect(entry.userAgent).toBe(nasty);
    expect(entry.ipAddress).toBe("1.2.3.4'");
  });
});

describe("the actor's device", () => {
  it("shows the request's address and browser on the actor's row only, and on the owner's when no one acted", async () => {
    const payer = await createUser(t.deps);
    const payee = await createUser(t.deps);
    await record('transfer.confirmed', payer, { amount: '1', token: 'USDC' }, { userIds: [payer.id, payee.id] });
    await withTransaction(t.deps.db, (trx) =>
      t.deps.events.record(trx, { type: 'auth.login_failed', actorId: null, userIds: [payee.id], data: { reason: 'invalid_credentials' }, context: { ip: '198.51.100.7', userAgent: 'curl/8' } }),
    );
    await t.deps.events.drain();
    const [mine] = (await get(payer, '/api/v1/activity?action=transfer.confirmed')).json().items;
    expect(mine).toMatchObject({ ipAddress: web.ip, userAgent: web.userAgent });
    const theirs = (await get(payee, '/api/v1/activity')).json().items;
    expect(theirs.find((i: any) => i.action === 'transfer.confirmed')).toMatchObject({ ipAddress: null, userAgent: null });
    expect(theirs.find((i: any) => i.action === 'auth.login_failed')).toMatchObject({ ipAddress: '198.51.100.7', userAgent: 'curl/8' });
  });
});

describe('POST /activity (client events)', () => {
  it('logs an allowed client event through the outbox, about one of the caller\'s pets, with secrets in its details redacted', async () => {
    const user = await createUser(t.deps);
    const pet = await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: user.auth, payload: { name: 'Pixel' } });
    expect(pet.statusCode).toBe(201);
    const myPet = pet.json().id as string;
    const details = { page: 'care', form: { password: 'hunter2-secret', nested: [{ refreshToken: 'rt-secret' }] }, apiKey: 'k-secret' };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: user.auth, payload: { action: 'page.viewed', category: 'pet', petId: myPet, details } });
    expect(res.statusCode).toBe(202);
    await t.deps.events.drain();
    const entry = (await get(user, '/api/v1/activity?action=client.page.viewed')).json().items[0];
    expect(entry).toMatchObject({ action: 'client.page.viewed', category: 'pet', source: 'client', petId: myPet });
    expect(entry.details).toEqual({ page: 'care', form: { password: '[redacted]', nested: [{ refreshToken: '[redacted]' }] }, apiKey: '[redacted]' });
    const stored = await t.deps.db.selectFrom('activity_log').select('details').where('user_id', '=', user.id).where('action', '=', 'client.page.viewed').execute();
    expect(JSON.stringify(stored)).not.toMatch(/secret/);
  });

  it('refuses a pet that is not the caller\'s, or does not exist, with 404 and writes nothing', async () => {
    const user = await createUser(t.deps);
    const owner = await createUser(t.deps);
    const theirs = (await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: owner.auth, payload: { name: 'Other' } })).json().id as string;
    for (const id of [theirs, uuidv7()]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: user.auth, payload: { action: 'page.viewed', category: 'pet', petId: id } });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('pet_not_found');
    }
    await t.deps.events.drain();
    expect((await get(user, '/api/v1/activity?action=client.page.viewed')).json().items).toEqual([]);
  });

  it('refuses server-only categories, bad actions and oversized details, writing nothing', async () => {
    const user = await createUser(t.deps);
    const post = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: user.auth, payload });
    const wallet = await post({ action: 'transfer.sent', category: 'wallet' });
    expect(wallet.statusCode).toBe(422);
    expect(wallet.json().errors[0].field).toBe('body.category');
    const badAction = await t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: { ...user.auth, 'accept-language': 'de' }, payload: { action: 'Bad Action!', category: 'pet' } });
    expect(badAction.statusCode).toBe(422);
    expect(badAction.json().errors).toEqual([expect.objectContaining({ field: 'body.action', message: 'muss mit einem Kleinbuchstaben beginnen und darf nur Kleinbuchstaben, Ziffern, _ . und - enthalten (höchstens 64)' })]);
    const big = await post({ action: 'page.viewed', category: 'social', details: { blob: 'x'.repeat(3000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'activity_details_too_large', detail: 'The details of a client event may not exceed 2048 bytes.' });
    await t.deps.events.drain();
    expect((await get(user, '/api/v1/activity')).json().items).toEqual([]);
  });

  it('files client events only under pet or social: the server\'s own categories (system, auth, wallet, purchase) are a localized 422, nothing written', async () => {
    const user = await createUser(t.deps);
    const other = await createUser(t.deps); // the moderate tier allows 5 posts a user here
    const post = (payload: object, by = user) => t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: { ...by.auth, 'accept-language': 'fr' }, payload });
    for (const category of ['system', 'auth', 'wallet', 'purchase', 'security']) {
      const res = await post({ action: 'auth.password_changed', category });
      expect(res.statusCode, category).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().errors, category).toEqual([expect.objectContaining({ field: 'body.category', message: expect.stringMatching(/^Option invalide/) })]);
    }
    await t.deps.events.drain();
    expect((await get(user, '/api/v1/activity')).json().items).toEqual([]);
    // what a client logs about its pets and friends still goes in, marked as the client's
    for (const category of ['pet', 'social']) expect((await post({ action: 'page.viewed', category }, other)).statusCode).toBe(202);
    await t.deps.events.drain();
    const items = (await get(other, '/api/v1/activity')).json().items as { action: string; category: string; source: string }[];
    expect(items.map((i) => [i.action, i.category, i.source]).sort()).toEqual([['client.page.viewed', 'pet', 'client'], ['client.page.viewed', 'social', 'client']]);
  });

  it('is rate-limited per user', async () => {
    const user = await createUser(t.deps);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/activity', headers: user.auth, payload: { action: 'tap', category: 'social' } });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

describe('GET /activity/stats', () => {
  it('counts by category, lists the last 10, and gives the daily trend and busiest hours', async () => {
    const res = await get(alice, '/api/v1/activity/stats?days=30');
    expect(res.statusCode).toBe(200);
    const stats = res.json();
    expect(stats).toMatchObject({ days: 30, total: 4, byCategory: { auth: 1, pet: 3 }, daily: [{ date: stats.recent[0].timestamp.slice(0, 10), count: 4 }] });
    expect(stats.recent).toHaveLength(4);
    expect(stats.topHours).toEqual([{ hour: new Date(stats.recent[0].timestamp).getUTCHours(), count: 4 }]);
  });
});

describe('GET /activity/stats in the user\'s time zone', () => {
  const H = 3_600_000;
  /** The latest instant at hh:mm UTC that is at least `hoursAgo` old. */
  function lastUtc(hh: number, mm: number, hoursAgo: number): Date {
    const at = new Date(Date.now() - hoursAgo * H);
    const wanted = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), hh, mm));
    return wanted > at ? new Date(wanted.getTime() - 24 * H) : wanted;
  }
  const localDate = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);

  async function seed(user: TestUser, times: Date[]) {
    await t.deps.db
      .insertInto('activity_log')
      .values(times.map((at) => ({ id: uuidv7(), event_id: null, user_id: user.id, pet_id: null, action: 'pet.interacted', category: 'pet' as const, source: 'server' as const, details: '{}', metadata: '{}', ip_address: null, user_agent: null, created_at: at })))
      .execute();
  }

  it('groups days and busiest hours in the profile time zone and says which one it used', async () => {
    const kiritimati = await createUser(t.deps, { timezone: 'Pacific/Kiritimati' }); // UTC+14
    const evening = lastUtc(7, 15, 1); // 21:15 local
    const lateNight = lastUtc(11, 0, 1); // 01:00 local, already the next local day
    await seed(kiritimati, [evening, evening, lateNight, lateNight, lateNight]);

    const stats = (await get(kiritimati, '/api/v1/activity/stats?days=7')).json();
    expect(stats.timeZone).toBe('Pacific/Kiritimati');
    expect(stats.topHours).toEqual([{ hour: 1, count: 3 }, { hour: 21, count: 2 }]);
    const byDate = new Map<string, number>();
    for (const [at, n] of [[evening, 2], [lateNight, 3]] as const) byDate.set(localDate(at, 'Pacific/Kiritimati'), (byDate.get(localDate(at, 'Pacific/Kiritimati')) ?? 0) + n);
    expect(stats.daily).toEqual([...byDate].sort().map(([date, count]) => ({ date, count })));

    const utc = (await get(kiritimati, '/api/v1/activity/stats?days=7&timeZone=UTC')).json();
    expect(utc.timeZone).toBe('UTC');
    expect(utc.topHours).toEqual([{ hour: 11, count: 3 }, { hour: 7, count: 2 }]);
    const kathmandu = (await get(kiritimati, '/api/v1/activity/stats?days=7&timeZone=Asia/Kathmandu')).json(); // UTC+5:45
    expect(kathmandu.topHours).toEqual([{ hour: 16, count: 3 }, { hour: 13, count: 2 }]);
  });

  it('counts each instant by its own clock across the daylight-saving changes of the last year, as Intl does', async () => {
    const user = await createUser(t.deps, { timezone: 'Europe/Paris' });
    const zone = 'America/Santiago'; // clocks jump from 24:00 to 01:00 and repeat 23:00–24:00
    const offsets = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' });
    const offset = (ms: number) => offsets.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
    const changes: number[] = [];
    for (let ms = Math.floor(Date.now() / H) * H - H; ms > Date.now() - 360 * 24 * H; ms -= H) if (offset(ms) !== offset(ms - H)) changes.push(ms);
    expect(changes).toHaveLength(2);
    const times = changes.flatMap((ms) => [new Date(ms - H / 2), new Date(ms + H / 2)]);
    await seed(user, times);
    const hourOf = (at: Date) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(at));
    const expected = new Map<number, number>();
    for (const at of times) expected.set(hourOf(at), (expected.get(hourOf(at)) ?? 0) + 1);
    for (const asked of [zone, zone.toLowerCase()]) {
      const res = await get(user, `/api/v1/activity/stats?days=366&timeZone=${asked}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().timeZone).toBe(zone);
      expect(new Map(res.json().topHours.map((h: any) => [h.hour, h.count]))).toEqual(expected);
      expect(res.json().daily.map((d: any) => d.date)).toEqual([...new Set(times.map((at) => localDate(at, zone)))].sort());
    }
  });

  it('refuses a time zone that is not an IANA name with a 422 naming the field, in the reader\'s language', async () => {
    for (const zone of ['Mars/Olympus_Mons', '+05:00', 'UTC+5', '', 'x'.repeat(65)]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/activity/stats?timeZone=${encodeURIComponent(zone)}`, headers: { ...alice.auth, 'accept-language': 'fr' } });
      expect({ zone, status: res.statusCode, body: res.statusCode === 422 ? '' : res.body }).toEqual({ zone, status: 422, body: '' });
      expect(res.json().errors.map((e: any) => e.field)).toEqual(['querystring.timeZone']);
    }
  });
  it('answers 422 on the time zone, not 500, when PostgreSQL does not know a zone the request passed (an older tzdata than Intl)', async () => {
    const ctx = { user: { id: alice.id, role: 'user' as const, sessionId: null }, locale: 'en' as const, ip: null, userAgent: null };
    const err = await t.deps.services.activity.stats(ctx, { days: 30, timeZone: 'Etc/Unknown' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ field: 'querystring.timeZone', message: 'validation.timezone' }] });
  });
});

describe('query parameters', () => {
  it('refuses malformed values of the declared parameters with a 422 problem naming the field', async () => {
    const cases: [string, string][] = [
      ['/api/v1/activity?since=2026-13-01T00:00:00Z', 'querystring.since'],
      ['/api/v1/activity?since=2026-02-30T00:00:00Z', 'querystring.since'],
      ['/api/v1/activity?since=2026-13-01', 'querystring.since'],
      ['/api/v1/activity?since=yesterday', 'querystring.since'],
      ['/api/v1/activity?days=abc', 'querystring.days'],
      ['/api/v1/activity?days=0', 'querystring.days'],
      ['/api/v1/activity?days=', 'querystring.days'],
      ['/api/v1/activity?days=7&days=abc', 'querystring.days'],
      ['/api/v1/activity?limit=abc', 'querystring.limit'],
      ['/api/v1/activity?petId=abc', 'querystring.petId'],
      ['/api/v1/activity?cursor=abc', 'querystring.cursor'],
      ['/api/v1/activity?category=pet&category=auth', 'querystring.category'],
      ['/api/v1/activity/stats?days=abc', 'querystring.days'],
      ['/api/v1/activity/stats?days=367', 'querystring.days'],
      ['/api/v1/activity/export?since=2026-13-01', 'querystring.since'],
      ['/api/v1/activity/export?format=xml', 'querystring.format'],
    ];
    for (const [url, field] of cases) {
      const res = await get(alice, url);
      expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({ url, status: 422, type: 'application/problem+json; charset=utf-8' });
      expect({ url, code: res.json().code, fields: res.json().errors.map((e: any) => e.field) }).toEqual({ url, code: 'validation_failed', fields: [field] });
    }
  });

  it('tells one error per field for a number past the safe integers: the domain\'s own bound, not also zod\'s', async () => {
    const huge = '100000000000000000000';
    const cases: [string, string, string][] = [
      [`/api/v1/activity?days=${huge}`, 'querystring.days', '366'],
      [`/api/v1/activity?days=-${huge}`, 'querystring.days', '1'],
      [`/api/v1/activity?limit=${huge}`, 'querystring.limit', '100'],
      [`/api/v1/activity?limit=-${huge}`, 'querystring.limit', '1'],
      [`/api/v1/activity/stats?days=${huge}`, 'querystring.days', '366'],
      [`/api/v1/activity/export?days=${huge}`, 'querystring.days', '366'],
    ];
    for (const [url, field, bound] of cases) {
      const res = await get(alice, url);
      expect(res.statusCode, url).toBe(422);
      const errors = res.json().errors as { field: string; message: string }[];
      expect(errors.map((e) => e.field), url).toEqual([field]);
      expect(errors[0].message, url).toContain(bound);
      expect(errors[0].message, url).not.toContain('9007199254740991');
    }
    // a fraction in range is still told it must be a whole number
    expect((await get(alice, '/api/v1/activity?days=1.5')).json().errors.map((e: { field: string }) => e.field)).toEqual(['querystring.days']);
  });

  it('ignores parameters it does not declare, like every other GET list of the API', async () => {
    for (const url of ['/api/v1/activity?period=abc&from=2026-13-01', '/api/v1/activity/stats?period=abc&from=2026-13-01']) {
      expect((await get(alice, url)).statusCode).toBe(200);
    }
  });
});

describe('GET /activity/export', () => {
  let exporter: TestUser;
  beforeAll(async () => {
    exporter = await createUser(t.deps);
    const start = Date.now() - 3_600_000;
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      id: uuidv7(),
      event_id: null,
      user_id: exporter.id,
      pet_id: null,
      action: i === 0 ? '=HYPERLINK("x")' : 'pet.interacted',
      category: 'pet' as const,
      source: 'server' as const,
      details: JSON.stringify({ n: i, note: 'a, "quoted" value' }),
      metadata: '{}',
      ip_address: '192.0.2.1',
      user_agent: 'agent',
      created_at: new Date(start + i * 1000),
    }));
    await t.deps.db.insertInto('activity_log').values(rows).execute();
  });

  it('streams every row as CSV across many pages, escaping cells', async () => {
    const res = await get(exporter, '/api/v1/activity/export?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="activity-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers['content-length']).toBeUndefined();
    const lines = res.body.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,id,userId,petId,category,action,source,ipAddress,userAgent,details,metadata');
    expect(lines).toHaveLength(2501);
    expect(lines[1]).toContain('"{""n"":2499,""note"":""a, \\""quoted\\"" value""}"');
    expect(lines[2500]).toContain(`'=HYPERLINK(""x"")`);
  });

  it('streams JSON with the same filters', async () => {
    const res = await get(exporter, '/api/v1/activity/export?format=json&action=pet.interacted');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const items = res.json();
    expect(items).toHaveLength(2499);
    expect(items[0].details.n).toBe(2499);
    expect(items[2498].details.n).toBe(1);
  });

  it("refuses to export another user's log", async () => {
    const res = await get(alice, `/api/v1/activity/export?userId=${exporter.id}`);
    expect(res.statusCode).toBe(403);
  });

  it('neutralises formula cells', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
  });
});
