import type { FastifyInstance } from 'fastify';

interface Operation {
  parameters?: Array<Record<string, unknown>>;
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
}

/** What every error answers (problemBody): RFC 9457 problem details with a stable code. */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; title and detail in the negotiated language.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable, machine-readable error code.' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
    },
  },
};

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Makes a retry safe: the same key with the same body answers the first response again (for IDEMPOTENCY_TTL_HOURS, 24 by default); with another body, 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);

/**
 * The OpenAPI document's parts the zod schemas cannot say: the Idempotency-Key header of the routes
 * that take one (config.idempotent, collected as routes register) and the problem+json every error
 * answers. Returns swagger's transformObject; call it before any route is registered.
 */
export function openApiExtras(app: FastifyInstance): (input: { openapiObject: Partial<OpenApiDocument> }) => Partial<OpenApiDocument> {
  const idempotent = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    for (const method of [route.method].flat()) idempotent.add(`${method.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  return ({ openapiObject }) => {
    openapiObject.components = { ...openapiObject.components, schemas: { ...openapiObject.components?.schemas, Problem: PROBLEM_SCHEMA } };
    for (const [path, operations] of Object.entries(openapiObject.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!METHODS.has(method)) continue;
        operation.responses = {
          ...operation.responses,
          default: { description: 'An error, as problem+json', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        };
        if (idempotent.has(`${method} ${path}`)) operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY];
      }
    }
    return openapiObject;
  };
}
