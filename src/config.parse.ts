import { z } from 'zod';

/** The origin a browser sends for this entry, when the entry is exactly one (scheme://host[:port], lower case, no default port, no path). */
function asOrigin(entry: string): string | null {
  try {
    const url = new URL(entry);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry ? entry : null;
  } catch {
    return null;
  }
}

/** A comma-separated list of browser origins (CORS_ORIGINS): each entry must be an origin exactly as browsers send it. */
export const originList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const entries = value.split(',').map((o) => o.trim()).filter(Boolean);
    const wrong = entries.find((entry) => !asOrigin(entry));
    if (wrong !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${wrong}" is not an origin (scheme://host[:port], no path, e.g. https://app.example.com)` });
      return z.NEVER;
    }
    return entries;
  });
