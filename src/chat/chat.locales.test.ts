import { describe, expect, it } from 'vitest';
import { LOCALES, loadCatalogs } from '../platform/i18n/i18n.service.js';
import { CHAT_ERRORS } from './chat.errors.js';
import { PET_ERRORS } from '../pets/pets.errors.js';

function flatten(node: unknown, prefix = ''): Record<string, string> {
  if (typeof node === 'string') return { [prefix]: node };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) Object.assign(out, flatten(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('pets and chat strings', () => {
  const catalogs = loadCatalogs();
  const en = flatten(catalogs.en);
  const ours = Object.keys(en).filter(
    (k) => k.startsWith('pets.') || k.startsWith('chat.') || Object.keys({ ...PET_ERRORS, ...CHAT_ERRORS }).some((code) => k.startsWith(`errors.${code}.`)),
  );

  it('has every error code of both domains in English', () => {
    for (const code of Object.keys({ ...PET_ERRORS, ...CHAT_ERRORS })) {
      expect(en[`errors.${code}.title`]).toBeTruthy();
      expect(en[`errors.${code}.detail`]).toBeTruthy();
    }
  });

  it('translates every key into all eight locales with the same placeholders', () => {
    expect(ours.length).toBeGreaterThan(100);
    for (const locale of LOCALES) {
      const strings = flatten(catalogs[locale]);
      for (const key of ours) {
        expect(strings[key], `${locale}: ${key}`).toBeTruthy();
        expect(placeholders(strings[key]), `${locale}: ${key}`).toEqual(placeholders(en[key]));
      }
    }
  });

  it('is really translated, not English copies', () => {
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      const strings = flatten(catalogs[locale]);
      const copied = ours.filter((k) => strings[k] === en[k] && /[a-z]{4,}/i.test(en[k].replace(/\{\{\w+\}\}|\/\w+/g, '')));
      expect(copied, locale).toEqual([]);
    }
  });
});
