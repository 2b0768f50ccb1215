-- Chat messages between a user and one of their pets. Content is plain text, never HTML.
-- lang is the text-search configuration of the author's locale ('simple' where Postgres has none).
create table chat_messages (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  pet_id uuid not null references pets (id) on delete cascade,
  sender text not null check (sender in ('user', 'pet', 'system')),
  content text not null check (char_length(content) between 1 and 2000),
  lang regconfig not null default 'simple',
  search tsvector generated always as (to_tsvector(lang, content)) stored,
  metadata jsonb not null default '{}',
  created_at timestamptz not null,
  read_at timestamptz
);
create index chat_messages_user_pet_idx on chat_messages (user_id, pet_id, created_at desc, id desc);
create index chat_messages_user_idx on chat_messages (user_id, created_at desc, id desc);
create index chat_messages_pet_idx on chat_messages (pet_id, created_at desc, id desc);
create index chat_messages_unread_idx on chat_messages (pet_id, created_at) where read_at is null;
create index chat_messages_search_idx on chat_messages using gin (search);

-- Per-conversation counters kept in the same transaction as the messages, so totals and unread counts are O(1).
create table chat_threads (
  user_id uuid not null references users (id) on delete cascade,
  pet_id uuid not null references pets (id) on delete cascade,
  total integer not null default 0 check (total >= 0),
  unread integer not null default 0 check (unread >= 0),
  last_message_at timestamptz,
  primary key (pet_id)
);
create index chat_threads_user_idx on chat_threads (user_id);
