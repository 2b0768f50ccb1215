import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps } from './platform/deps.js';
import { healthRoutes } from './platform/health/health.routes.js';
import { registerAuthConfirmation, registerAuthGuard, type AuthResolver } from './platform/http/http.auth.js';
import { registerBadUrlRoute, rewriteBadUrl } from './platform/http/http.badUrl.js';
import { answerClientError } from './platform/http/http.clientError.js';
import { badUrl, httpError, registerErrorHandling, retryLater, sendProblem } from './platform/http/http.errors.js';
import { corsOptions } from './platform/http/http.cors.js';
import { trustProxyOption } from './platform/http/http.proxy.js';
import { registerShutdownRefusal } from './platform/http/http.shutdown.js';
import { registerNulGuard, strictUtf8Json } from './platform/http/http.text.js';
import { openApiExtras } from './platform/http/http.openapi.js';
import { registerIdempotency } from './platform/http/http.idempotency.js';
import { registerRateLimits } from './platform/http/http.rateLimit.js';
import './platform/http/http.types.js';
import { i18nRoutes } from './platform/i18n/i18n.routes.js';
import { negotiateLocale } from './platform/i18n/i18n.service.js';
import type { DomainModule } from './platform/modules.js';
import { createMetrics, registerMetrics } from './platform/observability/metrics.js';
import { configuredSecrets, logDestination, loggerOptions } from './platform/observability/logger.js';
import { platformModule } from './platform/platform.module.js';
import { domainModules } from './modules.js';

export interface BuildAppOptions {
  /** Serve the domain API routes (false on a worker-only node: health and metrics only). */
  routes?: boolean;
  modules?: DomainModule[];
  /** Test hook: a stream that receives the app's log lines. */
  logStream?: NodeJS.WritableStream;
}

const API_PREFIX = '/api/v1';

/** What every answer says about its request: the language it is in and the request id. */
function describeAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const q = (request.query as Record<string, unknown> | null | undefined)?.lang;
  request.locale = negotiateLocale(typeof q === 'string' ? q : undefined, request.headers['x-locale'] as string | undefined, request.headers['accept-language']);
  reply.header('x-request-id', request.id);
  reply.header('content-language', request.locale);
}

/** Builds the Fastify app: platform plugins first, then every domain module under /api/v1. */
export async function buildApp(deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const modules = options.modules ?? [platformModule, ...domainModules];
  const app = Fastify({
    logger: { ...loggerOptions(config.LOG_LEVEL), stream: logDestination(configuredSecrets(config), options.logStream as DestinationStream | undefined) },
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // refused as problem+json by registerShutdownRefusal instead of Fastify's fixed body
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false } },
    rewriteUrl: rewriteBadUrl,
    // no path parameter is too long for the router (a whole URL fits in Node's 16 KiB of headers): the
    // route's schema refuses it, after the hooks that give every answer its headers
    routerOptions: { maxParamLength: 16 * 1024 },
    clientErrorHandler: answerClientError,
    // what rewriteBadUrl leaves to the router (none of our routes has a constraint that can fail): answered before the onRequest hooks
    frameworkErrors: (error, request, reply) => {
      describeAnswer(request, reply);
      void sendProblem(request, reply, error.code === 'FST_ERR_BAD_URL' ? badUrl() : httpError('bad_request'));
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerNulGuard(app);
  // bodies are JSON (or multipart where a route registers it): text/plain is a 415 like any other type
  app.removeContentTypeParser('text/plain');
  // every JSON body: strict UTF-8, and prototype-polluting keys named as such (a 422, not "malformed")
  strictUtf8Json(app);

  app.decorateRequest('locale', 'en');
  app.addHook('onRequest', async (request, reply) => describeAnswer(request, reply));
  registerShutdownRefusal(app);

  await app.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  await app.register(cors, corsOptions(config.CORS_ORIGINS));
  await app.register(underPressure, {
    maxEventLoopDelay: config.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.MAX_HEAP_USED_BYTES || undefined,
    retryAfter: 10,
    pressureHandler: (request, reply, type, value) => {
      request.log.warn({ type, value }, 'shedding load');
      void sendProblem(request, reply, retryLater('overloaded', 10));
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'StreakPets API', version: '1.0.0', description: 'Raise a pet through daily streaks, chat with it and pay through it.' },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: openApiExtras(app) as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: `${API_PREFIX}/openapi.json` } as never });

  let resolver: AuthResolver | undefined;
  registerAuthGuard(app, deps.tokens, () => resolver);
  await registerRateLimits(app, config, deps.redis);
  registerIdempotency(app, deps.db, config.IDEMPOTENCY_TTL_HOURS);
  registerAuthConfirmation(app);
  if (config.METRICS_ENABLED) registerMetrics(app, createMetrics(deps.metrics, { pool: deps.pool, jobs: deps.jobs }));

  app.get(`${API_PREFIX}/openapi.json`, { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, deps);
  registerBadUrlRoute(app);
  await app.register(async (api) => i18nRoutes(api), { prefix: API_PREFIX });

  for (const module of modules) await module.setup?.(deps);
  resolver = deps.services.authResolver;
  if (options.routes !== false) {
    for (const module of modules) {
      if (module.routes) await app.register(async (api) => module.routes!(api, deps), { prefix: API_PREFIX });
    }
    for (const module of modules) {
      if (module.rootRoutes) await app.register(async (root) => module.rootRoutes!(root, deps));
    }
  }
  return app;
}
