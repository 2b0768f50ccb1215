-- Why and by whom an admin disabled an account (POST /admin/users/:id/disable); cleared when it is enabled again.
alter table users
  add column disabled_reason text,
  add column disabled_by uuid references users (id) on delete set null;
