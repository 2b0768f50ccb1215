import type { AppDeps } from '../platform/deps.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { adminUsersRepo } from './accounts.adminusers.repo.js';
import { assertAdminsRemain } from './accounts.adminusers.service.js';
import { deletionRepo } from './accounts.deletion.repo.js';
import { accountsError } from './accounts.errors.js';
import type { LiveSessions } from './accounts.liveness.js';
import type { Messages } from './accounts.messages.js';
import { accountsRepo } from './accounts.repo.js';
import type { AccountsService } from './accounts.service.js';
import { requireTotpIfEnabled, withSecondFactorThrottle } from './accounts.stepup.js';

/** Deleting the signed-in user's own account. */
export class AccountDeletionService {
  constructor(
    private readonly deps: AppDeps,
    private readonly messages: Messages,
    private readonly accounts: AccountsService,
    private readonly liveSessions: LiveSessions,
  ) {}

  /**
   * Deletes the account (current password, and a TOTP code when 2FA is on). Money is never dropped:
   * while the user's or their pets' wallets hold tokens (409 account_has_funds) or a transfer is in
   * flight (409 account_has_pending_transfers) nothing happens. Otherwise the user row is erased of
   * everything personal and disabled (the ledger keeps referencing it), every session ends (sockets
   * are told by the database's notice), the address is told and becomes free, and `account.deleted`
   * lets chat, pets, notifications, activity and wallets erase what they hold. Wrong TOTP codes are
   * throttled per account (429 totp_code_throttled while paused).
   */
  async deleteAccount(ctx: RequestContext, input: { currentPassword: string; totpCode?: string }): Promise<void> {
    const account = await this.accounts.reauthenticate(ctx, input.currentPassword);
    await withSecondFactorThrottle(this.accounts, account, ctx, () => this.erase(ctx, input.totpCode));
  }

  private async erase(ctx: RequestContext, totpCode: string | undefined): Promise<void> {
    const funds = await this.deps.services.wallets.fundsHeldBy(ctx.user.id);
    if (funds.base > 0n) throw accountsError('account_has_funds', { amount: funds.amount, symbol: funds.symbol });
    await withTransaction(this.deps.db, async (trx) => {
      // open payment requests and basenames would otherwise still route money to the deleted wallet; a
      // request funded meanwhile is a transfer in flight, seen here. Before the user's lock, in the order
      // funding a request takes them (the request, then the payment row's key lock on the user): no deadlock
      const closed = await this.deps.services.wallets.closeForDeletion(trx, ctx.user.id);
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user || user.deleted_at) throw accountsError('user_not_found');
      await requireTotpIfEnabled(this.accounts, trx, user, totpCode);
      if (user.role === 'admin') {
        await adminUsersRepo.lockAdminMembership(trx);
        assertAdminsRemain(await adminUsersRepo.enabledAdminIds(trx), user);
      }
      if (closed.inFlight) throw accountsError('account_has_pending_transfers');
      const notice = await this.messages.queue(trx, { channel: 'email', to: user.email, template: 'account_deleted', locale: user.locale, params: {} });
      await deletionRepo.deleteMessagesTo(trx, [user.email, ...(user.phone ? [user.phone] : [])], notice);
      await deletionRepo.eraseUser(trx, user.id);
      await deletionRepo.deleteOwnRows(trx, user.id);
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      // names no one: the activity log keeps that an account was deleted, not whose personal data it was
      await this.deps.events.record(trx, { type: 'account.deleted', actorId: null, userIds: [], data: { userId: user.id }, context: { ip: null, userAgent: null } });
    });
  }
}
