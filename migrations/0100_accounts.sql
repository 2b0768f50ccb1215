create extension if not exists citext;

create table users (
  id uuid primary key,
  email citext not null unique,
  name text not null,
  phone text unique,
  password_hash text not null,
  role text not null default 'user' check (role in ('user', 'admin')),
  locale text not null default 'en',
  timezone text not null default 'UTC',
  preferences jsonb not null default '{}',
  email_verified_at timestamptz,
  phone_verified_at timestamptz,
  totp_secret text,
  totp_enabled_at timestamptz,
  kyc_status text not null default 'none' check (kyc_status in ('none', 'pending', 'verified', 'rejected')),
  kyc_details jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  disabled_at timestamptz
);

-- A session is one signed-in device; its refresh tokens rotate within a family.
create table sessions (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  refresh_token_hash text not null unique,
  family_id uuid not null,
  ip text,
  user_agent text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user_idx on sessions (user_id, created_at desc);
create index sessions_family_idx on sessions (family_id);
