-- What each user sent per token per UTC hour (ERC-20 transfers, failed ones given back), for the
-- unverified daily limit: a check sums the 25 hourly buckets that overlap the last 24 hours instead of
-- walking every transfer the user made in them. Written with the ledger rows (transactionsRepo.insertMany,
-- the only writer of erc20_transfer rows) and on failure (transactionsRepo.finalizeMany).
create table spend_buckets (
  user_id uuid not null references users (id) on delete cascade,
  token text not null,
  hour timestamptz not null,
  amount numeric(78, 0) not null,
  primary key (user_id, token, hour)
);
create index spend_buckets_hour_idx on spend_buckets (hour);

insert into spend_buckets (user_id, token, hour, amount)
select user_id, token, date_trunc('hour', created_at, 'UTC'), sum(amount)
from transactions
where user_id is not null and call = 'erc20_transfer' and status <> 'failed' and created_at > now() - interval '25 hours'
group by 1, 2, 3;
