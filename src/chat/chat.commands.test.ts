import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { ChatCommandUsageError } from './chat.commands.js';

let t: TestApp;
let owner: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_MODERATE: '10000', RATE_LIMIT_LENIENT: '10000' } });
  t.deps.services.pets.clock.set('2026-06-01T10:00:00Z');
  owner = await createUser(t.deps);
});
afterAll(async () => t?.close());

const api = (method: 'GET' | 'POST', url: string, user: TestUser, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });

async function adopt(user = owner, name = 'Biscuit') {
  return (await api('POST', '/pets', user, { name })).json().id as string;
}

async function command(petId: string, content: string, user = owner) {
  const res = await api('POST', `/pets/${petId}/messages`, user, { content });
  expect(res.statusCode).toBe(200);
  return res.json() as { message: { content: string; metadata: Record<string, unknown> }; reply: { sender: string; content: string; metadata: Record<string, unknown> } };
}

describe('slash commands', () => {
  it('lists every registered command with localized help, and explains one', async () => {
    const petId = await adopt();
    const { message, reply } = await command(petId, '/help');
    expect(message.metadata).toEqual({ command: 'help' });
    expect(reply.sender).toBe('system');
    const lines = reply.content.split('\n');
    expect(lines[0]).toBe('Commands you can use:');
    expect(lines.at(-1)).toBe('Type /help <command> for details.');
    expect(lines).toEqual(expect.arrayContaining([
      '/evolve — Evolve when the requirements are met',
      '/feed — Feed your pet',
      '/groom — Groom your pet',
      '/help [command] — List the commands or explain one',
      '/play — Play with your pet',
      '/rename <name> — Give your pet a new name',
      '/stats — Show your pet\'s stats',
    ]));
    const listed = lines.slice(1, -1).map((l) => l.split(' ')[0]);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toHaveLength(t.deps.commands.list().length);
    expect((await command(petId, '/help rename')).reply.content).toBe('/rename <name>\nGive your pet a new name');
    expect((await command(petId, '/help /feed')).reply.content).toBe('/feed\nFeed your pet');
    expect((await command(petId, '/help nope')).reply.content).toBe('There is no /nope command. Type /help to see them all.');
  });

  it('answers in the owner language', async () => {
    const de = await createUser(t.deps, { locale: 'de' });
    const petId = await adopt(de, 'Strolch');
    const { reply } = await command(petId, '/help', de);
    expect(reply.content.split('\n')[0]).toBe('Verfügbare Befehle:');
    expect(reply.content).toContain('/rename <Name> — Deinem Haustier einen neuen Namen geben');
    expect((await command(petId, '/feed', de)).reply.content).toBe('Lecker! Danke! (+10 XP)');
  });

  it('turns unknown commands, bad arguments and refused actions into helpful system messages', async () => {
    const petId = await adopt();
    const unknown = await command(petId, '/dance now');
    expect(unknown.reply).toMatchObject({ sender: 'system', content: "I don't know /dance. Type /help to see what I can do." });
    expect((await command(petId, '/feed twice')).reply.content).toBe('/feed takes no arguments.\nUsage: /feed');
    expect((await command(petId, '/rename')).reply.content).toBe('Tell me the new name.\nUsage: /rename <name>');
    expect((await command(petId, '/rename \u200b\u2060')).reply.content).toBe('Tell me the new name.\nUsage: /rename <name>');
    expect((await command(petId, `/rename ${'x'.repeat(41)}`)).reply.content).toBe('A name is 1 to 40 printable characters.\nUsage: /rename <name>');
    const fed = await command(petId, '/feed');
    expect(fed.reply).toMatchObject({ sender: 'pet', content: 'Yum! Thank you! (+10 XP)', metadata: { command: 'feed', xpGained: 10 } });
    expect((await command(petId, '/FEED')).reply).toMatchObject({
      sender: 'system',
      content: "That didn't work: Your pet needs a break before you feed it again: try again in 1800 seconds.",
    });
  });

  it('runs the pet commands: play, groom, stats, rename, evolve', async () => {
    const petId = await adopt();
    expect((await command(petId, '/evolve')).reply.content).toBe('Not yet! To become baby I need: 0/50 XP');
    expect((await command(petId, '/play')).reply.content).toBe('That was fun! (+15 XP)');
    expect((await command(petId, '/groom')).reply.content).toBe('I feel so fresh! (+8 XP)');
    expect((await command(petId, '/rename Sir   Biscuit')).reply.content).toBe("From now on I'm Sir Biscuit!");
    const stats = (await command(petId, '/stats')).reply.content;
    expect(stats).toBe('Sir Biscuit · egg · level 2 (23 XP)\nMood: ecstatic\nHappiness 100 · Health 100 · Energy 70\nStreak: 1 (best 1)');
    const pet = (await api('GET', `/pets/${petId}`, owner)).json();
    expect(pet).toMatchObject({ name: 'Sir Biscuit', xp: 23 });
    // names are counted in user-perceived characters: 40 letters with combining accents fit
    expect((await command(petId, `/rename ${'e\u0301'.repeat(40)}`)).reply.content).toBe(`From now on I'm ${'e\u0301'.repeat(40)}!`);
  });

  it('lists the unmet requirements of /evolve the way the owner language joins a list', async () => {
    const expected: Record<string, string> = {
      en: 'Not yet! To become child I need: 58/200 XP and 0/4 days of age',
      de: 'Noch nicht! Um Kind zu werden, brauche ich: 58/200 XP und 0/4 Tage alt',
      ja: 'まだだよ！こどもになるには：58/200 XP、年齢 0/4 日',
      zh: '还不行！要成为幼年，我需要：58/200 XP和年龄 0/4 天',
    };
    for (const [locale, text] of Object.entries(expected)) {
      const user = await createUser(t.deps, { locale });
      const petId = await adopt(user);
      for (const type of ['feed', 'play', 'groom']) await api('POST', `/pets/${petId}/interactions`, user, { type });
      t.deps.services.pets.clock.advance(3_600_000);
      for (const type of ['feed', 'play']) await api('POST', `/pets/${petId}/interactions`, user, { type });
      expect((await command(petId, '/evolve', user)).reply.content).toBe(text);
    }
  });

  it('accepts commands other domains register, with their own validation', async () => {
    t.deps.commands.register({
      name: 'echo',
      helpKey: 'chat.commands.help.help',
      usageKey: 'chat.commands.help.usage',
      async run(args) {
        if (!args.length) throw new ChatCommandUsageError('chat.commands.rename.missing');
        // well-formed but refused: the reason alone, no usage line
        if (args[0] === 'no') throw new ChatCommandUsageError('chat.commands.rename.missing', {}, false);
        return { content: args.join(' ') };
      },
    });
    const petId = await adopt();
    expect((await command(petId, '/echo hi there')).reply).toMatchObject({ sender: 'system', content: 'hi there', metadata: { command: 'echo' } });
    expect((await command(petId, '/echo')).reply.content).toBe('Tell me the new name.\nUsage: /help [command]');
    expect((await command(petId, '/echo no')).reply).toMatchObject({ content: 'Tell me the new name.', metadata: { error: true, reason: 'chat.commands.rename.missing' } });
    expect((await command(petId, '/help')).reply.content).toContain('/help [command] — List the commands or explain one');
  });
});
