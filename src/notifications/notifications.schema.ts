import { z } from 'zod';
import { pageQuery } from '../platform/http/http.pagination.js';
import { NOTIFICATION_TYPES, PRIORITIES } from './notifications.types.js';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const listQuery = pageQuery(20, 100).extend({
  unreadOnly: flag.optional(),
  includeArchived: flag.optional(),
  type: z.enum(NOTIFICATION_TYPES).optional(),
  since: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
});

export const idParams = z.object({ id: z.uuid() });

export const notificationView = z.object({
  id: z.string(),
  type: z.string(),
  priority: z.enum(PRIORITIES),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  seenAt: z.string().nullable(),
  readAt: z.string().nullable(),
  archivedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

export const notificationPage = z.object({ items: z.array(notificationView), hasMore: z.boolean(), nextCursor: z.string().nullable() });
export const countsView = z.object({ unread: z.number().int(), unseen: z.number().int() });
export const readAllView = z.object({ updated: z.number().int(), unreadCount: z.number().int() });
export const seenView = z.object({ updated: z.number().int(), unseenCount: z.number().int() });

export const preferencesView = z.object({
  types: z.array(z.object({ type: z.enum(NOTIFICATION_TYPES), muted: z.boolean(), mutable: z.boolean() })),
});
export const preferencesBody = z.strictObject({
  muted: z.partialRecord(z.enum(NOTIFICATION_TYPES), z.boolean()),
});

export const announcementBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(4000),
  priority: z.enum(PRIORITIES).default('normal'),
  expiresInDays: z.number().int().min(1).max(365).optional(),
});
export const announcementView = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  priority: z.enum(PRIORITIES),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
});
