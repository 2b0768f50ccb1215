-- The activity log: every state-changing action, kept ACTIVITY_RETENTION_DAYS. Partitioned by UTC day so
-- that retention drops whole partitions (cheap at hundreds of millions of rows) instead of deleting rows.
create table activity_log (
  id uuid not null,
  event_id uuid,
  user_id uuid,
  pet_id uuid,
  action text not null,
  category text not null check (category in ('auth', 'pet', 'wallet', 'social', 'purchase', 'system')),
  source text not null default 'server' check (source in ('server', 'client')),
  details jsonb not null default '{}',
  metadata jsonb not null default '{}',
  ip_address text,
  user_agent text,
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  primary key (created_at, id)
) partition by range (created_at);
create index activity_log_user_idx on activity_log (user_id, created_at desc, id desc);
create index activity_log_login_idx on activity_log (user_id, ip_address, user_agent) where action = 'auth.login_succeeded';

-- Rows outside every day partition land here instead of failing; ensure_partitions moves them out.
create table activity_log_default partition of activity_log default;

-- Creates the day partitions [p_from, p_to] that do not exist yet; returns how many it created.
create or replace function activity_log_ensure_partitions(p_from date, p_to date) returns integer
language plpgsql as $$
declare
  d date := p_from;
  created integer := 0;
  part text;
  lo timestamptz;
  hi timestamptz;
begin
  perform pg_advisory_xact_lock(727400);
  while d <= p_to loop
    part := 'activity_log_' || to_char(d, 'YYYYMMDD');
    if to_regclass(part) is null then
      lo := d::timestamp at time zone 'UTC';
      hi := (d + 1)::timestamp at time zone 'UTC';
      create temp table if not exists activity_log_moving (like activity_log) on commit drop;
      with moved as (delete from activity_log_default where created_at >= lo and created_at < hi returning *)
      insert into activity_log_moving select * from moved;
      execute format('create table %I partition of activity_log for values from (%L) to (%L)', part, lo, hi);
      insert into activity_log select * from activity_log_moving;
      delete from activity_log_moving;
      created := created + 1;
    end if;
    d := d + 1;
  end loop;
  return created;
end $$;

select activity_log_ensure_partitions((now() at time zone 'UTC')::date - 1, (now() at time zone 'UTC')::date + 7);

-- Retention: drops the day partitions that end at or before p_cutoff, then deletes the older rows left in
-- the partition that straddles the cutoff (and in the default partition). Returns both counts.
create or replace function activity_log_drop_expired(p_cutoff timestamptz) returns table (dropped integer, deleted bigint)
language plpgsql as $$
declare
  r record;
  n integer := 0;
  m bigint;
begin
  perform pg_advisory_xact_lock(727400);
  for r in
    select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'activity_log'::regclass and c.relname ~ '^activity_log_[0-9]{8}$'
  loop
    if (to_date(substr(r.relname, 14), 'YYYYMMDD') + 1)::timestamp at time zone 'UTC' <= p_cutoff then
      execute format('drop table %I', r.relname);
      n := n + 1;
    end if;
  end loop;
  delete from activity_log where created_at < p_cutoff;
  get diagnostics m = row_count;
  return query select n, m;
end $$;
