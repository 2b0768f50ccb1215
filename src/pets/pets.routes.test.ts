import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

const H = 3_600_000;
let t: TestApp;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_MODERATE: '10000', RATE_LIMIT_LENIENT: '10000' } });
  owner = await createUser(t.deps, { timezone: 'Europe/Paris', locale: 'fr' });
  other = await createUser(t.deps);
  admin = await createUser(t.deps, { role: 'admin' });
});
afterAll(async () => t?.close());
beforeEach(() => t.deps.services.pets.clock.set('2026-03-02T09:00:00Z'));

const clock = () => t.deps.services.pets.clock;
const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, user: TestUser, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: { ...user.auth, ...headers }, payload });

async function adopt(user = owner, name = 'Mochi') {
  const res = await api('POST', '/pets', user, { name, personality: ['shy', 'curious'] });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function events(petId: string, type: string) {
  return t.deps.db.selectFrom('domain_events').selectAll().where('pet_id', '=', petId).where('type', '=', type).orderBy('created_at').orderBy('id').execute();
}

describe('pets CRUD and ownership', () => {
  it('adopts an egg with full stats and lists it', async () => {
    const pet = await adopt();
    expect(pet).toMatchObject({ name: 'Mochi', stage: 'egg', level: 1, xp: 0, personality: ['shy', 'curious'], stats: { happiness: 80, health: 100, energy: 80 }, streak: { current: 0, longest: 0 } });
    const list = await api('GET', '/pets', owner);
    expect(list.json().pets.map((p: { id: string }) => p.id)).toContain(pet.id);
    expect((await events(pet.id, 'pet.created')).length).toBe(1);
  });

  it('picks two personality traits when none are given', async () => {
    const res = await api('POST', '/pets', owner, { name: 'Random' });
    expect(res.json().personality).toHaveLength(2);
  });

  it('rejects a bad name with a localized 422 and stores nothing', async () => {
    const before = await api('GET', '/pets', owner);
    const res = await api('POST', '/pets', owner, { name: 'bad\u0007name' }, { 'accept-language': 'fr' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'validation_failed', title: 'Saisie invalide' });
    const raw = Buffer.concat([Buffer.from('{"name":"Bad'), Buffer.from([0xff]), Buffer.from('"}')]);
    const broken = await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: { ...owner.auth, 'content-type': 'application/json' }, payload: raw });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().errors).toEqual([{ field: 'body', message: 'must be valid UTF-8', code: 'invalid_utf8' }]);
    for (const name of ['ab\u2028cd', 'ab\u2029cd', 'ab\u061Ccd', 'ab\u{E0041}cd']) {
      const res = await api('POST', '/pets', owner, { name });
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.name', message: 'must be printable text on one line' })]);
    }
    for (const name of ['\u200b', '\u200b\u2060\ufeff', ' \u3164 ', '\u2800', '\u0301\u0301', '\u115F\u1160\uFFA0']) {
      const invisible = await api('POST', '/pets', owner, { name });
      expect(invisible.statusCode).toBe(422);
      expect(invisible.json().errors).toContainEqual(expect.objectContaining({ field: 'body.name', message: 'must not be empty' }));
    }
    // a field the API does not know is refused, as on the accounts and wallet routes, not silently dropped
    const unknown = await api('POST', '/pets', owner, { name: 'Extra', species: 'dragon' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'body', code: 'unrecognized_keys' })]);
    expect((await api('GET', '/pets', owner)).json().pets.length).toBe(before.json().pets.length);
  });

  it('counts a name in user-perceived characters, within a hard cap on its size', async () => {
    const keeper = await createUser(t.deps);
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
    // 40 family emoji are 40 characters (280 code points, 440 UTF-16 code units)
    for (const name of ['e\u0301'.repeat(40), family.repeat(10), family.repeat(40)]) expect((await adopt(keeper, name)).name).toBe(name);
    const pet = await adopt(keeper);
    expect((await api('PATCH', `/pets/${pet.id}`, keeper, { name: 'e\u0301'.repeat(40) })).json().name).toBe('e\u0301'.repeat(40));
    // one character carrying 400 combining marks is past the hard cap (10 code points per character)
    for (const name of ['e\u0301'.repeat(41), `e${'\u0301'.repeat(400)}`]) {
      const res = await api('POST', '/pets', keeper, { name });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.name', message: 'must be at most 40 characters' })]);
    }
    expect((await api('GET', '/pets', keeper)).json().pets.length).toBe(4);
  });

  it('hides a pet from other users (404, same as missing) and shows it to an admin', async () => {
    const pet = await adopt();
    for (const [m, u, body] of [['GET', `/pets/${pet.id}`], ['PATCH', `/pets/${pet.id}`, { name: 'x' }], ['DELETE', `/pets/${pet.id}`], ['POST', `/pets/${pet.id}/interactions`, { type: 'feed' }], ['GET', `/pets/${pet.id}/history`]] as const) {
      const res = await api(m, u, other, body);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'pet_not_found', detail: "There is no such pet, or it is not yours." });
    }
    expect((await api('GET', `/pets/${pet.id}`, admin)).statusCode).toBe(200);
    expect((await api('GET', `/pets?userId=${owner.id}`, admin)).json().pets.some((p: { id: string }) => p.id === pet.id)).toBe(true);
    const refused = await api('GET', `/pets?userId=${owner.id}`, other);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden');
  });

  it('renames and soft-deletes, keeping the timeline', async () => {
    const pet = await adopt();
    for (const name of ['\u200b', '\u2800', 'ab\u2028cd']) expect((await api('PATCH', `/pets/${pet.id}`, owner, { name })).statusCode).toBe(422);
    expect((await api('GET', `/pets/${pet.id}`, owner)).json().name).toBe(pet.name);
    const renamed = await api('PATCH', `/pets/${pet.id}`, owner, { name: 'Neko' });
    expect(renamed.json().name).toBe('Neko');
    expect((await api('DELETE', `/pets/${pet.id}`, owner)).statusCode).toBe(204);
    expect((await api('GET', `/pets/${pet.id}`, owner)).statusCode).toBe(404);
    const row = await t.deps.db.selectFrom('pets').select(['deleted_at']).where('id', '=', pet.id).executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect((await events(pet.id, 'pet.deleted')).length).toBe(1);
  });
});

