import { z } from 'zod';
import { fitsLength, hasVisibleText, isCleanText, isPrintableLine, NAME_CODE_POINTS_PER_CHARACTER, PRINTABLE_LINE_MESSAGE } from '../platform/http/http.text.js';
import { LOCALES } from '../platform/i18n/i18n.service.js';
import { isCountryCode } from './accounts.country.js';
import { PASSWORD_MAX_LENGTH } from './accounts.passwords.js';
import { timeZoneName } from '../platform/http/http.timezone.js';

/** zod's email rule with the local part held to RFC 5321's 64 characters (and the whole address to 254). */
const EMAIL_PATTERN = new RegExp(`^(?=[^@]{1,64}@)${z.regexes.email.source.slice(1)}`, z.regexes.email.flags);
export const email = z.email({ pattern: EMAIL_PATTERN }).max(254);
export const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'validation.phone');
/** Length and commonness are checked by the service (to give one clear weak_password answer). */
// a cheap cap before hashing; the service answers 129 to 512 characters with password_too_long
const password = z.string().min(1).refine((s) => s.length <= PASSWORD_MAX_LENGTH * 4, { message: 'validation.too_long_chars', params: { max: PASSWORD_MAX_LENGTH }, abort: true });
const totpCode = z.string().regex(/^\d{6}$/, 'validation.six_digits');
const recoveryCode = z.string().min(8).max(32);
const locale = z.enum(LOCALES);
const NAME_MAX = 100;
/** A person's display name: one printable line (the same rule as a pet's name). */
// an empty name gets one problem ("required"), not also "must not be empty"
export const personName = z.string().trim().min(1, { abort: true })
  .refine((s) => fitsLength(s, NAME_MAX), { message: 'validation.too_long_chars', params: { max: NAME_MAX } })
  .refine(hasVisibleText, { message: 'validation.not_empty' }).refine(isPrintableLine, { message: PRINTABLE_LINE_MESSAGE })
  .describe(`one printable line of 1–${NAME_MAX} user-perceived characters (graphemes), at most ${NAME_MAX * NAME_CODE_POINTS_PER_CHARACTER} code points`);

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role: z.enum(['user', 'admin']),
  locale: z.string(),
  timezone: z.string(),
  preferences: z.record(z.string(), z.unknown()),
  emailVerified: z.boolean(),
  phoneVerified: z.boolean(),
  twoFactorEnabled: z.boolean(),
  kycStatus: z.enum(['none', 'pending', 'verified', 'rejected']),
  createdAt: z.string(),
});

const tokenFields = {
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
};
export const tokensSchema = z.object(tokenFields);
export const authResultSchema = z.object({ user: userSchema, ...tokenFields });

/** An IANA time zone (Europe/Paris), never a numeric offset: the user's streak days start at its midnight. */
const timezone = timeZoneName;

export const registerBody = z.strictObject({
  email,
  password,
  name: personName,
  phone: phone.optional(),
  locale: locale.optional(),
  timezone: timezone.optional(),
});

export const loginBody = z
  .strictObject({
    email: email.optional(),
    phone: phone.optional(),
    password,
    totpCode: totpCode.optional(),
    recoveryCode: recoveryCode.optional(),
  })
  .refine((b) => (b.email === undefined) !== (b.phone === undefined), { message: 'validation.email_or_phone', path: ['email'] });

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });
export const enableTwoFactorBody = z.strictObject({ code: totpCode, currentPassword: password });
export const disableBody = z
  .strictObject({ code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'validation.code_or_recovery', path: ['code'] });
export const tokenBody = z.strictObject({ token: z.string().min(1).max(200) });
export const forgotBody = z.strictObject({ email });
export const resetBody = z.strictObject({ token: z.string().min(1).max(200), password });
export const smsSendBody = z.strictObject({ phone });
export const smsVerifyBody = z.strictObject({ phone, code: z.string().regex(/^\d{6}$/, 'validation.six_digits') });

/** The most a user's preferences may weigh, as JSON: checked on the patch and again on the merged result. */
export const PREFERENCES_MAX_BYTES = 4096;

/** The size of preferences as UTF-8 JSON. */
export function preferencesBytes(preferences: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(preferences));
}

export const patchMeBody = z
  .strictObject({
    name: personName.optional(),
    locale: locale.optional(),
    timezone: timezone.optional(),
    preferences: z
      .record(z.string().max(64), z.unknown())
      .refine((p) => preferencesBytes(p) <= PREFERENCES_MAX_BYTES, { message: 'validation.preferences_size', params: { kb: PREFERENCES_MAX_BYTES / 1024 } })
      .optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'validation.nothing_to_change' });

export const sessionSchema = z.object({
  id: z.uuid(),
  current: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** A readable name of the device ("Firefox on Linux"), from the user agent. */
  device: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
});

export const loginEntrySchema = z.object({
  id: z.uuid(),
  at: z.string(),
  success: z.boolean(),
  method: z.string().nullable(),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device: z.string().nullable(),
});

export const changePasswordBody = z.strictObject({ currentPassword: password, newPassword: password });

/** The oldest date of birth accepted, in years before today. */
const DATE_OF_BIRTH_MAX_YEARS = 130;
const isoDate = (d: Date) => d.toISOString().slice(0, 10);
function yearsAgo(years: number): Date {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d;
}

export const kycBody = z.strictObject({
  fullName: z.string().trim().min(2).max(200).refine(isPrintableLine, { message: PRINTABLE_LINE_MESSAGE }),
  dateOfBirth: z.iso
    .date({ abort: true })
    // the latest date anywhere on Earth (UTC+14) is not yet the future for someone born there
    .refine((d) => d <= isoDate(new Date(Date.now() + 14 * 3_600_000)), { message: 'validation.date_future' })
    .refine((d) => d >= isoDate(yearsAgo(DATE_OF_BIRTH_MAX_YEARS)), { message: 'validation.date_within_years', params: { years: DATE_OF_BIRTH_MAX_YEARS } }),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: 'validation.country_code', abort: true })
    .refine(isCountryCode, { message: 'validation.country_unknown' })
    .describe('ISO 3166-1 alpha-2 code of a country (assigned codes, and XK for Kosovo)'),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z.string().trim().min(3).max(64).refine(isPrintableLine, { message: PRINTABLE_LINE_MESSAGE }),
});

export const kycDecisionBody = z.strictObject({
  status: z.enum(['verified', 'rejected']),
  reason: z.string().max(500).refine(isCleanText, { message: 'validation.no_controls' }).optional(),
});

export const idParams = z.strictObject({ id: z.uuid() });
export const acceptedSchema = z.object({ status: z.literal('accepted') });

export const changeEmailBody = z.strictObject({ newEmail: email, currentPassword: password, totpCode: totpCode.optional() });
export const confirmEmailChangeBody = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'validation.six_digits') });
export const deleteAccountBody = z.strictObject({ currentPassword: password, totpCode: totpCode.optional() });
