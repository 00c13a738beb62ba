CREATE OR REPLACE VIEW accounts_v AS SELECT id FROM accounts;
