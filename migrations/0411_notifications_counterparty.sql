-- Notifications that name another user (payment sent, received, requested) keep that user's id in
-- render.counterparty, so deleting that account finds and re-tells them without their name; this
-- index keeps the look-up off a scan of every notification.
create index notifications_counterparty_idx on notifications ((render -> 'counterparty' ->> 'userId')) where render ? 'counterparty';
