import type { ColumnType, Generated } from 'kysely';
import type { AccountsTables } from '../../accounts/accounts.tables.js';
import type { PetsTables } from '../../pets/pets.tables.js';
import type { ChatTables } from '../../chat/chat.tables.js';
import type { ActivityTables } from '../../activity/activity.tables.js';
import type { NotificationsTables } from '../../notifications/notifications.tables.js';
import type { WalletsTables } from '../../wallets/wallets.tables.js';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json = ColumnType<unknown, string | undefined, string>;

export interface DomainEventsTable {
  id: string;
  type: string;
  actor_id: string | null;
  user_ids: string[];
  pet_id: string | null;
  data: Json;
  context: Json;
  created_at: Generated<Date>;
  dispatched_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: string | null;
  response_content_type: string | null;
  created_at: Generated<Date>;
  locked_at: Generated<Date>;
  expires_at: Date;
}

export interface PlatformTables {
  domain_events: DomainEventsTable;
  idempotency_keys: IdempotencyKeysTable;
}

/** The whole schema as Kysely sees it: each domain adds its tables interface here. */
export interface DB
  extends PlatformTables,
    AccountsTables,
    PetsTables,
    ChatTables,
    WalletsTables,
    NotificationsTables,
    ActivityTables {}
