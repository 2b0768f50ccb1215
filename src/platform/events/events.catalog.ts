/**
 * The domain events every domain records (type → data). This is the contract between the
 * domains that change state and the subscribers that react after commit: realtime emits,
 * notifications, the activity log and analytics. Add fields freely; never rename or remove.
 * Every event also carries actorId, userIds (who should hear about it), petId and context. A pet event's
 * `name` is the pet's name when it happened, so a notification can tell an owner's pets apart.
 */
export interface EventCatalog {
  // accounts
  'auth.registered': { email: string };
  'auth.login_succeeded': { method: 'password' | 'totp' | 'recovery_code' };
  'auth.login_failed': { reason: 'bad_credentials' | 'totp_required' | 'bad_totp' | 'locked' };
  'auth.logged_out': { sessionId: string };
  'auth.session_revoked': { sessionId: string; reason: 'user' | 'refresh_reuse' | 'password_change' | 'email_change' };
  'auth.password_changed': Record<string, never>;
  'auth.2fa_enabled': Record<string, never>;
  'auth.2fa_disabled': Record<string, never>;
  'auth.email_verified': Record<string, never>;
  'auth.email_changed': { from: string; to: string };
  /** An account was deleted: its personal data is erased; other domains erase what they hold of it (userIds stays empty). */
  'account.deleted': { userId: string };
  'auth.phone_verified': { phone: string };
  'auth.profile_updated': { fields: string[] };
  'auth.kyc_submitted': Record<string, never>;
  'auth.kyc_decided': { status: 'verified' | 'rejected' };
  'auth.user_disabled': { reason: string; sessionsRevoked: number };
  'auth.user_enabled': Record<string, never>;
  'auth.role_changed': { from: 'user' | 'admin'; to: 'user' | 'admin' };
  // pets
  'pet.created': { name: string; stage: string };
  'pet.updated': { fields: string[] };
  'pet.deleted': Record<string, never>;
  'pet.interacted': { interaction: 'feed' | 'play' | 'groom'; xpGained: number; stats: Record<string, number> };
  'pet.evolved': { from: string; to: string; level: number; name?: string };
  'pet.vacation_started': { until: string };
  'pet.streak_at_risk': { streak: number; hoursLeft: number; name?: string };
  'pet.streak_lost': { streak: number; name?: string };
  // chat
  'chat.message_created': { messageId: string; sender: 'user' | 'pet' | 'system'; content: string; createdAt: string };
  'chat.messages_read': { messageIds: string[] | 'all'; updated: number };
  'chat.messages_deleted': { messageIds: string[] | 'all'; deleted: number };
  'chat.typing': { typing: boolean };
  // wallets and money (amounts are decimal strings in token units, plus base units in amountBase)
  'wallet.created': { walletId: string; address: string; kind: 'user' | 'pet' };
  'wallet.funded': { walletId: string; address: string; amount: string };
  'transfer.queued': TransferEventData;
  'transfer.pending': TransferEventData;
  'transfer.confirmed': TransferEventData & { blockNumber: string; gasUsed: string; gasFee: string };
  'transfer.failed': TransferEventData & { reason: string };
  'basename.registered': { name: string; walletId: string; transactionId: string };
  'intent.created': IntentEventData;
  'intent.updated': IntentEventData;
  // notifications and system
  'notification.created': { notificationId: string; type: string; priority: string };
  'notification.read': { notificationIds: string[] | 'all'; unreadCount: number };
  'system.announcement': { announcementId: string; title: string; body: string; priority: string; expiresAt?: string | null };
  // realtime, notifications and activity: contracts for domains still to come (bulk, friends, store)
  'activity.client': { action: string; category: 'pet' | 'social'; details: Record<string, unknown> };
  'pet.needs_care': { stat: string; value: number; name?: string };
  'batch.progress': { batchId: string; processed: number; total: number; succeeded: number; failed: number; milestone?: boolean };
  'batch.completed': { batchId: string; total: number; succeeded: number; failed: number };
  'friend.requested': { requestId: string; fromUserId: string; fromName: string };
  'gift.sent': { giftId: string; gift: string; fromUserId: string; fromName: string };
  'order.updated': { orderId: string; status: string };
  'order.completed': { orderId: string; reference: string };
}

export interface TransferEventData {
  transactionId: string;
  hash: string | null;
  from: string;
  to: string;
  fromUserId: string | null;
  toUserId: string | null;
  amount: string;
  /** The amount in the token's base units. */
  amountBase?: string;
  token: string;
  type: string;
  status: 'queued' | 'pending' | 'confirmed' | 'failed';
}

export interface IntentEventData {
  intentId: string;
  status: 'created' | 'funded' | 'executed' | 'cancelled' | 'expired';
  requesterId: string;
  payerId: string | null;
  amount: string;
  token: string;
  memo: string | null;
}

export type EventType = keyof EventCatalog;
