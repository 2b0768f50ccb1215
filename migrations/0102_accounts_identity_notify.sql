-- Every node keeps the sessions it has seen live in memory (AccountsService.resolve) and forgets them
-- when told, on the accounts_identity channel, that something which decides an authenticated
-- request's identity changed: a session revoked, ended or deleted ('s:' and its id), or a user
-- disabled, deleted, or given another role or 2FA state ('u:' and its id). The notices come from
-- the database itself, so every writer (this app, the admin CLI, an operator's SQL) sends them, and
-- only when its transaction commits.
create function accounts_identity_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('accounts_identity', case when tg_table_name = 'sessions' then 's:' else 'u:' end || old.id::text);
  return null;
end $$;

create trigger sessions_identity_changed after update of revoked_at, expires_at, user_id on sessions
  for each row execute function accounts_identity_changed();

-- an expired session is never taken as live, cached or not: the daily purge of old ones stays quiet
create trigger sessions_identity_deleted after delete on sessions
  for each row when (old.expires_at > now()) execute function accounts_identity_changed();

create trigger users_identity_changed after update of disabled_at, role, totp_enabled_at or delete on users
  for each row execute function accounts_identity_changed();
