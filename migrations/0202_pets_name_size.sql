-- A pet's name is limited to 40 user-perceived characters (graphemes) by the API, which PostgreSQL
-- cannot count: 40 letters with combining accents are 80 code points. The table keeps the API's hard
-- cap on size instead (10 code points per character, as char_length counts, so at most 400).
alter table pets drop constraint pets_name_check;
alter table pets add constraint pets_name_check check (char_length(name) between 1 and 400);
