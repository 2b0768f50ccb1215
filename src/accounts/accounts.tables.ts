import type { Generated, ColumnType } from 'kysely';
import type { Json } from '../platform/db/db.types.js';

export type KycStatus = 'none' | 'pending' | 'verified' | 'rejected';

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  password_hash: string;
  role: Generated<'user' | 'admin'>;
  locale: Generated<string>;
  timezone: Generated<string>;
  preferences: ColumnType<unknown, string | undefined, string>;
  email_verified_at: Date | null;
  phone_verified_at: Date | null;
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  kyc_status: Generated<KycStatus>;
  kyc_details: Json | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  disabled_at: Date | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  refresh_token_hash: string;
  family_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface AccountsTables {
  users: UsersTable;
  sessions: SessionsTable;
}
