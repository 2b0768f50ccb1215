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
  totp_last_step: ColumnType<string | null, number | null | undefined, number | null>;
  password_changed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  disabled_reason: ColumnType<string | null, string | null | undefined, string | null>;
  disabled_by: ColumnType<string | null, string | null | undefined, string | null>;
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
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
  rotated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LoginAttemptsTable {
  id: string;
  user_id: string | null;
  identifier_hash: string;
  success: boolean;
  reason: string | null;
  method: string | null;
  counts_for_lockout: Generated<boolean>;
  ip: string | null;
  user_agent: string | null;
  created_at: Generated<Date>;
}

export type AccountTokenPurpose = 'verify_email' | 'reset_password';

export interface AccountTokensTable {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface PhoneCodesTable {
  id: string;
  user_id: string;
  phone: string;
  code_hash: string;
  attempts: Generated<number>;
  expires_at: Date;
  consumed_at: Date | null;
  created_at: Generated<Date>;
}

export interface EmailChangesTable {
  id: string;
  user_id: string;
  new_email: string;
  code_hash: string;
  attempts: Generated<number>;
  expires_at: Date;
  consumed_at: Date | null;
  created_at: Generated<Date>;
}

export interface OutboundMessagesTable {
  id: string;
  channel: 'email' | 'sms';
  recipient: string;
  subject: string | null;
  body: string | null;
  template: string;
  transport: string | null;
  delivered_at: Date | null;
  last_error: string | null;
  created_at: Generated<Date>;
}

export interface AccountsTables {
  users: UsersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  account_tokens: AccountTokensTable;
  recovery_codes: RecoveryCodesTable;
  phone_codes: PhoneCodesTable;
  email_changes: EmailChangesTable;
  outbound_messages: OutboundMessagesTable;
}
