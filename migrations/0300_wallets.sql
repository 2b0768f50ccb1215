-- Custodial wallets: the private key is AES-256-GCM encrypted with a per-wallet data key,
-- itself wrapped by WALLET_MASTER_KEY. next_nonce is the per-wallet nonce counter, taken under row lock.
create table wallets (
  id uuid primary key,
  kind text not null check (kind in ('user', 'pet', 'treasury')),
  user_id uuid references users (id) on delete restrict,
  pet_id uuid,
  address text not null unique check (address ~ '^0x[0-9a-f]{40}$'),
  encrypted_key text not null,
  next_nonce bigint not null default 0,
  created_at timestamptz not null default now(),
  check ((kind = 'treasury') = (user_id is null)),
  check ((kind = 'pet') = (pet_id is not null))
);
create unique index wallets_user_kind_idx on wallets (user_id) where kind = 'user';
create unique index wallets_pet_idx on wallets (pet_id) where kind = 'pet';
create index wallets_user_idx on wallets (user_id, created_at);

-- Where the token and batch-transfer contracts live on each chain, and which wallet is the treasury.
create table chain_deployments (
  chain_id integer primary key,
  token_address text not null,
  token_symbol text not null,
  token_decimals integer not null,
  batch_transfer_address text,
  treasury_wallet_id uuid not null references wallets (id),
  deployed boolean not null,
  created_at timestamptz not null default now()
);

-- The transaction ledger. Amounts are base units. A row moves queued → pending → confirmed | failed;
-- nonce, hash and the signed raw transaction are stored together before broadcast, so a crash is
-- recovered by re-sending the same signed bytes, never by signing again.
create table transactions (
  id uuid primary key,
  hash text unique check (hash ~ '^0x[0-9a-f]{64}$'),
  type text not null check (type in ('purchase', 'transfer', 'evolution', 'gift', 'basename', 'bulk', 'faucet', 'gas')),
  status text not null check (status in ('queued', 'pending', 'confirmed', 'failed')),
  call text not null check (call in ('erc20_transfer', 'mint', 'native', 'external')),
  chain_id integer not null,
  network text not null,
  from_address text not null,
  to_address text not null,
  from_wallet_id uuid references wallets (id),
  to_wallet_id uuid references wallets (id),
  user_id uuid references users (id),
  to_user_id uuid references users (id),
  pet_id uuid,
  amount numeric(78, 0) not null check (amount >= 0),
  token text not null,
  token_address text,
  memo text,
  nonce bigint,
  raw_tx text,
  block_number bigint,
  gas_used numeric(78, 0),
  gas_fee numeric(78, 0),
  error text,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  finalized_at timestamptz,
  updated_at timestamptz not null default now()
);
create index transactions_from_wallet_status_idx on transactions (from_wallet_id, status) where status in ('queued', 'pending');
create unique index transactions_wallet_nonce_idx on transactions (from_wallet_id, nonce) where nonce is not null;
create index transactions_user_idx on transactions (user_id, created_at desc, id desc);
create index transactions_to_user_idx on transactions (to_user_id, created_at desc, id desc);
create index transactions_from_address_idx on transactions (from_address, created_at desc);
create index transactions_to_address_idx on transactions (to_address, created_at desc);
create index transactions_pending_idx on transactions (updated_at) where status in ('queued', 'pending');

-- Basenames: one current owner per name; the history keeps every registration, update and transfer.
create table basenames (
  name text primary key check (name ~ '^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$'),
  wallet_id uuid not null references wallets (id),
  user_id uuid not null references users (id),
  transaction_id uuid references transactions (id),
  registered_at timestamptz not null default now(),
  expires_at timestamptz not null,
  updated_at timestamptz not null default now()
);
create index basenames_wallet_idx on basenames (wallet_id);
create index basenames_user_idx on basenames (user_id);

create table basename_history (
  id uuid primary key,
  name text not null,
  action text not null check (action in ('registered', 'updated', 'transferred')),
  user_id uuid not null references users (id),
  wallet_id uuid not null references wallets (id),
  transaction_id uuid references transactions (id),
  transaction_hash text,
  cost numeric(78, 0) not null default 0,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index basename_history_user_idx on basename_history (user_id, created_at desc);

-- Payment requests ("intents"): a requester asks a payer for an amount; funding goes through the transfer pipeline.
create table payment_intents (
  id uuid primary key,
  requester_id uuid not null references users (id),
  requester_wallet_id uuid not null references wallets (id),
  payer_id uuid references users (id),
  payer_address text not null,
  payer_label text not null,
  amount numeric(78, 0) not null check (amount > 0),
  token text not null,
  memo text,
  status text not null check (status in ('created', 'funded', 'executed', 'cancelled', 'expired')),
  transaction_id uuid references transactions (id),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payment_intents_requester_idx on payment_intents (requester_id, created_at desc);
create index payment_intents_payer_idx on payment_intents (payer_id, created_at desc);
create index payment_intents_open_idx on payment_intents (expires_at) where status = 'created';

-- Chat /pay asks for confirmation: a short code the user sends back with /confirm <code>.
create table pay_confirmations (
  code text not null,
  user_id uuid not null references users (id) on delete cascade,
  request jsonb not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (user_id, code)
);
