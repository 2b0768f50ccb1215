-- The Idempotency-Key a transfer was requested with (scoped to its caller), kept on the ledger row
-- for good: a retry whose stored response was lost (a crash between the commit and storing it) or
-- has expired answers the same transfer instead of making a second one.
alter table transactions add column request_key text;
create unique index transactions_request_key_idx on transactions (request_key) where request_key is not null;
