import type { AppDeps } from '../platform/deps.js';
import type { DomainModule } from '../platform/modules.js';
import { adminUsersRoutes } from './accounts.adminusers.routes.js';
import { AdminUsersService } from './accounts.adminusers.service.js';
import { SecretBox } from './accounts.crypto.js';
import { AccountDeletionService } from './accounts.deletion.service.js';
import { devOutboxRoutes } from './accounts.dev.routes.js';
import { PURGE_JOB, purgeExpired } from './accounts.housekeeping.js';
import { lifecycleRoutes } from './accounts.lifecycle.routes.js';
import { meRoutes } from './accounts.me.routes.js';
import { EmailChangeService } from './accounts.email.service.js';
import { DELIVER_MESSAGE_JOB, DevOutboxSmsProvider, Mailer, Messages, devOutboxEnabled, type SmsProvider } from './accounts.messages.js';
import { ProfileService } from './accounts.profile.service.js';
import { authRoutes } from './accounts.routes.js';
import { LiveSessions } from './accounts.liveness.js';
import { AccountsService } from './accounts.service.js';
import { TwoFactorService } from './accounts.twofactor.service.js';
import { VerificationService } from './accounts.verification.service.js';

export interface AccountsModuleServices {
  accounts: AccountsService;
  twoFactor: TwoFactorService;
  verification: VerificationService;
  profile: ProfileService;
  messages: Messages;
  mailer: Mailer;
  liveSessions: LiveSessions;
  adminUsers: AdminUsersService;
  emailChange: EmailChangeService;
  deletion: AccountDeletionService;
}

declare module '../platform/modules.js' {
  interface Services {
    /** Users by id or email for other domains; sign-up and sign-in. */
    accounts: AccountsService;
    accountsModule: AccountsModuleServices;
  }
}

/** Builds the accounts services on deps; the SMS provider defaults to the dev outbox. */
export function createAccountsServices(deps: AppDeps, sms: SmsProvider = new DevOutboxSmsProvider()): AccountsModuleServices {
  const totpBox = new SecretBox(deps.infra.walletMasterKey, 'totp');
  const mailer = new Mailer(deps.config);
  const messages = new Messages(deps.db, deps.jobs, mailer, sms, deps.logger.child({ component: 'messages' }));
  const liveSessions = new LiveSessions(deps.notify);
  const verification = new VerificationService(deps, messages, liveSessions);
  const accounts = new AccountsService(deps, totpBox, verification, liveSessions);
  const twoFactor = new TwoFactorService(deps, totpBox, accounts, liveSessions);
  const profile = new ProfileService(deps, liveSessions);
  const adminUsers = new AdminUsersService(deps, liveSessions);
  const emailChange = new EmailChangeService(deps, messages, accounts, liveSessions);
  const deletion = new AccountDeletionService(deps, messages, accounts, liveSessions);
  return { accounts, twoFactor, verification, profile, messages, mailer, liveSessions, adminUsers, emailChange, deletion };
}

/** Accounts and security: identity, sessions, 2FA, verification, roles, KYC. */
export const accountsModule: DomainModule = {
  name: 'accounts',
  async setup(deps) {
    const services = createAccountsServices(deps);
    await services.liveSessions.listen();
    deps.services.accounts = services.accounts;
    deps.services.accountsModule = services;
    deps.services.authResolver = (claims, request) => services.accounts.resolve(claims, request?.routeOptions?.config?.auth === 'admin');
    deps.services.watchUsers = (onChange) => services.liveSessions.watchUsers(onChange);
    deps.jobs.register<{ messageId: string }>({
      name: DELIVER_MESSAGE_JOB,
      retryLimit: 8,
      retryDelaySeconds: 5,
      handler: async ({ messageId }) => services.messages.deliver(messageId),
    });
    deps.jobs.register({
      name: PURGE_JOB,
      cron: '41 4 * * *',
      handler: async () => {
        await purgeExpired(deps.db, deps.config.ACTIVITY_RETENTION_DAYS);
      },
    });
    if (devOutboxEnabled(deps.config)) deps.logger.warn('no SMTP_URL: mail and SMS stay in the dev outbox at GET /api/v1/dev/outbox');
  },
  routes(app, deps) {
    const services = deps.services.accountsModule;
    authRoutes(app, services);
    meRoutes(app, services);
    adminUsersRoutes(app, services.adminUsers);
    lifecycleRoutes(app, services);
    if (devOutboxEnabled(deps.config)) devOutboxRoutes(app, services);
  },
};