describe('interactions, cooldowns and the daily XP cap', () => {
  it('feeds with effects and XP, then enforces the cooldown in French', async () => {
    const pet = await adopt();
    const fed = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' });
    expect(fed.statusCode).toBe(200);
    expect(fed.json()).toMatchObject({ xpGained: 10, pet: { xp: 10, stats: { happiness: 85, health: 100, energy: 100 }, streak: { current: 1, longest: 1 } } });
    const again = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' }, { 'accept-language': 'fr' });
    expect(again.statusCode).toBe(409);
    // French pet texts speak to the owner with "tu", as the pet does in the chat where these details also appear
    expect(again.json()).toMatchObject({ code: 'pet_interaction_cooldown', detail: 'Votre animal a besoin d\'une pause avant que vous le nourrissiez de nouveau : réessayez dans 1800 secondes.' });
    const [event] = await events(pet.id, 'pet.interacted');
    expect(event.data).toMatchObject({ interaction: 'feed', xpGained: 10 });
  });

  it('names the action in the reader\'s language in the cooldown, with the seconds pluralized', async () => {
    const reader = await createUser(t.deps);
    const pet = await adopt(reader, 'Polyglot');
    for (const type of ['feed', 'play', 'groom']) await api('POST', `/pets/${pet.id}/interactions`, reader, { type });
    const detail = async (type: string, lang: string) => (await api('POST', `/pets/${pet.id}/interactions`, reader, { type }, { 'accept-language': lang })).json().detail;
    expect(await detail('feed', 'de')).toBe('Dein Haustier braucht eine Pause, bevor du es wieder fütterst: versuche es in 1800 Sekunden noch einmal.');
    expect(await detail('play', 'es')).toBe('Tu mascota necesita un descanso antes de que vuelvas a jugar con ella: inténtalo de nuevo en 900 segundos.');
    expect(await detail('groom', 'ja')).toBe('ペットには休憩が必要です。次に毛づくろいできるのは3600秒後です。');
    expect(await detail('groom', 'zh')).toBe('你的宠物需要休息一下：3600 秒后才能再给它梳毛。');
    clock().advance(15 * 60_000 - 1000);
    expect(await detail('play', 'en')).toBe('Your pet needs a break before you play with it again: try again in 1 second.');
    expect(await detail('play', 'it')).toBe('Il tuo animale ha bisogno di una pausa prima che tu giochi di nuovo con lui: riprova tra 1 secondo.');
  });

  it('stops granting XP at the daily cap and starts again the next local day', async () => {
    const pet = await adopt();
    let total = 0;
    for (let hour = 0; hour < 8; hour++) {
      for (const type of ['feed', 'play', 'groom']) {
        const res = await api('POST', `/pets/${pet.id}/interactions`, owner, { type });
        expect(res.statusCode).toBe(200);
        total += res.json().xpGained;
      }
      clock().advance(H);
    }
    expect(total).toBe(150);
    const got = await api('GET', `/pets/${pet.id}`, owner);
    expect(got.json()).toMatchObject({ xp: 150, xpToday: 150, xpDailyCap: 150, stage: 'baby' });
    clock().set('2026-03-02T23:30:00Z'); // 00:30 on 3 March in Paris
    const next = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' });
    expect(next.json()).toMatchObject({ xpGained: 10, pet: { xpToday: 10, streak: { current: 2 } } });
  });

  it('gives no extra day, streak or XP cap for switching time zones back and forth', async () => {
    const traveller = await createUser(t.deps, { timezone: 'Pacific/Honolulu' });
    clock().set('2026-11-25T20:00:00Z'); // 10:00 on 25 Nov in Honolulu, 10:00 on 26 Nov in Kiritimati
    const pet = await adopt(traveller, 'Globe');
    for (const type of ['feed', 'play', 'groom']) await api('POST', `/pets/${pet.id}/interactions`, traveller, { type });
    const zone = async (timezone: string) => expect((await api('PATCH', '/me', traveller, { timezone })).statusCode).toBe(200);
    const chat = async () => {
      const res = await api('POST', `/pets/${pet.id}/messages`, traveller, { content: 'hello' });
      expect(res.statusCode).toBe(200);
      return (await api('GET', `/pets/${pet.id}`, traveller)).json();
    };
    expect(await chat()).toMatchObject({ xp: 35, xpToday: 35, streak: { current: 1, lastDay: '2026-11-25' } });
    await zone('Pacific/Kiritimati');
    expect(await chat()).toMatchObject({ xp: 37, xpToday: 2, streak: { current: 2, lastDay: '2026-11-26' } });
    await zone('Pacific/Honolulu');
    expect(await chat()).toMatchObject({ xp: 39, xpToday: 4, streak: { current: 2, lastDay: '2026-11-26' } });
    await zone('Pacific/Kiritimati');
    expect(await chat()).toMatchObject({ xp: 41, xpToday: 6, streak: { current: 2, lastDay: '2026-11-26' } });
  });

  it('refuses to play when the pet is too tired', async () => {
    const pet = await adopt();
    clock().advance(70 * H);
    const res = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'play' });
    expect(res.statusCode).toBe(409);
    // energy only decays with time (docs/pets.md): the advice names what restores it (feed +20, groom +5), never rest
    expect(res.json()).toMatchObject({ code: 'pet_too_tired', detail: 'Your pet is too tired to play. Feed or groom it first: only care restores its energy.' });
    const fr = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'play' }, { 'accept-language': 'fr' });
    expect(fr.json().detail).toBe("Votre animal est trop fatigué pour jouer. Nourrissez-le ou faites-lui sa toilette d'abord : seuls les soins lui rendent de l'énergie.");
    const de = await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'play' }, { 'accept-language': 'de' });
    expect(de.json().detail).toBe('Dein Haustier ist zu müde zum Spielen. Füttere oder bürste es zuerst: Nur Pflege gibt ihm wieder Energie.');
    // and the advice works: fed, it has the energy to play
    expect((await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' })).statusCode).toBe(200);
    expect((await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'play' })).statusCode).toBe(200);
  });
});

