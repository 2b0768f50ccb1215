-- What a notification was rendered from (its template, parameters and the parameters that are
-- themselves catalog keys), so a list read after the reader switched languages re-tells it in the
-- new one; title and body stay as first rendered (for announcements, which have no template, and for
-- rows written before this column).
alter table notifications add column render jsonb;
