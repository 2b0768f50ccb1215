-- Transactional outbox: a domain event is written in the same transaction as the change it describes.
create table domain_events (
  id uuid primary key,
  type text not null,
  actor_id uuid,
  user_ids uuid[] not null default '{}',
  pet_id uuid,
  data jsonb not null default '{}',
  context jsonb not null default '{}',
  created_at timestamptz not null default now(),
  dispatched_at timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index domain_events_pending_idx on domain_events (created_at, id) where dispatched_at is null;
create index domain_events_user_idx on domain_events using gin (user_ids);

-- Idempotency-Key records (Stripe semantics), kept IDEMPOTENCY_TTL_HOURS.
create table idempotency_keys (
  scope text not null,
  key text not null,
  request_hash text not null,
  state text not null check (state in ('in_flight', 'done')),
  response_status integer,
  response_body text,
  response_content_type text,
  created_at timestamptz not null default now(),
  locked_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (scope, key)
);
create index idempotency_keys_expires_idx on idempotency_keys (expires_at);