describe('time away', () => {
  it('shows a pet left alone for a week as hungry and sad, and records the mood change', async () => {
    const pet = await adopt();
    clock().advance(7 * 24 * H);
    const res = await api('GET', `/pets/${pet.id}`, owner);
    expect(res.json()).toMatchObject({ mood: 'hungry', feelings: ['hungry', 'sad', 'tired'], stats: { happiness: 0, energy: 0, health: 64 } });
    const history = await api('GET', `/pets/${pet.id}/history`, owner);
    expect(history.json().items[0]).toMatchObject({ kind: 'mood', data: { from: 'happy', to: 'hungry' } });
  });

  it('catches up two stages after days away, recording each evolution', async () => {
    const pet = await adopt();
    for (let day = 0; day < 4; day++) {
      clock().set(new Date(Date.parse('2026-03-02T08:00:00Z') + day * 24 * H));
      for (let hour = 0; hour < 6; hour++) {
        for (const type of ['feed', 'play', 'groom']) await api('POST', `/pets/${pet.id}/interactions`, owner, { type });
        clock().advance(H);
      }
    }
    const raised = (await api('GET', `/pets/${pet.id}`, owner)).json();
    expect(raised).toMatchObject({ xp: 600, stage: 'baby' });
    const waiting = (await api('GET', `/pets/${pet.id}/evolution`, owner)).json();
    expect(waiting.next).toMatchObject({ stage: 'child', ready: false });
    expect(waiting.next.requirements).toContainEqual({ kind: 'ageDays', required: 4, current: 3, met: false });

    clock().set('2026-03-09T10:00:00Z');
    const back = (await api('GET', `/pets/${pet.id}`, owner)).json();
    expect(back.stage).toBe('teen');
    const evolved = await events(pet.id, 'pet.evolved');
    expect(evolved.map((e) => e.data)).toEqual([
      { from: 'egg', to: 'baby', level: 2, name: 'Mochi' },
      { from: 'baby', to: 'child', level: 6, name: 'Mochi' },
      { from: 'child', to: 'teen', level: 6, name: 'Mochi' },
    ]);
    const history = (await api('GET', `/pets/${pet.id}/history?limit=100`, owner)).json();
    expect(history.items.filter((i: { kind: string }) => i.kind === 'evolution').map((i: { data: { to: string } }) => i.data.to)).toEqual(['teen', 'child', 'baby']);
    const manual = await api('POST', `/pets/${pet.id}/evolve`, owner);
    expect(manual.statusCode).toBe(409);
    expect(manual.json().code).toBe('pet_evolution_not_ready');
    expect(manual.json().errors.map((e: { field: string }) => e.field)).toContain('xp');
  });

  it('answers 409 pet_final_stage, not "not ready", when a unicorn is asked to evolve', async () => {
    const keeper = await createUser(t.deps, { locale: 'de' });
    const pet = await adopt(keeper, 'Sparkle');
    await t.deps.db.updateTable('pets').set({ stage: 'unicorn', xp: 5000 }).where('id', '=', pet.id).execute();
    const res = await api('POST', `/pets/${pet.id}/evolve`, keeper);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'pet_final_stage', title: 'Final stage reached', detail: 'Your pet has reached its final stage and cannot evolve any further.' });
    expect(res.json().errors ?? []).toEqual([]);
    const de = await api('POST', `/pets/${pet.id}/evolve`, keeper, undefined, { 'accept-language': 'de' });
    expect(de.json()).toMatchObject({ code: 'pet_final_stage', title: 'Letzte Stufe erreicht', detail: 'Dein Haustier hat seine letzte Stufe erreicht und kann sich nicht weiter entwickeln.' });
    expect((await api('GET', `/pets/${pet.id}/evolution`, keeper)).json()).toMatchObject({ stage: 'unicorn', next: null });
    expect(await events(pet.id, 'pet.evolved')).toEqual([]);
  });

  it('pages the timeline without duplicates', async () => {
    const pet = await adopt();
    for (let i = 0; i < 5; i++) {
      await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'groom' });
      clock().advance(2 * H);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (await api('GET', `/pets/${pet.id}/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`, owner)).json();
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect((await api('GET', `/pets/${pet.id}/history?cursor=garbage`, owner)).statusCode).toBe(422);
  });
});

