-- A pending transaction that waits too long for a block is replaced: the same nonce signed again with
-- higher fees (transfers.replace.ts). Either version may be the one the chain mines, so every hash the
-- row was sent with before its current one is kept here; once final, `hash` is the one mined.
alter table transactions add column replaced_hashes text[] not null default '{}';
-- GET /transactions/:hash finds a row by a hash it was replaced under; rows never replaced stay out of the index
create index transactions_replaced_hashes_idx on transactions using gin (replaced_hashes) where replaced_hashes <> '{}';
