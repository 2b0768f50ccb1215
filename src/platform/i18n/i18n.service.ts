import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n } from 'i18next';

export const LOCALES = ['en', 'fr', 'es', 'de', 'it', 'pt', 'ja', 'zh'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
export const LOCALES_DIR = fileURLToPath(new URL('../../../locales/', import.meta.url));

export const LOCALE_NAMES: Record<Locale, { name: string; nativeName: string }> = {
  en: { name: 'English', nativeName: 'English' },
  fr: { name: 'French', nativeName: 'Français' },
  es: { name: 'Spanish', nativeName: 'Español' },
  de: { name: 'German', nativeName: 'Deutsch' },
  it: { name: 'Italian', nativeName: 'Italiano' },
  pt: { name: 'Portuguese', nativeName: 'Português' },
  ja: { name: 'Japanese', nativeName: '日本語' },
  zh: { name: 'Chinese', nativeName: '中文' },
};

type Catalog = Record<string, unknown>;

/** Reads every locale file once; the catalogs are the single source for server and web strings. */
export function loadCatalogs(dir = LOCALES_DIR): Record<Locale, Catalog> {
  const files = new Set(readdirSync(dir));
  const out = {} as Record<Locale, Catalog>;
  for (const locale of LOCALES) {
    if (!files.has(`${locale}.json`)) throw new Error(`locales/${locale}.json is missing`);
    out[locale] = JSON.parse(readFileSync(`${dir}/${locale}.json`, 'utf8')) as Catalog;
  }
  return out;
}

let instance: i18n | null = null;
let catalogs: Record<Locale, Catalog> | null = null;

function ensure(): i18n {
  if (instance) return instance;
  catalogs = loadCatalogs();
  instance = i18next.createInstance();
  void instance.init({
    initImmediate: false,
    resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: catalogs![l] }])),
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  } as Parameters<i18n['init']>[0]);
  return instance;
}

/** Parameters that carry a decimal string (an amount, a fee, a balance, a limit): written the reader's way. */
const DECIMAL_PARAMS = new Set(['amount', 'fee', 'gas', 'available', 'remaining', 'limit']);
const separators = new Map<string, { group: string; decimal: string }>();

/**
 * A decimal string ("1234.5") as the locale writes it ("1 234,5" in French, "1.234,5" in German),
 * by its digits alone: amounts are exact decimals and never pass through a float.
 */
export function localDecimal(locale: string, value: string): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return value;
  let sep = separators.get(locale);
  if (!sep) {
    const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
    sep = { group: parts.find((p) => p.type === 'group')?.value ?? ',', decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.' };
    separators.set(locale, sep);
  }
  const whole = m[1].length > 4 ? m[1].replace(/\B(?=(\d{3})+(?!\d))/g, sep.group) : m[1];
  return m[2] ? `${whole}${sep.decimal}${m[2]}` : whole;
}

/** Translates key into locale, falling back to English; decimal parameters are written the locale's way (localDecimal). */
export function translate(locale: string, key: string, params: Record<string, unknown> = {}): string {
  const local: Record<string, unknown> = { ...params };
  for (const name of DECIMAL_PARAMS) if (typeof local[name] === 'string') local[name] = localDecimal(locale, local[name] as string);
  return ensure().t(key, { lng: locale, ...local }) as string;
}

/** Whether the catalogs hold a key (every locale holds the same keys). */
export function hasTranslation(key: string): boolean {
  return ensure().exists(key, { lng: DEFAULT_LOCALE });
}

/** The raw catalog for one locale (served to the web app). */
export function catalogFor(locale: Locale): Catalog {
  ensure();
  return catalogs![locale];
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function match(tag: string): Locale | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : null;
}

/** Picks the response locale: ?lang=, then X-Locale, then Accept-Language (by q), then English. */
export function negotiateLocale(query: string | undefined, header: string | undefined, acceptLanguage: string | undefined): Locale {
  for (const candidate of [query, header]) {
    const m = candidate ? match(candidate) : null;
    if (m) return m;
  }
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, index) => {
        const [tag, ...params] = part.split(';');
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
        const quality = q ? Number(q.slice(2)) : 1;
        return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, index };
      })
      .filter((r) => r.quality > 0 && r.tag)
      .sort((a, b) => b.quality - a.quality || a.index - b.index);
    for (const r of ranked) {
      const m = match(r.tag);
      if (m) return m;
    }
  }
  return DEFAULT_LOCALE;
}