describe('vacation', () => {
  it('pauses decay and streak loss, at most 14 days and once a month', async () => {
    const pet = await adopt();
    await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' });
    const tooLong = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-20T09:00:00Z' });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json().code).toBe('pet_vacation_invalid');
    expect(tooLong.json().errors).toEqual([{ field: 'body.until', message: 'must be within 14 days from now', code: 'out_of_range' }]);
    const past = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-01T09:00:00Z' });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: 'pet_vacation_invalid', errors: [{ field: 'body.until', message: 'must be in the future', code: 'out_of_range' }] });
    const pastDe = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-02T09:00:00Z' }, { 'accept-language': 'de' });
    expect(pastDe.json().errors).toEqual([{ field: 'body.until', message: 'muss in der Zukunft liegen', code: 'out_of_range' }]);
    const res = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-12T09:00:00Z' });
    expect(res.statusCode).toBe(200);
    expect(res.json().vacation).toMatchObject({ active: true, until: '2026-03-12T09:00:00.000Z' });
    const active = (await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-13T09:00:00Z' })).json();
    // the owner is in Paris: the end is told in their time zone and the reader's language, never as an ISO timestamp
    expect(active).toMatchObject({ code: 'pet_vacation_active', detail: 'Your pet is on vacation until March 12, 2026 at 10:00 AM.' });
    const de = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-13T09:00:00Z' }, { 'accept-language': 'de' });
    expect(de.json().detail).toBe('Dein Haustier ist bis 12. März 2026 um 10:00 im Urlaub.');
    const fr = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-13T09:00:00Z' }, { 'accept-language': 'fr' });
    expect(fr.json().detail).toBe('Votre animal est en vacances jusqu\'au 12 mars 2026 à 10:00.');

    clock().set('2026-03-12T10:00:00Z');
    const back = (await api('GET', `/pets/${pet.id}`, owner)).json();
    expect(back.streak.current).toBe(1);
    expect(back.stats).toEqual({ happiness: 83, health: 100, energy: 99 });
    const fed = (await api('POST', `/pets/${pet.id}/interactions`, owner, { type: 'feed' })).json();
    expect(fed.pet.streak.current).toBe(2);

    const soon = await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-14T09:00:00Z' });
    expect(soon.statusCode).toBe(409);
    expect(soon.json()).toMatchObject({ code: 'pet_vacation_too_soon', detail: 'Vacation mode can be used once a month; the next one is possible from April 1, 2026.' });
    expect((await api('POST', `/pets/${pet.id}/vacation`, owner, { until: '2026-03-14T09:00:00Z' }, { 'accept-language': 'es' })).json().detail)
      .toBe('El modo vacaciones se puede usar una vez al mes; las próximas serán posibles desde el 1 de abril de 2026.');
    expect((await events(pet.id, 'pet.vacation_started')).length).toBe(1);
  });
});

describe('ending a vacation', () => {
  it('ends a running vacation once, and answers 409 pet_vacation_not_active when none is running', async () => {
    const sleeper = await createUser(t.deps, { locale: 'de' });
    const pet = await adopt(sleeper, 'Dozy');
    const none = await api('DELETE', `/pets/${pet.id}/vacation`, sleeper, undefined, { 'accept-language': 'de' });
    expect(none.statusCode).toBe(409);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'pet_vacation_not_active', detail: 'Dein Haustier ist gerade nicht im Urlaub, es gibt also keinen Urlaub zu beenden.' });
    expect((await api('POST', `/pets/${pet.id}/vacation`, sleeper, { until: '2026-03-05T09:00:00Z' })).statusCode).toBe(200);
    clock().advance(H);
    const ended = await api('DELETE', `/pets/${pet.id}/vacation`, sleeper);
    expect(ended.statusCode).toBe(200);
    expect(ended.json().vacation).toMatchObject({ active: false, until: '2026-03-02T10:00:00.000Z' });
    const timeline = (await api('GET', `/pets/${pet.id}/history`, sleeper)).json().items.length;
    clock().advance(H);
    expect((await api('DELETE', `/pets/${pet.id}/vacation`, sleeper)).json().code).toBe('pet_vacation_not_active');
    expect((await api('GET', `/pets/${pet.id}/history`, sleeper)).json().items.length).toBe(timeline);
    expect((await events(pet.id, 'pet.updated')).length).toBe(1);
  });
});

