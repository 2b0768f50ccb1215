import { z } from 'zod';
import { pageQuery } from '../platform/http/http.pagination.js';
import { hasForbiddenControls, hasVisibleText, isWellFormedText, normalizeLineBreaks } from '../platform/http/http.text.js';

export const MAX_MESSAGE_CHARS = 2000;

/**
 * 1–2000 characters after trimming, not only invisible ones; well-formed Unicode; no control characters
 * except \n and \t. \r\n, \r, U+0085, U+2028 and U+2029 are line breaks: stored as \n.
 */
export const messageContent = z
  .string()
  .transform((s) => normalizeLineBreaks(s).trim())
  .superRefine((s, ctx) => {
    const length = [...s].length;
    if (length === 0 || !hasVisibleText(s)) ctx.addIssue({ code: 'custom', message: 'validation.not_empty' });
    else if (length > MAX_MESSAGE_CHARS) ctx.addIssue({ code: 'custom', message: 'validation.too_long_chars', params: { max: MAX_MESSAGE_CHARS } });
    if (!isWellFormedText(s)) ctx.addIssue({ code: 'custom', message: 'validation.well_formed' });
    if (hasForbiddenControls(s)) ctx.addIssue({ code: 'custom', message: 'validation.no_controls' });
  });

export const petIdParams = z.object({ petId: z.uuid() });
export const exportMessagesQuery = z.object({ format: z.enum(['json', 'csv']).default('json') });
export const messageParams = z.object({ petId: z.uuid(), id: z.uuid() });
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listMessagesQuery = z.object({
  ...pageQuery().shape,
  unreadOnly: flag.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  q: z.string().trim().min(1).max(200).optional(),
});
export const postMessageBody = z.strictObject({ content: messageContent });
export const readBody = z.union([
  z.strictObject({ messageIds: z.array(z.uuid()).min(1).max(500) }),
  z.strictObject({ all: z.literal(true) }),
]);
export const deleteAllQuery = z.object({ all: flag.optional() });

export const messageView = z.object({
  id: z.string(),
  petId: z.string(),
  sender: z.enum(['user', 'pet', 'system']),
  content: z.string(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});
export const messagePage = z.object({
  messages: z.array(messageView),
  total: z.number().int(),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});
export const exchangeView = z.object({ message: messageView, reply: messageView });
export const unreadView = z.object({
  pets: z.array(z.object({ petId: z.string(), name: z.string(), unread: z.number().int() })),
  total: z.number().int(),
});
