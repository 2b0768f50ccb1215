-- Nothing reads domain_events by recipient (subscribers get each event from the dispatcher), and the
-- GIN index on user_ids cost every event two GIN insertions (on insert, and again when the dispatcher
-- marks it dispatched, an update that writes a new row version).
drop index if exists domain_events_user_idx;