describe('the hourly streak sweep', () => {
  it('warns once when a streak is about to break in the owner time zone, and records a broken one', async () => {
    const la = await createUser(t.deps, { timezone: 'America/Los_Angeles' });
    const tokyo = await createUser(t.deps, { timezone: 'Asia/Tokyo' });
    clock().set('2026-03-02T20:00:00Z'); // 12:00 in LA on 2 March, 05:00 on 3 March in Tokyo
    const laPet = await adopt(la, 'West');
    const tokyoPet = await adopt(tokyo, 'East');
    await api('POST', `/pets/${laPet.id}/interactions`, la, { type: 'feed' });
    await api('POST', `/pets/${tokyoPet.id}/interactions`, tokyo, { type: 'feed' });

    const sweep = (at: string) => t.deps.services.pets.sweepStreaks(new Date(at));
    await sweep('2026-03-04T05:00:00Z'); // 21:00 on 3 March in LA (3 h left); 14:00 on 4 March in Tokyo
    await sweep('2026-03-04T06:00:00Z');
    const risk = await events(laPet.id, 'pet.streak_at_risk');
    expect(risk.map((e) => e.data)).toEqual([{ streak: 1, hoursLeft: 3, name: 'West' }]);
    expect(await events(tokyoPet.id, 'pet.streak_at_risk')).toEqual([]);

    await sweep('2026-03-04T16:00:00Z'); // 08:00 on 4 March in LA: broken; 01:00 on 5 March in Tokyo: broken
    expect((await events(laPet.id, 'pet.streak_lost')).map((e) => e.data)).toEqual([{ streak: 1, name: 'West' }]);
    expect((await events(tokyoPet.id, 'pet.streak_lost')).map((e) => e.data)).toEqual([{ streak: 1, name: 'East' }]);
    await sweep('2026-03-04T17:00:00Z');
    expect((await events(laPet.id, 'pet.streak_lost')).length).toBe(1);
    clock().set('2026-03-04T17:00:00Z');
    expect((await api('GET', `/pets/${laPet.id}`, la)).json().streak).toMatchObject({ current: 0, longest: 1 });
  });

  it('warns at 20:05, not 19:05, where the clocks jump from 24:00 to 01:00, and shows the hours left as positive', async () => {
    const santiago = await createUser(t.deps, { timezone: 'America/Santiago' });
    clock().set('2026-09-04T16:00:00Z'); // 12:00 on 4 September in Santiago (−04)
    const pet = await adopt(santiago, 'Jump');
    await api('POST', `/pets/${pet.id}/interactions`, santiago, { type: 'feed' });

    const sweep = (at: string) => t.deps.services.pets.sweepStreaks(new Date(at));
    await sweep('2026-09-05T23:05:00Z'); // 19:05 on 5 September: the day ends at 04:00Z, 4.9 h away
    expect(await events(pet.id, 'pet.streak_at_risk')).toEqual([]);
    await sweep('2026-09-06T00:05:00Z'); // 20:05: 3.9 h left
    expect((await events(pet.id, 'pet.streak_at_risk')).map((e) => e.data)).toEqual([{ streak: 1, hoursLeft: 3.9, name: 'Jump' }]);

    clock().set('2026-09-06T03:30:00Z'); // 23:30 on 5 September
    expect((await api('GET', `/pets/${pet.id}`, santiago)).json().streak).toMatchObject({ current: 1, atRisk: true, hoursLeft: 0.5 });
    clock().advance(H / 4);
    await api('POST', `/pets/${pet.id}/interactions`, santiago, { type: 'groom' }); // 23:45: still 5 September
    expect((await api('GET', `/pets/${pet.id}`, santiago)).json().streak).toMatchObject({ current: 2, lastDay: '2026-09-05', atRisk: false });
  });

  it('runs as a pg-boss job', async () => {
    expect(t.deps.jobs.names).toContain('pets.streak-sweep');
    const kyiv = await createUser(t.deps, { timezone: 'Europe/Kyiv' });
    clock().set('2026-03-10T10:00:00Z');
    const pet = await adopt(kyiv, 'Job');
    await api('POST', `/pets/${pet.id}/interactions`, kyiv, { type: 'groom' });
    clock().set('2026-03-11T19:30:00Z'); // 21:30 on 11 March in Kyiv: 2.5 hours left
    await t.deps.jobs.enqueue('pets.streak-sweep', {});
    let risk: Awaited<ReturnType<typeof events>> = [];
    for (let i = 0; i < 100 && !risk.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      risk = await events(pet.id, 'pet.streak_at_risk');
    }
    expect(risk.map((e) => e.data)).toEqual([{ streak: 1, hoursLeft: 2.5, name: 'Job' }]);
    expect(risk[0].user_ids).toEqual([kyiv.id]);
  });
});

