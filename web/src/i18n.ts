import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setApiLocale } from './api';

export const LOCALES = ['en', 'fr', 'es', 'de', 'it', 'pt', 'ja', 'zh'] as const;
export type Locale = (typeof LOCALES)[number];
export const NATIVE_NAMES: Record<Locale, string> = {
  en: 'English',
  fr: 'Français',
  es: 'Español',
  de: 'Deutsch',
  it: 'Italiano',
  pt: 'Português',
  ja: '日本語',
  zh: '中文',
};
const LOCALE_KEY = 'streakpets.locale';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The locale to start in: the saved choice, then the browser's languages, then English. */
export function initialLocale(): Locale {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (isLocale(saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLocale(primary)) return primary;
  }
  return 'en';
}

const loaded = new Set<string>();

/** Fetches one locale's catalog from the API and adds its "web" and "errors" namespaces. */
async function loadCatalog(locale: Locale): Promise<void> {
  if (loaded.has(locale)) return;
  const res = await fetch(`/api/v1/i18n/translations/${locale}`);
  if (!res.ok) throw new Error(`translations for ${locale}: HTTP ${res.status}`);
  const catalog = (await res.json()) as Record<string, Record<string, unknown>>;
  i18next.addResourceBundle(locale, 'web', catalog.web ?? {}, true, true);
  i18next.addResourceBundle(locale, 'errors', catalog.errors ?? {}, true, true);
  loaded.add(locale);
}

/** Starts i18next with the chosen locale (and English as the fallback) loaded from the server. */
export async function initI18n(): Promise<void> {
  const locale = initialLocale();
  await i18next.use(initReactI18next).init({
    lng: locale,
    fallbackLng: 'en',
    supportedLngs: [...LOCALES],
    ns: ['web', 'errors'],
    defaultNS: 'web',
    resources: {},
    interpolation: { escapeValue: false },
    returnNull: false,
    react: { useSuspense: false },
  } as Parameters<typeof i18next.init>[0]);
  await Promise.all([loadCatalog('en'), locale !== 'en' ? loadCatalog(locale) : Promise.resolve()]);
  applyLocale(locale);
}

function applyLocale(locale: Locale): void {
  setApiLocale(locale);
  document.documentElement.lang = locale;
  localStorage.setItem(LOCALE_KEY, locale);
}

/** Switches the UI language (loads the catalog first so nothing flashes in English). */
export async function switchLocale(locale: Locale): Promise<void> {
  await loadCatalog(locale);
  applyLocale(locale);
  await i18next.changeLanguage(locale);
}

export function currentLocale(): Locale {
  return isLocale(i18next.language) ? i18next.language : 'en';
}

export { i18next };
