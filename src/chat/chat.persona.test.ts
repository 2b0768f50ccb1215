import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { LOCALES, translate } from '../platform/i18n/i18n.service.js';
import { detectIntent, tokenize } from './chat.persona.js';

const H = 3_600_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_MODERATE: '10000', RATE_LIMIT_LENIENT: '10000' } });
});
afterAll(async () => t?.close());
beforeEach(() => t.deps.services.pets.clock.set('2026-05-04T08:00:00Z'));

const api = (method: 'GET' | 'POST', url: string, user: TestUser, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });

async function say(user: TestUser, petId: string, content: string) {
  const res = await api('POST', `/pets/${petId}/messages`, user, { content });
  expect(res.statusCode).toBe(200);
  return res.json().reply.content as string;
}

/** A pet that has hatched (baby): enough care for 50 XP. */
async function hatchedPet(user: TestUser, name: string) {
  const petId = (await api('POST', '/pets', user, { name, personality: ['brave'] })).json().id as string;
  for (const round of [['feed', 'play', 'groom'], ['feed', 'play']]) {
    for (const type of round) expect((await api('POST', `/pets/${petId}/interactions`, user, { type })).statusCode).toBe(200);
    t.deps.services.pets.clock.advance(H);
  }
  const pet = (await api('GET', `/pets/${petId}`, user)).json();
  expect(pet.stage).toBe('baby');
  return petId;
}

describe('the persona engine', () => {
  it('lets an egg only wiggle', async () => {
    const user = await createUser(t.deps);
    const petId = (await api('POST', '/pets', user, { name: 'Pip' })).json().id;
    expect(await say(user, petId, 'hello?')).toBe("*Pip's egg wiggles happily and feels warm.*");
  });

  it('answers in the owner language for all eight locales, in a baby voice', async () => {
    const greetings: Record<string, string> = { en: 'hello!', fr: 'bonjour !', es: 'hola', de: 'hallo', it: 'ciao', pt: 'olá', ja: 'こんにちは', zh: '你好' };
    for (const locale of LOCALES) {
      const user = await createUser(t.deps, { locale });
      const petId = await hatchedPet(user, `P-${locale}`);
      const reply = await say(user, petId, greetings[locale]);
      expect(reply.startsWith(translate(locale, 'chat.persona.voice.baby'))).toBe(true);
      expect(reply).toContain(translate(locale, 'chat.persona.greeting', { name: `P-${locale}` }));
      const english = await say(user, petId, 'what is your name?');
      expect(english).toContain(translate(locale, 'chat.persona.name', { name: `P-${locale}` }));
    }
  });

  it('knows its own stats and needs', async () => {
    const user = await createUser(t.deps, { locale: 'fr' });
    const petId = await hatchedPet(user, 'Caramel');
    const pet = (await api('GET', `/pets/${petId}`, user)).json();
    // the message itself cheers the pet up by one point before it answers
    const how = await say(user, petId, 'Comment ça va ?');
    expect(how).toContain(`Bonheur ${pet.stats.happiness + 1}, santé ${pet.stats.health}, énergie ${pet.stats.energy}`);
    expect(await say(user, petId, 'Tu as faim ?')).toContain('Non, j\'ai bien mangé, merci !');

    t.deps.services.pets.clock.advance(7 * 24 * H);
    expect(await say(user, petId, 'Tu as faim ?')).toContain('Oui ! Je meurs de faim, donne-moi à manger avec /feed !');
    expect(await say(user, petId, 'are you tired?')).toContain('Oui, je suis épuisé');
    await say(user, petId, '/feed');
    expect(await say(user, petId, 'are you hungry?')).toContain('Non, j\'ai bien mangé, merci !');
  });

  it('refers to what was said before and notices repetition', async () => {
    const user = await createUser(t.deps);
    const petId = await hatchedPet(user, 'Echo');
    await say(user, petId, 'I saw a big red kite at the beach');
    expect(await say(user, petId, 'my sister visited')).toContain('“my sister visited”… and earlier you said “I saw a big red kite at the beach”. I remember!');
    expect(await say(user, petId, 'my sister visited')).toContain("You just said that! I'm listening, promise.");
    expect(await say(user, petId, 'what is our streak?')).toContain('Our streak is 1 day! Best so far: 1.');
  });

  it('says the streak in the singular or plural the owner language needs', async () => {
    const expected: Record<string, [string, string]> = {
      en: ['Our streak is 1 day!', 'Our streak is 2 days!'],
      fr: ['Notre série est de 1 jour !', 'Notre série est de 2 jours !'],
      es: ['¡Nuestra racha es de 1 día!', '¡Nuestra racha es de 2 días!'],
      de: ['Unsere Serie steht bei 1 Tag!', 'Unsere Serie steht bei 2 Tagen!'],
      it: ['La nostra serie è di 1 giorno!', 'La nostra serie è di 2 giorni!'],
      pt: ['Nossa sequência é de 1 dia!', 'Nossa sequência é de 2 dias!'],
    };
    for (const [locale, [one, two]] of Object.entries(expected)) {
      t.deps.services.pets.clock.set('2026-05-04T08:00:00Z');
      const user = await createUser(t.deps, { locale });
      const petId = await hatchedPet(user, `S-${locale}`);
      expect(await say(user, petId, 'streak?')).toContain(one);
      t.deps.services.pets.clock.set('2026-05-05T12:00:00Z');
      expect(await say(user, petId, 'streak')).toContain(two);
    }
  });

  it('detects intents across languages and streams CJK by character', () => {
    expect(detectIntent('Wie geht es dir?')).toBe('how');
    expect(detectIntent('お腹すいた？')).toBe('hungry');
    expect(detectIntent('我爱你')).toBe('love');
    expect(detectIntent('tengo sueño')).toBe('tired');
    expect(detectIntent('the weather is nice')).toBe('other');
    expect(tokenize('Hi there, friend!')).toEqual(['Hi ', 'there, ', 'friend!']);
    expect(tokenize('元気だよ')).toEqual(['元', '気', 'だ', 'よ']);
  });
});