describe('needing care', () => {
  const notes = async (user: TestUser, type = 'pet_needs_care') =>
    t.deps.db.selectFrom('notifications').selectAll().where('user_id', '=', user.id).where('type', '=', type).orderBy('created_at').execute();
  const sweep = async () => {
    await t.deps.services.pets.sweepStreaks(clock().now());
    await t.deps.events.drain();
  };

  it('tells the owner once when a pet left alone starts needing care, and again only after it was cared for and fell back', async () => {
    const keeper = await createUser(t.deps);
    const pet = await adopt(keeper, 'Lonely');
    clock().advance(20 * H); // happiness 40, energy 60: no need yet
    await sweep();
    expect(await events(pet.id, 'pet.needs_care')).toEqual([]);
    clock().advance(6 * H); // happiness 28 < 30: sad
    await sweep();
    await sweep();
    expect((await events(pet.id, 'pet.needs_care')).map((e) => e.data)).toMatchObject([{ stat: 'happiness', value: 28, name: 'Lonely' }]);
    clock().advance(6 * 24 * H); // a week away: hungry, sad, tired; still one notification
    await sweep();
    expect(await api('GET', `/pets/${pet.id}`, keeper)).toSatisfy((r: { json(): { feelings: string[] } }) => r.json().feelings.includes('sad'));
    expect(await events(pet.id, 'pet.needs_care')).toHaveLength(1);
    const [note] = await notes(keeper);
    expect(note).toMatchObject({ priority: 'normal', title: '\u2068Lonely\u2069 needs care', body: '\u2068Lonely\u2069 is sad and lonely (happiness 28). Come back and spend some time with it.' });

    // cared for: fed, played and groomed until no stat is below its level, then left again
    for (let i = 0; i < 3; i++) {
      for (const type of ['feed', 'groom', 'play']) await api('POST', `/pets/${pet.id}/interactions`, keeper, { type });
      clock().advance(H);
    }
    const cared = (await api('GET', `/pets/${pet.id}`, keeper)).json();
    expect(cared.stats.happiness).toBeGreaterThanOrEqual(30);
    expect(cared.stats.energy).toBeGreaterThanOrEqual(20);
    await sweep();
    expect(await events(pet.id, 'pet.needs_care')).toHaveLength(1);
    clock().advance(3 * 24 * H);
    await sweep();
    expect(await events(pet.id, 'pet.needs_care')).toHaveLength(2);
    expect(await notes(keeper)).toHaveLength(2);
  });

  it('records nothing for a muted owner beyond the event, and nothing while the pet is on vacation', async () => {
    const muted = await createUser(t.deps);
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/notifications/preferences', headers: muted.auth, payload: { muted: { pet_needs_care: true } } });
    expect(put.statusCode).toBe(200);
    const pet = await adopt(muted, 'Quiet');
    clock().advance(30 * H);
    await sweep();
    expect(await events(pet.id, 'pet.needs_care')).toHaveLength(1);
    expect(await notes(muted)).toEqual([]);

    const away = await createUser(t.deps);
    const resting = await adopt(away, 'Resting');
    expect((await api('POST', `/pets/${resting.id}/vacation`, away, { until: new Date(clock().now().getTime() + 10 * 24 * H).toISOString() })).statusCode).toBe(200);
    clock().advance(5 * 24 * H);
    await sweep();
    expect(await events(resting.id, 'pet.needs_care')).toEqual([]);
  });

  it('runs in the hourly job', async () => {
    const owner2 = await createUser(t.deps);
    const pet = await adopt(owner2, 'Jobbed');
    clock().advance(30 * H);
    await t.deps.jobs.enqueue('pets.streak-sweep', {});
    let found: Awaited<ReturnType<typeof events>> = [];
    for (let i = 0; i < 100 && !found.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      found = await events(pet.id, 'pet.needs_care');
    }
    expect(found).toHaveLength(1);
  });
});

