CREATE INDEX CONCURRENTLY accounts_a ON accounts (a);
