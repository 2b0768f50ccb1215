-- A pending change of a user's email address: a 6-digit code mailed to the new address (stored
-- hashed), 15 minutes, 5 tries. The address changes only when the signed-in user types the code back.
create table email_changes (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  new_email citext not null,
  code_hash text not null,
  attempts int not null default 0,
  expires_at timestamptz not null,
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index email_changes_user_idx on email_changes (user_id, created_at desc);

-- A deleted account: its row stays (the ledger references it) with every personal field erased.
alter table users add column deleted_at timestamptz;
