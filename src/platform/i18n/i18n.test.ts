import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';
import { LOCALES, loadCatalogs, localDecimal, negotiateLocale, translate } from './i18n.service.js';

function keys(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

function placeholders(text: unknown): string[] {
  return typeof text === 'string' ? [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort() : [];
}

describe('locale catalogs', () => {
  const catalogs = loadCatalogs();
  const en = keys(catalogs.en);

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has every key en has, with the same placeholders', (locale) => {
    const have = new Set(keys(catalogs[locale]));
    const missing = en.filter((k) => !have.has(k));
    expect(missing).toEqual([]);
    const get = (obj: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], obj);
    for (const key of en) {
      const theirs = placeholders(get(catalogs[locale], key));
      const ours = placeholders(get(catalogs.en, key));
      // a singular plural form may say "one day" instead of "{{count}} day"
      if (/_(one|zero|two)$/.test(key)) expect(ours, `${locale}:${key}`).toEqual(expect.arrayContaining(theirs));
      else expect(theirs, `${locale}:${key}`).toEqual(ours);
    }
  });

  it('has no empty strings', () => {
    for (const locale of LOCALES) {
      const get = (path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], catalogs[locale]);
      for (const key of keys(catalogs[locale])) expect(String(get(key)).trim(), `${locale}:${key}`).not.toBe('');
    }
  });

  it('translates with parameters and falls back to English for unknown locales', () => {
    expect(translate('de', 'errors.rate_limited.detail', { seconds: 7 })).toBe('Langsamer: erneut versuchen in 7 Sekunden.');
    expect(translate('xx', 'errors.forbidden.title')).toBe('Forbidden');
  });
});

describe('decimals in the reader\'s way', () => {
  it('writes decimal strings with the locale\'s separators, digit by digit', () => {
    expect(['en', 'fr', 'de', 'es', 'ja'].map((l) => localDecimal(l, '12345.678901'))).toEqual(['12,345.678901', '12\u202f345,678901', '12.345,678901', '12.345,678901', '12,345.678901']);
    expect(localDecimal('de', '1.5')).toBe('1,5');
    expect(localDecimal('fr', '1000')).toBe('1000');
    expect(localDecimal('en', '123456789012.123456')).toBe('123,456,789,012.123456');
    expect(localDecimal('fr', 'abc')).toBe('abc');
  });

  it('applies to the amount parameters of translated texts only', () => {
    expect(translate('de', 'wallets.chat.invalidAmount', { value: '1.5' })).toContain('„1.5“');
    expect(translate('fr', 'notifications.templates.payment_received.body', { amount: '1234.5', token: 'USDC', counterparty: 'Bob' })).toBe('Vous avez reçu 1234,5 USDC de Bob.');
  });
});

describe('locale negotiation', () => {
  it('prefers ?lang=, then X-Locale, then Accept-Language by quality, then en', () => {
    expect(negotiateLocale('fr', 'de', 'ja')).toBe('fr');
    expect(negotiateLocale(undefined, 'de-AT', 'ja')).toBe('de');
    expect(negotiateLocale('klingon', undefined, 'ko;q=0.9, pt-BR;q=0.8, zh;q=0.9')).toBe('zh');
    expect(negotiateLocale(undefined, undefined, 'xx, yy;q=0.5')).toBe('en');
    expect(negotiateLocale(undefined, undefined, 'ja;q=0, it')).toBe('it');
    expect(negotiateLocale(undefined, undefined, undefined)).toBe('en');
  });
});

describe('i18n routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ work: false, dispatch: false });
  });
  afterAll(async () => t?.close());

  it('lists the 8 locales and says which one was negotiated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/locales', headers: { 'x-locale': 'pt' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-language']).toBe('pt');
    expect(res.json().current).toBe('pt');
    expect(res.json().locales.map((l: { code: string }) => l.code)).toEqual(['en', 'fr', 'es', 'de', 'it', 'pt', 'ja', 'zh']);
  });

  it('serves a locale catalog and 404s an unknown one', async () => {
    const ja = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/translations/ja' });
    expect(ja.statusCode).toBe(200);
    expect(ja.json().errors.forbidden.title).toBe('禁止されています');
    const nope = await t.app.inject({ method: 'GET', url: '/api/v1/i18n/translations/xx?lang=es' });
    expect(nope.statusCode).toBe(404);
    expect(nope.json()).toMatchObject({ code: 'not_found', title: 'No encontrado', detail: 'No se encontró locale xx.' });
  });
});
