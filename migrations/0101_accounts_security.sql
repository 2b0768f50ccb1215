-- Refresh-token rotation: each refresh writes a new sessions row in the same family and marks the old one rotated.
alter table sessions add column rotated_at timestamptz;
alter table sessions add column revoked_reason text;
create index sessions_live_idx on sessions (user_id) where revoked_at is null and rotated_at is null;

-- TOTP replay protection: the last accepted time step.
alter table users add column totp_last_step bigint;
alter table users add column password_changed_at timestamptz;

-- Every sign-in attempt: the user's login history and the source of the lockout policy.
-- identifier_hash is sha256 of the normalized email or phone typed, so unknown accounts are throttled the same way.
create table login_attempts (
  id uuid primary key,
  user_id uuid references users (id) on delete cascade,
  identifier_hash text not null,
  success boolean not null,
  reason text,
  method text,
  counts_for_lockout boolean not null default false,
  ip text,
  user_agent text,
  created_at timestamptz not null default now()
);
create index login_attempts_user_idx on login_attempts (user_id, created_at desc, id desc);
create index login_attempts_lockout_idx on login_attempts (identifier_hash, created_at desc) where counts_for_lockout;

-- Single-use links sent by mail (email verification, password reset); only the hash is stored.
create table account_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('verify_email', 'reset_password')),
  token_hash text not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index account_tokens_user_idx on account_tokens (user_id, purpose);

-- 2FA recovery codes (hashed, one use each).
create table recovery_codes (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  code_hash text not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index recovery_codes_user_idx on recovery_codes (user_id);

-- Phone verification codes (hashed): expire in 10 minutes, 5 tries.
create table phone_codes (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  phone text not null,
  code_hash text not null,
  attempts int not null default 0,
  expires_at timestamptz not null,
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index phone_codes_user_idx on phone_codes (user_id, created_at desc);

-- Outgoing mail and SMS. Delivered through a job; with no SMTP_URL (or the dev SMS provider) the row
-- stays readable as the dev outbox. After delivery by a real transport the body is cleared.
create table outbound_messages (
  id uuid primary key,
  channel text not null check (channel in ('email', 'sms')),
  recipient text not null,
  subject text,
  body text,
  template text not null,
  transport text,
  delivered_at timestamptz,
  last_error text,
  created_at timestamptz not null default now()
);
create index outbound_messages_created_idx on outbound_messages (created_at desc, id desc);
