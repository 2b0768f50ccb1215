import { z } from 'zod';
import { pageQuery, queryInt } from '../platform/http/http.pagination.js';
import { timeZoneName } from '../platform/http/http.timezone.js';
import { ACTIVITY_CATEGORIES } from './activity.tables.js';

/**
 * Categories a client may file its own events under. auth, wallet, purchase and system hold what only the
 * server records (sign-ins, password and 2FA changes, money, notifications and announcements): a client
 * event there (`client.auth.password_changed` under System) would read like a security or money event.
 */
export const CLIENT_CATEGORIES = ['pet', 'social'] as const;
export type ClientCategory = (typeof CLIENT_CATEGORIES)[number];

const filters = {
  category: z.enum(ACTIVITY_CATEGORIES).optional(),
  action: z.string().min(1).max(80).optional(),
  petId: z.uuid().optional(),
  days: queryInt(1, 366).optional(),
  since: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
  userId: z.uuid().optional(),
};

export const listQuery = pageQuery(50, 100).extend(filters);
export const exportQuery = z.object({ ...filters, format: z.enum(['csv', 'json']).default('csv') });
export const statsQuery = z.object({
  days: queryInt(1, 366).default(30),
  userId: z.uuid().optional(),
  timeZone: timeZoneName.optional().describe('IANA time zone the days and hours are counted in; default: the time zone of the user whose log it is'),
});

export const clientEventBody = z.strictObject({
  action: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'validation.action_name'),
  category: z.enum(CLIENT_CATEGORIES),
  petId: z.uuid().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
});

export const activityView = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  petId: z.string().nullable(),
  action: z.string(),
  category: z.enum(ACTIVITY_CATEGORIES),
  source: z.enum(['server', 'client']),
  details: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  timestamp: z.string(),
});

export const activityPage = z.object({ items: z.array(activityView), hasMore: z.boolean(), nextCursor: z.string().nullable() });
export const statsView = z.object({
  days: z.number().int(),
  total: z.number().int(),
  byCategory: z.record(z.string(), z.number().int()),
  recent: z.array(activityView),
  timeZone: z.string().describe('the IANA time zone of `daily` dates and `topHours` hours'),
  daily: z.array(z.object({ date: z.string(), count: z.number().int() })),
  topHours: z.array(z.object({ hour: z.number().int(), count: z.number().int() })),
});
export const acceptedView = z.object({ accepted: z.literal(true), id: z.string() });
