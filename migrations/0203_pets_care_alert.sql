-- pet.needs_care is recorded once when a pet starts needing care (a stat below the level at which it
-- feels sick, sad or tired) and not again until it was cared for: the row remembers when it was told.
alter table pets add column care_alerted_at timestamptz;
