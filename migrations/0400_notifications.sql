-- Times are kept to the millisecond so ISO cursors and `since` filters round-trip exactly.
-- Notifications: one row per user, title/body rendered in the user's locale when created.
create table notifications (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  type text not null,
  priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
  title text not null,
  body text not null,
  data jsonb not null default '{}',
  source_event_id uuid,
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  seen_at timestamptz,
  read_at timestamptz,
  archived_at timestamptz,
  expires_at timestamptz
);
-- a domain event produces at most one notification of a type per user, even if dispatched twice
create unique index notifications_source_idx on notifications (source_event_id, user_id, type) where source_event_id is not null;
create index notifications_user_idx on notifications (user_id, created_at desc, id desc);
create index notifications_unread_idx on notifications (user_id) where read_at is null and archived_at is null;
create index notifications_expires_idx on notifications (expires_at) where expires_at is not null;

-- Muted types per user (absent row = not muted); security alerts are never muted.
create table notification_preferences (
  user_id uuid not null references users (id) on delete cascade,
  type text not null,
  muted boolean not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, type)
);

-- Announcements an admin sent to everyone; each user also gets a system_announcement notification.
create table announcements (
  id uuid primary key,
  author_id uuid references users (id) on delete set null,
  title text not null,
  body text not null,
  priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  expires_at timestamptz
);
