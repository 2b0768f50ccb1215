-- Codes sent to one address in the last hour, whoever asked (POST /me/email caps them per address).
create index email_changes_address_idx on email_changes (new_email, created_at desc);
