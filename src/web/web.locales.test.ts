import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NAME_ACTIONS } from '../../web/src/basenames.js';
import { LOGIN_METHODS, LOGIN_REASONS } from '../../web/src/logins.js';
import { NOTIFICATION_TYPES } from '../notifications/notifications.types.js';
import { LOCALES, loadCatalogs } from '../platform/i18n/i18n.service.js';

/** Every domain event type in the shared catalog, so each activity-log action has a localized label. */
const EVENT_TYPES = [
  ...readFileSync(fileURLToPath(new URL('../platform/events/events.catalog.ts', import.meta.url)), 'utf8').matchAll(/^\s+'([a-z0-9_]+\.[a-z0-9_]+)':/gm),
].map((m) => m[1]);

const WEB_SRC = fileURLToPath(new URL('../../web/src/', import.meta.url));
type Tree = Record<string, unknown>;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.tsx?$/.test(name) ? [full] : [];
  });
}

function lookup(tree: Tree, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Tree)[part] : undefined), tree);
}

function has(tree: Tree, key: string): boolean {
  if (typeof lookup(tree, key) === 'string') return true;
  return typeof lookup(tree, `${key}_one`) === 'string' && typeof lookup(tree, `${key}_other`) === 'string';
}

function leaves(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (v && typeof v === 'object' ? leaves(v as Tree, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

const sources = files(WEB_SRC).map((f) => readFileSync(f, 'utf8'));
const staticKeys = [...new Set(sources.flatMap((s) => [...s.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g), ...s.matchAll(/key: '([a-zA-Z0-9_.]+)'/g)].map((m) => m[1])))];
const catalogs = loadCatalogs();

/** Keys built at run time from a known list: every member must have a string. */
const DYNAMIC: Record<string, readonly string[]> = {
  stages: ['egg', 'baby', 'child', 'teen', 'adult', 'unicorn'],
  moods: ['ecstatic', 'happy', 'content', 'hungry', 'tired', 'sad', 'sick'],
  moodLines: ['ecstatic', 'happy', 'content', 'hungry', 'tired', 'sad', 'sick'],
  'pet.actions': ['feed', 'play', 'groom'],
  txStatus: ['queued', 'pending', 'confirmed', 'failed'],
  intentStatus: ['created', 'funded', 'executed', 'cancelled', 'expired'],
  categories: ['auth', 'pet', 'wallet', 'social', 'purchase', 'system'],
  priority: ['low', 'normal', 'high', 'urgent'],
  'wallet.tabs': ['overview', 'requests', 'names'],
  'chat.sender': ['user', 'pet', 'system'],
  'wallet.nameReason': ['invalid', 'reserved', 'taken'],
  'wallet.nameAction': NAME_ACTIONS,
  'pet.req': ['xp', 'ageDays', 'health', 'longestStreak'],
  'settings.loginReason': LOGIN_REASONS,
  'settings.loginMethod': LOGIN_METHODS,
  settings: ['loginOk', 'loginCodeAsked', 'loginFailed'],
  actions: EVENT_TYPES.map((type) => type.replace(/\./g, '_')).filter((a) => a !== 'chat_typing'),
  titles: ['pet', 'chat', 'wallet', 'notifications', 'activity', 'settings', 'signin', 'signup', 'forgot-password', 'reset-password', 'verify-email'],
};

describe('web app strings', () => {
  it('finds the keys the screens use and the event types the log records', () => {
    expect(staticKeys.length).toBeGreaterThan(200);
    expect(EVENT_TYPES).toEqual(expect.arrayContaining(['auth.registered', 'pet.interacted', 'transfer.confirmed', 'system.announcement']));
  });

  for (const locale of LOCALES) {
    it(`${locale} has every key the web app uses, and every key English has`, () => {
      const web = catalogs[locale].web as Tree;
      expect(web, `locales/${locale}.json has no "web" namespace`).toBeTypeOf('object');
      const missing = staticKeys.filter((k) => !has(web, k));
      for (const [prefix, members] of Object.entries(DYNAMIC)) for (const m of members) if (!has(web, `${prefix}.${m}`)) missing.push(`${prefix}.${m}`);
      const english = leaves(catalogs.en.web as Tree);
      const absent = english.filter((k) => typeof lookup(web, k) !== 'string');
      expect(missing, 'keys used by web/src').toEqual([]);
      expect(absent, 'keys English has').toEqual([]);
    });
  }

  it('lists every slash command and notification type the server knows in every locale', () => {
    const chat = readFileSync(path.join(WEB_SRC, 'screens/Chat.tsx'), 'utf8');
    const commands = /COMMANDS = \[([^\]]+)\]/.exec(chat)![1].match(/'([a-z]+)'/g)!.map((s) => s.slice(1, -1));
    // the preferences screen lists the types the server's preferences answer names: all of these
    const types = NOTIFICATION_TYPES;
    expect(types).toContain('payment_request');
    for (const locale of LOCALES) {
      const web = catalogs[locale].web as Tree;
      for (const c of commands) {
        expect(has(web, `chat.commands.${c}.usage`), `${locale} /${c}`).toBe(true);
        expect(has(web, `chat.commands.${c}.help`), `${locale} /${c}`).toBe(true);
      }
      for (const type of types) expect(has(web, `notificationTypes.${type}`), `${locale} ${type}`).toBe(true);
    }
  });
});
