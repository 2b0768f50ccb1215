-- Notifications by email. Which categories a user also gets by mail (absent row = the category's
-- default, in notifications.email.types.ts); security mails belong to the accounts domain and do not
-- depend on these.
create table notification_email_preferences (
  user_id uuid not null references users (id) on delete cascade,
  category text not null check (category in ('money_received', 'payment_requests', 'pet_care', 'announcements')),
  enabled boolean not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, category)
);

-- When a category last mailed a user: at most one mail per user and category per
-- NOTIFICATION_EMAIL_WINDOW_MINUTES, claimed with one upsert so concurrent dispatchers cannot both mail.
create table notification_email_windows (
  user_id uuid not null references users (id) on delete cascade,
  category text not null,
  mailed_at timestamptz not null,
  primary key (user_id, category)
);

-- One row per notification to be mailed, written with its job; sent_at set once the SMTP server took
-- it, so a retried job never sends it twice, and skipped when the user can no longer get it.
create table notification_emails (
  notification_id uuid primary key references notifications (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  category text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  skipped text,
  last_error text
);
