ALTER TABLE accounts ADD COLUMN e int;
CREATE INDEX CONCURRENTLY accounts_e ON accounts (e);
