import type { FastifyInstance } from 'fastify';
import { httpError } from './http.errors.js';

const MAX_DEPTH = 64;

/** The first field (as body.memo, query.to) whose name or value holds U+0000, or null. */
function nulField(path: string, value: unknown, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  for (const [key, inner] of Object.entries(value)) {
    const field = `${path}.${key}`;
    if (key.includes('\u0000')) return field;
    const found = nulField(field, inner, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a request carrying it anywhere (body, query, path)
 * is refused with 422 naming the field, before any route sees it, rather than failing at the database.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field = nulField('body', request.body) ?? nulField('query', request.query) ?? nulField('params', request.params);
    if (field) throw httpError('validation_failed', {}, [{ field, message: 'must not contain the NUL character (U+0000)', code: 'invalid_string' }]);
  });
}
