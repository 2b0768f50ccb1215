import { z } from 'zod';
import type { Locale } from '../i18n/i18n.service.js';
import { hasTranslation, translate } from '../i18n/i18n.service.js';
import type { FieldProblem } from './http.errors.js';

/** A zod issue as fastify-type-provider-zod reports it: its code plus its parameters (minimum, format…). */
export type ValidationIssue = Record<string, unknown> & { code: string };

type LocaleError = (issue: never) => string | { message: string } | undefined | null;

const ZOD_LOCALES: Record<Locale, () => { localeError: LocaleError }> = {
  en: z.locales.en,
  de: z.locales.de,
  es: z.locales.es,
  fr: z.locales.fr,
  it: z.locales.it,
  ja: z.locales.ja,
  pt: z.locales.pt,
  zh: z.locales.zhCN,
};

const cache = new Map<Locale, LocaleError>();
function zodError(locale: Locale): LocaleError {
  let error = cache.get(locale);
  if (!error) cache.set(locale, (error = ZOD_LOCALES[locale]().localeError));
  return error;
}

/** A value of the type zod named as received ("…, received number"): the issue reaches us without its input. */
const RECEIVED: Record<string, unknown> = { number: 0, string: '', boolean: false, array: [], object: {}, null: null, undefined, bigint: 0n, nan: Number.NaN };

function zodMessage(locale: Locale, issue: ValidationIssue, message: string): string | null {
  if (issue.code === 'custom') return null;
  const received = /received (\w+)$/.exec(message)?.[1];
  const full = received && received in RECEIVED ? { ...issue, input: RECEIVED[received] } : issue;
  const told = (raw: ReturnType<LocaleError>) => (typeof raw === 'string' ? raw : (raw?.message ?? null));
  // only zod's own wording is re-told: a schema's custom message stays as written
  if (told(zodError('en')(full as never)) !== message) return null;
  return told(zodError(locale)(full as never));
}

/**
 * A field problem in the reader's language: a message that is a catalog key (`validation.…`) is
 * translated with the problem's params; an empty required text gets the catalog's "required"; other
 * zod issues are told by zod's own locale; anything else is sent as written.
 */
export function localizeField(locale: Locale, problem: FieldProblem): { field: string; message: string; code?: string } {
  const { issue, params, ...out } = problem;
  if (problem.message.startsWith('validation.') && hasTranslation(problem.message)) return { ...out, message: translate(locale, problem.message, params) };
  if (!issue) return out;
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) return { ...out, message: translate(locale, 'validation.required') };
  return { ...out, message: zodMessage(locale, issue, problem.message) ?? problem.message };
}
