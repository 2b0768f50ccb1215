import { describe, expect, it } from 'vitest';
import { LOCALES, loadCatalogs } from '../platform/i18n/i18n.service.js';
import { ACCOUNTS_ERRORS } from './accounts.errors.js';

const catalogs = loadCatalogs();

function leaves(obj: unknown, prefix = ''): Record<string, string> {
  if (typeof obj === 'string') return { [prefix]: obj };
  return Object.fromEntries(Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => Object.entries(leaves(v, prefix ? `${prefix}.${k}` : k))));
}
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('accounts texts in every locale', () => {
  const en = { ...leaves((catalogs.en as Record<string, unknown>).accounts, 'accounts'), ...leaves((catalogs.en as Record<string, unknown>).validation, 'validation') };
  for (const code of Object.keys(ACCOUNTS_ERRORS)) {
    const entry = (catalogs.en.errors as Record<string, Record<string, string>>)[code];
    en[`errors.${code}.title`] = entry?.title;
    en[`errors.${code}.detail`] = entry?.detail;
  }

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has every key with the same placeholders, translated', (locale) => {
    const catalog = catalogs[locale] as Record<string, unknown>;
    const all = { ...leaves(catalog.accounts, 'accounts'), ...leaves(catalog.validation, 'validation'), ...leaves({ errors: catalog.errors }) };
    for (const [key, text] of Object.entries(en)) {
      expect(text, `en ${key}`).toBeTruthy();
      expect(all[key], `${locale} ${key}`).toBeTruthy();
      expect(placeholders(all[key]), `${locale} ${key}`).toEqual(placeholders(text));
    }
    const same = Object.keys(en).filter((k) => k.endsWith('detail') && all[k] === en[k]);
    expect(same, `${locale} copies English`).toEqual([]);
  });
});
