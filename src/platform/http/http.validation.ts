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
const RECEIVED: Record<string, unknown> = { number: 0, string: '', boolean: false, array: [], object: {}, null: null, undefined, bigint: 0n, NaN: Number.NaN };

const told = (raw: ReturnType<LocaleError>) => (typeof raw === 'string' ? raw : (raw?.message ?? null));

/** The issue with its input's type put back (from "…, received number"), which zod's wording needs. */
function withInput(issue: ValidationIssue, message: string): ValidationIssue {
  const received = /received (\w+)$/.exec(message)?.[1];
  return received && received in RECEIVED ? { ...issue, input: RECEIVED[received] } : issue;
}

/** Whether the message is zod's own English wording of the issue, not a schema's custom message (sent as written). */
function isZodWording(issue: ValidationIssue, message: string): boolean {
  return issue.code !== 'custom' && told(zodError('en')(withInput(issue, message) as never)) === message;
}

/**
 * A field problem in the reader's language: a message that is a catalog key (`validation.…`) is
 * translated with the problem's params; an empty required text gets the catalog's "required", a text
 * too short or too long the catalog's length rule; other zod issues are told by zod's own locale;
 * anything else is sent as written.
 */
export function localizeField(locale: Locale, problem: FieldProblem): { field: string; message: string; code?: string } {
  const { issue, params, ...out } = problem;
  if (problem.message.startsWith('validation.') && hasTranslation(problem.message)) return { ...out, message: translate(locale, problem.message, params) };
  if (!issue || !isZodWording(issue, problem.message)) return out;
  if (issue.origin === 'string' && typeof issue.minimum === 'number' && issue.code === 'too_small') {
    return { ...out, message: issue.minimum === 1 ? translate(locale, 'validation.required') : translate(locale, 'validation.too_short_chars', { min: issue.minimum }) };
  }
  if (issue.origin === 'string' && typeof issue.maximum === 'number' && issue.code === 'too_big') return { ...out, message: translate(locale, 'validation.too_long_chars', { max: issue.maximum }) };
  return { ...out, message: told(zodError(locale)(withInput(issue, problem.message) as never)) ?? problem.message };
}
