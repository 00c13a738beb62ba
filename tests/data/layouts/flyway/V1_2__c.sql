ALTER TABLE accounts ADD COLUMN c int;