describe('pet notifications name the pet', () => {
  it('names the pet, isolated, in the title and body of evolved, streak, and care notifications', async () => {
    const keeper = await createUser(t.deps, { timezone: 'UTC' });
    const inbox = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/notifications?limit=50', headers: keeper.auth })).json().items as Array<{ type: string; title: string; body: string }>;
    const a = await adopt(keeper, 'Mochi');
    await adopt(keeper, '\u05e9\u05dc\u05d5\u05dd'); // a right-to-left name for a second pet
    for (const type of ['feed', 'play', 'groom']) await api('POST', `/pets/${a.id}/interactions`, keeper, { type }); // 33 XP
    clock().advance(H);
    await api('POST', `/pets/${a.id}/interactions`, keeper, { type: 'play' }); // 48
    clock().advance(H);
    await api('POST', `/pets/${a.id}/interactions`, keeper, { type: 'feed' }); // 58: baby
    await t.deps.events.drain();
    const mochi = '\u2068Mochi\u2069';
    expect((await inbox()).find((n) => n.type === 'pet_evolved')).toMatchObject({ title: `${mochi} evolved!`, body: `${mochi} grew from egg to baby and reached level 2.` });

    await t.deps.services.pets.sweepStreaks(new Date('2026-03-03T21:00:00Z')); // no activity on 3 March, 3 h before midnight UTC
    clock().set('2026-03-04T12:00:00Z');
    await t.deps.services.pets.sweepStreaks(clock().now()); // the streak broke; both pets need care by now
    await t.deps.events.drain();
    const items = await inbox();
    expect(items.find((n) => n.type === 'streak_at_risk')).toMatchObject({ title: `Your streak with ${mochi} is at risk`, body: `Your 1-day streak with ${mochi} ends in 3 hours. Check in now to keep it!` });
    expect(items.find((n) => n.type === 'streak_lost')).toMatchObject({ title: `Streak with ${mochi} lost`, body: `Your 1-day streak with ${mochi} has ended. Start a new one today.` });
    const care = items.filter((n) => n.type === 'pet_needs_care').map((n) => n.title).sort();
    expect(care).toEqual([`${mochi} needs care`, '\u2068\u05e9\u05dc\u05d5\u05dd\u2069 needs care'].sort());
  });
});

