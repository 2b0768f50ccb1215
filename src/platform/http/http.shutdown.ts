import type { FastifyInstance } from 'fastify';
import { retryLater, sendProblem } from './http.errors.js';

/** Seconds a client refused during shutdown is told to wait (another node, or this one restarted, takes it). */
const SHUTDOWN_RETRY_SECONDS = 1;

/**
 * While the app closes (SIGTERM drain), requests already running finish and a new one, arriving on a
 * connection that is still open, is refused with 503 problem+json `shutting_down` and Retry-After.
 * Fastify's own refusal (return503OnClosing) is a fixed plain JSON body, so it is turned off and this
 * hook answers instead; Fastify still sends `Connection: close` with it. Register after the locale hook.
 */
export function registerShutdownRefusal(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (closing) return sendProblem(request, reply, retryLater('shutting_down', SHUTDOWN_RETRY_SECONDS));
  });
}
