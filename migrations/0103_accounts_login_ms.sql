-- Sign-in history times to the millisecond, as the history's cursor carries them (a cursor holding
-- .123 skipped an attempt at .1234 listed after one at .123456: both read .123).
alter table login_attempts alter column created_at type timestamptz(3);
