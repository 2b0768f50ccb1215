import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';
import type { AuthResolver } from './http/http.auth.js';

/** Domain services, one entry per domain; each domain adds its own through declaration merging. */
export interface Services {
  /** Filled by the accounts domain: confirms a token's user and session are still live. */
  authResolver?: AuthResolver;
  /**
   * Filled by the accounts domain: calls back, on every node, with the users the database says changed
   * (disabled, deleted, given another role or 2FA state), whoever changed them.
   */
  watchUsers?: (onChange: (userIds: string[] | 'everyone') => void) => void;
}

/** What a domain plugs into the app: services, jobs and subscribers in setup; HTTP routes under /api/v1. */
export interface DomainModule {
  name: string;
  /** Creates the domain's service (stored in deps.services), registers its jobs, subscribers and chat commands. */
  setup?(deps: AppDeps): void | Promise<void>;
  /** Registers the domain's routes; called under the /api/v1 prefix. */
  routes?(app: FastifyInstance, deps: AppDeps): void | Promise<void>;
  /** Registers routes outside /api/v1 (the web app's pages and assets); called after every module's routes. */
  rootRoutes?(app: FastifyInstance, deps: AppDeps): void | Promise<void>;
}
