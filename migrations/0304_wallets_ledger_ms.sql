-- Ledger times to the millisecond, as JavaScript and the list cursors carry them: a cursor holding
-- 12:00:00.123 skipped a row created at 12:00:00.1234 after one at 12:00:00.123456 (both read .123).
alter table transactions alter column created_at type timestamptz(3);
