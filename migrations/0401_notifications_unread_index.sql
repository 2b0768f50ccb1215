-- The unread count each new notification carries was read from the heap: the unread index held only
-- user_id, so every unread row of the user was fetched to check expires_at, and the count cost
-- grew with the backlog at a heap page per row. With expires_at in the index the count is an
-- index-only scan, visiting the heap only for pages vacuum has not yet marked all-visible, and
-- vacuum after inserts comes sooner, so those are few.
drop index notifications_unread_idx;
create index notifications_unread_idx on notifications (user_id, expires_at) where read_at is null and archived_at is null;
alter table notifications set (autovacuum_vacuum_insert_scale_factor = 0.05);
